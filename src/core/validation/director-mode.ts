/**
 * Validation of the director mode: one director, or a VRRP pair with its router id and advert
 * interval. Pure.
 */
import type { LvsDrVrrpArgs } from "../../args";
import { fnv1a } from "../names";
import { DEFAULTS, type DirectorMode } from "../plan";
import { type Checker, keysOf } from "./checker";

const VRRP_KEYS = keysOf<LvsDrVrrpArgs>({ virtualRouterId: true, advertIntervalSeconds: true });

/**
 * The virtual router id derived from the VIP: stable, in 1-255. A hash rather than the VIP's last
 * octet, so that clusters numbered alike in neighbouring subnets do not all collide.
 */
export function derivedVirtualRouterId(vip: string): number {
    return (fnv1a(`lvs-dr vrrp ${vip}`) % 255) + 1;
}

/**
 * The director mode of `directors` directors: one is `single`; two are a VRRP pair, with the
 * `vrrp` args (refused without a backup director). Undefined when a problem was recorded.
 */
export function validateDirectorMode(
    c: Checker, value: unknown, vip: string | undefined, directors: number, backupField: string,
): DirectorMode | undefined {
    if (directors < 2) {
        if (value !== undefined) {
            c.add("vrrp", value, "is only used by a director pair", `remove it, or set ${backupField} to add a backup director`);
        }
        return { kind: "single" };
    }
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
