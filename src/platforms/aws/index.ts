/** The `aws` platform: EC2 instances in one subnet. */
import type { Platform } from "../platform";
import { awsHosts } from "./hosts";
import type { AwsPlatformPlan } from "./plan";
import { validateAws } from "./validate";

export const awsPlatform: Platform<AwsPlatformPlan> = { validate: validateAws, createHosts: awsHosts, summary: "EC2 instances" };
