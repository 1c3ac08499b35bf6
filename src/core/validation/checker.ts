/**
 * The machinery every validator shares: collecting problems, type and range checks, and the
 * whitelists that make a value safe to paste into sh, XML, YAML or a virsh argument.
 */
import type { Input } from "@pulumi/pulumi";
import {
    broadcastOf, cidrContains, cidrContains6, formatCidr, formatCidr6, formatIpv4, formatIpv6, type Ipv4Cidr, type Ipv6Cidr, parseIpv4,
    parseIpv4Cidr, parseIpv6, parseIpv6Cidr, specialAddress, specialAddress6,
} from "../ip";

/** An address family: what a field accepts. */
export type Family = 4 | 6;

/** One thing wrong with the arguments: where, what was given, and what to do about it. */
export interface ArgsProblem {
    /** Path of the field, e.g. `services[1].port`. */
    field: string;
    value: unknown;
    problem: string;
    fix: string;
}

/**
 * What the checker throws when it finishes with problems. Internal: the component turns it into
 * its public argument error (component/errors.ts); the core stays free of the Pulumi SDK.
 */
export class ArgsProblems extends Error {
    constructor(readonly problems: ArgsProblem[]) {
        super(describeProblems(problems));
        this.name = "ArgsProblems";
    }
}

/**
 * Every problem as one text, a line each: the message of the component's argument error
 * (component/errors.ts, which makes it Pulumi's input-property error).
 */
