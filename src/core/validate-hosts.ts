/** Validation of the existing-machines platform (`hosts`) and what the platforms share. */
import type { Ipv4Cidr } from "./ip";
import { Checker, DNS_NAME, HOST_KEY, HOST_NAME, USER } from "./checker";
import { DEFAULTS, HostPlan, RealServerPlan, SshPlan } from "./plan";

export interface DefaultSsh {
    user: string;
    port: number;
    sudo?: boolean;
    publicKey?: string;
}

/** What a platform's validation yields; the VIP is checked against it afterwards. */
export interface PlatformHostsPlan {
    director?: HostPlan;
    realServers: RealServerPlan[];
    subnet?: Ipv4Cidr;
    /** Addresses in the subnet that neither the VIP nor a host may take, and whose they are. */
    reserved: { address: string; what: string }[];
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

/** Every address once, not the VIP, inside the subnet when it is known, off the reserved ones. */
export function checkAddresses(
    c: Checker, entries: { field: string; address: string }[], subnet: Ipv4Cidr | undefined,
    reserved: { address: string; what: string }[], subnetField: string, vip: string | undefined,
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

export function validateExistingHosts(c: Checker, value: unknown, ssh: DefaultSsh, vip: string | undefined): PlatformHostsPlan {
    const none: PlatformHostsPlan = { realServers: [], reserved: [] };
    if (!c.isObject("hosts", value, "give hosts: { director: { address }, realServers: [{ address }, ...] }")) {
        return none;
    }
    c.knownKeys("hosts", value, ["subnet", "director", "realServers"]);
    if (ssh.publicKey !== undefined) {
        c.add("ssh.publicKey", ssh.publicKey, "is only used for VMs a platform creates",
            "remove it: existing machines already have their keys");
    }
    const subnet = value.subnet === undefined ? undefined
        : c.subnet("hosts.subnet", value.subnet, "192.168.77.0/24", 8, 30, "the director, the real servers and the VIP share one L2 subnet");

    const director = validateHost(c, "hosts.director", value.director, ssh, "director", "the real servers");
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
            const host = validateHost(c, field, entry, ssh, "real server", "the director");
            if (!host) {
                return;
            }
            addresses.push({ field: `${field}.address`, address: host.address });
            const identity = realServerIdentity(c, field, entry as Record<string, unknown>, i, names, "hosts.realServers");
            if (identity) {
                realServers.push({ ...host, ...identity });
            }
        });
    }
    checkAddresses(c, addresses, subnet, [], "hosts.subnet", vip);
    return { director, realServers, subnet, reserved: [] };
}

function validateHost(
    c: Checker, field: string, value: unknown, ssh: DefaultSsh, role: string, facing: string,
): HostPlan | undefined {
    if (!c.isObject(field, value, `give the ${role} as { address, interface? }`)) {
        return undefined;
    }
    const isDirector = role === "director";
    c.knownKeys(field, value, isDirector ? ["address", "interface", "ssh"] : ["address", "interface", "ssh", "weight", "name"]);
    const address = c.hostAddress(`${field}.address`, value.address, "192.168.77.10");
    const iface = value.interface === undefined ? DEFAULTS.interface : c.interfaceName(`${field}.interface`, value.interface);
    const hostSsh = validateHostSsh(c, `${field}.ssh`, value.ssh, ssh);
    if (address === undefined || iface === undefined || hostSsh === undefined) {
        return undefined;
    }
    return {
        address, interface: iface, interfaceFix: `set ${field}.interface to the NIC that faces ${facing}`,
        ssh: { ...hostSsh, host: hostSsh.host ?? address },
    };
}

/** SSH settings of a host the component creates: the defaults, to its own address. */
export function defaultHostSsh(ssh: DefaultSsh, host: string): SshPlan {
    return { host, user: ssh.user, port: ssh.port, sudo: ssh.sudo ?? ssh.user !== "root" };
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
        const port = c.optionalInteger(`${field}.port`, value.port, 1, 65535, base.port, "use the SSH port, usually 22");
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
    if (typeof value === "string" && /^[0-9.]+$/.test(value)) {
        return c.ipv4(field, value, "10.0.0.10");
    }
    return c.matches(field, value, DNS_NAME, "an IPv4 address or a DNS name", "use an IPv4 address or a DNS name");
}
