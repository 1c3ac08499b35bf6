/**
 * IPv4 address and prefix arithmetic. IPv6 is recognised (so it can be refused with a clear
 * message now and supported later) but not computed on.
 */

/** A dotted-quad IPv4 address as a 32-bit unsigned number. */
export type Ipv4 = number;

export interface Ipv4Cidr {
    /** Network address (host bits zero). */
    network: Ipv4;
    prefixLength: number;
}

const OCTET = /^(0|[1-9][0-9]{0,2})$/;

/**
 * Parses a strict dotted-quad. Leading zeros are refused: `010.0.0.1` is octal to some tools and
 * decimal to others, and an address that means two things must not reach ipvsadm.
 */
export function parseIpv4(text: string): Ipv4 | undefined {
    const parts = text.split(".");
    if (parts.length !== 4) {
        return undefined;
    }
    let value = 0;
    for (const part of parts) {
        if (!OCTET.test(part)) {
            return undefined;
        }
        const octet = Number(part);
        if (octet > 255) {
            return undefined;
        }
        value = value * 256 + octet;
    }
    return value;
}

export function formatIpv4(value: Ipv4): string {
    return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join(".");
}

/** True for text that has the shape of an IPv6 address (validated loosely: only to name it). */
export function looksLikeIpv6(text: string): boolean {
    return /^[0-9a-fA-F:.]+$/.test(text) && text.includes(":");
}

export type CidrParse = { cidr: Ipv4Cidr } | { error: string };

export function parseIpv4Cidr(text: string): CidrParse {
    const slash = text.indexOf("/");
    if (slash < 0) {
        return { error: "must be in CIDR form, such as 192.168.77.0/24" };
    }
    const address = parseIpv4(text.slice(0, slash));
    const prefixText = text.slice(slash + 1);
    if (address === undefined) {
        return { error: "the part before '/' is not a dotted-quad IPv4 address" };
    }
    if (!/^(0|[1-9][0-9]?)$/.test(prefixText) || Number(prefixText) > 32) {
        return { error: "the prefix length after '/' must be an integer in 0-32" };
    }
    const prefixLength = Number(prefixText);
    const network = networkOf(address, prefixLength);
    if (network !== address) {
        return {
            error: `host bits are set; did you mean ${formatIpv4(network)}/${prefixLength}?`,
        };
    }
    return { cidr: { network, prefixLength } };
}

function blockSize(prefixLength: number): number {
    return 2 ** (32 - prefixLength);
}

export function networkOf(address: Ipv4, prefixLength: number): Ipv4 {
    const size = blockSize(prefixLength);
    return Math.floor(address / size) * size;
}

export function cidrContains(cidr: Ipv4Cidr, address: Ipv4): boolean {
    return networkOf(address, cidr.prefixLength) === cidr.network;
}

export function broadcastOf(cidr: Ipv4Cidr): Ipv4 {
    return cidr.network + blockSize(cidr.prefixLength) - 1;
}

/**
 * Address blocks that can never be a VIP, a host's address on the subnet or an L2 subnet, and what
 * each is (RFC 6890): a packet to them is not routed, not unicast, or never leaves the host.
 */
const SPECIAL: { cidr: Ipv4Cidr; what: string }[] = [
    { cidr: "0.0.0.0/8", what: "in 0.0.0.0/8 (\"this network\"; 0.0.0.0 is the unspecified address)" },
    { cidr: "127.0.0.0/8", what: "a loopback address (127.0.0.0/8)" },
    { cidr: "169.254.0.0/16", what: "a link-local address (169.254.0.0/16)" },
    { cidr: "224.0.0.0/4", what: "a multicast address (224.0.0.0/4)" },
    { cidr: "240.0.0.0/4", what: "reserved (240.0.0.0/4; 255.255.255.255 is the broadcast address)" },
].map(({ cidr, what }) => {
    const parsed = parseIpv4Cidr(cidr);
    if ("error" in parsed) {
        throw new Error(`lvs-dr: special-purpose block ${cidr}: ${parsed.error}`);
    }
    return { cidr: parsed.cidr, what };
});

/** What a special-purpose address is (see {@link SPECIAL}), or undefined for an ordinary unicast address. */
export function specialAddress(address: Ipv4): string | undefined {
    return SPECIAL.find((s) => cidrContains(s.cidr, address))?.what;
}

export function formatCidr(cidr: Ipv4Cidr): string {
    return `${formatIpv4(cidr.network)}/${cidr.prefixLength}`;
}