export function describeProblems(problems: ArgsProblem[]): string {
    return `Invalid LvsDrCluster arguments (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
        problems.map((p) => `  - ${p.field} = ${describeProblem(p)}`).join("\n");
}

/** One problem, after its field: the value given, what is wrong, the fix. */
export function describeProblem(p: ArgsProblem): string {
    return `${show(p.value)}: ${p.problem}. Fix: ${p.fix}.`;
}

function show(value: unknown): string {
    if (value === undefined) {
        return "(unset)";
    }
    if (isEventual(value)) {
        // JSON.stringify would call the Output's toJSON, whose text is the SDK's warning.
        return "(an Output or a promise)";
    }
    try {
        const text = JSON.stringify(value);
        return text.length > 80 ? `${text.slice(0, 77)}...` : text;
    } catch {
        return "(a value that cannot be shown)";
    }
}

// Every pattern below is a whitelist of characters that are inert in sh, XML, YAML and virsh, so
// a value that passes can be pasted anywhere; quoting and escaping are a second line of defence.
export const INTERFACE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,14}$/;
const RESERVED_INTERFACES = ["lo", "all", "default"];
export const USER = /^[A-Za-z_][A-Za-z0-9_.-]{0,31}$/;
export const HOST_NAME = /^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$/;
export const DNS_NAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
export const HOST_KEY = /^[a-z0-9@.-]{3,64} [A-Za-z0-9+/]{16,}={0,3}$/;
/** The key types an OpenSSH public key line may start with. */
const KEY_TYPE = "(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\\.com|sk-ecdsa-sha2-nistp256@openssh\\.com)";
/** One line of a `.pub` file: type, base64, an optional comment; no options, no line break. */
export const PUBLIC_KEY = new RegExp(`^${KEY_TYPE} [A-Za-z0-9+/]{16,}={0,3}( [A-Za-z0-9@._+:-]{1,100})?$`);
/** A key line of authorized_keys with options before the type (`from="..." ssh-ed25519 AAAA...`). */
export const KEY_WITH_OPTIONS = new RegExp(`^\\S.*[\\s,"]${KEY_TYPE} [A-Za-z0-9+/]{16,}={0,3}( .*)?$`);
export const ABSOLUTE_PATH = /^\/[A-Za-z0-9_.+-]+(\/[A-Za-z0-9_.+-]+)*$/;
/** A name for the cluster: in resource names, and in the names and tags platforms give. */
export const CLUSTER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$/;

/** A value that is not there yet: a Pulumi Output or a promise (`pulumi.Input` allows both). */
export function isEventual(value: unknown): boolean {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
        return false;
    }
    const v = value as Record<string, unknown>;
    // Output.isInstance without loading Pulumi into the pure core: the SDK marks every Output so.
    return v.__pulumiOutput === true || typeof v.then === "function";
}

/**
 * The keys of an args interface, for refusing unknown ones: the object must list every key of T
 * and no other, which the compiler checks, so the list cannot drift from the interface.
 */
export function keysOf<T>(keys: { [K in keyof Required<T>]: true }): string[] {
    return Object.keys(keys);
}

/** Values of a validation once nothing was refused. */
export type Checked<T> = { [K in keyof T]-?: NonNullable<T[K]> };

export class Checker {
    readonly problems: ArgsProblem[] = [];

    /**
     * Throws every problem found, if any; otherwise returns `values`, all present. Every check
     * that returns undefined records a problem, so with none recorded nothing is undefined (the
     * loop below only guards that rule).
     */
    finish<T extends object>(values: T): Checked<T> {
        if (this.problems.length > 0) {
            throw new ArgsProblems(this.problems);
        }
        return this.present(values);
    }

    /**
     * `values`, all present, for a part of the arguments that recorded no problem: each check that
     * returns undefined records one, so none is undefined (the loop only guards that rule).
     */
    present<T extends object>(values: T): Checked<T> {
        for (const [key, value] of Object.entries(values)) {
            if (value === undefined || value === null) {
                throw new Error(`lvs-dr: ${key} was refused without a problem being recorded`);
            }
        }
        return values as Checked<T>;
    }

    /** A secret such as a private key: a non-empty string, or an Output or promise of one. */
    secretInput(field: string, value: unknown, fix: string): Input<string> | undefined {
        if ((typeof value === "string" && value !== "") || isEventual(value)) {
            return value as Input<string>;
        }
        this.add(field, value === undefined ? undefined : "(hidden)", value === undefined ? "is required" : "must be a non-empty string or an Output of one", fix);
        return undefined;
    }

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

    /** An optional integer: the fallback when unset, undefined (and a problem) when invalid. */
    optionalInteger(field: string, value: unknown, min: number, max: number, fallback: number, fix: string): number | undefined {
        return value === undefined ? fallback : this.integer(field, value, min, max, fix);
    }

    boolean(field: string, value: unknown, fallback: boolean): boolean {
        if (value === undefined) {
            return fallback;
        }
        if (typeof value !== "boolean") {
            this.add(field, value, "must be a boolean", `use true or false (default ${fallback})`);
            return fallback;
        }
        return value;
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
        return this.ip(field, value, [4], example);
    }

    /**
     * An address of one of `families`, IPv6 returned in canonical form. Zone ids are refused: an
     * address that needs one is link-local, and means nothing off its link.
     */
    ip(field: string, value: unknown, families: Family[], example: string): string | undefined {
        const what = families.length === 2 ? "an IPv4 or IPv6 address" : `an IPv${families[0]} address`;
        if (typeof value !== "string") {
            this.add(field, value, `must be a string holding ${what}`, `use e.g. ${example}`);
            return undefined;
        }
        if (value.includes("%")) {
            this.add(field, value, "has a zone id (the part after '%'): zones belong to link-local addresses, which cannot serve here",
                `give a global or unique-local address without a zone, e.g. ${example}`);
            return undefined;
        }
        const v4 = parseIpv4(value);
        const v6 = v4 === undefined ? parseIpv6(value) : undefined;
        if (v4 !== undefined && families.includes(4)) {
            return value;
        }
        if (v6 !== undefined && families.includes(6)) {
            return formatIpv6(v6);
        }
        if (v4 !== undefined || v6 !== undefined) {
            this.add(field, value, `is IPv${v4 !== undefined ? 4 : 6}; this field takes ${what}`, `use e.g. ${example}`);
        } else {
            this.add(field, value, `is not ${what}${families.includes(4) ? " (IPv4: dotted quad, no prefix, no leading zeros)" : ""}`,
                `use e.g. ${example}`);
        }
        return undefined;
    }

    /**
     * An address a host or the VIP can have on the load-balancing subnet: an ordinary unicast
     * address (not loopback, unspecified, link-local, multicast, reserved, broadcast or, for IPv6,
     * IPv4-mapped) of one of `families` (IPv4 unless told otherwise).
     */
    hostAddress(field: string, value: unknown, example: string, families: Family[] = [4]): string | undefined {
        const address = this.ip(field, value, families, example);
        if (address === undefined) {
            return undefined;
        }
        const v4 = parseIpv4(address);
        const v6 = v4 === undefined ? parseIpv6(address) : undefined;
        const special = v4 !== undefined ? specialAddress(v4) : v6 !== undefined ? specialAddress6(v6) : undefined;
        if (special) {
            this.add(field, address, `is ${special}`, `use a unicast address of the hosts' L2 subnet, such as ${example}`);
            return undefined;
        }
        return address;
    }

    /**
     * An IPv6 L2 subnet in CIDR form, /48 to /126 (canonical text returned). SLAAC wants a /64; the
     * hosts here have static addresses, so any length that leaves room for them is accepted.
     */
    subnet6(field: string, value: unknown, example: string, why: string): Ipv6Cidr | undefined {
        const parsed = typeof value === "string" ? parseIpv6Cidr(value) : { error: "must be a string in CIDR form" };
        if ("error" in parsed) {
            this.add(field, value, parsed.error, `use the IPv6 subnet in CIDR form, e.g. ${example}`);
            return undefined;
        }
        const cidr = parsed.cidr;
        if (cidr.prefixLength < 48 || cidr.prefixLength > 126) {
            this.add(field, formatCidr6(cidr), `has prefix length /${cidr.prefixLength}; ${why}`,
                `use the subnet's real prefix length, between /48 and /126, e.g. ${example}`);
            return undefined;
        }
        const special = specialAddress6(cidr.network);
        if (special) {
            this.add(field, formatCidr6(cidr), `is not unicast address space: ${formatIpv6(cidr.network)} is ${special}`,
                `use the hosts' real IPv6 subnet, e.g. ${example}`);
            return undefined;
        }
        return cidr;
    }

    /**
     * An L2 subnet in CIDR form with a prefix length in `minPrefix`-`maxPrefix` (a /0 or a /32 is
     * no subnet hosts share), whose network is ordinary unicast space.
     */
    subnet(field: string, value: unknown, example: string, minPrefix: number, maxPrefix: number, why: string): Ipv4Cidr | undefined {
        const cidr = this.cidr(field, value, example);
        if (cidr === undefined) {
            return undefined;
        }
        if (cidr.prefixLength < minPrefix || cidr.prefixLength > maxPrefix) {
            this.add(field, formatCidr(cidr), `has prefix length /${cidr.prefixLength}; ${why}`,
                `use the subnet's real prefix length, between /${minPrefix} and /${maxPrefix}, e.g. ${example}`);
            return undefined;
        }
        const special = specialAddress(cidr.network) ?? specialAddress(broadcastOf(cidr));
        if (special) {
            this.add(field, formatCidr(cidr), `is not unicast address space: ${formatIpv4(cidr.network)} is ${special}`,
                `use the hosts' real subnet, e.g. ${example}`);
            return undefined;
        }
        return cidr;
    }

    matches(field: string, value: unknown, pattern: RegExp, what: string, fix: string): string | undefined {
        if (typeof value === "string" && pattern.test(value)) {
            return value;
        }
        this.add(field, value, `is not ${what}`, fix);
        return undefined;
    }

    cidr(field: string, value: unknown, example: string): Ipv4Cidr | undefined {
        const parsed = typeof value === "string" ? parseIpv4Cidr(value) : { error: "must be a string in CIDR form" };
        if ("error" in parsed) {
            this.add(field, value, parsed.error, `use the subnet in CIDR form, e.g. ${example}`);
            return undefined;
        }
        return parsed.cidr;
    }

    cidrList(field: string, value: unknown, required: boolean, fix: string): string[] | undefined {
        if (value === undefined && !required) {
            return undefined;
        }
        if (!Array.isArray(value) || value.length === 0) {
            this.add(field, value, "must be a non-empty list of CIDRs", fix);
            return undefined;
        }
        const cidrs = value.map((v: unknown, i: number) => this.cidr(`${field}[${i}]`, v, "203.0.113.0/24"));
        return cidrs.every((x) => x !== undefined) ? cidrs.map((x) => formatCidr(x)) : undefined;
    }

    interfaceName(field: string, value: unknown): string | undefined {
        const fix = "use the Linux name of the NIC that faces the subnet, e.g. eth0, ens3, enp1s0 or bond0.100";
        const iface = this.matches(field, value, INTERFACE, "a Linux interface name (1-15 of A-Z a-z 0-9 _ . -)", fix);
        if (iface !== undefined && RESERVED_INTERFACES.includes(iface)) {
            this.add(field, iface, `"${iface}" cannot face the subnet (it is the loopback or a sysctl pseudo-interface)`, fix);
            return undefined;
        }
        return iface;
    }

    inSubnet(field: string, address: string, subnet: Ipv4Cidr, subnetField: string, fix: string): void {
        const value = parseIpv4(address);
        const where = formatCidr(subnet);
        if (value === undefined) {
            return; // refused as an address already, or IPv6 (checked by inSubnet6)
        }
        if (!cidrContains(subnet, value)) {
            this.add(field, address, `is outside ${subnetField} ${where}`, fix);
        } else if (subnet.prefixLength < 31 && (value === subnet.network || value === broadcastOf(subnet))) {
            this.add(field, address, `is the network or broadcast address of ${where}`, "use a host address inside the subnet");
        }
    }

    /** An IPv6 address inside an IPv6 subnet, not its subnet-router anycast address (all host bits 0). */
    inSubnet6(field: string, address: string, subnet: Ipv6Cidr, subnetField: string, fix: string): void {
        const value = parseIpv6(address);
        const where = formatCidr6(subnet);
        if (value === undefined) {
            return;
        }
        if (!cidrContains6(subnet, value)) {
            this.add(field, address, `is outside ${subnetField} ${where}`, fix);
        } else if (value === subnet.network) {
            this.add(field, address, `is the subnet-router anycast address of ${where} (all host bits 0)`, "use a host address inside the subnet");
        }
    }
}

/**
 * The fields that take an Output (or a promise), in two kinds. Passed through: a secret, an ID
 * another resource makes; the component hands them to its resources as they are (a BGP password
 * into the directors' setup scripts, which it makes secrets). Awaited: values
 * that decide what the resources say but not which exist: where an existing machine is (its
 * addresses, its SSH host and host key), so that machines another resource of the program makes
 * can be the cluster's, and what a platform makes its machines of (the public key, the image, the
 * kernel, the AMI, the address ranges let in); the component plans with them once they are known
 * and validates them then, with the same messages. Every other field decides which resources
 * exist, or what is said about them at once, and must be known when the program runs.
 */
const PASSED_THROUGH = [
    /^ssh\.privateKey$/, /^hosts\.(director|backupDirector|directors\[\d+\]|realServers\[\d+\])\.ssh\.privateKey$/, /^aws\.subnetId$/, /^bgp\.peers\[\d+\]\.password$/,
];
export const AWAITED = [
    /^hosts\.(director|backupDirector|directors\[\d+\]|realServers\[\d+\])\.(address|address6|ssh\.host|ssh\.hostKey)$/,
    /^ssh\.publicKey$/,
    /^libvirt\.(baseImage|kernel|initrd)$/,
    /^aws\.ami$/,
    // A list as a whole, or one of its entries.
    /^aws\.(adminCidrs|allowedCidrs)(\[\d+\])?$/,
];
/** What the refusal of an Output elsewhere lists. */
const TAKES_OUTPUTS_TEXT = "ssh.privateKey (also per host), ssh.publicKey, libvirt.baseImage, libvirt.kernel, libvirt.initrd, "
    + "aws.subnetId, aws.ami, aws.adminCidrs, aws.allowedCidrs, bgp.peers[].password, and of each existing host (hosts.*) its address, "
    + "address6, ssh.host and ssh.hostKey";

/**
 * An Output or a promise given where a plain value is needed: one problem per field, naming it
 * (validation would otherwise print the SDK's toJSON warning as the value, or call it a wrong
 * type). Walks plain objects and arrays only.
 */
export function eventualValueProblems(c: Checker, value: unknown, field = ""): void {
    if (isEventual(value)) {
        if (![...PASSED_THROUGH, ...AWAITED].some((p) => p.test(field))) {
            c.add(field || "args", value, "is a Pulumi Output (or a promise), which this field cannot wait for: it decides which "
                + "resources lvs-dr creates or what their scripts say", "give a plain value known when the program runs (a literal, a "
                + `stack config value); the fields that take an Output are ${TAKES_OUTPUTS_TEXT}`);
        }
        return;
    }
    if (Array.isArray(value)) {
        value.forEach((v, i) => eventualValueProblems(c, v, `${field}[${i}]`));
    } else if (typeof value === "object" && value !== null && Object.getPrototypeOf(value) === Object.prototype) {
        for (const [k, v] of Object.entries(value)) {
            eventualValueProblems(c, v, field ? `${field}.${k}` : k);
        }
    }
}
