/**
 * Validates the component's arguments and applies every default. Pure: no Pulumi, no I/O.
 * Every problem is collected; one {@link LvsDrArgsError} lists them all.
 */
import type { LvsDrClusterArgs, LvsDrServiceArgs, LvsDrSshArgs } from "../args";
import { validateAws } from "../platforms/aws/validate";
import { validateHosts } from "../platforms/hosts/validate";
import { validateLibvirt } from "../platforms/libvirt/validate";
import { Checker, CLUSTER_NAME, keysOf, LvsDrArgsError, PUBLIC_KEY, USER } from "./checker";
import { validateHealthCheck, validateVrrp } from "./director-validation";
import { derivedFwmark } from "./names";
import { checkFamilies, type DefaultSsh, type PlatformValidation, reservedClash, type ValidatePlatform } from "./host-validation";
import { formatCidr, formatCidr6, isIpv6 } from "./ip";
import {
    type ClusterPlan, DEFAULTS, FORWARDING_METHODS, type Forwarding, type PlatformKind, type PlatformPlan, PROTOCOLS, type Protocol, SCHEDULERS, type Scheduler,
    type ServicePlan,
} from "./plan";

export { LvsDrArgsError } from "./checker";
export type { ArgsProblem } from "./checker";

/** Each platform's validator, by the args member that selects it. */
const PLATFORMS: { [K in PlatformKind]: ValidatePlatform<Extract<PlatformPlan, { kind: K }>> } = {
    hosts: validateHosts,
    libvirt: validateLibvirt,
    aws: validateAws,
};
const PLATFORM_KINDS = Object.keys(PLATFORMS) as PlatformKind[];

const CLUSTER_KEYS = keysOf<LvsDrClusterArgs>({
    vip: true, vip6: true, services: true, forwarding: true, ssh: true, vrrp: true, drainSeconds: true, hosts: true, libvirt: true, aws: true,
});
const SERVICE_KEYS = keysOf<LvsDrServiceArgs>({
    port: true, ports: true, fwmark: true, protocol: true, scheduler: true, persistenceSeconds: true, healthCheck: true, sorryServer: true,
});
const SSH_KEYS = keysOf<LvsDrSshArgs>({ user: true, privateKey: true, publicKey: true, port: true, sudo: true });

/**
 * @param clusterName the component's name; child resources, VMs and networks are named after it.
 */
export function validateClusterArgs(args: LvsDrClusterArgs, clusterName = "lvs"): ClusterPlan {
    const c = new Checker();
    const raw: unknown = args;
    if (!c.isObject("args", raw, "pass an object with vip, services, ssh and one platform (hosts, libvirt or aws)")) {
        throw new LvsDrArgsError(c.problems);
    }
    c.knownKeys("", raw, CLUSTER_KEYS);
    if (!CLUSTER_NAME.test(clusterName)) {
        c.add("name", clusterName, "(the LvsDrCluster's first argument) cannot name the cluster's resources, VMs, networks and tags",
            "name the cluster with 1-40 letters, digits, '_', '.' or '-', starting with a letter or digit");
    }
    const vip = c.hostAddress("vip", raw.vip, "192.168.77.100", [4, 6]);
    const vip6 = validateVip6(c, raw.vip6, vip);
    const forwarding: Forwarding = c.oneOf("forwarding", raw.forwarding, FORWARDING_METHODS, DEFAULTS.forwarding);
    const services = validateServices(c, raw.services, vip, vip6 !== undefined);
    const ssh = validateDefaultSsh(c, raw.ssh);
    const kind = choosePlatform(c, raw);

    const hosts: PlatformValidation<PlatformPlan> | undefined = kind && ssh
        ? PLATFORMS[kind](c, raw[kind], { ssh, vip, ...(vip6 ? { vip6 } : {}), cluster: clusterName }) : undefined;
    if (vip !== undefined && hosts) {
        const vips = vip6 ? [vip, vip6] : [vip];
        vips.forEach((v, i) => checkVip(c, i === 0 ? "vip" : "vip6", v, hosts));
        checkSorryServers(c, services, vips, hosts);
        if (kind && kind !== "aws" && (raw.vip6 === undefined || vip6 !== undefined)) {
            checkFamilies(c, [
                ...hosts.directors.map((host, i) => ({ field: `${kind}.${i === 0 ? "director" : "backupDirector"}`, host })),
                ...hosts.realServers.map((host, i) => ({ field: `${kind}.realServers[${i}]`, host })),
            ], vips, kind === "libvirt" ? "set libvirt.subnet6: every VM then gets an IPv6 address"
                : "give every host its IPv6 address on the subnet (address6), or serve IPv4 only");
        }
    }
    const pair = (hosts?.directors.length ?? 0) > 1;
    const vrrp = validateVrrp(c, raw.vrrp, vip, pair, kind === undefined ? "the platform's backupDirector" : `${kind}.backupDirector`);
    const drainSeconds = c.optionalInteger("drainSeconds", raw.drainSeconds, 0, 3600, DEFAULTS.drainSeconds,
        "give whole seconds to wait for a leaving server's connections, or 0 to delete it at once");
    const ok = c.finish({ vip, platform: hosts?.platform, drainSeconds });
    return {
        name: clusterName,
        vip: ok.vip,
        ...(vip6 ? { vip6 } : {}),
        forwarding,
        services,
        directors: hosts?.directors ?? [],
        ...(vrrp ? { vrrp } : {}),
        drainSeconds: ok.drainSeconds,
        realServers: hosts?.realServers ?? [],
        ...(hosts?.subnet ? { subnet: formatCidr(hosts.subnet) } : {}),
        ...(hosts?.subnet6 ? { subnet6: formatCidr6(hosts.subnet6) } : {}),
        platform: ok.platform,
    };
}

