import * as pulumi from "@pulumi/pulumi";
import type { LvsDrClusterArgs } from "../args";
import type { ClusterPlan, HostPlan, RealServerPlan } from "../core/plan";
import { modeOf } from "../core/modes";
import { type Plan, PLATFORMS, type PlatformPlan } from "../platforms";
import { pickOf, type Platform, type PlatformHost } from "../platforms/platform";
import {
    directorRules, directorSetup, fromKnown, HOOKS_AT_ONCE, type PlannedHost, realServerDrainHook, realServerSetup,
} from "./host-configuration";
import { withChildOptions } from "./child-options";
import { type ClusterPlans, planCluster } from "./plan-cluster";
import { LvsDrArgsError } from "./errors";
import { claimsOf, type DirectorClaims, sharedDirectorProblems } from "../core/validation/shared-directors";
import { planRisks, planSummary } from "./summary";
import { splitRulesOutput } from "../core/modes/bgp";

/** One BGP session of an active-active director, as of the last apply. */
export interface LvsDrBgpSessionState {
    /** The router's address. */
    peer: string;
    /** BIRD's state of the session: `Established`, or what it is doing instead (`Active`, `Connect`, ...). */
    state: string;
}

/** An active-active director's BGP speaker, as of the last apply. */
export interface LvsDrBgpDirectorState {
    /** The director's address. */
    director: string;
    /** The director announces the VIP: a service of it has live real servers, and a session is established. */
    announces: boolean;
    sessions: LvsDrBgpSessionState[];
}

/**
 * An LVS-DR load-balancing cluster: a director (or a VRRP pair of them) that owns the VIP and
 * forwards each request by rewriting only the destination MAC, and real servers that hold the VIP
 * on their loopback, never answer ARP for it, and reply straight to the client. keepalived owns
 * each director's IPVS table: it checks the real servers and, in a pair, moves the VIP.
 *
 * Arguments are validated in the constructor, before anything is registered: a bad argument
 * throws LvsDrArgsError naming the field, the value and the fix. The name (1-40 letters,
 * digits, `_.-`) prefixes every child resource, VM, network and tag.
 */
export class LvsDrCluster extends pulumi.ComponentResource {
    /** The virtual IP (IPv6 in canonical form). */
    readonly vip: pulumi.Output<string>;
    /** Dual stack: the IPv6 VIP (canonical form); undefined otherwise. */
    readonly vip6: pulumi.Output<string | undefined>;
    /** The (first) director's address on the subnet. */
    readonly directorAddress: pulumi.Output<string>;
    /** Every director's address: the director, then the backup director of a pair; active-active directors in their list's order. */
    readonly directorAddresses: pulumi.Output<string[]>;
    /** The real servers' addresses, in the order given. */
    readonly realServerAddresses: pulumi.Output<string[]>;
    /** The (first) director's IPVS table for the VIP (`ipvsadm -Ln`) as printed right after the last apply. */
    readonly ipvsTable: pulumi.Output<string>;
    /**
     * Each director's IPVS table for the VIP right after the last apply, in the order of
     * `directorAddresses`. keepalived keeps the table on both directors of a pair; only the one
     * holding the VIP forwards.
     */
    readonly ipvsTables: pulumi.Output<string[]>;
    /**
     * Active-active directors: what each director's BGP speaker said right after the last apply,
     * in the order of `directorAddresses`: each router's session state (`Established`, `Active`,
     * `Connect`, ...) and whether the director announces the VIP (its checks pass and a session is
     * up). Empty in the other director modes.
     */
    readonly bgpStates: pulumi.Output<LvsDrBgpDirectorState[]>;
    /** libvirt: the network the VMs are on (created, or the existing network or bridge). */
    readonly libvirtNetworkName: pulumi.Output<string | undefined>;
    /** libvirt: the domains, director first. */
    readonly libvirtDomainNames: pulumi.Output<string[] | undefined>;
    /** AWS: the VPC. */
    readonly awsVpcId: pulumi.Output<string | undefined>;
    /** AWS: the subnet. */
    readonly awsSubnetId: pulumi.Output<string | undefined>;
    /** AWS: the directors' security group (the real servers have their own, `<name>-rs-sg`). */
    readonly awsSecurityGroupId: pulumi.Output<string | undefined>;
    /** AWS: the instances, director first. */
    readonly awsInstanceIds: pulumi.Output<string[] | undefined>;

