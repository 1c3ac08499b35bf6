/** The libvirt platform's part of the plan, and its defaults. */
import { DomainType } from "../../args";

export type { DomainType } from "../../args";
export const DOMAIN_TYPES = Object.values(DomainType);

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
    /** Installed for the SSH user on every VM at its first boot (cloud-init). */
    sshPublicKey: string;
    /** Every VM's user's whole authorized_keys, kept by its `-access` command: the public key, then ssh.authorizedKeys. */
    sshAuthorizedKeys: string[];
}

export const LIBVIRT_DEFAULTS = {
    uri: "qemu:///system",
    pool: "default",
    diskGiB: 8,
    domainType: DomainType.kvm as DomainType,
    memoryMiB: 512,
    vcpus: 1,
    cmdline: "root=/dev/vda1 console=ttyS0",
};
