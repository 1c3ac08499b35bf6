/** libvirt names of a cluster's objects. Changing one replaces the VMs and networks of every stack. */
import { fnv1a } from "../../core/names";

export const libvirtNames = {
    /** The VM of a host: `<cluster>-<role>`. */
    domain: (cluster: string, role: string): string => `${cluster}-${role}`,
    /** The isolated network the platform creates: `<cluster>-net`. */
    network: (cluster: string): string => `${cluster}-net`,
    /** A Linux bridge name (at most 15 characters) unique to a network. */
    bridge: (network: string): string => `lvsdr${fnv1a(network).toString(16).padStart(8, "0")}`,
    /** A VM's qcow2 overlay disk. */
    disk: (domain: string): string => `${domain}-disk.qcow2`,
    /** A VM's cloud-init NoCloud seed. */
    seed: (domain: string): string => `${domain}-seed.iso`,
    /** cloud-init's instance id: changes with the seed's content, so a changed seed applies on a new VM. */
    instanceId: (domain: string, seedContent: string): string => `${domain}-${fnv1a(seedContent).toString(16)}`,
    /** A locally administered MAC in QEMU's 52:54:00 range, derived from the VM's name. */
    mac: (domain: string): string => {
        const hash = fnv1a(domain);
        const bytes = [0x52, 0x54, 0x00, (hash >>> 16) & 0xff, (hash >>> 8) & 0xff, hash & 0xff];
        return bytes.map((b) => b.toString(16).padStart(2, "0")).join(":");
    },
};
