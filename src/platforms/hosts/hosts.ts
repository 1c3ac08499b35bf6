/** The existing-machines platform: nothing to create, only connections to build. */
import * as pulumi from "@pulumi/pulumi";
import type { ClusterPlan } from "../../core/plan";
import { connectionOf, type CreateHosts, hostsOf } from "../platform";
import type { HostsPlatformPlan } from "./plan";

export const existingHosts: CreateHosts<HostsPlatformPlan> = (plan, _platform, parent) => {
    const warning = unpinnedHostsWarning(plan);
    if (warning) {
        void pulumi.log.warn(warning, parent);
    }
    return {
        hosts: hostsOf(plan, (host) => ({ connection: connectionOf(host.ssh), dependsOn: [] })),
        ids: {},
    };
};

/**
 * What every `pulumi up` (and preview) says while a host's SSH host key is not pinned: the host
 * scripts run as root, and an unverified connection gives them to whoever answers.
 */
export function unpinnedHostsWarning(plan: ClusterPlan): string | undefined {
    const unpinned = [...plan.directors, ...plan.realServers].filter((h) => !h.ssh.hostKey).map((h) => h.ssh.host);
    return unpinned.length === 0 ? undefined
        : `SSH host keys are not verified for ${unpinned.join(", ")}: anyone in the path can receive the root scripts `
            + "and fake their success. Pin each with its hosts.*.ssh.hostKey (the `ssh-ed25519 AAAA…` line of "
            + "/etc/ssh/ssh_host_ed25519_key.pub on the host, read out of band).";
}
