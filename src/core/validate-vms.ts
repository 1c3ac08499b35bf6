/** Validation of the platforms that create VMs: libvirt and AWS. */
import { awsReserved, firstHost, planAddresses } from "./addresses";
import {
    ABSOLUTE_PATH, AMI_ID, AWS_INSTANCE_TYPE, AWS_ZONE, Checker, INTERFACE, KERNEL_CMDLINE, LIBVIRT_NAME, LIBVIRT_URI, SUBNET_ID,
} from "./checker";
import { cidrContains, formatCidr, Ipv4Cidr, parseIpv4 } from "./ip";
import { bridgeName } from "./names";
import { AwsPlan, DEFAULTS, DOMAIN_TYPES, LibvirtPlan, RealServerPlan } from "./plan";
import {
    checkAddresses, DefaultSsh, defaultHostSsh, PlatformHostsPlan, realServerIdentity,
} from "./validate-hosts";

const VM_KEYS = ["address", "weight", "name"];

/**
 * The director and real-server VMs: explicit addresses checked, the others planned from the
 * subnet, skipping `reserved` and the VIP.
 */
function validateVms(
    c: Checker, base: string, value: Record<string, unknown>, ssh: DefaultSsh, vip: string | undefined,
    subnet: Ipv4Cidr | undefined, reserved: { address: string; what: string }[], iface: string | undefined, interfaceFix: string,
): PlatformHostsPlan {
    const directorArgs = value.director === undefined ? {} : value.director;
    const entries: { field: string; args: Record<string, unknown> }[] = [];
    if (c.isObject(`${base}.director`, directorArgs, "give the director as { address? }")) {
        c.knownKeys(`${base}.director`, directorArgs, ["address"]);
        entries.push({ field: `${base}.director`, args: directorArgs });
    }
    const names = new Map<string, number>();
    const identities: ({ name: string; weight: number } | undefined)[] = [];
    if (!Array.isArray(value.realServers) || value.realServers.length === 0) {
        c.add(`${base}.realServers`, value.realServers, "must be a non-empty list",
            "list at least one real server, e.g. [{}, {}] for two with planned addresses");
    } else {
        value.realServers.forEach((entry: unknown, i: number) => {
            const field = `${base}.realServers[${i}]`;
            if (c.isObject(field, entry, "give each real server as { name?, weight?, address? }")) {
                c.knownKeys(field, entry, VM_KEYS);
                entries.push({ field, args: entry });
                identities.push(realServerIdentity(c, field, entry, i, names, `${base}.realServers`));
            }
        });
    }
    const explicit = entries.map((e) => e.args.address === undefined ? undefined
        : c.hostAddress(`${e.field}.address`, e.args.address, "192.168.77.10"));
    checkAddresses(c, entries.flatMap((e, i) => explicit[i] ? [{ field: `${e.field}.address`, address: explicit[i]! }] : []),
        subnet, reserved, `${base}.subnet`, vip);
    if (!subnet || iface === undefined || c.problems.length > 0) {
        return { realServers: [], subnet, reserved };
    }
    const taken = [...reserved.map((r) => r.address), ...(vip ? [vip] : [])];
    const addresses = planAddresses(subnet, explicit, taken, DEFAULTS.firstHostOffset);
    if (addresses.some((a) => a === undefined)) {
        c.add(`${base}.subnet`, formatCidr(subnet), `has no room for ${entries.length} hosts after the reserved addresses`,
            "use a larger subnet or give addresses explicitly");
        return { realServers: [], subnet, reserved };
    }
    const host = (address: string) => ({ address, interface: iface, interfaceFix, ssh: defaultHostSsh(ssh, address) });
    const realServers: RealServerPlan[] = identities.map((id, i) => ({ ...host(addresses[i + 1]!), ...id! }));
    return { director: host(addresses[0]!), realServers, subnet, reserved };
}