    constructor(name: string, args: LvsDrClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        const plans = planCluster(args, name);
        const plan = plans.shape;
        // A director's claims name its address: with awaited addresses they are checked once known.
        const known = plans.awaits ? plans.known.apply((p) => { claimDirectors(p); return p; }) : (claimDirectors(plan), plans.known);
        const checked: ClusterPlans = { ...plans, known };
        // No inputs are recorded on the component: the engine would diff them and list the component
        // as updated whenever an argument changes, although a component has nothing to update (its
        // children carry every change), and the state would hold a copy of every private key.
        // dependsOn, retainOnDelete and customTimeouts reach every child (see child-options.ts).
        super("lvs-dr:index:LvsDrCluster", name, {}, withChildOptions(opts));

        // What it builds, and the risks the arguments take: said on every run, on the component.
        const entry = PLATFORMS[plan.platform.kind] as unknown as Platform<PlatformPlan>;
        void pulumi.log.info(planSummary(plan, entry.summary), this);
        for (const risk of planRisks(plan)) {
            void pulumi.log.warn(risk, this);
        }
        // The platform's risks read its fields, some of which another resource may give: said once known.
        const warnPlatform = (p: PlatformPlan): void => (entry.risks?.(p) ?? []).forEach((risk) => void pulumi.log.warn(risk, this));
        if (checked.awaits) {
            checked.known.apply((p) => warnPlatform(p.platform));
        } else {
            warnPlatform(plan.platform);
        }
        const platform = entry.createHosts(plan, plan.platform, this, checked.awaits ? checked.known : undefined);
        const host = (h: HostPlan): PlatformHost => platform.hosts.get(h) ?? noHost(h);
        const planned = <H extends HostPlan>(h: H): PlannedHost<H> => ({ shape: h, pick: pickOf(plan, h) as (p: ClusterPlan) => H });
        const realServerSetups = new Map(plan.realServers.map((rs) => [rs, realServerSetup(checked, planned(rs), host(rs), this)]));
        // Gone real servers: their commands are forgotten, never run (see host-configuration.ts).
        const goneSetups = new Map(plan.goneRealServers.map((rs) => [rs, realServerSetup(checked, planned(rs), host(rs), this)]));
        // A pair's directors apply their rules one after the other: both start as VRRP backups
        // without preemption, so the first keepalived to run takes the VIP; this makes it the
        // first director's.
        const rules: ReturnType<typeof directorRules>[] = [];
        const setups = new Map([...realServerSetups, ...goneSetups]);
        // Where a leaving director withdraws first and drains nothing (active-active: the others
        // carry its connections on), its rules come after its drain hooks: a director's removal
        // deletes its rules (the withdrawal) before its hooks, which then find nothing to drain. A
        // hook deleted first would hold a server at weight 0 on that director alone while it still
        // takes traffic, and its table would no longer be the others'. Elsewhere the hooks come
        // after the rules (a destroy drains through them, then removes the table).
        const hooksFirst = !modeOf(plan).drainsOnRemoval;
        plan.directors.forEach((director, i) => {
            const setup = directorSetup(checked, i, planned(director), host(director), this);
            const hooks: pulumi.Resource[] = [];
            const hook = (rs: RealServerPlan, j: number, after: pulumi.Resource): void => {
                // Each hook comes after the one HOOKS_AT_ONCE places before it on the same director: the
                // engine runs at most that many of a director's hooks at once (a destroy deletes them
                // in the reverse order), where all at once exceeds a director's processes and lock.
                const before = j >= HOOKS_AT_ONCE ? [hooks[j - HOOKS_AT_ONCE]] : [];
                hooks.push(realServerDrainHook(checked, planned(rs), host(rs), i, planned(director), host(director),
                    [setups.get(rs) ?? noHost(rs), after, ...before], this));
            };
            const servers = [...plan.realServers, ...plan.goneRealServers];
            if (hooksFirst) {
                servers.forEach((rs, j) => hook(rs, j, setup));
            }
            rules.push(directorRules(checked, i, planned(director), host(director), [setup, ...realServerSetups.values(), ...rules, ...hooks], this));
            if (!hooksFirst) {
                servers.forEach((rs, j) => hook(rs, j, rules[i]));
            }
        });

        this.vip = pulumi.output(plan.vip);
        this.vip6 = pulumi.output(plan.vip6);
        this.directorAddress = pulumi.output(fromKnown(checked, (p) => p.directors[0].address));
        this.directorAddresses = pulumi.output(fromKnown(checked, (p) => p.directors.map((d) => d.address)));
        this.realServerAddresses = pulumi.output(fromKnown(checked, (p) => p.realServers.map((rs) => rs.address)));
        const peers = plan.mode.kind === "bgp" ? plan.mode.peers : [];
        const split = rules.map((r) => r.stdout.apply((out) => splitRulesOutput(out, peers)));
        this.ipvsTable = split[0].apply((o) => o.table);
        this.ipvsTables = pulumi.all(split.map((o) => o.apply((x) => x.table)));
        this.bgpStates = pulumi.all([this.directorAddresses, pulumi.all(split)]).apply(([addresses, outs]) => outs.flatMap((o, i): LvsDrBgpDirectorState[] => {
            const bgp = o.bgp;
            return bgp === undefined ? []
                : [{ director: addresses[i], announces: bgp.announces, sessions: Object.entries(bgp.sessions).map(([peer, state]) => ({ peer, state })) }];
        }));
        const ids = platform.ids;
        this.libvirtNetworkName = pulumi.output(ids.libvirtNetworkName);
        this.libvirtDomainNames = pulumi.output(ids.libvirtDomainNames);
        this.awsVpcId = pulumi.output(ids.awsVpcId);
        this.awsSubnetId = pulumi.output(ids.awsSubnetId);
        this.awsSecurityGroupId = pulumi.output(ids.awsSecurityGroupId);
        this.awsInstanceIds = pulumi.output(ids.awsInstanceIds);
        this.registerOutputs({
            vip: this.vip,
            vip6: this.vip6,
            directorAddress: this.directorAddress,
            directorAddresses: this.directorAddresses,
            realServerAddresses: this.realServerAddresses,
            ipvsTable: this.ipvsTable,
            ipvsTables: this.ipvsTables,
            bgpStates: this.bgpStates,
            libvirtNetworkName: this.libvirtNetworkName,
            libvirtDomainNames: this.libvirtDomainNames,
            awsVpcId: this.awsVpcId,
            awsSubnetId: this.awsSubnetId,
            awsSecurityGroupId: this.awsSecurityGroupId,
            awsInstanceIds: this.awsInstanceIds,
        });
    }
}

/**
 * What the clusters this program has built claim on their directors, by cluster name (a cluster
 * built again under its name replaces its claims: a program hosted by the Automation API runs
 * again in the same process).
 */
const CLAIMS = new Map<string, DirectorClaims>();

/** Refuses a cluster that claims on a shared director what another cluster of this program has. */
function claimDirectors(plan: Plan): void {
    const mine = claimsOf(plan);
    const problems = sharedDirectorProblems(mine, [...CLAIMS.values()].filter((c) => c.cluster !== plan.name));
    if (problems.length > 0) {
        throw new LvsDrArgsError(problems);
    }
    CLAIMS.set(plan.name, mine);
}

/** Forgets every cluster built so far (tests that build many programs in one process). */
export function forgetClusters(): void {
    CLAIMS.clear();
}

/** A platform that made no host for one of the plan's: a defect of the platform, not of the arguments. */
function noHost(h: HostPlan): never {
    throw new Error(`lvs-dr: the platform made no host for ${h.address}`);
}
