/**
 * What every platform's validation shares: the cluster-wide SSH settings, real-server identities,
 * address and family checks. Pure: no Pulumi, no I/O.
 */
import type { Input } from "@pulumi/pulumi";
import { type Checker, HOST_NAME } from "./checker";
import { formatIpv6, type Ipv4Cidr, type Ipv6Cidr, isIpv6, parseIpv4 } from "../ip";
import { DEFAULTS, type HostPlan, type SshPlan } from "../plan";

/** The cluster-wide SSH settings, validated. */
export interface DefaultSsh {
    user: string;
    port: number;
    sudo?: boolean;
    publicKey?: string;
    /** Further public keys for the created machines' user (`ssh.authorizedKeys`). */
    authorizedKeys?: string[];
    privateKey: Input<string>;
}

/** An address in the subnet that neither the VIP nor a host may take, and whose it is. */
export interface Reserved {
    address: string;
    what: string;
}

/** The name and weight of the real server at position `i`; `names` collects them for uniqueness. */
export function realServerIdentity(
    c: Checker, field: string, entry: Record<string, unknown>, i: number, names: Map<string, number>, list: string,
): { name: string; weight: number } | undefined {
    const name = entry.name === undefined ? String(i)
        : c.matches(`${field}.name`, entry.name, HOST_NAME, "a valid name",
            "use lower-case letters, digits and '-', at most 40 characters");
    const weight = c.optionalInteger(`${field}.weight`, entry.weight, 0, 65535, DEFAULTS.weight,
        "use an integer weight; 0 drains the server");
    if (name === undefined || weight === undefined) {
        return undefined;
    }
    const first = names.get(name);
    if (first !== undefined) {
        c.add(`${field}.name`, name, `is also the name of ${list}[${first}]`,
            "give every real server a unique name (names default to the list position)");
        return undefined;
    }
    names.set(name, i);
    return { name, weight };
}

/** The most directors of a `directors` list (active-active): ECMP groups of routers commonly end at 8 to 64 paths. */
export const MAX_DIRECTORS = 8;

/**
 * A listed director's name: given, or its position; unique in the list. `required`: no default
 * (a platform whose machines are named after it), and why, for the problem when it is missing.
 */
export function directorName(
    c: Checker, field: string, value: unknown, i: number, names: Map<string, number>, required?: string,
): string | undefined {
    if (value === undefined && required !== undefined) {
        c.add(`${field}.name`, undefined, `is required: ${required}`, "give every director a unique name, e.g. \"a\", \"b\"");
        return undefined;
    }
    const name = value === undefined ? String(i)
        : c.matches(`${field}.name`, value, HOST_NAME, "a valid name", "use lower-case letters, digits and '-', at most 40 characters");
    if (name === undefined) {
        return undefined;
    }
    const first = names.get(name);
    if (first !== undefined) {
        c.add(`${field}.name`, name, `is also the name of directors[${first}]`,
            `give every director a unique name${required === undefined ? " (names default to the list position)" : ""}`);
        return undefined;
    }
    names.set(name, i);
    return name;
}

/** A host's `gone` flag (see LvsDrHostArgs.gone): `{ gone: true }` when set, `{}` otherwise. */
export function goneOf(c: Checker, field: string, entry: Record<string, unknown>): { gone?: true } {
    return c.boolean(`${field}.gone`, entry.gone, false) ? { gone: true } : {};
}

/** The subnets addresses are checked against, by family, with the fields that hold them. */
export interface Subnets {
    subnet?: Ipv4Cidr;
    subnetField: string;
    subnet6?: Ipv6Cidr;
    subnet6Field?: string;
}

/** Every address once, not a VIP, inside the subnet of its family when it is known, off the reserved ones. */
export function checkAddresses(
    c: Checker, entries: { field: string; address: string }[], subnets: Subnets,
    reserved: Reserved[], vips: (string | undefined)[],
): void {
    const seen = new Map<string, string>();
    for (const { field, address } of entries) {
        if (vips.includes(address)) {
            c.add(field, address, `is the VIP (${address === vips[0] ? "vip" : "vip6"})`,
                "give the host its own address: the VIP is shared by every host and is no host's own address");
        }
        const other = seen.get(address);
        if (other !== undefined) {
            c.add(field, address, `is also ${other}`, "give every host its own address");
        } else {
            seen.set(address, field);
        }
        const clash = reserved.find((r) => r.address === address);
        if (clash) {
            c.add(field, address, `is ${clash.what}`, "pick another address in the subnet");
        }
        const { subnet, subnetField, subnet6, subnet6Field = subnetField } = subnets;
        if (subnet) {
            c.inSubnet(field, address, subnet, subnetField, `use the host's address on ${subnetField}, or correct ${subnetField}`);
        }
        if (subnet6) {
            c.inSubnet6(field, address, subnet6, subnet6Field, `use the host's address on ${subnet6Field}, or correct ${subnet6Field}`);
        }
    }
}