function choosePlatform(c: Checker, raw: Record<string, unknown>): PlatformKind | undefined {
    const chosen = PLATFORM_KINDS.filter((p) => raw[p] !== undefined);
    if (chosen.length !== 1) {
        c.add(chosen.length === 0 ? "hosts" : chosen.join(" + "), chosen.length === 0 ? undefined : "(several set)",
            `exactly one platform must be set, found ${chosen.length}`,
            "set exactly one of: hosts (existing machines), libvirt (VMs on a hypervisor), aws (EC2 instances)");
        return undefined;
    }
    return chosen[0];
}

function validateServices(c: Checker, value: unknown, vip: string | undefined, dualStack: boolean): ServicePlan[] {
    if (!Array.isArray(value) || value.length === 0) {
        c.add("services", value, "must be a non-empty list",
            'give at least one service, e.g. [{ port: 80 }] (protocol defaults to "tcp")');
        return [];
    }
    const services: ServicePlan[] = [];
    const seen = new Map<string, number>();
    const marks = new Map<number, number>();
    value.forEach((entry: unknown, i: number) => {
        const field = `services[${i}]`;
        if (!c.isObject(field, entry, "use { port, protocol?, scheduler?, persistenceSeconds? } or { ports: [80, 443], ... }")) {
            return;
        }
        c.knownKeys(field, entry, SERVICE_KEYS);
        const protocol: Protocol = c.oneOf(`${field}.protocol`, entry.protocol, PROTOCOLS, DEFAULTS.protocol);
        const ports = validatePorts(c, field, entry);
        const scheduler: Scheduler = c.oneOf(`${field}.scheduler`, entry.scheduler, SCHEDULERS, DEFAULTS.scheduler);
        const persistenceSeconds = c.optionalInteger(`${field}.persistenceSeconds`, entry.persistenceSeconds, 0, 2147483647, 0,
            "give whole seconds, or 0 / leave unset for no persistence") ?? 0;
        const healthCheck = validateHealthCheck(c, `${field}.healthCheck`, entry.healthCheck, protocol);
        const sorryServer = entry.sorryServer === undefined ? undefined
            : c.hostAddress(`${field}.sorryServer`, entry.sorryServer, "192.168.77.200", [4, 6]);
        if (entry.sorryServer !== undefined && entry.ports !== undefined) {
            c.add(`${field}.sorryServer`, entry.sorryServer, "is not offered for a firewall-mark service (ports)",
                "remove sorryServer, or split the ports into services of one port each");
        }
        const fwmark = entry.ports === undefined ? undefined : validateMark(c, field, entry.fwmark, vip, protocol, ports);
        if (entry.fwmark !== undefined && entry.ports === undefined) {
            c.add(`${field}.fwmark`, entry.fwmark, "is only for a firewall-mark service",
                "give the service's ports as ports: [80, 443], or remove fwmark");
        }
        if (ports === undefined || healthCheck === undefined || (entry.sorryServer !== undefined && sorryServer === undefined)
            || (entry.ports !== undefined && fwmark === undefined)) {
            return;
        }
        for (const port of ports) {
            const key = `${protocol}/${port}`;
            const first = seen.get(key);
            if (first !== undefined) {
                c.add(`${field}.${entry.ports === undefined ? "port" : "ports"}`, entry.ports ?? port, `duplicates services[${first}] (${key})`,
                    "list each protocol+port in one service only; use one service with a scheduler instead of two");
                return;
            }
        }
        ports.forEach((port) => seen.set(`${protocol}/${port}`, i));
        if (fwmark !== undefined) {
            const own = dualStack ? [fwmark, fwmark + 1] : [fwmark];
            const clash = own.find((m) => marks.has(m));
            if (clash !== undefined) {
                c.add(`${field}.fwmark`, entry.fwmark ?? `(derived ${fwmark})`, `uses mark ${clash}, which services[${marks.get(clash)}] uses${dualStack ? " (in dual stack each service takes fwmark and fwmark + 1)" : ""}`,
                    `give this service an fwmark of its own${dualStack ? ", at least 2 away from the other's" : ""}`);
                return;
            }
            own.forEach((m) => marks.set(m, i));
        }
        services.push({
            protocol, port: ports[0], scheduler, persistenceSeconds, healthCheck,
            ...(fwmark !== undefined ? { fwmark: { ports, mark: fwmark } } : {}),
            ...(sorryServer ? { sorryServer } : {}),
        });
    });
    return services;
}

