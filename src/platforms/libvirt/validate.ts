/** Validation of the libvirt platform. Pure: no Pulumi, no I/O. */
import type { LvsDrLibvirtArgs } from "../../args";
import { firstHost, firstHost6 } from "../../core/addresses";
import { ABSOLUTE_PATH, type Checker, INTERFACE, keysOf } from "../../core/validation/checker";
import { requirePublicKey } from "../../core/validation/hosts";
import type { Ipv4Cidr, Ipv6Cidr } from "../../core/ip";
import { DEFAULTS } from "../../core/plan";
import { L2_SEGMENT, type PlatformValidation, type ValidatePlatform } from "../validation";
import { validateVms } from "../vm/validate-vms";
import { libvirtNames } from "./names";
import { KERNEL_CMDLINE, LIBVIRT_NAME, LIBVIRT_URI } from "./patterns";
import { DOMAIN_TYPES, LIBVIRT_DEFAULTS, type LibvirtNetworkPlan, type LibvirtPlatformPlan } from "./plan";

const KEYS = keysOf<LvsDrLibvirtArgs>({
    uri: true, subnet: true, subnet6: true, network: true, bridge: true, gateway: true, pool: true, baseImage: true, diskGiB: true,
    domainType: true, memoryMiB: true, vcpus: true, kernel: true, initrd: true, cmdline: true, director: true, backupDirector: true, realServers: true,
});

export const validateLibvirt: ValidatePlatform<LibvirtPlatformPlan> = (c, value, ctx) => {
    const subnetField = "libvirt.subnet";
    if (!c.isObject("libvirt", value, "give libvirt: { subnet, baseImage, realServers: [...] }")) {
        return { directors: [], realServers: [], reserved: [], subnetField, network: L2_SEGMENT };
    }
    c.knownKeys("libvirt", value, KEYS);
    const start = c.problems.length;
    const sshPublicKey = requirePublicKey(c, ctx.ssh, "libvirt");
    const uri = value.uri === undefined ? LIBVIRT_DEFAULTS.uri
        : c.matches("libvirt.uri", value.uri, LIBVIRT_URI, "a libvirt URI", "use e.g. qemu:///system or qemu+ssh://user@host/system");
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
    const vms = validateVms(c, value, ctx, {
        base: "libvirt", subnet, ...(subnet6 ? { subnet6 } : {}), reserved, interface: DEFAULTS.interface,
        interfaceFix: "the NIC of a libvirt VM is named eth0 by cloud-init from the seed (network-config): " +
            "use a libvirt.baseImage whose cloud-init (NoCloud) applies it",
    });
    const result: PlatformValidation<LibvirtPlatformPlan> = {
        ...vms, subnet, subnetField, ...(subnet6 ? { subnet6, subnet6Field: "libvirt.subnet6" } : {}), reserved,
        network: L2_SEGMENT, familyFix: "set libvirt.subnet6: every VM then gets an IPv6 address",
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
            sshPublicKey: ok.sshPublicKey,
        },
    };
};

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
