/**
 * The embedded lab's VM settings: what the root program's default stack and the VM lab tests both
 * deploy on the lab's libvirt, so the two cannot drift apart.
 */
import * as path from "path";
import type { LvsDrLibvirtArgs, LvsDrVmArgs } from "../src/args";

/** The storage pool lab/libvirtd.sh creates (LVSDR_POOL overrides, as it does there). */
export const LAB_POOL = process.env.LVSDR_POOL ?? "lvsdr";

/** The files of a lab image built by lab/image.sh, in its directory. */
export interface LabImage {
    dir: string;
    disk: string;
    kernel: string;
    initrd: string;
}

export function labImageFiles(dir: string): LabImage {
    return { dir, disk: path.join(dir, "disk.qcow2"), kernel: path.join(dir, "vmlinuz"), initrd: path.join(dir, "initrd.img") };
}

/**
 * libvirt args for VMs of the lab image: software emulation (no usable /dev/kvm on the lab
 * machines) and direct kernel boot of the image's own kernel (its disk is a whole-disk ext4);
 * `subnet6` gives every VM an IPv6 address too.
 */
export function labLibvirtArgs(image: LabImage, subnet: string, realServers: LvsDrVmArgs[], pair = false, subnet6?: string): LvsDrLibvirtArgs {
    return {
        subnet,
        ...(subnet6 ? { subnet6 } : {}),
        pool: LAB_POOL,
        domainType: "qemu",
        memoryMiB: 384,
        diskGiB: 4,
        baseImage: image.disk,
        kernel: image.kernel,
        initrd: image.initrd,
        cmdline: "root=/dev/vda console=ttyS0 net.ifnames=0 rw",
        realServers,
        ...(pair ? { backupDirector: {} } : {}),
    };
}
