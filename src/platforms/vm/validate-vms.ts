/**
 * The VMs of a platform that creates them (libvirt, AWS, the next VM platform): their arguments
 * checked, their addresses given or planned from the subnet. Pure: no Pulumi, no I/O.
 */
import type { LvsDrLibvirtDirectorArgs, LvsDrVmArgs } from "../../args";
import { planAddressBelow, planAddresses } from "../../core/addresses";
import { type Checker, keysOf } from "../../core/validation/checker";
import {
    checkAddresses, defaultHostSsh, directorName, goneOf, MAX_DIRECTORS, realServerIdentity, type Reserved, sameOffset6, type Subnets,
} from "../../core/validation/hosts";
import { formatCidr, formatCidr6, type Ipv4Cidr, type Ipv6Cidr, isIpv6 } from "../../core/ip";
import { DEFAULTS, type HostPlan, type RealServerPlan } from "../../core/plan";
import type { PlatformContext } from "../validation";

const VM_KEYS = keysOf<LvsDrVmArgs>({ address: true, address6: true, weight: true, name: true, gone: true, keepMachine: true });
const VM_DIRECTOR_KEYS = VM_KEYS.filter((k) => k !== "weight" && k !== "name");
const LISTED_DIRECTOR_KEYS = keysOf<LvsDrLibvirtDirectorArgs>({ name: true, address: true, address6: true, gone: true, keepMachine: true });

/** Where a platform's VMs go and what it says about them. */
export interface VmLayout {
    /** The args member (`libvirt`, `aws`): the prefix of field names. */
    base: string;
    subnet: Ipv4Cidr | undefined;
    /** The VMs' IPv6 subnet; unset: IPv4 only, and address6 is refused. */
    subnet6?: Ipv6Cidr;
    /** Unset: address6 asks for `<base>.subnet6`; set: the platform offers no IPv6, and this says so. */
    noIpv6?: string;
    reserved: Reserved[];
    /** Undefined when the interface argument was refused. */
    interface: string | undefined;
    interfaceFix: string;
    /**
     * The platform offers `<base>.directors` (active-active directors, each named) and it is given:
     * the directors are that list, instead of `director` and `backupDirector`.
     */
    directorList?: boolean;
}

/** One VM of the arguments: where it stands, what it is, what was given for it. */
interface VmEntry {
    field: string;
    role: "director" | "realServer";
    args: Record<string, unknown>;
    /**
     * Planned apart from the first director and the real servers, at this offset into the subnet
     * (a pair's backup director, the directors after the first of a list), so that adding or
     * removing one never moves a real server; when it is taken, the next free address up (the
     * backup, as it always was) or down (`downward`: a list's director, which then never lands
     * among the real servers).
     */
    below?: number;
    downward?: true;
    /** Real servers: name and weight (undefined when refused). */
    identity?: { name: string; weight: number };
    /** A director of a `directors` list: its name. */
    name?: string;
    /** Given addresses, once checked. */
    address?: string;
    address6?: string;
}

/**
 * The director, real-server and backup-director VMs (in that order, which is also the order of
 * their problems), or a `directors` list and the real servers: explicit addresses checked, the
 * others planned from the subnet, skipping the reserved addresses and the VIP. The backup director
 * is planned apart, just below the director, so that adding or removing real servers never moves
 * it (nor adding it moves a real server); so is each director of a list after the first, each just
 * below the one before.
 */
