/** The existing-machines platform: nothing to create, only connections to build. */
import type { HostsPlatformPlan } from "../../core/plan";
import { type CreateHosts, existingHost } from "../platform";

export const existingHosts: CreateHosts<HostsPlatformPlan> = (plan) => ({
    directors: plan.directors.map(existingHost),
    realServers: plan.realServers.map(existingHost),
    ids: {},
});
