/**
 * A director and two web servers as VMs on the local hypervisor, on an isolated network
 * 192.168.77.0/24 that this program creates (the hypervisor is 192.168.77.1 on it).
 *
 * Prerequisites on this machine: libvirtd, virsh (libvirt-clients), genisoimage, and a Debian 12
 * cloud image (qcow2, with cloud-init) in a storage pool or at a path libvirt can read.
 *
 *   pulumi config set baseImage /var/lib/libvirt/images/debian-12-genericcloud-amd64.qcow2
 *   pulumi config set sshPublicKey "$(cat ~/.ssh/id_ed25519.pub)"
 *   pulumi config set --secret sshPrivateKey -- "$(cat ~/.ssh/id_ed25519)"
 *   pulumi config set domainType qemu      # only where KVM is unavailable
 *   pulumi up
 *
 * The VMs need a web server answering on port 80 for the VIP to serve anything: bake one into
 * the base image, or install it afterwards.
 */
import * as pulumi from "@pulumi/pulumi";
import { LvsDrCluster } from "lvs-dr";

const config = new pulumi.Config();

const lab = new LvsDrCluster("lab", {
    vip: "192.168.77.100",
    services: [{ port: 80, scheduler: "rr" }],
    ssh: {
        user: "root",
        privateKey: config.requireSecret("sshPrivateKey"),
        publicKey: config.require("sshPublicKey"),
    },
    libvirt: {
        uri: config.get("libvirtUri") ?? "qemu:///system",
        subnet: "192.168.77.0/24",
        pool: config.get("pool") ?? "default",
        baseImage: config.require("baseImage"),
        domainType: config.get("domainType") ?? "kvm",
        memoryMiB: 512,
        realServers: [{ name: "web-a" }, { name: "web-b" }],
    },
});

export const vip = lab.vip;
export const network = lab.libvirtNetworkName;
export const domains = lab.libvirtDomainNames;
export const ipvsTable = lab.ipvsTable;