/** `port`, or a firewall-mark service's `ports` (2-16 distinct): the service's ports, in the order given. */
function validatePorts(c: Checker, field: string, entry: Record<string, unknown>): number[] | undefined {
    const why = "use the port the real servers listen on (DR cannot map ports)";
    if (entry.ports === undefined) {
        const port = c.integer(`${field}.port`, entry.port, 1, 65535, why);
        return port === undefined ? undefined : [port];
    }
    if (entry.port !== undefined) {
        c.add(`${field}.port`, entry.port, "is set beside ports", "give port (one port) or ports (a firewall-mark service), not both");
        return undefined;
    }
    if (!Array.isArray(entry.ports) || entry.ports.length < 2 || entry.ports.length > 16) {
        c.add(`${field}.ports`, entry.ports, "must be a list of 2-16 ports", "list the ports balanced together, e.g. [80, 443]; one port is a port service");
        return undefined;
    }
    const ports: number[] = [];
    (entry.ports as unknown[]).forEach((p, j) => {
        const port = c.integer(`${field}.ports[${j}]`, p, 1, 65535, why);
        if (port !== undefined && ports.includes(port)) {
            c.add(`${field}.ports[${j}]`, p, "is listed twice", "list each port once");
        } else if (port !== undefined) {
            ports.push(port);
        }
    });
    return ports.length === entry.ports.length ? ports : undefined;
}

/** A firewall-mark service's mark: given, or derived from the VIP, the protocol and the ports. */
function validateMark(c: Checker, field: string, value: unknown, vip: string | undefined, protocol: Protocol,
    ports: number[] | undefined): number | undefined {
    if (value !== undefined) {
        return c.integer(`${field}.fwmark`, value, 1, 0xfffffffe, "give a firewall mark not used on the directors, or leave it unset to derive one");
    }
    return vip === undefined || ports === undefined ? undefined : derivedFwmark(vip, protocol, ports);
}

