/** Validation of the existing-machines platform (`hosts`). Pure: no Pulumi, no I/O. */
import type { LvsDrExistingHostsArgs, LvsDrHostArgs, LvsDrHostSshArgs } from "../../args";
import { type Checker, DNS_NAME, HOST_KEY, keysOf, USER } from "../../core/validation/checker";
import { checkAddresses, type DefaultSsh, directorName, goneOf, MAX_DIRECTORS, realServerIdentity, type Subnets, validateAddress6 } from "../../core/validation/hosts";
import { type Ipv4Cidr, type Ipv6Cidr, isIpv6 } from "../../core/ip";
import { DEFAULTS, type HostPlan, type RealServerPlan, type SshPlan } from "../../core/plan";
import { L2_SEGMENT, type PlatformValidation, type ValidatePlatform } from "../validation";
import type { HostsPlatformPlan } from "./plan";

/** What to do about a host without an address of a VIP's family. */
const FAMILY_FIX = "give every host its IPv6 address on the subnet (address6), or serve IPv4 only";

const PLATFORM_KEYS = keysOf<LvsDrExistingHostsArgs>({
    subnet: true, subnet6: true, director: true, backupDirector: true, directors: true, realServers: true,
});
const HOST_KEYS = keysOf<LvsDrHostArgs>({ address: true, address6: true, interface: true, weight: true, name: true, ssh: true, gone: true });
const DIRECTOR_KEYS = HOST_KEYS.filter((k) => k !== "weight" && k !== "name");
const LISTED_DIRECTOR_KEYS = HOST_KEYS.filter((k) => k !== "weight");
const HOST_SSH_KEYS = keysOf<LvsDrHostSshArgs>({ host: true, user: true, port: true, privateKey: true, hostKey: true });

export const validateHosts: ValidatePlatform<HostsPlatformPlan> = (c, value, { ssh, vip, vip6 }) => {
    const subnetField = "hosts.subnet";
    const none: PlatformValidation<HostsPlatformPlan> = { directors: [], realServers: [], reserved: [], subnetField, network: L2_SEGMENT };
    if (!c.isObject("hosts", value, "give hosts: { director: { address }, realServers: [{ address }, ...] }")) {
        return none;
    }
    c.knownKeys("hosts", value, PLATFORM_KEYS);
    if (ssh.publicKey !== undefined) {
        c.add("ssh.publicKey", ssh.publicKey, "is only used for VMs a platform creates",
            "remove it: existing machines already have their keys");
    }
    // The accounts on existing machines are their operators': lvs-dr never writes their keys.
    if (ssh.authorizedKeys !== undefined) {
        c.add("ssh.authorizedKeys", ssh.authorizedKeys, "is only used for VMs a platform creates",
            "remove it: lvs-dr does not manage the keys of existing machines' accounts");
    }
    const subnets = validateSubnets(c, value);

    const directors: HostPlan[] = [];
    const addresses: { field: string; address: string }[] = [];
    const listed = value.directors !== undefined;
    if (listed) {
        directors.push(...validateDirectorList(c, value, ssh, addresses));
    }
    for (const field of listed ? [] : ["hosts.director", "hosts.backupDirector"] as const) {
        const entry = field === "hosts.director" ? value.director : value.backupDirector;
        if (field === "hosts.backupDirector" && entry === undefined) {
            continue;
        }
        const director = validateHost(c, field, entry, ssh, "director", "the real servers");
        if (director) {
            directors.push(director);
            addresses.push(...addressesOf(field, director));
        }
    }
    const realServers: RealServerPlan[] = [];
    if (!Array.isArray(value.realServers) || value.realServers.length === 0) {
        c.add("hosts.realServers", value.realServers, "must be a non-empty list",
            "list at least one real server: [{ address: \"192.168.77.11\" }]");
    } else {
        const names = new Map<string, number>();
        value.realServers.forEach((entry: unknown, i: number) => {
            const field = `hosts.realServers[${i}]`;
            const host = validateHost(c, field, entry, ssh, "real server", "the director");
            if (!host) {
                return;
            }
            addresses.push(...addressesOf(field, host));
            const identity = realServerIdentity(c, field, entry as Record<string, unknown>, i, names, "hosts.realServers");
            if (identity) {
                // A named server is named by its name in its scripts (see the directors' list).
                const named = typeof (entry as Record<string, unknown>).name === "string";
                realServers.push({ ...host, ...identity,
                    ...(named ? { interfaceFix: `set the interface of the hosts.realServers entry named "${identity.name}" to the NIC that faces the director` } : {}) });
            }
        });
    }
    checkAddresses(c, addresses, subnets, [], [vip, vip6]);
    return {
        directors, realServers, ...subnets, reserved: [], network: L2_SEGMENT, familyFix: FAMILY_FIX,
        platform: { kind: "hosts" }, ...(listed ? { directorList: "hosts.directors" } : {}),
    };
};

/** `hosts.directors` (active-active directors): instead of `director` and `backupDirector`, each with a unique name. */
function validateDirectorList(
    c: Checker, value: Record<string, unknown>, ssh: DefaultSsh, addresses: { field: string; address: string }[],
): HostPlan[] {
    for (const field of ["director", "backupDirector"] as const) {
        if (value[field] !== undefined) {
            c.add(`hosts.${field}`, "(set)", "is given beside hosts.directors",
                "list every director in hosts.directors (active-active), or use director and backupDirector without it");
        }
    }
    if (!Array.isArray(value.directors) || value.directors.length === 0 || value.directors.length > MAX_DIRECTORS) {
        c.add("hosts.directors", Array.isArray(value.directors) ? `(${value.directors.length} directors)` : value.directors,
            `must be a list of 2 to ${MAX_DIRECTORS} directors`,
            "list the active-active directors: [{ address: \"192.168.77.10\" }, { address: \"192.168.77.11\" }]");
        return [];
    }
    const names = new Map<string, number>();
    return value.directors.flatMap((entry: unknown, i: number) => {
        const field = `hosts.directors[${i}]`;
        const host = validateHost(c, field, entry, ssh, "listed director", "the real servers");
        const name = host ? directorName(c, field, (entry as Record<string, unknown>).name, i, names) : undefined;
        if (!host || name === undefined) {
            return [];
        }
        addresses.push(...addressesOf(field, host));
        // Named by its name, not its place: a message in the host's scripts that named the place
        // would change when another director leaves the list, and re-run this one's setup.
        return [{ ...host, name, interfaceFix: `set the interface of the hosts.directors entry named "${name}" to the NIC that faces the real servers` }];
    });
}

