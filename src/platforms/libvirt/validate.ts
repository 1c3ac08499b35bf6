/** Validation of the libvirt platform. Pure: no Pulumi, no I/O. */
import type { LvsDrLibvirtArgs } from "../../args";
import { firstHost, firstHost6 } from "../../core/addresses";
import { ABSOLUTE_PATH, type Checker, INTERFACE, keysOf } from "../../core/validation/checker";
import { directorRole, realServerRole } from "../../core/names";
import { clusterAuthorizedKeys, requirePublicKey } from "../../core/validation/hosts";
import type { Ipv4Cidr, Ipv6Cidr } from "../../core/ip";
import { DEFAULTS } from "../../core/plan";
import { L2_SEGMENT, type PlatformValidation, type ValidatePlatform } from "../validation";
import { validateVms } from "../vm/validate-vms";
import { libvirtNames } from "./names";
import { KERNEL_CMDLINE, LIBVIRT_NAME, LIBVIRT_URI } from "./patterns";
import { DOMAIN_TYPES, LIBVIRT_DEFAULTS, type LibvirtNetworkPlan, type LibvirtPlatformPlan } from "./plan";

const KEYS = keysOf<LvsDrLibvirtArgs>({
    uri: true, subnet: true, subnet6: true, network: true, bridge: true, gateway: true, pool: true, baseImage: true, diskGiB: true,
    domainType: true, memoryMiB: true, vcpus: true, kernel: true, initrd: true, cmdline: true, director: true, backupDirector: true, directors: true,
    realServers: true,
});

