/**
 * What every platform's validation shares: the contract a platform validator fulfils, real-server
 * identities, address checks, and the planning of VMs that the libvirt and AWS platforms create.
 */
import type { Input } from "@pulumi/pulumi";
import type { LvsDrVmArgs } from "../args";
import { planAddresses } from "./addresses";
import { type Checker, HOST_NAME, keysOf } from "./checker";
import { formatCidr, formatCidr6, formatIpv6, type Ipv4Cidr, type Ipv6Cidr, isIpv6, parseIpv4 } from "./ip";
import { DEFAULTS, type HostPlan, type PlatformPlan, type RealServerPlan, type SshPlan } from "./plan";

/** The cluster-wide SSH settings, validated. */
export interface DefaultSsh {
    user: string;
    port: number;
    sudo?: boolean;
    publicKey?: string;
    privateKey: Input<string>;
}

/** An address in the subnet that neither the VIP nor a host may take, and whose it is. */
export interface Reserved {
    address: string;
    what: string;
}

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

/** What a platform validator yields; the VIP is checked against it afterwards. */
export interface PlatformValidation<P extends PlatformPlan> {
    directors: HostPlan[];
    realServers: RealServerPlan[];
    subnet?: Ipv4Cidr;
    /** The argument that holds the subnet, for messages. */
    subnetField: string;
    subnet6?: Ipv6Cidr;
    /** The argument that holds the IPv6 subnet, for messages. */
    subnet6Field?: string;
    reserved: Reserved[];
    /** Undefined when a problem was recorded. */
    platform?: P;
}

/** The contract of a platform's validation: its args into its part of the plan. Pure. */
export type ValidatePlatform<P extends PlatformPlan> = (c: Checker, value: unknown, ctx: PlatformContext) => PlatformValidation<P>;

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

const VM_KEYS = keysOf<LvsDrVmArgs>({ address: true, address6: true, weight: true, name: true });
const VM_DIRECTOR_KEYS = VM_KEYS.filter((k) => k === "address" || k === "address6");

/** The VMs of a platform that creates them (libvirt, AWS): their settings and where they go. */
export interface VmLayout {
    /** `libvirt` or `aws`: the args member, for field names. */
    base: string;
    subnet: Ipv4Cidr | undefined;
    /** The VMs' IPv6 subnet (libvirt.subnet6); unset: IPv4 only, and address6 is refused. */
    subnet6?: Ipv6Cidr;
    reserved: Reserved[];
    /** Undefined when the interface argument was refused. */
    interface: string | undefined;
    interfaceFix: string;
}

/**
 * The director and real-server VMs: explicit addresses checked, the others planned from the
 * subnet, skipping the reserved addresses and the VIP.
 */
