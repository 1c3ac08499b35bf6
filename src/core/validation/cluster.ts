/**
 * Validation of the cluster-wide arguments that no platform owns: the VIPs, the default SSH
 * settings, the VIPs and sorry servers against the hosts a platform yields, and the size of the
 * director's table. Pure: no Pulumi, no I/O.
 */
import type { LvsDrSshArgs } from "../../args";
import { type Ipv4Cidr, type Ipv6Cidr, isIpv6 } from "../ip";
import { type ClusterPlan, DEFAULTS, type Forwarding, type HostPlan, type RealServerPlan, type ServicePlan } from "../plan";
import { TABLE_LIMIT, tableBytes } from "../scripts/director/ipvs-table";
import { type Checker, KEY_WITH_OPTIONS, keysOf, PUBLIC_KEY, USER } from "./checker";
import { type DefaultSsh, type Reserved, reservedClash } from "./hosts";

const SSH_KEYS = keysOf<LvsDrSshArgs>({ user: true, privateKey: true, publicKey: true, authorizedKeys: true, port: true, sudo: true });

/** How many `ssh.authorizedKeys` a cluster may give: operators' keys and a rotation's next one, not a directory. */
export const MAX_AUTHORIZED_KEYS = 64;

/** What the VIPs and sorry servers are checked against: the hosts a platform yields, and its subnet. */
export interface HostsView {
    directors: HostPlan[];
    realServers: RealServerPlan[];
    subnet?: Ipv4Cidr;
    /** The argument that holds the subnet, for messages. */
    subnetField: string;
    subnet6?: Ipv6Cidr;
    /** The argument that holds the IPv6 subnet, for messages. */
    subnet6Field?: string;
    /** Addresses of the subnet that neither the VIP nor a host may take. */
    reserved: Reserved[];
    /** The directors came from a `directors` list (active-active): the field that holds it. */
    directorList?: string;
}

export function validateDefaultSsh(c: Checker, value: unknown): DefaultSsh | undefined {
    if (!c.isObject("ssh", value, "give ssh: { user, privateKey } (privateKey as a secret)")) {
        return undefined;
    }
    c.knownKeys("ssh", value, SSH_KEYS);
    const user = c.matches("ssh.user", value.user, USER, "a valid login name",
        "use a login name such as root or debian (letters, digits, ._-)");
    const privateKey = c.secretInput("ssh.privateKey", value.privateKey,
        "pass the key text, e.g. config.requireSecret(\"sshPrivateKey\")");
    const publicKey = value.publicKey === undefined ? undefined : publicKeyOf(c, "ssh.publicKey", value.publicKey);
    const authorizedKeys = value.authorizedKeys === undefined ? undefined : authorizedKeysOf(c, value.authorizedKeys);
    const port = c.optionalInteger("ssh.port", value.port, 1, 65535, DEFAULTS.sshPort, "use the SSH port, usually 22");
    if (value.sudo !== undefined && typeof value.sudo !== "boolean") {
        c.add("ssh.sudo", value.sudo, "must be a boolean", "use true or false (default: true unless user is root)");
    }
    if (user === undefined || port === undefined || privateKey === undefined || (value.publicKey !== undefined && publicKey === undefined)
        || (value.authorizedKeys !== undefined && authorizedKeys === undefined)) {
        return undefined;
    }
    return {
        user, port, privateKey, sudo: value.sudo as boolean | undefined, ...(publicKey ? { publicKey } : {}),
        ...(authorizedKeys ? { authorizedKeys } : {}),
    };
}

/**
 * One public key as lvs-dr writes it into a created machine's authorized_keys: one line of a `.pub`
 * file. A line break would add a line of the caller's choosing, and options (`command=`, `from=`)
 * would change what the key may do: both are refused, each with its own message.
 */