function validateHost(
    c: Checker, field: string, value: unknown, ssh: DefaultSsh, role: string, facing: string,
): HostPlan | undefined {
    if (!c.isObject(field, value, `give the ${role} as { address, interface? }`)) {
        return undefined;
    }
    c.knownKeys(field, value, role === "director" ? DIRECTOR_KEYS : role === "listed director" ? LISTED_DIRECTOR_KEYS : HOST_KEYS);
    const address = c.hostAddress(`${field}.address`, value.address, "192.168.77.10", [4, 6]);
    const address6 = validateAddress6(c, `${field}.address6`, value.address6, address);
    const iface = value.interface === undefined ? DEFAULTS.interface : c.interfaceName(`${field}.interface`, value.interface);
    const hostSsh = validateHostSsh(c, `${field}.ssh`, value.ssh, ssh);
    if (address === undefined || iface === undefined || hostSsh === undefined || (value.address6 !== undefined && address6 === undefined)) {
        return undefined;
    }
    return {
        address, ...(address6 ? { address6 } : {}), interface: iface, interfaceFix: `set ${field}.interface to the NIC that faces ${facing}`,
        ssh: { ...hostSsh, host: hostSsh.host ?? address }, ...goneOf(c, field, value),
    };
}

function addressesOf(field: string, host: HostPlan): { field: string; address: string }[] {
    return [{ field: `${field}.address`, address: host.address }, ...(host.address6 ? [{ field: `${field}.address6`, address: host.address6 }] : [])];
}

/** `subnet` of either family; `subnet6` beside an IPv4 one. */
function validateSubnets(c: Checker, value: Record<string, unknown>): Subnets {
    const why = "the director, the real servers and the VIP share one L2 subnet";
    let subnet: Ipv4Cidr | undefined;
    let subnet6: Ipv6Cidr | undefined;
    let subnet6Field = "hosts.subnet6";
    if (typeof value.subnet === "string" && isIpv6(value.subnet)) {
        subnet6 = c.subnet6("hosts.subnet", value.subnet, "fd77::/64", why);
        subnet6Field = "hosts.subnet";
        if (value.subnet6 !== undefined) {
            c.add("hosts.subnet6", value.subnet6, "is for an IPv6 subnet beside an IPv4 hosts.subnet, and hosts.subnet is IPv6",
                "give hosts.subnet as the IPv4 subnet, or remove hosts.subnet6");
        }
    } else {
        subnet = value.subnet === undefined ? undefined : c.subnet("hosts.subnet", value.subnet, "192.168.77.0/24", 8, 30, why);
        subnet6 = value.subnet6 === undefined ? undefined : c.subnet6("hosts.subnet6", value.subnet6, "fd77::/64", why);
    }
    return { subnet, subnetField: "hosts.subnet", subnet6, subnet6Field };
}

function validateHostSsh(
    c: Checker, field: string, value: unknown, defaults: DefaultSsh,
): Omit<SshPlan, "host"> & { host?: string } | undefined {
    const sudo = (user: string) => defaults.sudo ?? user !== "root";
    if (value === undefined) {
        return { user: defaults.user, port: defaults.port, sudo: sudo(defaults.user), privateKey: defaults.privateKey };
    }
    if (!c.isObject(field, value, "give { host?, user?, port?, privateKey?, hostKey? }")) {
        return undefined;
    }
    c.knownKeys(field, value, HOST_SSH_KEYS);
    const host = value.host === undefined ? undefined : checkSshHost(c, `${field}.host`, value.host);
    const user = value.user === undefined ? defaults.user
        : c.matches(`${field}.user`, value.user, USER, "a valid login name", "use a login name such as root or debian");
    const port = c.optionalInteger(`${field}.port`, value.port, 1, 65535, defaults.port, "use the SSH port, usually 22");
    const privateKey = value.privateKey === undefined ? defaults.privateKey
        : c.secretInput(`${field}.privateKey`, value.privateKey, "pass this host's key text as a secret, or leave it unset");
    const hostKey = value.hostKey === undefined ? undefined
        : c.matches(`${field}.hostKey`, value.hostKey, HOST_KEY, "an SSH public host key",
            "paste the key as '<type> <base64>', e.g. the first two fields of /etc/ssh/ssh_host_ed25519_key.pub");
    if ((value.host !== undefined && host === undefined) || user === undefined || port === undefined
        || privateKey === undefined || (value.hostKey !== undefined && hostKey === undefined)) {
        return undefined;
    }
    return { host, user, port, sudo: sudo(user), privateKey, ...(hostKey ? { hostKey } : {}) };
}

function checkSshHost(c: Checker, field: string, value: unknown): string | undefined {
    if (typeof value === "string" && /^[0-9.]+$/.test(value)) {
        return c.ipv4(field, value, "10.0.0.10");
    }
    return c.matches(field, value, DNS_NAME, "an IPv4 address or a DNS name", "use an IPv4 address or a DNS name");
}
