/** The `hosts` platform: machines that already exist. */
import type { Platform } from "../platform";
import { existingHosts } from "./hosts";
import type { HostsPlatformPlan } from "./plan";
import { validateHosts } from "./validate";

export const hostsPlatform: Platform<HostsPlatformPlan> = { validate: validateHosts, createHosts: existingHosts, summary: "existing machines" };