function requirePublicKey(c: Checker, ssh: DefaultSsh, platform: string): void {
    if (ssh.publicKey === undefined) {
        c.add("ssh.publicKey", undefined, `is required with the ${platform} platform`,
            "give the public half of ssh.privateKey, e.g. the content of ~/.ssh/id_ed25519.pub");
    }
}

export function validateLibvirt(
    c: Checker, value: unknown, ssh: DefaultSsh, vip: string | undefined, clusterName: string,
): PlatformHostsPlan & { libvirt?: LibvirtPlan } {
    if (!c.isObject("libvirt", value, "give libvirt: { subnet, baseImage, realServers: [...] }")) {
        return { realServers: [], reserved: [] };
    }
    c.knownKeys("libvirt", value, ["uri", "subnet", "network", "bridge", "gateway", "pool", "baseImage", "diskGiB",
        "domainType", "memoryMiB", "vcpus", "kernel", "initrd", "cmdline", "director", "realServers"]);
    requirePublicKey(c, ssh, "libvirt");
    const start = c.problems.length;
    const uri = value.uri === undefined ? DEFAULTS.libvirtUri
        : c.matches("libvirt.uri", value.uri, LIBVIRT_URI, "a libvirt URI", "use e.g. qemu:///system or qemu+ssh://user@host/system");
    const subnet = c.subnet("libvirt.subnet", value.subnet, "192.168.77.0/24", 8, 30,
        "it becomes the VMs' L2 network (and the created network's netmask)");
    if (value.network !== undefined && value.bridge !== undefined) {
        c.add("libvirt.bridge", value.bridge, "cannot be combined with libvirt.network",
            "set one of network (a libvirt network) or bridge (a host bridge), or neither to create a network");
    }
    const network = value.network === undefined ? undefined
        : c.matches("libvirt.network", value.network, LIBVIRT_NAME, "a libvirt network name", "use the name shown by virsh net-list");
    const bridge = value.bridge === undefined ? undefined
        : c.matches("libvirt.bridge", value.bridge, INTERFACE, "a bridge name", "use the name shown by ip link");
    const creating = value.network === undefined && value.bridge === undefined;
    const hostAddress = creating && subnet ? firstHost(subnet) : undefined;
    const gateway = value.gateway === undefined ? hostAddress
        : c.hostAddress("libvirt.gateway", value.gateway, "192.168.77.1");
    if (gateway && subnet && value.gateway !== undefined) {
        c.inSubnet("libvirt.gateway", gateway, subnet, "libvirt.subnet", "use the router's address on libvirt.subnet");
    }
    const pool = value.pool === undefined ? DEFAULTS.libvirtPool
        : c.matches("libvirt.pool", value.pool, LIBVIRT_NAME, "a storage pool name", "use the name shown by virsh pool-list");
    const baseImage = typeof value.baseImage === "string" && (ABSOLUTE_PATH.test(value.baseImage) || LIBVIRT_NAME.test(value.baseImage))
        ? value.baseImage : undefined;
    if (baseImage === undefined) {
        c.add("libvirt.baseImage", value.baseImage, "is not an absolute path or a volume name",
            "give the base qcow2 image as /path/on/the/hypervisor.qcow2 or as the name of a volume in libvirt.pool");
    }
    const diskGiB = c.optionalInteger("libvirt.diskGiB", value.diskGiB, 1, 65536, DEFAULTS.diskGiB, "give whole GiB, at least the base image's size");
    const domainType = c.oneOf("libvirt.domainType", value.domainType, DOMAIN_TYPES, DEFAULTS.domainType);
    const memoryMiB = c.optionalInteger("libvirt.memoryMiB", value.memoryMiB, 128, 1048576, DEFAULTS.memoryMiB, "give MiB, e.g. 512");
    const vcpus = c.optionalInteger("libvirt.vcpus", value.vcpus, 1, 64, DEFAULTS.vcpus, "give a CPU count, e.g. 1");
    const path = (key: string) => value[key] === undefined ? undefined
        : c.matches(`libvirt.${key}`, value[key], ABSOLUTE_PATH, "an absolute path", "give the file's absolute path on the hypervisor");
    const kernel = path("kernel");
    const initrd = path("initrd");
    if (value.kernel === undefined && (value.initrd !== undefined || value.cmdline !== undefined)) {
        c.add(value.initrd !== undefined ? "libvirt.initrd" : "libvirt.cmdline", value.initrd ?? value.cmdline,
            "only applies to direct kernel boot", "set libvirt.kernel too, or remove it");
    }
    const cmdline = value.kernel === undefined ? undefined : value.cmdline === undefined ? DEFAULTS.cmdline
        : c.matches("libvirt.cmdline", value.cmdline, KERNEL_CMDLINE, "a plain kernel command line",
            "use letters, digits, spaces and _.,:=/+-");

    const reserved = [
        ...(hostAddress ? [{ address: hostAddress, what: "the created network's host-side address" }] : []),
        ...(gateway && gateway !== hostAddress ? [{ address: gateway, what: "the gateway (libvirt.gateway)" }] : []),
    ];
    const hosts = validateVms(c, "libvirt", value, ssh, vip, subnet, reserved, DEFAULTS.interface,
        "the NIC of a libvirt VM is named eth0 by cloud-init from the seed (network-config): use a libvirt.baseImage whose cloud-init (NoCloud) applies it");
    if (c.problems.length > start || !subnet || !uri || !pool || !baseImage || diskGiB === undefined
        || memoryMiB === undefined || vcpus === undefined || !hosts.director) {
        return hosts;
    }
    const netName = `${clusterName}-net`;
    return {
        ...hosts,
        libvirt: {
            uri, pool, baseImage, diskGiB, domainType, memoryMiB, vcpus, gateway,
            prefixLength: subnet.prefixLength,
            ...(creating ? { createNetwork: { name: netName, bridge: bridgeName(netName), hostAddress: hostAddress!, prefixLength: subnet.prefixLength } } : {}),
            ...(network ? { network } : {}),
            ...(bridge ? { bridge } : {}),
            ...(kernel ? { kernel, cmdline } : {}),
            ...(initrd ? { initrd } : {}),
            directorDomain: `${clusterName}-director`,
            realServerDomains: hosts.realServers.map((rs) => `${clusterName}-rs-${rs.name}`),
        },
    };
}

