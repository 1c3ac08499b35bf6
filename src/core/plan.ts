/**
 * The validated, defaulted model of a cluster: the contract between the layers. Everything
 * downstream (scripts, platforms, the component) reads this and never the raw args, so each default
 * is decided in exactly one place, and what a platform needs is in its own member of the union.
 */
import type { Input } from "@pulumi/pulumi";
import { DomainType, FailureAction, Forwarding, HealthCheckKind, Protocol, Scheduler } from "../args";
import { isIpv6 } from "./ip";

export { isIpv6 } from "./ip";

export type { DomainType, FailureAction, Forwarding, HealthCheckKind, Protocol, Scheduler } from "../args";

export const SCHEDULERS = Object.values(Scheduler);
export const PROTOCOLS = Object.values(Protocol);
export const FORWARDING_METHODS = Object.values(Forwarding);
export const DOMAIN_TYPES = Object.values(DomainType);
export const HEALTH_CHECK_KINDS = Object.values(HealthCheckKind);
export const FAILURE_ACTIONS = Object.values(FailureAction);

/** A health check with every default applied. */
export interface HealthCheckPlan {
    kind: HealthCheckKind;
    /** http/https only. */
    path: string;
    expectStatus: number;
    intervalSeconds: number;
    timeoutSeconds: number;
    retries: number;
    failureAction: FailureAction;
    /** `udp` checks only: the datagram (hexadecimal) and whether an answer is required. */
    udp?: { payload: string; requireReply: boolean };
}

/** A firewall-mark service's ports (in the order given) and the mark of the cluster's `vip`. */
export interface FwmarkPlan {
    ports: number[];
    mark: number;
}

export interface ServicePlan {
    protocol: Protocol;
    /** The port; for a firewall-mark service its first port (the one http/https checks ask). */
    port: number;
    /** Set for a firewall-mark service (`ports`). */
    fwmark?: FwmarkPlan;
    scheduler: Scheduler;
    /** 0 = no persistence. */
    persistenceSeconds: number;
    healthCheck: HealthCheckPlan;
    sorryServer?: string;
}

/** VRRP of a director pair. */
export interface VrrpPlan {
    virtualRouterId: number;
    advertIntervalSeconds: number;
}

/** Connection settings with every default applied. */
export interface SshPlan {
    host: string;
    user: string;
    port: number;
    sudo: boolean;
    hostKey?: string;
    /** A secret: the platforms wrap it with `pulumi.secret` before it reaches a resource. */
    privateKey: Input<string>;
}

