/** The existing-machines platform: nothing to create, only connections to build. */
import { connectionOf, type CreateHosts, hostsOf } from "../platform";
import type { HostsPlatformPlan } from "./plan";

export const existingHosts: CreateHosts<HostsPlatformPlan> = (plan) => ({
    hosts: hostsOf(plan, (host) => ({ connection: connectionOf(host.ssh), dependsOn: [] })),
    ids: {},
});
