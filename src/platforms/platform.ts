/**
 * What a platform is: a folder with two halves, `validate.ts` (pure: its args into its part of the
 * plan, see `validation.ts`) and `hosts.ts` (creates or finds the machines and gives each host of
 * the plan its SSH connection). The component never asks how a machine came to be.
 */
import type { types } from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import type { ClusterPlan, HostPlan, PlatformPart, SshPlan } from "../core/plan";
import type { ValidatePlatform } from "./validation";

/** One machine, ready for the host scripts. */
export interface PlatformHost {
    /** How to SSH in; the private key in it is a secret. */
    connection: types.input.remote.ConnectionArgs;
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
    /** The machine is gone (the host's `gone` flag): nothing may run on it. */
    gone?: true;
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

/** The machines of one cluster: each host of the plan (director or real server) has its own. */
export interface PlatformHosts {
    hosts: Map<HostPlan, PlatformHost>;
    ids: PlatformIds;
}

/**
 * The contract of a platform's second half: make or find the hosts of the plan. `known`, when
 * given, is the plan once the arguments' awaited fields are known (core/validation/awaited.ts):
 * `plan` then has stand-ins there, and whatever the platform makes of those fields (an existing
 * host's SSH target and host key) comes from `known`.
 */
export type CreateHosts<P extends PlatformPart> = (
    plan: ClusterPlan<P>, platform: P, parent: pulumi.Resource, known?: pulumi.Output<ClusterPlan<P>>,
) => PlatformHosts;

/** Where a host of `plan` is in another plan of the same arguments: its role and position. */
export type PickHost = (plan: ClusterPlan) => HostPlan;

/** A platform: one registry entry (`index.ts`) of the two halves of its folder. */
export interface Platform<P extends PlatformPart> {
    validate: ValidatePlatform<P>;
    createHosts: CreateHosts<P>;
    /** For messages: what the platform offers, e.g. "existing machines". */
    summary: string;
    /** Warnings about risks its part of the plan takes (said on every run). */
    risks?: (platform: P) => string[];
}

/**
 * The plan's hosts, each with what `make` gives it: directors first, then real servers. A host
 * marked gone gets no machine (a platform's machine of it is deleted: nothing is left to keep) and
 * a connection nothing will use.
 */
export function hostsOf(plan: ClusterPlan, make: (host: HostPlan, pick: PickHost) => PlatformHost): Map<HostPlan, PlatformHost> {
    return new Map([...plan.directors, ...plan.realServers, ...plan.goneRealServers]
        .map((h) => [h, h.gone ? { connection: connectionOf(h.ssh), dependsOn: [], gone: true } : make(h, pickOf(plan, h))]));
}

/** How to find `host` of `plan` in another plan of the same arguments. */
export function pickOf(plan: ClusterPlan, host: HostPlan): PickHost {
    for (const list of ["directors", "realServers", "goneRealServers"] as const) {
        const i = (plan[list] as HostPlan[]).indexOf(host);
        if (i >= 0) {
            return (p) => p[list][i];
        }
    }
    throw new Error(`lvs-dr: ${host.address} is not a host of cluster ${plan.name}`);
}

/** The SSH connection the plan describes, to `host` (default: the plan's), the key as a secret. */
export function connectionOf(ssh: SshPlan, host: pulumi.Input<string> = ssh.host): types.input.remote.ConnectionArgs {
    return {
        host, port: ssh.port, user: ssh.user, privateKey: pulumi.secret(ssh.privateKey),
        ...(ssh.hostKey ? { hostKey: ssh.hostKey } : {}),
    };
}

/**
 * A resource's inputs, each one its value in `awaited` (the inputs made from the plan once its
 * awaited fields are known), keyed as `shape` (the same inputs made from the plan with stand-ins:
 * which keys a platform's inputs have never depends on an awaited value).
 */
export function eachInput<T extends object>(shape: T, awaited: pulumi.Output<T>): { [K in keyof T]: pulumi.Output<T[K]> } {
    return Object.fromEntries(Object.keys(shape).map((k) => [k, awaited.apply((a) => a[k as keyof T])])) as unknown as { [K in keyof T]: pulumi.Output<T[K]> };
}
