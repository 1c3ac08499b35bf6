import type { LvsDrClusterArgs } from "../args";
import {
    broadcastOf, cidrContains, formatCidr, Ipv4Cidr, looksLikeIpv6, parseIpv4, parseIpv4Cidr,
} from "./ip";
import {
    ClusterPlan, DEFAULTS, FORWARDING_METHODS, Forwarding, HostPlan, PROTOCOLS, Protocol,
    RealServerPlan, SCHEDULERS, Scheduler, ServicePlan, SshPlan,
} from "./plan";

/** One thing wrong with the arguments: where, what was given, and what to do about it. */
export interface ArgsProblem {
    /** Path of the field, e.g. `services[1].port`. */
    field: string;
    value: unknown;
    problem: string;
    fix: string;
}

/**
 * Thrown by the constructor for invalid arguments, before any resource is registered. Lists every
 * problem found, not only the first, so one `pulumi preview` shows everything to fix.
 */
export class LvsDrArgsError extends Error {
    constructor(readonly problems: ArgsProblem[]) {
        super(
            `Invalid LvsDrCluster arguments (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
                problems.map((p) => `  - ${p.field} = ${show(p.value)}: ${p.problem}. Fix: ${p.fix}.`).join("\n"),
        );
        this.name = "LvsDrArgsError";
    }
}

function show(value: unknown): string {
    if (value === undefined) {
        return "(unset)";
    }
    try {
        const text = JSON.stringify(value);
        return text.length > 80 ? `${text.slice(0, 77)}...` : text;
    } catch {
        return String(value);
    }
}

/** Platforms the args can name; only the implemented ones can be chosen. */
const PLATFORMS = ["hosts", "libvirt", "aws"] as const;
const IMPLEMENTED_PLATFORMS: readonly string[] = ["hosts"];

// Every pattern below is a whitelist of characters that are inert in sh, XML and virsh, so a
// value that passes can be pasted anywhere; quoting in the scripts is a second line of defence.
const INTERFACE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,14}$/;
const RESERVED_INTERFACES = ["lo", "all", "default"];
const USER = /^[A-Za-z_][A-Za-z0-9_.-]{0,31}$/;
const HOST_NAME = /^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$/;
const DNS_NAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const HOST_KEY = /^[a-z0-9@.-]{3,64} [A-Za-z0-9+/]{16,}={0,3}$/;

class Checker {
    readonly problems: ArgsProblem[] = [];

    add(field: string, value: unknown, problem: string, fix: string): void {
        this.problems.push({ field, value, problem, fix });
    }

    isObject(field: string, value: unknown, fix: string): value is Record<string, unknown> {
        if (typeof value === "object" && value !== null && !Array.isArray(value)) {
            return true;
        }
        this.add(field, value, "must be an object", fix);
        return false;
    }

    /** Unknown keys are usually typos (`service` for `services`) that would silently be ignored. */
    knownKeys(field: string, value: Record<string, unknown>, allowed: readonly string[]): void {
        for (const key of Object.keys(value)) {
            if (!allowed.includes(key) && value[key] !== undefined) {
                this.add(`${field}${field ? "." : ""}${key}`, value[key], "is not a known argument",
                    `remove it, or use one of: ${allowed.join(", ")}`);
            }
        }
    }

    integer(field: string, value: unknown, min: number, max: number, fix: string): number | undefined {
        if (typeof value === "number" && Number.isInteger(value) && value >= min && value <= max) {
            return value;
        }
        this.add(field, value, `must be an integer in ${min}-${max}`, fix);
        return undefined;
    }

    oneOf<T extends string>(field: string, value: unknown, allowed: readonly T[], fallback: T): T {
        if (value === undefined) {
            return fallback;
        }
        if (typeof value === "string" && (allowed as readonly string[]).includes(value)) {
            return value as T;
        }
        this.add(field, value, `must be one of ${allowed.join(", ")}`, `use one of ${allowed.join(", ")} (default ${fallback})`);
        return fallback;
    }

    ipv4(field: string, value: unknown, example: string): string | undefined {
        if (typeof value !== "string") {
            this.add(field, value, "must be a string holding an IPv4 address", `use a dotted quad such as ${example}`);
            return undefined;
        }
        if (parseIpv4(value) !== undefined) {
            return value;
        }
        if (looksLikeIpv6(value)) {
            this.add(field, value, "IPv6 is not supported yet", `use an IPv4 address such as ${example}`);
        } else {
            this.add(field, value, "is not an IPv4 address (dotted quad, no prefix, no leading zeros)",
                `use a dotted quad such as ${example}`);
        }
        return undefined;
    }

    matches(field: string, value: unknown, pattern: RegExp, what: string, fix: string): string | undefined {
        if (typeof value === "string" && pattern.test(value)) {
            return value;
        }
        this.add(field, value, `is not ${what}`, fix);
        return undefined;
    }
}

/**
 * Validates the component's arguments and applies every default. Pure: no Pulumi, no I/O.
 * Throws {@link LvsDrArgsError} listing every problem.
 */
export function validateClusterArgs(args: LvsDrClusterArgs): ClusterPlan {
    const c = new Checker();
    const raw: unknown = args;
    if (!c.isObject("args", raw, "pass an object with vip, services, ssh and one platform (hosts)")) {
        throw new LvsDrArgsError(c.problems);
    }
    c.knownKeys("", raw, ["vip", "services", "forwarding", "ssh", ...PLATFORMS]);

    const vip = c.ipv4("vip", raw.vip, "192.168.77.100");
    const forwarding: Forwarding = c.oneOf("forwarding", raw.forwarding, FORWARDING_METHODS, DEFAULTS.forwarding);
    const services = validateServices(c, raw.services);
    const ssh = validateDefaultSsh(c, raw.ssh);
    const platform = choosePlatform(c, raw);

    let hosts: { director?: HostPlan; realServers: RealServerPlan[]; subnet?: Ipv4Cidr } = { realServers: [] };
    if (platform === "hosts" && ssh) {
        hosts = validateExistingHosts(c, raw.hosts, ssh);
    }
    if (vip !== undefined) {
        checkVipAgainstHosts(c, vip, hosts);
    }

    if (c.problems.length > 0 || !vip || !hosts.director) {
        throw new LvsDrArgsError(c.problems);
    }
    return {
        vip,
        forwarding,
        services,
        director: hosts.director,
        realServers: hosts.realServers,
        subnet: hosts.subnet && formatCidr(hosts.subnet),
    };
}

function choosePlatform(c: Checker, raw: Record<string, unknown>): string | undefined {
    const chosen = PLATFORMS.filter((p) => raw[p] !== undefined);
    if (chosen.length !== 1) {
        c.add(chosen.length === 0 ? "hosts" : chosen.join(" + "), chosen.length === 0 ? undefined : "(several set)",
            `exactly one platform must be set, found ${chosen.length}`,
            "set exactly one of: hosts (existing machines)");
        return undefined;
    }
    const platform = chosen[0];
    if (!IMPLEMENTED_PLATFORMS.includes(platform)) {
        c.add(platform, raw[platform], "this platform is not available in this version",
            "use hosts (existing machines) for now");
        return undefined;
    }
    return platform;
}

function validateServices(c: Checker, value: unknown): ServicePlan[] {
    if (!Array.isArray(value) || value.length === 0) {
        c.add("services", value, "must be a non-empty list",
            'give at least one service, e.g. [{ port: 80 }] (protocol defaults to "tcp")');
        return [];
    }
    const services: ServicePlan[] = [];
    const seen = new Map<string, number>();
    value.forEach((entry: unknown, i: number) => {
        const field = `services[${i}]`;
        if (!c.isObject(field, entry, "use { port, protocol?, scheduler?, persistenceSeconds? }")) {
            return;
        }
        c.knownKeys(field, entry, ["port", "protocol", "scheduler", "persistenceSeconds"]);
        const port = c.integer(`${field}.port`, entry.port, 1, 65535,
            "use the port the real servers listen on (DR cannot map ports)");
        const protocol: Protocol = c.oneOf(`${field}.protocol`, entry.protocol, PROTOCOLS, DEFAULTS.protocol);
        const scheduler: Scheduler = c.oneOf(`${field}.scheduler`, entry.scheduler, SCHEDULERS, DEFAULTS.scheduler);
        const persistenceSeconds = entry.persistenceSeconds === undefined ? 0
            : c.integer(`${field}.persistenceSeconds`, entry.persistenceSeconds, 0, 2147483647,
                "give whole seconds, or 0 / leave unset for no persistence") ?? 0;
        if (port === undefined) {
            return;
        }
        const key = `${protocol}/${port}`;
        const first = seen.get(key);
        if (first !== undefined) {
            c.add(`${field}.port`, port, `duplicates services[${first}] (${key})`,
                "list each protocol+port once; use one service with a scheduler instead of two");
            return;
        }
        seen.set(key, i);
        services.push({ protocol, port, scheduler, persistenceSeconds });
    });
    return services;
}

interface DefaultSsh {
    user: string;
    port: number;
    sudo?: boolean;
}

function validateDefaultSsh(c: Checker, value: unknown): DefaultSsh | undefined {
    if (!c.isObject("ssh", value, "give ssh: { user, privateKey } (privateKey as a secret)")) {
        return undefined;
    }
    c.knownKeys("ssh", value, ["user", "privateKey", "port", "sudo"]);
    const user = c.matches("ssh.user", value.user, USER, "a valid login name",
        "use a login name such as root or debian (letters, digits, ._-)");
    if (value.privateKey === undefined || value.privateKey === null || value.privateKey === "") {
        c.add("ssh.privateKey", undefined, "is required",
            "pass the key text, e.g. config.requireSecret(\"sshPrivateKey\")");
    }
    const port = value.port === undefined ? DEFAULTS.sshPort
        : c.integer("ssh.port", value.port, 1, 65535, "use the SSH port, usually 22");
    if (value.sudo !== undefined && typeof value.sudo !== "boolean") {
        c.add("ssh.sudo", value.sudo, "must be a boolean", "use true or false (default: true unless user is root)");
    }
    if (user === undefined || port === undefined) {
        return undefined;
    }
    return { user, port, sudo: value.sudo as boolean | undefined };
}

function validateExistingHosts(
    c: Checker, value: unknown, ssh: DefaultSsh,
): { director?: HostPlan; realServers: RealServerPlan[]; subnet?: Ipv4Cidr } {
    if (!c.isObject("hosts", value, "give hosts: { director: { address }, realServers: [{ address }, ...] }")) {
        return { realServers: [] };
    }
    c.knownKeys("hosts", value, ["subnet", "director", "realServers"]);
    let subnet: Ipv4Cidr | undefined;
    if (value.subnet !== undefined) {
        const parsed = typeof value.subnet === "string" ? parseIpv4Cidr(value.subnet)
            : { error: "must be a string in CIDR form" };
        if ("error" in parsed) {
            c.add("hosts.subnet", value.subnet, parsed.error, "use the subnet in CIDR form, e.g. 192.168.77.0/24");
        } else {
            subnet = parsed.cidr;
        }
    }

    const director = validateHost(c, "hosts.director", value.director, ssh, "director");
    const addresses: { field: string; address: string }[] = [];
    if (director) {
        addresses.push({ field: "hosts.director.address", address: director.address });
    }
    const realServers: RealServerPlan[] = [];
    if (!Array.isArray(value.realServers) || value.realServers.length === 0) {
        c.add("hosts.realServers", value.realServers, "must be a non-empty list",
            "list at least one real server: [{ address: \"192.168.77.11\" }]");
    } else {
        const names = new Map<string, number>();
        value.realServers.forEach((entry: unknown, i: number) => {
            const field = `hosts.realServers[${i}]`;
            const host = validateHost(c, field, entry, ssh, "real server");
            if (!host) {
                return;
            }
            addresses.push({ field: `${field}.address`, address: host.address });
            const e = entry as Record<string, unknown>;
            const name = e.name === undefined ? String(i)
                : c.matches(`${field}.name`, e.name, HOST_NAME, "a valid name",
                    "use lower-case letters, digits and '-', at most 40 characters");
            const weight = e.weight === undefined ? DEFAULTS.weight
                : c.integer(`${field}.weight`, e.weight, 0, 65535, "use an integer weight; 0 drains the server");
            if (name === undefined || weight === undefined) {
                return;
            }
            const first = names.get(name);
            if (first !== undefined) {
                c.add(`${field}.name`, name, `is also the name of hosts.realServers[${first}]`,
                    "give every real server a unique name (names default to the list position)");
                return;
            }
            names.set(name, i);
            realServers.push({ ...host, name, weight });
        });
    }

    const seen = new Map<string, string>();
    for (const { field, address } of addresses) {
        const other = seen.get(address);
        if (other !== undefined) {
            c.add(field, address, `is also ${other}`, "give every host its own address");
        } else {
            seen.set(address, field);
        }
        if (subnet) {
            checkInSubnet(c, field, address, subnet, "use the host's address on that subnet, or correct hosts.subnet");
        }
    }
    return { director, realServers, subnet };
}

function validateHost(c: Checker, field: string, value: unknown, ssh: DefaultSsh, role: string): HostPlan | undefined {
    if (!c.isObject(field, value, `give the ${role} as { address, interface? }`)) {
        return undefined;
    }
    const isDirector = role === "director";
    c.knownKeys(field, value, isDirector ? ["address", "interface", "ssh"] : ["address", "interface", "ssh", "weight", "name"]);
    const address = c.ipv4(`${field}.address`, value.address, "192.168.77.10");
    const iface = value.interface === undefined ? DEFAULTS.interface : checkInterface(c, `${field}.interface`, value.interface);
    const hostSsh = validateHostSsh(c, `${field}.ssh`, value.ssh, ssh);
    if (address === undefined || iface === undefined || hostSsh === undefined) {
        return undefined;
    }
    return { address, interface: iface, ssh: { ...hostSsh, host: hostSsh.host ?? address } };
}

function checkInterface(c: Checker, field: string, value: unknown): string | undefined {
    const fix = "use the Linux name of the NIC that faces the subnet, e.g. eth0, ens3, enp1s0 or bond0.100";
    const iface = c.matches(field, value, INTERFACE, "a Linux interface name (1-15 of A-Z a-z 0-9 _ . -)", fix);
    if (iface !== undefined && RESERVED_INTERFACES.includes(iface)) {
        c.add(field, iface, `"${iface}" cannot face the subnet (it is the loopback or a sysctl pseudo-interface)`, fix);
        return undefined;
    }
    return iface;
}

function validateHostSsh(
    c: Checker, field: string, value: unknown, defaults: DefaultSsh,
): Omit<SshPlan, "host"> & { host?: string } | undefined {
    const base = { user: defaults.user, port: defaults.port };
    let result: Omit<SshPlan, "host" | "sudo"> & { host?: string } = { ...base };
    if (value !== undefined) {
        if (!c.isObject(field, value, "give { host?, user?, port?, privateKey?, hostKey? }")) {
            return undefined;
        }
        c.knownKeys(field, value, ["host", "user", "port", "privateKey", "hostKey"]);
        const host = value.host === undefined ? undefined : checkSshHost(c, `${field}.host`, value.host);
        const user = value.user === undefined ? base.user
            : c.matches(`${field}.user`, value.user, USER, "a valid login name", "use a login name such as root or debian");
        const port = value.port === undefined ? base.port
            : c.integer(`${field}.port`, value.port, 1, 65535, "use the SSH port, usually 22");
        const hostKey = value.hostKey === undefined ? undefined
            : c.matches(`${field}.hostKey`, value.hostKey, HOST_KEY, "an SSH public host key",
                "paste the key as '<type> <base64>', e.g. the first two fields of /etc/ssh/ssh_host_ed25519_key.pub");
        if ((value.host !== undefined && host === undefined) || user === undefined || port === undefined
            || (value.hostKey !== undefined && hostKey === undefined)) {
            return undefined;
        }
        result = { host, user, port, ...(hostKey ? { hostKey } : {}) };
    }
    return { ...result, sudo: defaults.sudo ?? result.user !== "root" };
}

function checkSshHost(c: Checker, field: string, value: unknown): string | undefined {
    const fix = "use an IPv4 address or a DNS name";
    if (typeof value === "string" && /^[0-9.]+$/.test(value)) {
        return c.ipv4(field, value, "10.0.0.10");
    }
    return c.matches(field, value, DNS_NAME, "an IPv4 address or a DNS name", fix);
}

function checkInSubnet(c: Checker, field: string, address: string, subnet: Ipv4Cidr, fix: string): void {
    const value = parseIpv4(address)!;
    const where = formatCidr(subnet);
    if (!cidrContains(subnet, value)) {
        c.add(field, address, `is outside hosts.subnet ${where}`, fix);
    } else if (subnet.prefixLength < 31 && (value === subnet.network || value === broadcastOf(subnet))) {
        c.add(field, address, `is the network or broadcast address of ${where}`, "use a host address inside the subnet");
    }
}

function checkVipAgainstHosts(
    c: Checker, vip: string, hosts: { director?: HostPlan; realServers: RealServerPlan[]; subnet?: Ipv4Cidr },
): void {
    const clash = [
        ...(hosts.director ? [{ what: "the director's address", address: hosts.director.address }] : []),
        ...hosts.realServers.map((rs) => ({ what: `real server ${rs.name}'s address`, address: rs.address })),
    ].find((h) => h.address === vip);
    if (clash) {
        c.add("vip", vip, `equals ${clash.what}`,
            "pick an unused address for the VIP: it is shared by every host and must not be any host's own address");
    }
    if (hosts.subnet) {
        checkInSubnet(c, "vip", vip, hosts.subnet,
            "DR needs the VIP on the hosts' L2 subnet: pick a free address inside hosts.subnet");
    }
}
