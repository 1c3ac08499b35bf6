/**
 * The validated, defaulted model of a cluster: the contract between the layers. Everything
 * downstream (scripts, platforms, the component) reads this and never the raw args, so each default
 * is decided in exactly one place. The core knows no platform: what it needs from one is in
 * `network` (capabilities the platform's validator sets), and the platform's own part rides along in
 * `platform`, which only the platform and the component read.
 */
import type { Input } from "@pulumi/pulumi";
import { FailureAction, Forwarding, HealthCheckKind, Protocol, Scheduler } from "../args";
import { isIpv6 } from "./ip";

export { isIpv6 } from "./ip";

export type { FailureAction, Forwarding, HealthCheckKind, Protocol, Scheduler } from "../args";

export const SCHEDULERS = Object.values(Scheduler);
export const PROTOCOLS = Object.values(Protocol);
export const FORWARDING_METHODS = Object.values(Forwarding);
export const HEALTH_CHECK_KINDS = Object.values(HealthCheckKind);
export const FAILURE_ACTIONS = Object.values(FailureAction);

/** What every health check kind shares: its timing and what a failed real server gets. */
export interface CheckTiming {
    intervalSeconds: number;
    timeoutSeconds: number;
    retries: number;
    failureAction: FailureAction;
}

/**
 * A health check with every default applied, by kind: each kind carries exactly what keepalived
 * needs for it. A new kind is one member here, one case in `core/validation/health-check.ts` and
 * one in `core/keepalived/virtual-servers.ts`; the compiler asks for both.
 */
export type HealthCheckPlan =
    /** No check: keepalived's `delay_loop` still paces its loop. */
    | ({ kind: "none" } & CheckTiming)
    /** A TCP connect to the real server's port. */
    | ({ kind: "tcp" } & CheckTiming)
    /** An HTTP(S) GET of `path`, answered with `expectStatus`. */
    | ({ kind: "http" | "https"; path: string; expectStatus: number } & CheckTiming)
    /** A datagram (hexadecimal, may be empty) and whether an answer is required. */
    | ({ kind: "udp"; payload: string; requireReply: boolean } & CheckTiming);

/** A firewall-mark service's ports (in the order given) and the mark of the cluster's `vip`. */
export interface FwmarkPlan {
    ports: number[];
    mark: number;
}

export interface ServicePlan {
    protocol: Protocol;
    /** The port; for a firewall-mark service its first port (the one http/https checks ask). */
    port: number;
    /** Set for a firewall-mark service (`ports`). */
    fwmark?: FwmarkPlan;
    scheduler: Scheduler;
    /** 0 = no persistence. */
    persistenceSeconds: number;
    healthCheck: HealthCheckPlan;
    sorryServer?: string;
}

/** VRRP of a director pair. */
export interface VrrpPlan {
    virtualRouterId: number;
    /** The router id was derived from the VIP (`vrrp.virtualRouterId` unset). */
    derivedVirtualRouterId?: true;
    advertIntervalSeconds: number;
}

/** A router a director peers with. */
export interface BgpPeerPlan {
    address: string;
    asn: number;
    /**
     * The session's TCP-MD5 password, as given: a string (checked) or an Output (checked once
     * known). The component resolves it, as a secret, into the plan the director's setup is
     * rendered from (component/host-configuration.ts); BIRD's configuration takes a string only.
     */
    password?: Input<string>;
}

/**
 * Active-active directors: each announces the VIP over BGP to the user's routers, which spread
 * the VIP's traffic over every director that announces it (ECMP).
 */
export interface BgpPlan {
    /** The directors' AS number (one for all). */
    asn: number;
    peers: BgpPeerPlan[];
    /** BFD with each peer (detection = interval × multiplier); undefined when turned off. */
    bfd?: { intervalMs: number; multiplier: number };
    /** The BGP hold time in seconds (keepalives every third of it). */
    holdSeconds: number;
    /**
     * The kernel routing table where a director's health gate puts the VIP's route while it may
     * announce it (the BGP speaker announces what that table holds): the cluster's own.
     */
    gateTable: number;
    /** The gate table was derived from the VIP (`bgp.gateTable` unset). */
    derivedGateTable?: true;
}

/**
 * Who holds the VIP: one director that always holds it, or a VRRP pair whose
 * master holds it. Each mode is one module of `core/modes/` (its packages, sysctls, up lines,
 * keepalived fragment, and whether a director forwards); a new mode is one member here and one
 * module there, which `core/modes/index.ts` must then name.
 */