export function validateAws(
    c: Checker, value: unknown, ssh: DefaultSsh, vip: string | undefined,
): PlatformHostsPlan & { aws?: AwsPlan } {
    if (!c.isObject("aws", value, "give aws: { adminCidrs, realServers: [...] }")) {
        return { realServers: [], reserved: [] };
    }
    c.knownKeys("aws", value, ["subnetId", "subnetCidr", "vpcCidr", "availabilityZone", "adminCidrs", "allowedCidrs", "ami",
        "directorInstanceType", "realServerInstanceType", "interface", "sshViaPrivateIp", "director", "realServers"]);
    requirePublicKey(c, ssh, "aws");
    const start = c.problems.length;
    const existing = value.subnetId !== undefined;
    // An Output or a promise (a subnet made by the same program) is checked by AWS; a literal here.
    if (existing && !isEventual(value.subnetId)) {
        c.matches("aws.subnetId", value.subnetId, SUBNET_ID, "a subnet ID (or an Output of one)",
            "use an ID such as subnet-0123456789abcdef0, or the id Output of a subnet made in the same program");
    }
    if (existing && value.subnetCidr === undefined) {
        c.add("aws.subnetCidr", undefined, "is required with aws.subnetId", "give the CIDR of that subnet, e.g. 10.0.1.0/24");
    }
    for (const key of ["vpcCidr", "availabilityZone"]) {
        if (existing && value[key] !== undefined) {
            c.add(`aws.${key}`, value[key], "only applies when the platform creates the VPC", "remove it, or remove aws.subnetId");
        }
    }
    const subnet = existing && value.subnetCidr === undefined ? undefined
        : c.subnet("aws.subnetCidr", value.subnetCidr ?? DEFAULTS.awsSubnetCidr, "10.77.1.0/24", 16, 28, "AWS subnets are /16 to /28");
    const vpc = existing ? undefined
        : c.subnet("aws.vpcCidr", value.vpcCidr ?? DEFAULTS.awsVpcCidr, "10.77.0.0/16", 16, 28, "AWS VPCs are /16 to /28");
    if (vpc && subnet && (subnet.prefixLength < vpc.prefixLength || !cidrContains(vpc, subnet.network))) {
        c.add("aws.subnetCidr", formatCidr(subnet), `is not inside aws.vpcCidr ${formatCidr(vpc)}`, "pick a subnet inside the VPC");
    }
    const availabilityZone = value.availabilityZone === undefined ? undefined
        : c.matches("aws.availabilityZone", value.availabilityZone, AWS_ZONE, "an availability zone", "use e.g. eu-west-1a");
    const adminCidrs = c.cidrList("aws.adminCidrs", value.adminCidrs, true,
        "list the CIDRs allowed to SSH in, e.g. [\"203.0.113.7/32\"]; there is deliberately no open default");
    const allowedCidrs = c.cidrList("aws.allowedCidrs", value.allowedCidrs, false, "list CIDRs, e.g. [\"0.0.0.0/0\"]")
        ?? DEFAULTS.allowedCidrs;
    const ami = value.ami === undefined ? undefined
        : c.matches("aws.ami", value.ami, AMI_ID, "an AMI ID", "use an ID such as ami-0123456789abcdef0");
    const type = (key: string) => value[key] === undefined ? DEFAULTS.awsInstanceType
        : c.matches(`aws.${key}`, value[key], AWS_INSTANCE_TYPE, "an instance type", "use e.g. t3.small");
    const directorInstanceType = type("directorInstanceType");
    const realServerInstanceType = type("realServerInstanceType");
    const iface = value.interface === undefined ? DEFAULTS.awsInterface : c.interfaceName("aws.interface", value.interface);
    const sshViaPrivateIp = c.boolean("aws.sshViaPrivateIp", value.sshViaPrivateIp, false);

    const reserved = subnet ? awsReserved(subnet).map((address) => ({ address, what: "reserved by AWS in every subnet" })) : [];
    const hosts = validateVms(c, "aws", value, ssh, vip, subnet, reserved, iface,
        "set aws.interface to the instances' subnet-facing NIC (ens5 for Debian on Nitro instances)");
    if (c.problems.length > start || !subnet || !adminCidrs || !directorInstanceType || !realServerInstanceType || !hosts.director) {
        return hosts;
    }
    return {
        ...hosts,
        aws: {
            subnetCidr: formatCidr(subnet),
            existingSubnet: existing,
            ...(existing ? {} : { vpcCidr: formatCidr(vpc!) }),
            ...(availabilityZone ? { availabilityZone } : {}),
            adminCidrs, allowedCidrs,
            ...(ami ? { ami } : {}),
            directorInstanceType, realServerInstanceType, sshViaPrivateIp,
        },
    };
}

/** A value that is not there yet: a Pulumi Output or a promise (`pulumi.Input` allows both). */
function isEventual(value: unknown): boolean {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
        return false;
    }
    const v = value as Record<string, unknown>;
    // Output.isInstance without importing Pulumi into the pure core: the SDK marks every Output so.
    return v.__pulumiOutput === true || typeof v.then === "function";
}

/** Whose reserved address the VIP sits on, if any (for the VIP's own message). */
export function reservedClash(vip: string, reserved: { address: string; what: string }[]): string | undefined {
    return parseIpv4(vip) === undefined ? undefined : reserved.find((r) => r.address === vip)?.what;
}
