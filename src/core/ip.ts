/**
 * IPv4 and IPv6 address and prefix arithmetic. IPv4 addresses are numbers, IPv6 addresses bigints;
 * every IPv6 address the plan holds is in its canonical (RFC 5952) text, the form ipvsadm, ip and
 * keepalived print, so that texts compare equal exactly when addresses do.
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

/** An IPv6 address as a 128-bit unsigned number. */
export type Ipv6 = bigint;

export interface Ipv6Cidr {
    network: Ipv6;
    prefixLength: number;
}

const HEXTET = /^[0-9a-fA-F]{1,4}$/;

/**
 * Parses an IPv6 address in any RFC 4291 text form (compressed, mixed with a dotted quad). Zone
 * ids (`fe80::1%eth0`) and prefixes are refused: an address with a zone means nothing off its link.
 */
export function parseIpv6(text: string): Ipv6 | undefined {
    if (!/^[0-9a-fA-F:.]+$/.test(text) || !text.includes(":")) {
        return undefined;
    }
    let head = text;
    let tail: number[] = [];
    const lastColon = text.lastIndexOf(":");
    if (text.slice(lastColon + 1).includes(".")) {
        const v4 = parseIpv4(text.slice(lastColon + 1));
        if (v4 === undefined) {
            return undefined;
        }
        tail = [Math.floor(v4 / 65536), v4 % 65536];
        // "::ffff:1.2.3.4" keeps "::ffff", "::1.2.3.4" keeps "::".
        head = text[lastColon - 1] === ":" ? text.slice(0, lastColon + 1) : text.slice(0, lastColon);
    }
    const halves = head.split("::");
    if (halves.length > 2) {
        return undefined;
    }
    const words = (part: string): number[] | undefined => {
        if (part === "") {
            return [];
        }
        const out: number[] = [];
        for (const w of part.split(":")) {
            if (!HEXTET.test(w)) {
                return undefined;
            }
            out.push(parseInt(w, 16));
        }
        return out;
    };
    const left = words(halves[0]);
    const right = halves.length === 2 ? words(halves[1]) : [];
    if (left === undefined || right === undefined) {
        return undefined;
    }
    const given = left.length + right.length + tail.length;
    if (halves.length === 1 ? given !== 8 : given > 7) {
        return undefined;
    }
    const all = [...left, ...new Array<number>(8 - given).fill(0), ...right, ...tail];
    return all.reduce((acc, w) => (acc << 16n) | BigInt(w), 0n);
}

/** RFC 5952 canonical text: lower case, leading zeros dropped, the longest run (of 2+) of zero words as `::`. */
export function formatIpv6(value: Ipv6): string {
    const words = Array.from({ length: 8 }, (_, i) => Number((value >> BigInt(112 - 16 * i)) & 0xffffn));
    let best = { start: -1, length: 1 };
    for (let i = 0; i < 8;) {
        if (words[i] !== 0) {
            i++;
            continue;
        }
        let j = i;
        while (j < 8 && words[j] === 0) {
            j++;
        }
        if (j - i > best.length) {
            best = { start: i, length: j - i };
        }
        i = j;
    }
    const hex = (ws: number[]) => ws.map((w) => w.toString(16)).join(":");
    if (best.start < 0) {
        return hex(words);
    }
    return `${hex(words.slice(0, best.start))}::${hex(words.slice(best.start + best.length))}`;
}

/** The canonical form of an IPv6 address, or undefined when the text is none. */
export function canonicalIpv6(text: string): string | undefined {
    const value = parseIpv6(text);
    return value === undefined ? undefined : formatIpv6(value);
}

export type Cidr6Parse = { cidr: Ipv6Cidr } | { error: string };

export function parseIpv6Cidr(text: string): Cidr6Parse {
    const slash = text.indexOf("/");
    if (slash < 0) {
        return { error: "must be in CIDR form, such as fd77::/64" };
    }
    const address = parseIpv6(text.slice(0, slash));
    const prefixText = text.slice(slash + 1);
    if (address === undefined) {
        return { error: "the part before '/' is not an IPv6 address" };
    }
    if (!/^(0|[1-9][0-9]{0,2})$/.test(prefixText) || Number(prefixText) > 128) {
        return { error: "the prefix length after '/' must be an integer in 0-128" };
    }
    const prefixLength = Number(prefixText);
    const network = networkOf6(address, prefixLength);
    if (network !== address) {
        return { error: `host bits are set; did you mean ${formatIpv6(network)}/${prefixLength}?` };
    }
    return { cidr: { network, prefixLength } };
}

export function networkOf6(address: Ipv6, prefixLength: number): Ipv6 {
    const hostBits = BigInt(128 - prefixLength);
    return (address >> hostBits) << hostBits;
}

export function cidrContains6(cidr: Ipv6Cidr, address: Ipv6): boolean {
    return networkOf6(address, cidr.prefixLength) === cidr.network;
}

export function formatCidr6(cidr: Ipv6Cidr): string {
    return `${formatIpv6(cidr.network)}/${cidr.prefixLength}`;
}

/** IPv6 blocks that are never a VIP, a host's address or an L2 subnet (RFC 6890, RFC 4291). */
const SPECIAL6: { cidr: Ipv6Cidr; what: string }[] = [
    { cidr: "::/128", what: "the unspecified address (::)" },
    { cidr: "::1/128", what: "the loopback address (::1)" },
    { cidr: "::ffff:0:0/96", what: "an IPv4-mapped address (::ffff:0:0/96): give the IPv4 address itself" },
    { cidr: "fe80::/10", what: "a link-local address (fe80::/10): valid on one link only, it needs a zone and cannot be a service address" },
    { cidr: "ff00::/8", what: "a multicast address (ff00::/8)" },
].map(({ cidr, what }) => {
    const parsed = parseIpv6Cidr(cidr);
    if ("error" in parsed) {
        throw new Error(`lvs-dr: special-purpose block ${cidr}: ${parsed.error}`);
    }
    return { cidr: parsed.cidr, what };
});

/** What a special-purpose IPv6 address is, or undefined for an ordinary unicast address. */
export function specialAddress6(address: Ipv6): string | undefined {
    return SPECIAL6.find((s) => cidrContains6(s.cidr, address))?.what;
}

/** An address in the plan (validated) is IPv6 exactly when its text has a colon. */
export function isIpv6(address: string): boolean {
    return address.includes(":");
}

/** `VIP/32` or `VIP/128`: an address as one host's prefix. */
export function hostPrefix(address: string): string {
    return `${address}/${isIpv6(address) ? 128 : 32}`;
}

/** `192.168.77.100:80`, `[fd77::100]:80`: an address and port as ipvsadm and URLs write them. */
export function withPort(address: string, port: number): string {
    return isIpv6(address) ? `[${address}]:${port}` : `${address}:${port}`;
}
