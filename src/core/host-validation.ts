/**
 * What every platform's validation shares: the contract a platform validator fulfils, real-server
 * identities, address checks, and the planning of VMs that the libvirt and AWS platforms create.
 */
import type { Input } from "@pulumi/pulumi";
import type { LvsDrVmArgs } from "../args";
import { planAddresses } from "./addresses";
import { type Checker, HOST_NAME, keysOf } from "./checker";
import { formatCidr, type Ipv4Cidr, parseIpv4 } from "./ip";
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

/** Every address once, not the VIP, inside the subnet when it is known, off the reserved ones. */
export function checkAddresses(
    c: Checker, entries: { field: string; address: string }[], subnet: Ipv4Cidr | undefined,
    reserved: Reserved[], subnetField: string, vip: string | undefined,
): void {
    const seen = new Map<string, string>();
    for (const { field, address } of entries) {
        if (address === vip) {
            c.add(field, address, "is the VIP (vip)",
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
        if (subnet) {
            c.inSubnet(field, address, subnet, subnetField, `use the host's address on ${subnetField}, or correct ${subnetField}`);
        }
    }
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

const VM_KEYS = keysOf<LvsDrVmArgs>({ address: true, weight: true, name: true });
const VM_DIRECTOR_KEYS = VM_KEYS.filter((k) => k === "address");

/** The VMs of a platform that creates them (libvirt, AWS): their settings and where they go. */
export interface VmLayout {
    /** `libvirt` or `aws`: the args member, for field names. */
    base: string;
    subnet: Ipv4Cidr | undefined;
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
    checkAddresses(c, [...entries, ...(backup ? [backup] : [])].flatMap((e, i) => {
        const address = i < entries.length ? explicit[i] : backupExplicit;
        return address === undefined ? [] : [{ field: `${e.field}.address`, address }];
    }), subnet, reserved, `${base}.subnet`, ctx.vip);
    const iface = layout.interface;
    if (!subnet || iface === undefined || c.problems.length > 0) {
        return { directors: [], realServers: [] };
    }
    const taken = [...reserved.map((r) => r.address), ...(ctx.vip ? [ctx.vip] : []), ...(backupExplicit ? [backupExplicit] : [])];
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
    const host = (address: string): HostPlan => ({
        address, interface: iface, interfaceFix: layout.interfaceFix, ssh: defaultHostSsh(ctx.ssh, address),
    });
    const [directorAddress, ...realServerAddresses] = addresses;
    return {
        directors: [host(directorAddress), ...(backupAddress ? [host(backupAddress)] : [])],
        realServers: identities.map((id, i) => ({ ...host(realServerAddresses[i]), ...id })),
    };
}

/** Whose reserved address the VIP sits on, if any (for the VIP's own message). */
export function reservedClash(vip: string, reserved: Reserved[]): string | undefined {
    return parseIpv4(vip) === undefined ? undefined : reserved.find((r) => r.address === vip)?.what;
}