export function validateVms(
    c: Checker, value: Record<string, unknown>, ctx: PlatformContext, layout: VmLayout,
): { directors: HostPlan[]; realServers: RealServerPlan[] } {
    checkVmUser(c, ctx.ssh.user);
    const entries = vmEntries(c, value, layout);
    for (const e of entries) {
        e.address = e.args.address === undefined ? undefined : c.hostAddress(`${e.field}.address`, e.args.address, "192.168.77.10");
    }
    for (const e of entries) {
        e.address6 = address6Of(c, e, layout);
    }
    const { base, subnet, reserved } = layout;
    const subnets: Subnets = { subnet, subnetField: `${base}.subnet`, subnet6: layout.subnet6, subnet6Field: `${base}.subnet6` };
    checkAddresses(c, entries.flatMap((e) => [
        ...(e.address === undefined ? [] : [{ field: `${e.field}.address`, address: e.address }]),
        ...(e.address6 === undefined ? [] : [{ field: `${e.field}.address6`, address: e.address6 }]),
    ]), subnets, reserved, [ctx.vip, ctx.vip6]);
    const iface = layout.interface;
    if (!subnet || iface === undefined || c.problems.length > 0) {
        return { directors: [], realServers: [] };
    }
    // vmEntries lists the entries planned apart last.
    const primary = entries.filter((e) => e.below === undefined);
    const apart = entries.filter((e) => e.below !== undefined);
    const taken = [...reserved.map((r) => r.address), ...(ctx.vip && !isIpv6(ctx.vip) ? [ctx.vip] : []),
        ...apart.flatMap((e) => e.address ? [e.address] : [])];
    const planned = planAddresses(subnet, primary.map((e) => e.address), taken, DEFAULTS.firstHostOffset);
    for (const e of apart) {
        const used = [...taken, ...planned.filter((a): a is string => a !== undefined)];
        const down = e.address === undefined && e.downward ? planAddressBelow(subnet, used, e.below!) : undefined;
        planned.push(down ?? planAddresses(subnet, [e.address], used, e.below!)[0]);
    }
    if (planned.some((a) => a === undefined)) {
        c.add(`${base}.subnet`, formatCidr(subnet), `has no room for ${entries.length} hosts after the reserved addresses`,
            "use a larger subnet or give addresses explicitly");
        return { directors: [], realServers: [] };
    }
    const addresses = planned as string[];
    const addresses6 = planAddresses6(c, entries, addresses, layout, [ctx.vip, ctx.vip6]);
    if (addresses6 === undefined) {
        return { directors: [], realServers: [] };
    }
    const hosts = entries.map((e, i): HostPlan => ({
        address: addresses[i], ...(addresses6[i] ? { address6: addresses6[i] } : {}),
        interface: iface, interfaceFix: layout.interfaceFix, ssh: defaultHostSsh(ctx.ssh, addresses[i]), ...goneOf(c, e.field, e.args),
        ...(c.boolean(`${e.field}.keepMachine`, e.args.keepMachine, false) ? { keepMachine: true as const } : {}),
        ...(e.name !== undefined ? { name: e.name } : {}),
    }));
    return {
        directors: hosts.filter((_, i) => entries[i].role !== "realServer"),
        realServers: entries.flatMap((e, i) => e.role === "realServer" && e.identity ? [{ ...hosts[i], ...e.identity }] : []),
    };
}

/**
 * Accounts a Debian or Ubuntu image already has for a service: cloud-init would give one a login
 * and the cluster's key (and sudo), or fail half-way. `root` is the one system account taken as is.
 */
const SYSTEM_ACCOUNTS = new Set([
    "daemon", "bin", "sys", "sync", "games", "man", "lp", "mail", "news", "uucp", "proxy", "www-data", "backup", "list", "irc",
    "gnats", "nobody", "nogroup", "messagebus", "sshd", "polkitd", "tss", "uuidd", "dnsmasq", "avahi", "syslog", "ntp", "statd",
    "tcpdump", "libvirt-qemu", "libvirt-dnsmasq", "landscape", "pollinate", "lxd", "usbmux", "rtkit", "colord", "pulse",
]);

/** The login user of created VMs is a user of its own, or root. */
function checkVmUser(c: Checker, user: string): void {
    if (SYSTEM_ACCOUNTS.has(user) || user.startsWith("systemd-") || user.startsWith("_")) {
        c.add("ssh.user", user, "is a system account of the VM's image: cloud-init would give it a login, the cluster's key and sudo",
            "use a user of its own, e.g. debian or admin (created by cloud-init with the key), or root");
    }
}

/**
 * The VMs the arguments name, each checked for its shape and keys: director, real servers, backup
 * director; or the first director of a list, the real servers, the list's other directors.
 */
function vmEntries(c: Checker, value: Record<string, unknown>, layout: VmLayout): VmEntry[] {
    const { base } = layout;
    const entries: VmEntry[] = [];
    // Checked before the real servers (the order of their problems), listed after them.
    const apart: VmEntry[] = [];
    if (layout.directorList) {
        const listed = listedDirectors(c, value, base);
        entries.push(...listed.filter((e) => e.below === undefined));
        apart.push(...listed.filter((e) => e.below !== undefined));
    } else {
        const director = value.director === undefined ? {} : value.director;
        if (c.isObject(`${base}.director`, director, "give the director as { address? }")) {
            c.knownKeys(`${base}.director`, director, VM_DIRECTOR_KEYS);
            entries.push({ field: `${base}.director`, role: "director", args: director });
        }
        const backupArgs = value.backupDirector;
        if (backupArgs !== undefined && c.isObject(`${base}.backupDirector`, backupArgs, "give the backup director as { address? }, or {}")) {
            c.knownKeys(`${base}.backupDirector`, backupArgs, VM_DIRECTOR_KEYS);
            apart.push({ field: `${base}.backupDirector`, role: "director", args: backupArgs, below: DEFAULTS.backupDirectorOffset });
        }
    }
    const names = new Map<string, number>();
    if (!Array.isArray(value.realServers) || value.realServers.length === 0) {
        c.add(`${base}.realServers`, value.realServers, "must be a non-empty list",
            "list at least one real server, e.g. [{}, {}] for two with planned addresses");
    } else {
        value.realServers.forEach((entry: unknown, i: number) => {
            const field = `${base}.realServers[${i}]`;
            if (c.isObject(field, entry, "give each real server as { name?, weight?, address? }")) {
                c.knownKeys(field, entry, VM_KEYS);
                const identity = realServerIdentity(c, field, entry, i, names, `${base}.realServers`);
                entries.push({ field, role: "realServer", args: entry, ...(identity ? { identity } : {}) });
            }
        });
    }
    return [...entries, ...apart];
}

