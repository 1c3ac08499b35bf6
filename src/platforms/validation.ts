/**
 * The contract of a platform's first half, `validate.ts`: its args into its part of the plan, its
 * hosts, its subnet, and what its network does for the directors. Pure: no Pulumi, no I/O.
 */
import type { Checker } from "../core/validation/checker";
import type { NetworkCapabilities, PlatformPart } from "../core/plan";
import type { HostsView } from "../core/validation/cluster";
import type { DefaultSsh } from "../core/validation/hosts";

/** What a platform validator knows of the rest of the arguments. */
export interface PlatformContext {
    ssh: DefaultSsh;
    /** Undefined when the VIP itself was refused. */
    vip: string | undefined;
    /** The IPv6 VIP of a dual-stack cluster. */
    vip6?: string;
    /** The component's name. */
    cluster: string;
}

/** What a platform validator yields: its hosts and subnet (the VIPs are checked against them afterwards), and more. */
export interface PlatformValidation<P extends PlatformPart> extends HostsView {
    /** What the network does for the directors: required, so that a new platform cannot forget to say. */
    network: NetworkCapabilities;
    /**
     * What to do when a host lacks an address of a VIP's family (the platform's own words); unset
     * when the platform refuses such VIPs itself.
     */
    familyFix?: string;
    /** Undefined when a problem was recorded. */
    platform?: P;
}

/** The contract of a platform's validation. */
export type ValidatePlatform<P extends PlatformPart> = (c: Checker, value: unknown, ctx: PlatformContext) => PlatformValidation<P>;

/**
 * A network that learns where the VIP is from gratuitous ARP: an ordinary L2 segment. Anyone on it
 * can send VRRP adverts, so each director of a pair limits them to its peer with its host firewall.
 * Its routers are the user's: they may peer with active-active directors over BGP.
 */
export const L2_SEGMENT: NetworkCapabilities = {
    vipAnnouncement: "gratuitous-arp", vipTakeover: { kind: "address" }, vrrpPeerFilter: "host-firewall",
    activeActive: { supported: true },
};