export type DirectorMode =
    | { kind: "single" }
    | ({ kind: "vrrp" } & VrrpPlan)
    | ({ kind: "bgp" } & BgpPlan);

export type DirectorModeKind = DirectorMode["kind"];

/** A tool a host script installs when missing: the command, then its package on apt, then on dnf/yum. */
export interface Tool {
    command: string;
    packages: [string, ...string[]];
}

/**
 * A notify hook that moves the VIP through the platform's API when a pair's director becomes
 * master (where the network does not learn the VIP's new place from gratuitous ARP).
 */
export interface TakeoverHook {
    /** Absolute path of the shell library (a `.sh` file the package ships) that defines `command`. */
    libraryFile: string;
    /** The function the hook calls with the VIP and the director's interface. */
    command: string;
    /** What the hook needs on the director. */
    tools: Tool[];
}

/**
 * What the network under the cluster does for the directors. Every platform's validator must say
 * (the field is required); the renderers decide from this alone, never from a platform's name.
 */
export interface NetworkCapabilities {
    /**
     * How a director that binds the VIP tells its neighbours: gratuitous ARP, or nothing (the
     * network routes the VIP to its owner itself, as some clouds do with a secondary address).
     */
    vipAnnouncement: "gratuitous-arp" | "none";
    /**
     * How the VIP reaches a pair's new master: the address moves and VRRP's gratuitous ARP tells
     * the segment, or the platform's API must be called (a notify hook).
     */
    vipTakeover: { kind: "address" } | ({ kind: "hook" } & TakeoverHook);
    /**
     * What keeps VRRP adverts (IP protocol 112) from any source but the peer director away from a
     * pair's keepalived: the network itself (a cloud's security group that admits protocol 112
     * from the directors only), or each director's host firewall, which the director's setup then
     * configures (an nftables table of the cluster's that drops adverts for its virtual router id
     * from any other source; `modes/vrrp-guard.ts`). keepalived's `check_unicast_src` ignores such
     * adverts either way; the filter keeps them from reaching it at all. Unused by a single director.
     */
    vrrpPeerFilter: "network" | "host-firewall";
    /**
     * Whether several directors may announce the VIP over BGP to routers that spread its traffic
     * (ECMP): the platform's network must route a prefix to several next hops. Where it cannot,
     * why, and what to use instead.
     */
    activeActive: { supported: true } | { supported: false; why: string; instead: string };
}

/** Connection settings with every default applied. */
export interface SshPlan {
    host: string;
    user: string;
    port: number;
    sudo: boolean;
    hostKey?: string;
    /** A secret: the platforms wrap it with `pulumi.secret` before it reaches a resource. */
    privateKey: Input<string>;
}

export interface HostPlan {
    /** Address on the load-balancing subnet (IPv4, or IPv6 on an IPv6-only host); the SSH target's default. */
    address: string;
    /** The host's IPv6 address on the subnet when `address` is IPv4 and the cluster serves an IPv6 VIP. */
    address6?: string;
    /** Subnet-facing interface. */
    interface: string;
    /**
     * What the host scripts tell the user when `interface` is missing on the host: the argument
     * that set it on this platform (a field path of its args, or what its VMs need).
     */
    interfaceFix: string;
    ssh: SshPlan;
    /**
     * The machine is gone for good: nothing runs on it any more (its commands are forgotten, not
     * run), and a gone real server is in no table (it is in `goneRealServers`, not `realServers`).
     */
    gone?: true;
    /**
     * A director of a `directors` list (active-active directors): its stable name, in its role
     * `director-<name>` (../names.ts), so that a director leaving the middle of the list leaves the
     * others' resources alone.
     */
    name?: string;
    /**
     * A machine the platform creates keeps the settings it has through this update (`keepMachine`):
     * a change of the platform's machine settings waits for a later update on it.
     */
    keepMachine?: true;
}

export interface RealServerPlan extends HostPlan {
    /** Stable key used in resource names. */
    name: string;
    weight: number;
}

/** The platform's part of the plan: carried for the platform and the component, never read by the core. */
export interface PlatformPart {
    kind: string;
}

