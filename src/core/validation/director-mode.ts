/**
 * Validation of the director mode: one director, a VRRP pair with its router id and advert
 * interval, or active-active directors with their BGP settings (./bgp.ts). Pure.
 */
import type { LvsDrVrrpArgs } from "../../args";
import { fnv1a } from "../names";
import { DEFAULTS, type DirectorMode, type NetworkCapabilities } from "../plan";
import { validateBgp } from "./bgp";
import { type Checker, keysOf } from "./checker";

const VRRP_KEYS = keysOf<LvsDrVrrpArgs>({ virtualRouterId: true, advertIntervalSeconds: true });

/**
 * The virtual router id derived from the VIP: stable, in 1-255. A hash rather than the VIP's last
 * octet, so that clusters numbered alike in neighbouring subnets do not all collide.
 */
export function derivedVirtualRouterId(vip: string): number {
    return (fnv1a(`lvs-dr vrrp ${vip}`) % 255) + 1;
}

/** What the director mode is chosen from: the platform's directors, and how they were given. */
export interface DirectorsGiven {
    count: number;
    /** The field of a `directors` list (active-active), when the directors came from one. */
    listField?: string;
    /** Where a pair's backup director is set, for messages. */
    backupField: string;
    network?: NetworkCapabilities;
}

/**
 * The director mode: one director is `single`; two (a director and a backup) are a VRRP pair, with
 * the `vrrp` args; a `directors` list is active-active with the `bgp` args. Undefined when a
 * problem was recorded.
 */
export function validateDirectorMode(
    c: Checker, raw: { vrrp?: unknown; bgp?: unknown }, vip: string | undefined, given: DirectorsGiven,
): DirectorMode | undefined {
    if (given.listField !== undefined || raw.bgp !== undefined) {
        return validateActiveActive(c, raw, vip, given);
    }
    if (given.count < 2) {
        if (raw.vrrp !== undefined) {
            c.add("vrrp", raw.vrrp, "is only used by a director pair", `remove it, or set ${given.backupField} to add a backup director`);
        }
        return { kind: "single" };
    }
    return validateVrrp(c, raw.vrrp, vip);
}

function validateActiveActive(c: Checker, raw: { vrrp?: unknown; bgp?: unknown }, vip: string | undefined, given: DirectorsGiven): DirectorMode | undefined {
    if (raw.vrrp !== undefined) {
        c.add("vrrp", raw.vrrp, "is for a director pair: active-active directors use no VRRP", "remove it");
    }
    if (raw.bgp === undefined) {
        c.add("bgp", undefined, `is required with ${given.listField}: active-active directors announce the VIP over BGP`,
            "give bgp: { asn, peers: [{ address, asn }] }, or use director (and backupDirector) instead of the list");
        return undefined;
    }
    if (given.network !== undefined && !given.network.activeActive.supported) {
        c.add("bgp", "(set)", `cannot be used on this platform: ${given.network.activeActive.why}`, given.network.activeActive.instead);
        return undefined;
    }
    if (given.listField === undefined) {
        c.add("bgp", "(set)", "is for active-active directors, given as a directors list",
            "list the directors in the platform's directors (2 to 8) instead of director and backupDirector, or remove bgp");
        return undefined;
    }
    const bgp = validateBgp(c, raw.bgp, vip);
    if (given.count < 2) {
        // None at all, with problems recorded: the platform refused the list or its entries, or
        // planned no VM for other problems; it said why.
        if (given.count === 1 || c.problems.length === 0) {
            c.add(given.listField, `(${given.count} director${given.count === 1 ? "" : "s"})`, "must list at least 2 directors for active-active",
                "list 2 to 8 directors, or use director for a single one");
        }
        return undefined;
    }
    return bgp === undefined ? undefined : { kind: "bgp", ...bgp };
}

function validateVrrp(c: Checker, value: unknown, vip: string | undefined): DirectorMode | undefined {
    const raw = value === undefined ? {} : value;
    if (!c.isObject("vrrp", raw, "give { virtualRouterId?, advertIntervalSeconds? }")) {
        return undefined;
    }
    c.knownKeys("vrrp", raw, VRRP_KEYS);
    const virtualRouterId = raw.virtualRouterId === undefined ? (vip === undefined ? undefined : derivedVirtualRouterId(vip))
        : c.integer("vrrp.virtualRouterId", raw.virtualRouterId, 1, 255,
            "give an id no other VRRP router on the segment uses, 1-255");
    const advert = raw.advertIntervalSeconds ?? DEFAULTS.advertIntervalSeconds;
    const advertOk = typeof advert === "number" && advert >= 0.1 && advert <= 40 && Math.abs(advert * 100 - Math.round(advert * 100)) < 1e-9;
    if (!advertOk) {
        c.add("vrrp.advertIntervalSeconds", advert, "must be a number of seconds in 0.1-40 with at most two decimals",
            "give e.g. 1 (VRRPv3 counts in hundredths of a second)");
    }
    return virtualRouterId === undefined || !advertOk ? undefined
        : { kind: "vrrp", virtualRouterId, advertIntervalSeconds: advert, ...(raw.virtualRouterId === undefined ? { derivedVirtualRouterId: true as const } : {}) };
}