export function validateVms(
    c: Checker, value: Record<string, unknown>, ctx: PlatformContext, layout: VmLayout,
): { directors: HostPlan[]; realServers: RealServerPlan[] } {
    const { base, subnet, reserved } = layout;
    const directorArgs = value.director === undefined ? {} : value.director;
    const entries: { field: string; args: Record<string, unknown> }[] = [];
    if (c.isObject(`${base}.director`, directorArgs, "give the director as { address? }")) {
        c.knownKeys(`${base}.director`, directorArgs, VM_DIRECTOR_KEYS);
        entries.push({ field: `${base}.director`, args: directorArgs });
    }
    const backupArgs = value.backupDirector;
    let backup: { field: string; args: Record<string, unknown> } | undefined;
    if (backupArgs !== undefined && c.isObject(`${base}.backupDirector`, backupArgs, "give the backup director as { address? }, or {}")) {
        c.knownKeys(`${base}.backupDirector`, backupArgs, VM_DIRECTOR_KEYS);
        backup = { field: `${base}.backupDirector`, args: backupArgs };
    }
    const names = new Map<string, number>();
    const identities: { name: string; weight: number }[] = [];
    if (!Array.isArray(value.realServers) || value.realServers.length === 0) {
        c.add(`${base}.realServers`, value.realServers, "must be a non-empty list",
            "list at least one real server, e.g. [{}, {}] for two with planned addresses");
    } else {
        value.realServers.forEach((entry: unknown, i: number) => {
            const field = `${base}.realServers[${i}]`;
            if (c.isObject(field, entry, "give each real server as { name?, weight?, address? }")) {
                c.knownKeys(field, entry, VM_KEYS);
                entries.push({ field, args: entry });
                const identity = realServerIdentity(c, field, entry, i, names, `${base}.realServers`);
                if (identity) {
                    identities.push(identity);
                }
            }
        });
    }
    const explicitOf = (e: { field: string; args: Record<string, unknown> }) => e.args.address === undefined ? undefined
        : c.hostAddress(`${e.field}.address`, e.args.address, "192.168.77.10");
    const explicit = entries.map(explicitOf);
    const backupExplicit = backup && explicitOf(backup);
    const all = [...entries, ...(backup ? [backup] : [])];
    const explicit6 = all.map((e) => {
        if (e.args.address6 === undefined) {
            return undefined;
        }
        if (!layout.subnet6) {
            c.add(`${e.field}.address6`, e.args.address6, base === "aws" ? "is not offered on the aws platform (no IPv6 there yet)" : `requires ${base}.subnet6`,
                base === "aws" ? "remove it" : `set ${base}.subnet6 to the VMs' IPv6 subnet, or remove it`);
            return undefined;
        }
        return c.hostAddress(`${e.field}.address6`, e.args.address6, "fd77::10", [6]);
    });
    const subnets: Subnets = { subnet, subnetField: `${base}.subnet`, subnet6: layout.subnet6, subnet6Field: `${base}.subnet6` };
    checkAddresses(c, all.flatMap((e, i) => {
        const address = i < entries.length ? explicit[i] : backupExplicit;
        const address6 = explicit6[i];
        return [
            ...(address === undefined ? [] : [{ field: `${e.field}.address`, address }]),
            ...(address6 === undefined ? [] : [{ field: `${e.field}.address6`, address: address6 }]),
        ];
    }), subnets, reserved, [ctx.vip, ctx.vip6]);
    const iface = layout.interface;
    if (!subnet || iface === undefined || c.problems.length > 0) {
        return { directors: [], realServers: [] };
    }
    const taken = [...reserved.map((r) => r.address), ...(ctx.vip && !isIpv6(ctx.vip) ? [ctx.vip] : []),
        ...(backupExplicit ? [backupExplicit] : [])];
    const planned = planAddresses(subnet, explicit, taken, DEFAULTS.firstHostOffset);
    // Planned apart, below the director, so that adding or removing real servers never moves it
    // (nor adding the backup director moves a real server).
    const backupAddress = backup && planAddresses(subnet, [backupExplicit],
        [...taken, ...planned.filter((a): a is string => a !== undefined)], DEFAULTS.backupDirectorOffset)[0];
    const addresses = planned.filter((a): a is string => a !== undefined);
    if (addresses.length < planned.length || (backup && backupAddress === undefined)) {
        c.add(`${base}.subnet`, formatCidr(subnet), `has no room for ${entries.length} hosts after the reserved addresses`,
            "use a larger subnet or give addresses explicitly");
        return { directors: [], realServers: [] };
    }
    const [directorAddress, ...realServerAddresses] = addresses;
    const ordered = [directorAddress, ...realServerAddresses, ...(backupAddress ? [backupAddress] : [])];
    const addresses6 = planAddresses6(c, ordered, explicit6, all.map((e) => e.field), layout, [ctx.vip, ctx.vip6]);
    if (addresses6 === undefined) {
        return { directors: [], realServers: [] };
    }
    const host = (address: string, i: number): HostPlan => ({
        address, ...(addresses6[i] ? { address6: addresses6[i] } : {}),
        interface: iface, interfaceFix: layout.interfaceFix, ssh: defaultHostSsh(ctx.ssh, address),
    });
    return {
        directors: [host(directorAddress, 0), ...(backupAddress ? [host(backupAddress, ordered.length - 1)] : [])],
        realServers: identities.map((id, i) => ({ ...host(realServerAddresses[i], i + 1), ...id })),
    };
}

/**
 * The VMs' IPv6 addresses (in `ordered`'s order: director, real servers, backup director): given,
 * or at their IPv4 address's offset; none without a subnet6. Undefined (and a problem) on a clash.
 */
function planAddresses6(
    c: Checker, ordered: string[], explicit6: (string | undefined)[], fields: string[], layout: VmLayout, vips: (string | undefined)[],
): (string | undefined)[] | undefined {
    const { subnet, subnet6 } = layout;
    if (!subnet || !subnet6) {
        return ordered.map(() => undefined);
    }
    const planned = ordered.map((a, i) => explicit6[i] ?? sameOffset6(a, subnet, subnet6));
    const seen = new Map<string, number>();
    const start = c.problems.length;
    planned.forEach((a, i) => {
        const field = `${fields[i]}.address6`;
        if (a === undefined) {
            c.add(field, undefined, `cannot be planned: ${layout.base}.subnet6 ${formatCidr6(subnet6)} is smaller than ${layout.base}.subnet`,
                `give ${field} explicitly, or use a larger ${layout.base}.subnet6`);
            return;
        }
        const clash = seen.get(a);
        const reserved = layout.reserved.find((r) => r.address === a);
        if (clash !== undefined || vips.includes(a) || reserved) {
            const what = clash !== undefined ? `${fields[clash]}'s planned or given IPv6 address` : reserved ? reserved.what : "the VIP";
            c.add(field, a, `is also ${what}`, `give ${field} explicitly, on a free address of ${layout.base}.subnet6`);
        }
        seen.set(a, i);
    });
    return c.problems.length > start ? undefined : planned;
}

/** Whose reserved address the VIP sits on, if any (for the VIP's own message). */
export function reservedClash(vip: string, reserved: Reserved[]): string | undefined {
    return reserved.find((r) => r.address === vip)?.what;
}
