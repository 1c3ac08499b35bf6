/**
 * The validated, defaulted model of a cluster. Everything downstream (scripts, platforms, the
 * component) reads this and never the raw args, so each default is decided in exactly one place.
 */

export const SCHEDULERS = [
    "rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo", "ovf", "mh",
] as const;
export type Scheduler = (typeof SCHEDULERS)[number];

export const PROTOCOLS = ["tcp", "udp"] as const;
export type Protocol = (typeof PROTOCOLS)[number];

export const FORWARDING_METHODS = ["dr", "tun"] as const;
export type Forwarding = (typeof FORWARDING_METHODS)[number];

export interface ServicePlan {
    protocol: Protocol;
    port: number;
    scheduler: Scheduler;
    /** 0 = no persistence. */
    persistenceSeconds: number;
}

/** Connection settings with every default applied; the private key stays with the component. */
export interface SshPlan {
    host: string;
    user: string;
    port: number;
    sudo: boolean;
    hostKey?: string;
}

export interface HostPlan {
    /** Address on the load-balancing subnet. */
    address: string;
    /** Subnet-facing interface. */
    interface: string;
    /**
     * What the host scripts tell the user when `interface` is missing on the host: the argument
     * that set it on this platform (`hosts.realServers[1].interface`, `aws.interface`, ...).
     */
    interfaceFix: string;
    ssh: SshPlan;
}

export interface RealServerPlan extends HostPlan {
    /** Stable key used in resource names. */
    name: string;
    weight: number;
}

export const DOMAIN_TYPES = ["kvm", "qemu"] as const;
export type DomainType = (typeof DOMAIN_TYPES)[number];

/** Where the isolated network the libvirt platform creates puts its host side. */
export interface CreatedNetworkPlan {
    name: string;
    bridge: string;
    /** The hypervisor's address on the network (the subnet's first host address). */
    hostAddress: string;
    prefixLength: number;
}

export interface LibvirtPlan {
    uri: string;
    /** Set when the platform creates the network. */
    createNetwork?: CreatedNetworkPlan;
    /** Existing libvirt network to attach to. */
    network?: string;
    /** Existing host bridge to attach to. */
    bridge?: string;
    /** Prefix length of the subnet (for the VMs' static addresses). */
    prefixLength: number;
    gateway?: string;
    pool: string;
    baseImage: string;
    diskGiB: number;
    domainType: DomainType;
    memoryMiB: number;
    vcpus: number;
    kernel?: string;
    initrd?: string;
    cmdline?: string;
    /** libvirt names of the VMs: `<cluster>-director`, `<cluster>-rs-<name>`. */
    directorDomain: string;
    realServerDomains: string[];
}

export interface AwsPlan {
    /** The args name an existing subnet (`aws.subnetId`, possibly an Output the platform reads). */
    existingSubnet: boolean;
    subnetCidr: string;
    /** Set when the platform creates the VPC. */
    vpcCidr?: string;
    availabilityZone?: string;
    adminCidrs: string[];
    allowedCidrs: string[];
    ami?: string;
    directorInstanceType: string;
    realServerInstanceType: string;
    sshViaPrivateIp: boolean;
}

export type PlatformKind = "hosts" | "libvirt" | "aws";

export interface ClusterPlan {
    vip: string;
    forwarding: Forwarding;
    services: ServicePlan[];
    director: HostPlan;
    realServers: RealServerPlan[];
    /** CIDR of the subnet when known. */
    subnet?: string;
    platform: PlatformKind;
    /** Public key for the VMs a platform creates. */
    sshPublicKey?: string;
    libvirt?: LibvirtPlan;
    aws?: AwsPlan;
}

export const DEFAULTS = {
    forwarding: "dr" as Forwarding,
    protocol: "tcp" as Protocol,
    scheduler: "wlc" as Scheduler,
    interface: "eth0",
    weight: 1,
    sshPort: 22,
    libvirtUri: "qemu:///system",
    libvirtPool: "default",
    diskGiB: 8,
    domainType: "kvm" as DomainType,
    memoryMiB: 512,
    vcpus: 1,
    cmdline: "root=/dev/vda1 console=ttyS0",
    awsSubnetCidr: "10.77.1.0/24",
    awsVpcCidr: "10.77.0.0/16",
    awsInstanceType: "t3.small",
    awsInterface: "ens5",
    allowedCidrs: ["0.0.0.0/0"],
    /** Offset in the subnet of the first planned address (the director's). */
    firstHostOffset: 10,
};
