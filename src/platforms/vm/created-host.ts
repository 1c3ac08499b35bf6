/** A machine a platform has just created, as a host: its SSH connection once it has booted. */
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { hostResourceName } from "../../core/names";
import type { ClusterPlan, HostPlan } from "../../core/plan";
import { waitForBootCommand } from "../../core/scripts/command-lines";
import { connectionOf, type PlatformHost } from "../platform";

/** How long a new VM may take to answer SSH and finish cloud-init (software emulation is slow). */
export const BOOT_TIMEOUT = "20m";

/**
 * A machine the platform just created (`machine`, told from the one before it by `instance`),
 * reached at `sshHost`, whose SSH host key the platform gave it (`hostKey`; undefined for a
 * machine created before lvs-dr did, which is then reached unverified, with a warning). Its first
 * command (`<cluster>-<role>-ssh`) dials until SSH answers (no error limit: the create timeout
 * bounds it), then waits for cloud-init; every host script depends on it.
 */
export function createdHost(
    plan: ClusterPlan, role: string, host: HostPlan, machine: pulumi.CustomResource, instance: pulumi.Output<string | undefined>,
    sshHost: pulumi.Input<string>, hostKey: pulumi.Output<string | undefined>, parent: pulumi.Resource,
): PlatformHost {
    const pinned = hostKey.apply((key) => {
        if (key === undefined && !pulumi.runtime.isDryRun()) {
            void pulumi.log.warn(unpinnedWarning(hostResourceName(plan.name, role, "vm")), parent);
        }
        return key;
    });
    // An undefined host key leaves the connection unpinned (the property is dropped).
    const connection = { ...connectionOf(host.ssh, sshHost), hostKey: pinned as pulumi.Output<string> };
    const ready = new command.remote.Command(hostResourceName(plan.name, role, "ssh"), {
        connection: { ...connection, dialErrorLimit: -1, perDialTimeout: 10 },
        create: instance.apply((id) => waitForBootCommand(id)),
    }, { parent, dependsOn: [machine], customTimeouts: { create: BOOT_TIMEOUT } });
    return { connection, dependsOn: [ready], machine: instance };
}

/** Said on every `pulumi up` for a created machine whose host key lvs-dr does not know. */
export function unpinnedWarning(machine: string): string {
    return `${machine} was created before lvs-dr pinned SSH host keys: its host key is not verified. `
        + "Replace the machine (pulumi up --replace, one at a time) to have it made with a pinned key.";
}
