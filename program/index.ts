/**
 * The root project's program: an LVS-DR cluster whose platform and settings come from stack
 * config. Exactly one of the objects `hosts`, `libvirt` or `aws` must be set (same shape as the
 * component's args), e.g. for machines that already exist:
 *
 *   pulumi config set vip 192.168.77.100
 *   pulumi config set sshUser root
 *   pulumi config set --secret sshPrivateKey -- "$(cat ~/.ssh/id_ed25519)"
 *   pulumi config set --path 'hosts.director.address' 192.168.77.10
 *   pulumi config set --path 'hosts.realServers[0].address' 192.168.77.11
 *   pulumi config set --path 'hosts.realServers[1].address' 192.168.77.12
 *
 * or for VMs on libvirt:
 *
 *   pulumi config set sshPublicKey "$(cat ~/.ssh/id_ed25519.pub)"
 *   pulumi config set --path 'libvirt.subnet' 192.168.77.0/24
 *   pulumi config set --path 'libvirt.baseImage' /var/lib/libvirt/images/debian-12.qcow2
 *   pulumi config set --path 'libvirt.realServers[0].name' web-a
 *
 * Optional: services (default one TCP service on 80), forwarding (dr|tun), sshPort.
 */
import * as pulumi from "@pulumi/pulumi";
import {
    LvsDrAwsArgs, LvsDrCluster, LvsDrExistingHostsArgs, LvsDrLibvirtArgs, LvsDrServiceArgs,
} from "../src";

const config = new pulumi.Config();

const cluster = new LvsDrCluster("lvs", {
    vip: config.require("vip"),
    services: config.getObject<LvsDrServiceArgs[]>("services") ?? [{ port: 80 }],
    forwarding: config.get("forwarding"),
    ssh: {
        user: config.require("sshUser"),
        privateKey: config.requireSecret("sshPrivateKey"),
        publicKey: config.get("sshPublicKey"),
        port: config.getNumber("sshPort"),
    },
    hosts: config.getObject<LvsDrExistingHostsArgs>("hosts"),
    libvirt: config.getObject<LvsDrLibvirtArgs>("libvirt"),
    aws: config.getObject<LvsDrAwsArgs>("aws"),
});

export const vip = cluster.vip;
export const directorAddress = cluster.directorAddress;
export const realServerAddresses = cluster.realServerAddresses;
export const ipvsTable = cluster.ipvsTable;
export const libvirtDomainNames = cluster.libvirtDomainNames;
export const awsInstanceIds = cluster.awsInstanceIds;