function publicKeyOf(c: Checker, field: string, value: unknown): string | undefined {
    if (typeof value === "string" && PUBLIC_KEY.test(value)) {
        return value;
    }
    const text = typeof value === "string" ? value : "";
    if (/[\r\n]/.test(text)) {
        c.add(field, value, "is not an OpenSSH public key: it holds a line break",
            "give one line of a .pub file ('<type> <base64> [comment]'), and each further key as its own entry of ssh.authorizedKeys");
    } else if (KEY_WITH_OPTIONS.test(text)) {
        c.add(field, value, "is not an OpenSSH public key: it has options before the key type",
            "remove everything before the key type, to give '<type> <base64> [comment]': lvs-dr writes keys without options");
    } else {
        c.add(field, value, "is not an OpenSSH public key", "paste one line of a .pub file: '<type> <base64> [comment]'");
    }
    return undefined;
}

/** `ssh.authorizedKeys`: a list of public keys, each checked like `ssh.publicKey`. */
function authorizedKeysOf(c: Checker, value: unknown): string[] | undefined {
    if (!Array.isArray(value)) {
        c.add("ssh.authorizedKeys", value, "must be a list of OpenSSH public keys",
            "give [\"ssh-ed25519 AAAA... comment\", ...], one line of a .pub file per key");
        return undefined;
    }
    if (value.length > MAX_AUTHORIZED_KEYS) {
        c.add("ssh.authorizedKeys", `(${value.length} keys)`, `holds more than ${MAX_AUTHORIZED_KEYS} keys`,
            "give the keys that must log in to the cluster's machines: the operators' and, during a rotation, the next one");
        return undefined;
    }
    const keys = value.map((key: unknown, i: number) => publicKeyOf(c, `ssh.authorizedKeys[${i}]`, key));
    return keys.every((k) => k !== undefined) ? keys : undefined;
}

/** Dual stack's IPv6 VIP: only beside an IPv4 `vip`. */
export function validateVip6(c: Checker, value: unknown, vip: string | undefined): string | undefined {
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
export function checkSorryServers(c: Checker, services: ServicePlan[], vips: string[], hosts: HostsView, forwarding: Forwarding): void {
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
        } else if (forwarding === "dr") {
            // DR rewrites only the destination MAC: the sorry server must be on the directors' segment.
            const fix = "give a sorry server on the hosts' L2 subnet (DR forwards only there; it needs the VIP on its loopback " +
                "and the ARP settings, as a real server), or use forwarding \"tun\"";
            if (hosts.subnet && !isIpv6(sorry)) {
                c.inSubnet(`services[${i}].sorryServer`, sorry, hosts.subnet, hosts.subnetField, fix);
            } else if (hosts.subnet6 && isIpv6(sorry)) {
                c.inSubnet6(`services[${i}].sorryServer`, sorry, hosts.subnet6, hosts.subnet6Field ?? hosts.subnetField, fix);
            }
        }
    });
}

/**
 * `routed`: the VIP is announced to routers (active-active directors), which reach it through the
 * directors by its /32: it need not be on the hosts' subnet, and usually is not.
 */
export function checkVip(c: Checker, field: "vip" | "vip6", vip: string, hosts: HostsView, routed = false): void {
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
    if (hosts.subnet && !isIpv6(vip) && !routed) {
        c.inSubnet(field, vip, hosts.subnet, hosts.subnetField,
            `DR needs the VIP on the hosts' L2 subnet: pick a free address inside ${hosts.subnetField}`);
    }
    if (hosts.subnet6 && isIpv6(vip) && !routed) {
        const where = hosts.subnet6Field ?? hosts.subnetField;
        c.inSubnet6(field, vip, hosts.subnet6, where, `DR needs the VIP on the hosts' L2 subnet: pick a free address inside ${where}`);
    }
}

/**
 * The director's table fits what its scripts can pass to a command (`TABLE_LIMIT`): refused here,
 * before any resource exists, rather than by the host's exec mid-update.
 */
export function checkTableFits(c: Checker, plan: ClusterPlan, field: string): void {
    const bytes = tableBytes(plan);
    if (bytes > TABLE_LIMIT) {
        c.add(field, `(${plan.realServers.length} real servers)`, `make a director's table for VIP ${plan.vip} of ` +
            `${plan.realServers.length} real servers x ${plan.services.length} services, ${bytes} bytes as ipvsadm lines: over what ` +
            `its scripts can pass to a command (${TABLE_LIMIT} bytes)`, "split the cluster (fewer real servers or services per VIP)");
    }
}
