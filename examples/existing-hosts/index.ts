/**
 * Four Debian machines on 10.20.0.0/24 that already exist: a director pair .10 and .9 (VRRP moves
 * the VIP between them) and two web servers .11 and .12, whose default gateway is the subnet's
 * router (.1), not a director. Clients reach http://10.20.0.100/ through the director holding the
 * VIP; replies go straight back. A web server whose /healthz stops answering 200 gets no new
 * connections within 6 s.
 *
 *   pulumi config set --secret sshPrivateKey -- "$(cat ~/.ssh/id_ed25519)"
 *   pulumi up
 */
import * as pulumi from "@pulumi/pulumi";
import { LvsDrCluster } from "lvs-dr";

const config = new pulumi.Config();

const web = new LvsDrCluster("web", {
    vip: "10.20.0.100",
    services: [
        { port: 80, scheduler: "wlc", healthCheck: { kind: "http", path: "/healthz" } },
        { port: 443, scheduler: "wlc", persistenceSeconds: 300 },
    ],
    ssh: { user: "debian", privateKey: config.requireSecret("sshPrivateKey") },
    hosts: {
        subnet: "10.20.0.0/24",
        director: { address: "10.20.0.10", interface: "ens3" },
        backupDirector: { address: "10.20.0.9", interface: "ens3" },
        realServers: [
            { name: "web-a", address: "10.20.0.11", interface: "ens3" },
            { name: "web-b", address: "10.20.0.12", interface: "ens3", weight: 2 },
        ],
    },
});

export const url = pulumi.interpolate`http://${web.vip}/`;
export const ipvsTables = web.ipvsTables;