export interface ClusterPlan<P extends PlatformPart = PlatformPart> {
    /** The component's name: the prefix of every child's name. */
    name: string;
    /** The VIP (IPv4, or IPv6 in canonical form): it also keys the cluster's files and units on the hosts. */
    vip: string;
    /** Dual stack: the IPv6 VIP served beside an IPv4 `vip`, on the same hosts. */
    vip6?: string;
    forwarding: Forwarding;
    services: ServicePlan[];
    /** The directors: the director, then the backup director when there is one. */
    directors: HostPlan[];
    /** Who holds the VIP and how it moves. */
    mode: DirectorMode;
    /** What the network does for the directors (the platform says). */
    network: NetworkCapabilities;
    /** 0 = removed real servers are deleted at once. */
    drainSeconds: number;
    /** The real servers in the tables: every one the arguments list but the gone. */
    realServers: RealServerPlan[];
    /** Real servers marked gone: in no table, left without a drain, nothing run on them. */
    goneRealServers: RealServerPlan[];
    /** CIDR of the subnet when known. */
    subnet?: string;
    /** CIDR of the IPv6 subnet when known. */
    subnet6?: string;
    platform: P;
}

export const DEFAULTS = {
    forwarding: Forwarding.dr as Forwarding,
    protocol: Protocol.tcp as Protocol,
    scheduler: Scheduler.wlc as Scheduler,
    interface: "eth0",
    weight: 1,
    sshPort: 22,
    /** Offset in the subnet of the first planned address (the director's). */
    firstHostOffset: 10,
    /** The backup director's planned address: just below the director's, whatever the real servers. */
    backupDirectorOffset: 9,
    drainSeconds: 60,
    advertIntervalSeconds: 1,
    bgp: {
        /** With a multiplier of 5, BIRD's defaults: a dead director is out of the router's paths in 0.5 s. */
        bfdIntervalMs: 100,
        bfdMultiplier: 5,
        /** FRR's "datacenter" profile: 9 s hold, 3 s keepalives (BIRD's own 240 s is for the internet). */
        holdSeconds: 9,
    },
    healthCheck: {
        path: "/",
        expectStatus: 200,
        intervalSeconds: 1,
        timeoutSeconds: 1,
        retries: 2,
        failureAction: FailureAction.weight0 as FailureAction,
    },
};

/** The cluster's VIPs: `vip`, then `vip6` in dual stack. */
export function vipsOf(plan: Pick<ClusterPlan, "vip" | "vip6">): string[] {
    return plan.vip6 === undefined ? [plan.vip] : [plan.vip, plan.vip6];
}

/**
 * A host's address in the family of `vip`: where a director forwards that VIP's traffic, and what
 * a director pair speaks VRRP for it from. Validation guarantees every host has one.
 */
export function addressFor(host: HostPlan, vip: string): string {
    if (isIpv6(host.address) === isIpv6(vip)) {
        return host.address;
    }
    if (isIpv6(vip) && host.address6 !== undefined) {
        return host.address6;
    }
    throw new Error(`lvs-dr: host ${host.address} has no address in the family of VIP ${vip}`);
}

/** Each (VIP, service) pair of the cluster: every service on every VIP, `vip` first. */
export function virtualServices(plan: ClusterPlan): { vip: string; svc: ServicePlan }[] {
    return vipsOf(plan).flatMap((vip) => plan.services.map((svc) => ({ vip, svc })));
}

/** A sorry server serves the VIP of its own family. */
export function sorryServerFor(svc: ServicePlan, vip: string): string | undefined {
    return svc.sorryServer !== undefined && isIpv6(svc.sorryServer) === isIpv6(vip) ? svc.sorryServer : undefined;
}

/**
 * The firewall mark of a `ports` service on `vip`: its mark on the cluster's `vip`, the next one on
 * the IPv6 VIP of a dual-stack cluster (IPVS keeps a mark's services per family; a mark of its own
 * keeps the director's table readers from having to tell the two apart).
 */
export function markOf(plan: Pick<ClusterPlan, "vip6">, svc: ServicePlan, vip: string): number | undefined {
    if (svc.fwmark === undefined) {
        return undefined;
    }
    return svc.fwmark.mark + (plan.vip6 !== undefined && vip === plan.vip6 ? 1 : 0);
}

/** The port of a service's real servers in the table: 0 for a firewall-mark service (every port). */
export function realServerPort(svc: ServicePlan): number {
    return svc.fwmark === undefined ? svc.port : 0;
}

/** Every firewall mark the cluster uses, ascending. */
export function marksOf(plan: ClusterPlan): number[] {
    return virtualServices(plan).flatMap(({ vip, svc }) => {
        const mark = markOf(plan, svc, vip);
        return mark === undefined ? [] : [mark];
    }).sort((a, b) => a - b);
}
