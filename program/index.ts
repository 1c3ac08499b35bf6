/**
 * The root project's program: an LVS-DR cluster on existing machines described by stack config.
 *
 *   pulumi config set vip 192.168.77.100
 *   pulumi config set sshUser root
 *   pulumi config set --secret sshPrivateKey -- "$(cat ~/.ssh/id_ed25519)"
 *   pulumi config set --path 'hosts.director.address' 192.168.77.10
 *   pulumi config set --path 'hosts.realServers[0].address' 192.168.77.11
 *   pulumi config set --path 'hosts.realServers[1].address' 192.168.77.12
 *   pulumi config set --path 'services[0].port' 80          # optional; default one TCP service on 80
 *
 * Optional: forwarding (dr|tun), sshPort, hosts.subnet, services[i].scheduler/protocol/persistenceSeconds.
 */
import * as pulumi from "@pulumi/pulumi";
import { LvsDrCluster, LvsDrExistingHostsArgs, LvsDrServiceArgs } from "../src";

const config = new pulumi.Config();

const cluster = new LvsDrCluster("lvs", {
    vip: config.require("vip"),
    services: config.getObject<LvsDrServiceArgs[]>("services") ?? [{ port: 80 }],
    forwarding: config.get("forwarding"),
    ssh: {
        user: config.require("sshUser"),
        privateKey: config.requireSecret("sshPrivateKey"),
        port: config.getNumber("sshPort"),
    },
    hosts: config.requireObject<LvsDrExistingHostsArgs>("hosts"),
});

export const vip = cluster.vip;
export const directorAddress = cluster.directorAddress;
export const realServerAddresses = cluster.realServerAddresses;
export const ipvsTable = cluster.ipvsTable;