export interface HostPlan {
    /** Address on the load-balancing subnet (IPv4, or IPv6 on an IPv6-only host); the SSH target's default. */
    address: string;
    /** The host's IPv6 address on the subnet when `address` is IPv4 and the cluster serves an IPv6 VIP. */
    address6?: string;
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

/** Machines that already exist: nothing to create. */
export interface HostsPlatformPlan {
    kind: "hosts";
}

/** The network the libvirt VMs are attached to. */
export type LibvirtNetworkPlan =
    /** An isolated network the platform creates: a bridge with the hypervisor's address on it. */
    | {
        kind: "create"; name: string; bridge: string; hostAddress: string; prefixLength: number;
        /** The hypervisor's side of the IPv6 subnet, when there is one. */
        ipv6?: { hostAddress: string; prefixLength: number };
    }
    /** An existing libvirt network. */
    | { kind: "network"; name: string }
    /** An existing host bridge. */
    | { kind: "bridge"; name: string };

export interface LibvirtPlatformPlan {
    kind: "libvirt";
    uri: string;
    network: LibvirtNetworkPlan;
    /** Prefix length of the subnet (for the VMs' static addresses). */
    prefixLength: number;
    /** Prefix length of the IPv6 subnet, when the VMs have IPv6 addresses. */
    prefixLength6?: number;
    gateway?: string;
    pool: string;
    baseImage: string;
    diskGiB: number;
    domainType: DomainType;
    memoryMiB: number;
    vcpus: number;
    /** Direct kernel boot, when set. */
    kernel?: { path: string; initrd?: string; cmdline: string };
    /** Installed for the SSH user on every VM. */
    sshPublicKey: string;
}

/** The subnet of the AWS instances: given (possibly as an Output), or created with its VPC. */
export type AwsNetworkPlan =
    | { kind: "existing"; subnetId: Input<string> }
    | { kind: "create"; vpcCidr: string; availabilityZone?: string };

export interface AwsPlatformPlan {
    kind: "aws";
    network: AwsNetworkPlan;
    subnetCidr: string;
    adminCidrs: string[];
    allowedCidrs: string[];
    /** Unset: the newest official Debian 12 AMI. */
    ami?: string;
    directorInstanceType: string;
    realServerInstanceType: string;
    sshViaPrivateIp: boolean;
    /** The instances' key pair. */
    sshPublicKey: string;
}

export type PlatformPlan = HostsPlatformPlan | LibvirtPlatformPlan | AwsPlatformPlan;
export type PlatformKind = PlatformPlan["kind"];

export interface ClusterPlan {
    /** The component's name: the prefix of every child's name. */
    name: string;
    /** The VIP (IPv4, or IPv6 in canonical form): it also keys the cluster's files and units on the hosts. */
    vip: string;
    /** Dual stack: the IPv6 VIP served beside an IPv4 `vip`, on the same hosts. */
    vip6?: string;
    forwarding: Forwarding;
    services: ServicePlan[];
    /** The directors: the director, then the backup director when there is one. */
    directors: HostPlan[];
    /** Set exactly when there are two directors. */
    vrrp?: VrrpPlan;
    /** 0 = removed real servers are deleted at once. */
    drainSeconds: number;
    realServers: RealServerPlan[];
    /** CIDR of the subnet when known. */
    subnet?: string;
    /** CIDR of the IPv6 subnet when known. */
    subnet6?: string;
    platform: PlatformPlan;
}

export const DEFAULTS = {
    forwarding: Forwarding.dr as Forwarding,
    protocol: Protocol.tcp as Protocol,
    scheduler: Scheduler.wlc as Scheduler,
    interface: "eth0",
    weight: 1,
    sshPort: 22,
    libvirtUri: "qemu:///system",
    libvirtPool: "default",
    diskGiB: 8,
    domainType: DomainType.kvm as DomainType,
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
    /** The backup director's planned address: just below the director's, whatever the real servers. */
    backupDirectorOffset: 9,
    drainSeconds: 60,
    advertIntervalSeconds: 1,
    healthCheck: {
        path: "/",
        expectStatus: 200,
        intervalSeconds: 1,
        timeoutSeconds: 1,
        retries: 2,
        failureAction: FailureAction.weight0 as FailureAction,
    },
};

/** The cluster's VIPs: `vip`, then `vip6` in dual stack. */
export function vipsOf(plan: Pick<ClusterPlan, "vip" | "vip6">): string[] {
    return plan.vip6 === undefined ? [plan.vip] : [plan.vip, plan.vip6];
}


/**
 * A host's address in the family of `vip`: where a director forwards that VIP's traffic, and what
 * a director pair speaks VRRP for it from. Validation guarantees every host has one.
 */
export function addressFor(host: HostPlan, vip: string): string {
    if (isIpv6(host.address) === isIpv6(vip)) {
        return host.address;
    }
    if (isIpv6(vip) && host.address6 !== undefined) {
        return host.address6;
    }
    throw new Error(`lvs-dr: host ${host.address} has no address in the family of VIP ${vip}`);
}

/** Each (VIP, service) pair of the cluster: every service on every VIP, `vip` first. */
export function virtualServices(plan: ClusterPlan): { vip: string; svc: ServicePlan }[] {
    return vipsOf(plan).flatMap((vip) => plan.services.map((svc) => ({ vip, svc })));
}

/** A sorry server serves the VIP of its own family. */
export function sorryServerFor(svc: ServicePlan, vip: string): string | undefined {
    return svc.sorryServer !== undefined && isIpv6(svc.sorryServer) === isIpv6(vip) ? svc.sorryServer : undefined;
}

/**
 * The firewall mark of a `ports` service on `vip`: its mark on the cluster's `vip`, the next one on
 * the IPv6 VIP of a dual-stack cluster (IPVS keeps a mark's services per family; a mark of its own
 * keeps the director's table readers from having to tell the two apart).
 */
export function markOf(plan: Pick<ClusterPlan, "vip6">, svc: ServicePlan, vip: string): number | undefined {
    if (svc.fwmark === undefined) {
        return undefined;
    }
    return svc.fwmark.mark + (plan.vip6 !== undefined && vip === plan.vip6 ? 1 : 0);
}

/** The port of a service's real servers in the table: 0 for a firewall-mark service (every port). */
export function realServerPort(svc: ServicePlan): number {
    return svc.fwmark === undefined ? svc.port : 0;
}

/** Every firewall mark the cluster uses, ascending. */
export function marksOf(plan: ClusterPlan): number[] {
    return virtualServices(plan).flatMap(({ vip, svc }) => {
        const mark = markOf(plan, svc, vip);
        return mark === undefined ? [] : [mark];
    }).sort((a, b) => a - b);
}