export const validateLibvirt: ValidatePlatform<LibvirtPlatformPlan> = (c, value, ctx) => {
    const subnetField = "libvirt.subnet";
    if (!c.isObject("libvirt", value, "give libvirt: { subnet, baseImage, realServers: [...] }")) {
        return { directors: [], realServers: [], reserved: [], subnetField, network: L2_SEGMENT };
    }
    c.knownKeys("libvirt", value, KEYS);
    const start = c.problems.length;
    const sshPublicKey = requirePublicKey(c, ctx.ssh, "libvirt");
    const uri = value.uri === undefined ? LIBVIRT_DEFAULTS.uri : checkUri(c,
        c.matches("libvirt.uri", value.uri, LIBVIRT_URI, "a libvirt URI", "use e.g. qemu:///system or qemu+ssh://user@host/system"));
    const subnet = c.subnet(subnetField, value.subnet, "192.168.77.0/24", 8, 30,
        "it becomes the VMs' L2 network (and the created network's netmask)");
    const subnet6 = value.subnet6 === undefined ? undefined
        : c.subnet6("libvirt.subnet6", value.subnet6, "fd77::/64", "it becomes the VMs' IPv6 network");
    const network = validateNetwork(c, value, ctx.cluster, subnet, subnet6);
    const hostAddress = network?.kind === "create" ? network.hostAddress : undefined;
    const hostAddress6 = network?.kind === "create" ? network.ipv6?.hostAddress : undefined;
    const gateway = value.gateway === undefined ? hostAddress
        : c.hostAddress("libvirt.gateway", value.gateway, "192.168.77.1");
    if (gateway && subnet && value.gateway !== undefined) {
        c.inSubnet("libvirt.gateway", gateway, subnet, subnetField, "use the router's address on libvirt.subnet");
    }
    const pool = value.pool === undefined ? LIBVIRT_DEFAULTS.pool
        : c.matches("libvirt.pool", value.pool, LIBVIRT_NAME, "a storage pool name", "use the name shown by virsh pool-list");
    const baseImage = typeof value.baseImage === "string" && (ABSOLUTE_PATH.test(value.baseImage) || LIBVIRT_NAME.test(value.baseImage))
        ? value.baseImage : undefined;
    if (baseImage === undefined) {
        c.add("libvirt.baseImage", value.baseImage, "is not an absolute path or a volume name",
            "give the base qcow2 image as /path/on/the/hypervisor.qcow2 or as the name of a volume in libvirt.pool");
    }
    const diskGiB = c.optionalInteger("libvirt.diskGiB", value.diskGiB, 1, 65536, LIBVIRT_DEFAULTS.diskGiB, "give whole GiB, at least the base image's size");
    const domainType = c.oneOf("libvirt.domainType", value.domainType, DOMAIN_TYPES, LIBVIRT_DEFAULTS.domainType);
    const memoryMiB = c.optionalInteger("libvirt.memoryMiB", value.memoryMiB, 128, 1048576, LIBVIRT_DEFAULTS.memoryMiB, "give MiB, e.g. 512");
    const vcpus = c.optionalInteger("libvirt.vcpus", value.vcpus, 1, 64, LIBVIRT_DEFAULTS.vcpus, "give a CPU count, e.g. 1");
    const kernel = validateKernel(c, value);

    const reserved = [
        ...(hostAddress ? [{ address: hostAddress, what: "the created network's host-side address" }] : []),
        ...(gateway && gateway !== hostAddress ? [{ address: gateway, what: "the gateway (libvirt.gateway)" }] : []),
        ...(hostAddress6 ? [{ address: hostAddress6, what: "the created network's host-side IPv6 address" }] : []),
    ];
    const listed = value.directors !== undefined;
    const vms = validateVms(c, value, ctx, {
        base: "libvirt", subnet, ...(subnet6 ? { subnet6 } : {}), reserved, interface: DEFAULTS.interface,
        interfaceFix: "the NIC of a libvirt VM is named eth0 by cloud-init from the seed (network-config): " +
            "use a libvirt.baseImage whose cloud-init (NoCloud) applies it",
        ...(listed ? { directorList: true } : {}),
    });
    checkHostnames(c, ctx.cluster, vms);
    const result: PlatformValidation<LibvirtPlatformPlan> = {
        ...vms, subnet, subnetField, ...(subnet6 ? { subnet6, subnet6Field: "libvirt.subnet6" } : {}), reserved,
        network: L2_SEGMENT, familyFix: "set libvirt.subnet6: every VM then gets an IPv6 address",
        ...(listed ? { directorList: "libvirt.directors" } : {}),
    };
    if (c.problems.length > start) {
        return result;
    }
    const ok = c.present({ sshPublicKey, uri, subnet, network, pool, baseImage, diskGiB, memoryMiB, vcpus, kernel });
    return {
        ...result,
        platform: {
            kind: "libvirt", uri: ok.uri, network: ok.network, prefixLength: ok.subnet.prefixLength,
            ...(subnet6 ? { prefixLength6: subnet6.prefixLength } : {}),
            ...(gateway ? { gateway } : {}), pool: ok.pool, baseImage: ok.baseImage, diskGiB: ok.diskGiB, domainType,
            memoryMiB: ok.memoryMiB, vcpus: ok.vcpus, ...(ok.kernel.boot ? { kernel: ok.kernel.boot } : {}),
            sshPublicKey: ok.sshPublicKey, sshAuthorizedKeys: clusterAuthorizedKeys(ctx.ssh, ok.sshPublicKey),
        },
    };
};

/**
 * The URI's parameters the platform lets through: the ones that choose a key, an authentication or
 * a daemon mode. Refused: those that run a command or a socket of the caller's choosing on the
 * hypervisor's side (`command`, `netcat`, `socket`, `proxy`) or turn verification off (`no_verify`,
 * `known_hosts_verify` other than `normal`, `known_hosts`, `no_tty`).
 */
const URI_PARAMETERS = new Set(["keyfile", "sshauth", "mode", "pkipath", "tls_priority", "name"]);

/** A URI whose host or user cannot be taken for an option, with only the parameters above. */
function checkUri(c: Checker, uri: string | undefined): string | undefined {
    if (uri === undefined) {
        return undefined;
    }
    const authority = uri.slice(uri.indexOf("://") + 3).split("/")[0];
    const start = c.problems.length;
    if (authority.split("@").some((part) => part.startsWith("-"))) {
        c.add("libvirt.uri", uri, "has a host or user beginning with '-', which ssh would take for an option",
            "give the hypervisor's host name or address (and user) as they are");
    }
    const query = uri.includes("?") ? uri.slice(uri.indexOf("?") + 1) : "";
    for (const pair of query.split("&").filter((p) => p !== "")) {
        const [key, val = ""] = pair.split("=");
        if (!URI_PARAMETERS.has(key) && !(key === "known_hosts_verify" && val === "normal")) {
            c.add("libvirt.uri", uri, `has the parameter ${key}, which runs a command of its own or turns the host's verification off`,
                `remove ${key}; keyfile, sshauth, mode, pkipath and tls_priority are accepted`);
        }
    }
    return c.problems.length > start ? undefined : uri;
}

