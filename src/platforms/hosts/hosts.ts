/** The existing-machines platform: nothing to create, only connections to build. */
import * as pulumi from "@pulumi/pulumi";
import type { ClusterPlan, HostPlan } from "../../core/plan";
import { connectionOf, type CreateHosts, hostsOf, type PickHost } from "../platform";
import type { HostsPlatformPlan } from "./plan";

export const existingHosts: CreateHosts<HostsPlatformPlan> = (plan, _platform, parent, known) => {
    const warn = (p: ClusterPlan): void => {
        const warning = unpinnedHostsWarning(p);
        if (warning) {
            void pulumi.log.warn(warning, parent);
        }
    };
    if (known) {
        // Said once the hosts' addresses are known (nothing is said while a preview does not know them).
        known.apply(warn);
    } else {
        warn(plan);
    }
    return {
        hosts: hostsOf(plan, (host, pick) => ({ connection: known ? awaitedConnection(host, pick, known) : connectionOf(host.ssh), dependsOn: [] })),
        ids: {},
    };
};

/**
 * The connection to a host whose SSH target or host key another resource gives: those from the
 * plan made with the awaited values, the rest (user, port, key: plain fields) as given.
 */
function awaitedConnection(host: HostPlan, pick: PickHost, known: pulumi.Output<ClusterPlan>): ReturnType<typeof connectionOf> {
    return {
        ...connectionOf(host.ssh, known.apply((p) => pick(p).ssh.host)),
        ...(host.ssh.hostKey ? { hostKey: known.apply((p) => pick(p).ssh.hostKey ?? "") } : {}),
    };
}

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
