/**
 * What a platform does and hands back. A platform folder holds two halves: `validate.ts` (pure:
 * its args into its part of the plan) and `hosts.ts` (creates or finds the machines and returns,
 * per host, an address, an interface and an SSH connection). The component never asks how a
 * machine came to be.
 */
import * as command from "@pulumi/command";
import type { types } from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { hostResourceName } from "../core/names";
import type { ClusterPlan, HostPlan, PlatformPlan, SshPlan } from "../core/plan";
import { waitForBootCommand } from "../core/scripts/command-lines";

/** One machine, ready for the host scripts. */
export interface PlatformHost {
    /** Address on the load-balancing subnet (the RIP of a real server). */
    address: string;
    /** Subnet-facing interface. */
    interface: string;
    /** How to SSH in; the private key in it is a secret. */
    connection: types.input.remote.ConnectionArgs;
    /** Whether the host scripts run through `sudo -n`. */
    sudo: boolean;
    /** Resources the host's first command must wait for (the VM, its SSH readiness). */
    dependsOn: pulumi.Resource[];
    /**
     * What tells the machine the platform created from the one before it (an instance ID; none for
     * an existing host). A replaced machine changes it: each command on the host has it in its
     * create text, so the engine runs them again on the new machine (an in-place update), and a
     * real server's drain hooks have it in their triggers, so the engine deletes them (hold, drain)
     * before the old machine.
     */
    machine?: pulumi.Output<string | undefined>;
}

/** Identifiers of what a platform created, for the component's outputs. */
export interface PlatformIds {
    libvirtNetworkName?: pulumi.Input<string>;
    libvirtDomainNames?: pulumi.Input<string>[];
    awsVpcId?: pulumi.Input<string>;
    awsSubnetId?: pulumi.Input<string>;
    awsSecurityGroupId?: pulumi.Input<string>;
    awsInstanceIds?: pulumi.Input<string>[];
}

/** The hosts of one cluster, in the order of the plan. */
export interface PlatformHosts {
    directors: PlatformHost[];
    realServers: PlatformHost[];
    ids: PlatformIds;
}

/** The contract of a platform's second half: make or find the hosts of the plan. */
export type CreateHosts<P extends PlatformPlan> = (plan: ClusterPlan, platform: P, parent: pulumi.Resource) => PlatformHosts;

/** How long a new VM may take to answer SSH and finish cloud-init (software emulation is slow). */
export const BOOT_TIMEOUT = "20m";

/** The SSH connection the plan describes, to `host` (default: the plan's), the key as a secret. */
export function connectionOf(ssh: SshPlan, host: pulumi.Input<string> = ssh.host): types.input.remote.ConnectionArgs {
    return {
        host, port: ssh.port, user: ssh.user, privateKey: pulumi.secret(ssh.privateKey),
        ...(ssh.hostKey ? { hostKey: ssh.hostKey } : {}),
    };
}

/** A machine that exists already: nothing to wait for. */
export function existingHost(host: HostPlan): PlatformHost {
    return { address: host.address, interface: host.interface, connection: connectionOf(host.ssh), sudo: host.ssh.sudo, dependsOn: [] };
}

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
    return { address: host.address, interface: host.interface, connection, sudo: host.ssh.sudo, dependsOn: [ready], machine: instance };
}
