/** A machine a platform has just created, as a host: its SSH connection once it has booted. */
import * as command from "@pulumi/command";
import type * as pulumi from "@pulumi/pulumi";
import { hostResourceName } from "../../core/names";
import type { ClusterPlan, HostPlan } from "../../core/plan";
import { waitForBootCommand } from "../../core/scripts/command-lines";
import { connectionOf, type PlatformHost } from "../platform";

/** How long a new VM may take to answer SSH and finish cloud-init (software emulation is slow). */
export const BOOT_TIMEOUT = "20m";

/**
 * A machine the platform just created (`machine`, told from the one before it by `instance`),
 * reached at `sshHost`. Its first command (`<cluster>-<role>-ssh`) dials until SSH answers (no
 * error limit: the create timeout bounds it), then waits for cloud-init; every host script depends
 * on it.
 */
export function createdHost(
    plan: ClusterPlan, role: string, host: HostPlan, machine: pulumi.CustomResource, instance: pulumi.Output<string | undefined>,
    sshHost: pulumi.Input<string>, parent: pulumi.Resource,
): PlatformHost {
    const connection = connectionOf(host.ssh, sshHost);
    const ready = new command.remote.Command(hostResourceName(plan.name, role, "ssh"), {
        connection: { ...connection, dialErrorLimit: -1, perDialTimeout: 10 },
        create: instance.apply((id) => waitForBootCommand(id)),
    }, { parent, dependsOn: [machine], customTimeouts: { create: BOOT_TIMEOUT } });
    return { connection, dependsOn: [ready], machine: instance };
}