/**
 * `<base>.directors` (active-active directors), instead of `director` and `backupDirector`: 2 to
 * 8, each named (its VM is named after it). The first is planned where a lone director is, each
 * next one just below the one before (where a pair's backup is for the second).
 */
function listedDirectors(c: Checker, value: Record<string, unknown>, base: string): VmEntry[] {
    for (const field of ["director", "backupDirector"] as const) {
        if (value[field] !== undefined) {
            c.add(`${base}.${field}`, "(set)", `is given beside ${base}.directors`,
                `list every director in ${base}.directors (active-active), or use director and backupDirector without it`);
        }
    }
    const list = value.directors;
    if (!Array.isArray(list) || list.length === 0 || list.length > MAX_DIRECTORS) {
        c.add(`${base}.directors`, Array.isArray(list) ? `(${list.length} directors)` : list, `must be a list of 2 to ${MAX_DIRECTORS} directors`,
            `list the active-active directors, each with a unique name: [{ name: "a" }, { name: "b" }]`);
        return [];
    }
    const names = new Map<string, number>();
    return list.flatMap((entry: unknown, i: number): VmEntry[] => {
        const field = `${base}.directors[${i}]`;
        if (!c.isObject(field, entry, "give each director as { name, address? }")) {
            return [];
        }
        c.knownKeys(field, entry, LISTED_DIRECTOR_KEYS);
        const name = directorName(c, field, entry.name, i, names, "it names the director's VM (<cluster>-director-<name>) and its resources");
        return name === undefined ? [] : [{
            field, role: "director", args: entry, name, ...(i > 0 ? { below: DEFAULTS.firstHostOffset - i, downward: true as const } : {}),
        }];
    });
}

/** A VM's given IPv6 address: only with an IPv6 subnet. */
function address6Of(c: Checker, e: VmEntry, layout: VmLayout): string | undefined {
    if (e.args.address6 === undefined) {
        return undefined;
    }
    if (!layout.subnet6) {
        c.add(`${e.field}.address6`, e.args.address6, layout.noIpv6 ?? `requires ${layout.base}.subnet6`,
            layout.noIpv6 ? "remove it" : `set ${layout.base}.subnet6 to the VMs' IPv6 subnet, or remove it`);
        return undefined;
    }
    return c.hostAddress(`${e.field}.address6`, e.args.address6, "fd77::10", [6]);
}

/**
 * The VMs' IPv6 addresses, in the entries' order: given, or at their IPv4 address's offset; none
 * without a subnet6. Undefined (and a problem) on a clash.
 */
function planAddresses6(
    c: Checker, entries: VmEntry[], addresses: string[], layout: VmLayout, vips: (string | undefined)[],
): (string | undefined)[] | undefined {
    const { subnet, subnet6 } = layout;
    if (!subnet || !subnet6) {
        return entries.map(() => undefined);
    }
    const planned = entries.map((e, i) => e.address6 ?? sameOffset6(addresses[i], subnet, subnet6));
    const seen = new Map<string, number>();
    const start = c.problems.length;
    planned.forEach((a, i) => {
        const field = `${entries[i].field}.address6`;
        if (a === undefined) {
            c.add(field, undefined, `cannot be planned: ${layout.base}.subnet6 ${formatCidr6(subnet6)} is smaller than ${layout.base}.subnet`,
                `give ${field} explicitly, or use a larger ${layout.base}.subnet6`);
            return;
        }
        const clash = seen.get(a);
        const reserved = layout.reserved.find((r) => r.address === a);
        if (clash !== undefined || vips.includes(a) || reserved) {
            const what = clash !== undefined ? `${entries[clash].field}'s planned or given IPv6 address` : reserved ? reserved.what : "the VIP";
            c.add(field, a, `is also ${what}`, `give ${field} explicitly, on a free address of ${layout.base}.subnet6`);
        }
        seen.set(a, i);
    });
    return c.problems.length > start ? undefined : planned;
}