/**
 * Every host has an address in the family of each VIP (`address`, or `address6` beside an IPv4
 * one): the director forwards a VIP's traffic to the real servers' addresses of its family, and
 * keepalived checks them there.
 */
export function checkFamilies(
    c: Checker, hosts: { field: string; host: HostPlan }[], vips: string[], fix: string,
): void {
    const wants6 = vips.some((v) => isIpv6(v));
    const wants4 = vips.some((v) => !isIpv6(v));
    for (const { field, host } of hosts) {
        const has6 = isIpv6(host.address) || host.address6 !== undefined;
        const has4 = !isIpv6(host.address);
        if (wants6 && !has6) {
            c.add(`${field}.address6`, undefined, `is required: the cluster serves the IPv6 VIP ${vips.find((v) => isIpv6(v))}`, fix);
        }
        if (wants4 && !has4) {
            c.add(`${field}.address`, host.address, `is IPv6, and the cluster serves the IPv4 VIP ${vips.find((v) => !isIpv6(v))}`,
                "give the host's IPv4 address as address (and the IPv6 one as address6)");
        }
    }
}

/** The IPv6 address at the same offset into `subnet6` as `address` has into `subnet`. */
export function sameOffset6(address: string, subnet: Ipv4Cidr, subnet6: Ipv6Cidr): string | undefined {
    const v4 = parseIpv4(address);
    if (v4 === undefined) {
        return undefined;
    }
    const offset = BigInt(v4 - subnet.network);
    return offset < 2n ** BigInt(128 - subnet6.prefixLength) ? formatIpv6(subnet6.network + offset) : undefined;
}

/** A host address6 argument: IPv6, beside an IPv4 address. */
export function validateAddress6(c: Checker, field: string, value: unknown, address: string | undefined): string | undefined {
    if (value === undefined) {
        return undefined;
    }
    const address6 = c.hostAddress(field, value, "fd77::10", [6]);
    if (address6 !== undefined && address !== undefined && isIpv6(address)) {
        c.add(field, value, "is only for a host whose address is IPv4", "remove it: address is already the host's IPv6 address");
        return undefined;
    }
    return address6;
}


/** SSH settings of a host the component creates: the defaults, to its own address. */
export function defaultHostSsh(ssh: DefaultSsh, host: string): SshPlan {
    return { host, user: ssh.user, port: ssh.port, sudo: ssh.sudo ?? ssh.user !== "root", privateKey: ssh.privateKey };
}

export function requirePublicKey(c: Checker, ssh: DefaultSsh, platform: string): string | undefined {
    if (ssh.publicKey === undefined) {
        c.add("ssh.publicKey", undefined, `is required with the ${platform} platform`,
            "give the public half of ssh.privateKey, e.g. the content of ~/.ssh/id_ed25519.pub");
    }
    return ssh.publicKey;
}

/**
 * What a created machine's user's authorized_keys holds: `publicKey` first, then
 * `ssh.authorizedKeys` in their order, a key given twice (by type and base64, whatever its
 * comment) once: during a rotation the new key may well be in both places for a while.
 */
export function clusterAuthorizedKeys(ssh: DefaultSsh, publicKey: string): string[] {
    const seen = new Set<string>();
    return [publicKey, ...(ssh.authorizedKeys ?? [])].filter((key) => {
        const material = key.split(" ").slice(0, 2).join(" ");
        const first = !seen.has(material);
        seen.add(material);
        return first;
    });
}

/** Whose reserved address the VIP sits on, if any (for the VIP's own message). */
export function reservedClash(vip: string, reserved: Reserved[]): string | undefined {
    return reserved.find((r) => r.address === vip)?.what;
}
