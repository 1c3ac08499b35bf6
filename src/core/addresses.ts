/** Address planning for the VMs a platform creates. Pure and deterministic. */
import { broadcastOf, formatIpv4, formatIpv6, type Ipv4Cidr, type Ipv6Cidr, parseIpv4 } from "./ip";

/**
 * Gives every host without an explicit address the next free one, starting at `firstOffset`
 * into the subnet, skipping `taken` (VIP, gateway, addresses the platform reserves) and every
 * explicit address. Returns undefined for hosts that do not fit.
 */
export function planAddresses(
    subnet: Ipv4Cidr, explicit: (string | undefined)[], taken: string[], firstOffset: number,
): (string | undefined)[] {
    const used = new Set([...taken, ...explicit].filter((a): a is string => a !== undefined).map((a) => parseIpv4(a)));
    const last = broadcastOf(subnet) - 1;
    let next = subnet.network + firstOffset;
    return explicit.map((address) => {
        if (address !== undefined) {
            return address;
        }
        while (next <= last && used.has(next)) {
            next++;
        }
        if (next > last) {
            return undefined;
        }
        used.add(next);
        return formatIpv4(next++);
    });
}

/**
 * The highest address at or below `offset` into the subnet (above its network address) that is
 * not in `taken`; undefined when every one is.
 */
export function planAddressBelow(subnet: Ipv4Cidr, taken: string[], offset: number): string | undefined {
    const used = new Set(taken.map((a) => parseIpv4(a)));
    for (let next = Math.min(subnet.network + offset, broadcastOf(subnet) - 1); next > subnet.network; next--) {
        if (!used.has(next)) {
            return formatIpv4(next);
        }
    }
    return undefined;
}

/** The first host address of a subnet (where a created network puts its host side). */
export function firstHost(subnet: Ipv4Cidr): string {
    return formatIpv4(subnet.network + 1);
}

/** The first host address of an IPv6 subnet (where a created network puts its host side). */
export function firstHost6(subnet: Ipv6Cidr): string {
    return formatIpv6(subnet.network + 1n);
}

/** `/24` → `255.255.255.0`. */
export function netmaskOf(prefixLength: number): string {
    return formatIpv4(prefixLength === 0 ? 0 : (2 ** 32 - 2 ** (32 - prefixLength)));
}
