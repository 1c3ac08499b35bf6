/**
 * Arguments with awaited fields (checker.ts `AWAITED`: where an existing machine is, when another
 * resource of the program makes it). The component plans twice: at once, with a stand-in for each
 * awaited value, for what does not depend on them (which resources exist, their names, every
 * other field's problems); and once the values are known, with them (the scripts, the
 * connections, the outputs). Pure: the values are opaque here; the component awaits them.
 */
import { broadcastOf, formatIpv4, formatIpv6, parseIpv4, parseIpv4Cidr, parseIpv6, parseIpv6Cidr } from "../ip";
import { AWAITED, isEventual } from "./checker";

/** One awaited value: where it is in the arguments, and the value (an Output or a promise). */
export interface Awaited {
    /** The keys from the arguments' root, e.g. `["hosts", "realServers", 0, "address"]`. */
    path: (string | number)[];
    /** Its field, as problems name it: `hosts.realServers[0].address`. */
    field: string;
    value: unknown;
}

/** Every awaited field whose value is an Output or a promise, in the arguments' order. */
export function findAwaited(args: unknown): Awaited[] {
    const found: Awaited[] = [];
    const walk = (value: unknown, path: (string | number)[], field: string): void => {
        if (isEventual(value)) {
            if (AWAITED.some((p) => p.test(field))) {
                found.push({ path, field, value });
            }
            return;
        }
        if (Array.isArray(value)) {
            value.forEach((v, i) => walk(v, [...path, i], `${field}[${i}]`));
        } else if (isPlainObject(value)) {
            for (const [k, v] of Object.entries(value)) {
                walk(v, [...path, k], field ? `${field}.${k}` : k);
            }
        }
    };
    walk(args, [], "");
    return found;
}

/** A copy of `args` with each awaited field set to its value in `values` (same order as `awaited`). */
export function withValues<T>(args: T, awaited: Awaited[], values: unknown[]): T {
    const copy = clonePlain(args);
    awaited.forEach((a, i) => {
        let at = copy as Record<string | number, unknown>;
        a.path.slice(0, -1).forEach((k) => { at = at[k] as Record<string | number, unknown>; });
        at[a.path[a.path.length - 1]] = values[i];
    });
    return copy;
}

/** An SSH host key that passes validation, standing in for one not known yet. */
const HOST_KEY_STAND_IN = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGx2cy1kciBzdGFuZC1pbiBob3N0IGtleQ";

/**
 * The stand-ins of the fields a platform makes its machines of: valid, and saying nothing a user
 * would be warned of (an address range of the documentation's, not the world).
 */
const FIXED_STAND_INS: Record<string, unknown> = {
    "ssh.publicKey": HOST_KEY_STAND_IN,
    "libvirt.baseImage": "/lvs-dr-awaited/base-image.qcow2",
    "libvirt.kernel": "/lvs-dr-awaited/vmlinuz",
    "libvirt.initrd": "/lvs-dr-awaited/initrd.img",
    "aws.ami": "ami-00000000",
    "aws.adminCidrs": ["192.0.2.0/24"],
    "aws.adminCidrs[]": "192.0.2.0/24",
    "aws.allowedCidrs": ["198.51.100.0/24"],
    "aws.allowedCidrs[]": "198.51.100.0/24",
};

/**
 * A valid, unused value for each awaited field: addresses from the top of the subnet of their
 * family (198.18.0.0/15 or fd00::/8 when none is given), skipping every address the arguments
 * give, so that the plan made with them has no problem of theirs.
 */
export function standIns(args: unknown, awaited: Awaited[]): unknown[] {
    const raw = (isPlainObject(args) ? args : {});
    const hosts = isPlainObject(raw.hosts) ? raw.hosts : {};
    const taken = new Set(plainStrings(args));
    const v4 = cidrOr(hosts.subnet, "198.18.0.0/15");
    const v6 = cidr6Or(typeof hosts.subnet === "string" && hosts.subnet.includes(":") ? hosts.subnet : hosts.subnet6, "fd00::/8");
    // Downwards from the subnet's last host address, past every address taken.
    const taker = <A>(last: A, before: (a: A) => A, format: (a: A) => string) => {
        let next = last;
        return (): string => {
            while (taken.has(format(next))) {
                next = before(next);
            }
            const address = format(next);
            next = before(next);
            taken.add(address);
            return address;
        };
    };
    const take4 = taker(broadcastOf(v4) - 1, (a) => a - 1, formatIpv4);
    const take6 = taker(v6.last - 1n, (a) => a - 1n, formatIpv6);
    const vipIs6 = typeof raw.vip === "string" && raw.vip.includes(":");
    return awaited.map((a) => {
        const last = a.path[a.path.length - 1];
        const fixed = FIXED_STAND_INS[a.field.replace(/\[\d+\]$/, "[]")];
        if (fixed !== undefined) {
            return fixed;
        }
        if (last === "hostKey") {
            return HOST_KEY_STAND_IN;
        }
        if (last === "host") {
            return "lvs-dr-awaited.invalid";
        }
        if (last === "address6") {
            return take6();
        }
        // An `address` beside an `address6` is IPv4; otherwise it has the VIP's family.
        const host = a.path.slice(0, -1).reduce<unknown>((at, k) => (at as Record<string | number, unknown>)[k], args);
        const dual = isPlainObject(host) && host.address6 !== undefined;
        return !dual && vipIs6 ? take6() : take4();
    });
}

function cidrOr(value: unknown, fallback: string): { network: number; prefixLength: number } {
    const parsed = typeof value === "string" ? parseIpv4Cidr(value) : undefined;
    return parsed && "cidr" in parsed ? parsed.cidr : (parseIpv4Cidr(fallback) as { cidr: { network: number; prefixLength: number } }).cidr;
}

function cidr6Or(value: unknown, fallback: string): { last: bigint } {
    const parsed = typeof value === "string" ? parseIpv6Cidr(value) : undefined;
    const cidr = parsed && "cidr" in parsed ? parsed.cidr : (parseIpv6Cidr(fallback) as { cidr: { network: bigint; prefixLength: number } }).cidr;
    return { last: cidr.network + (1n << BigInt(128 - cidr.prefixLength)) - 1n };
}

/** Every string in the plain parts of `value` that is an address (in canonical form). */
function plainStrings(value: unknown): string[] {
    if (typeof value === "string") {
        const v4 = parseIpv4(value);
        const v6 = v4 === undefined ? parseIpv6(value) : undefined;
        return v4 !== undefined ? [formatIpv4(v4)] : v6 !== undefined ? [formatIpv6(v6)] : [];
    }
    if (Array.isArray(value)) {
        return value.flatMap(plainStrings);
    }
    return isPlainObject(value) ? Object.values(value).flatMap(plainStrings) : [];
}

function clonePlain<T>(value: T): T {
    if (Array.isArray(value)) {
        return value.map(clonePlain) as T;
    }
    if (isPlainObject(value)) {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, clonePlain(v)])) as T;
    }
    return value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}