function validateDefaultSsh(c: Checker, value: unknown): DefaultSsh | undefined {
    if (!c.isObject("ssh", value, "give ssh: { user, privateKey } (privateKey as a secret)")) {
        return undefined;
    }
    c.knownKeys("ssh", value, SSH_KEYS);
    const user = c.matches("ssh.user", value.user, USER, "a valid login name",
        "use a login name such as root or debian (letters, digits, ._-)");
    const privateKey = c.secretInput("ssh.privateKey", value.privateKey,
        "pass the key text, e.g. config.requireSecret(\"sshPrivateKey\")");
    const publicKey = value.publicKey === undefined ? undefined
        : c.matches("ssh.publicKey", value.publicKey, PUBLIC_KEY, "an OpenSSH public key",
            "paste one line of a .pub file: '<type> <base64> [comment]'");
    const port = c.optionalInteger("ssh.port", value.port, 1, 65535, DEFAULTS.sshPort, "use the SSH port, usually 22");
    if (value.sudo !== undefined && typeof value.sudo !== "boolean") {
        c.add("ssh.sudo", value.sudo, "must be a boolean", "use true or false (default: true unless user is root)");
    }
    if (user === undefined || port === undefined || privateKey === undefined || (value.publicKey !== undefined && publicKey === undefined)) {
        return undefined;
    }
    return { user, port, privateKey, sudo: value.sudo as boolean | undefined, ...(publicKey ? { publicKey } : {}) };
}

/** Dual stack's IPv6 VIP: only beside an IPv4 `vip`. */
function validateVip6(c: Checker, value: unknown, vip: string | undefined): string | undefined {
    if (value === undefined) {
        return undefined;
    }
    const vip6 = c.hostAddress("vip6", value, "fd77::100", [6]);
    if (vip6 !== undefined && vip !== undefined && isIpv6(vip)) {
        c.add("vip6", value, `is a second IPv6 VIP: vip ${vip} is IPv6 already`,
            "for dual stack give vip as the IPv4 VIP and vip6 as the IPv6 one; for IPv6 only, remove vip6");
        return undefined;
    }
    return vip6;
}

/** A sorry server is somebody else: not a VIP, no host of the cluster; it serves the VIP of its family. */
function checkSorryServers(c: Checker, services: ServicePlan[], vips: string[], hosts: PlatformValidation<PlatformPlan>): void {
    services.forEach((svc, i) => {
        const sorry = svc.sorryServer;
        if (sorry === undefined) {
            return;
        }
        const hostAddresses = [...hosts.directors, ...hosts.realServers].flatMap((h) => [h.address, ...(h.address6 ? [h.address6] : [])]);
        if (vips.includes(sorry) || hostAddresses.includes(sorry)) {
            c.add(`services[${i}].sorryServer`, sorry, vips.includes(sorry) ? "is a VIP" : "is a host of this cluster",
                "give the address of a server outside the cluster that serves the same port");
        } else if (!vips.some((v) => isIpv6(v) === isIpv6(sorry))) {
            c.add(`services[${i}].sorryServer`, sorry, `is IPv${isIpv6(sorry) ? 6 : 4} and no VIP is`,
                "give a sorry server of the VIP's family: the director forwards to it as to a real server");
        }
    });
}

function checkVip(c: Checker, field: "vip" | "vip6", vip: string, hosts: PlatformValidation<PlatformPlan>): void {
    const clash = [
        ...hosts.directors.map((d) => ({ what: "the director's address", host: d })),
        ...hosts.realServers.map((rs) => ({ what: `real server ${rs.name}'s address`, host: rs })),
    ].find((h) => h.host.address === vip || h.host.address6 === vip);
    if (clash) {
        c.add(field, vip, `equals ${clash.what}`,
            "pick an unused address for the VIP: it is shared by every host and must not be any host's own address");
    }
    const reserved = reservedClash(vip, hosts.reserved);
    if (reserved) {
        c.add(field, vip, `is ${reserved}`, "pick a free address in the subnet");
    }
    if (hosts.subnet && !isIpv6(vip)) {
        c.inSubnet(field, vip, hosts.subnet, hosts.subnetField,
            `DR needs the VIP on the hosts' L2 subnet: pick a free address inside ${hosts.subnetField}`);
    }
    if (hosts.subnet6 && isIpv6(vip)) {
        const where = hosts.subnet6Field ?? hosts.subnetField;
        c.inSubnet6(field, vip, hosts.subnet6, where, `DR needs the VIP on the hosts' L2 subnet: pick a free address inside ${where}`);
    }
}