/** A VM's name is its hostname: a DNS label (letters, digits, '-'; at most 63 characters). */
const HOSTNAME = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/** Every VM's name, `<cluster>-<role>`, is a valid hostname. */
function checkHostnames(c: Checker, cluster: string, vms: { directors: { name?: string }[]; realServers: { name: string }[] }): void {
    const roles = [...vms.directors.map((d, i) => directorRole(i, d.name)), ...vms.realServers.map((rs) => realServerRole(rs.name))];
    const bad = roles.map((role) => libvirtNames.domain(cluster, role)).find((name) => !HOSTNAME.test(name));
    if (bad === undefined) {
        return;
    }
    c.add("name", cluster, bad.length > 63 ? `makes the VM hostname ${bad} (${bad.length} characters, at most 63)`
        : `makes the VM hostname ${bad}, which is not a hostname (letters, digits and '-' only)`,
    "name the cluster (the LvsDrCluster's first argument) with letters, digits and '-', short enough for its VMs' names (or shorten the real servers' or the directors' names)");
}

/** An isolated network to create (the default), an existing libvirt network, or a host bridge. */
function validateNetwork(
    c: Checker, value: Record<string, unknown>, cluster: string, subnet: Ipv4Cidr | undefined, subnet6: Ipv6Cidr | undefined,
): LibvirtNetworkPlan | undefined {
    if (value.network !== undefined && value.bridge !== undefined) {
        c.add("libvirt.bridge", value.bridge, "cannot be combined with libvirt.network",
            "set one of network (a libvirt network) or bridge (a host bridge), or neither to create a network");
        return undefined;
    }
    if (value.network !== undefined) {
        const name = c.matches("libvirt.network", value.network, LIBVIRT_NAME, "a libvirt network name", "use the name shown by virsh net-list");
        return name === undefined ? undefined : { kind: "network", name };
    }
    if (value.bridge !== undefined) {
        const name = c.matches("libvirt.bridge", value.bridge, INTERFACE, "a bridge name", "use the name shown by ip link");
        return name === undefined ? undefined : { kind: "bridge", name };
    }
    if (subnet === undefined) {
        return undefined;
    }
    const name = libvirtNames.network(cluster);
    return {
        kind: "create", name, bridge: libvirtNames.bridge(name), hostAddress: firstHost(subnet), prefixLength: subnet.prefixLength,
        ...(subnet6 ? { ipv6: { hostAddress: firstHost6(subnet6), prefixLength: subnet6.prefixLength } } : {}),
    };
}

type KernelBoot = NonNullable<LibvirtPlatformPlan["kernel"]>;

/** Direct kernel boot: the kernel, its initrd and command line (`boot` unset without a kernel). */
function validateKernel(c: Checker, value: Record<string, unknown>): { boot?: KernelBoot } | undefined {
    const path = (key: string) => value[key] === undefined ? undefined
        : c.matches(`libvirt.${key}`, value[key], ABSOLUTE_PATH, "an absolute path", "give the file's absolute path on the hypervisor");
    if (value.kernel === undefined) {
        if (value.initrd !== undefined || value.cmdline !== undefined) {
            c.add(value.initrd !== undefined ? "libvirt.initrd" : "libvirt.cmdline", value.initrd ?? value.cmdline,
                "only applies to direct kernel boot", "set libvirt.kernel too, or remove it");
            return undefined;
        }
        return {};
    }
    const kernel = path("kernel");
    const initrd = path("initrd");
    const cmdline = value.cmdline === undefined ? LIBVIRT_DEFAULTS.cmdline
        : c.matches("libvirt.cmdline", value.cmdline, KERNEL_CMDLINE, "a plain kernel command line",
            "use letters, digits, spaces and _.,:=/+-");
    if (kernel === undefined || cmdline === undefined || (value.initrd !== undefined && initrd === undefined)) {
        return undefined;
    }
    return { boot: { path: kernel, cmdline, ...(initrd ? { initrd } : {}) } };
}
