/**
 * The consumer project's program (test/consumer): the README's quick start as a user writes it in
 * a project of their own, with lvs-dr installed from its tarball. Type-checked against the sources
 * by `npm run typecheck` (tsconfig.examples.json) and against the packed typings by the test.
 */
import * as pulumi from "@pulumi/pulumi";
import { LvsDrCluster } from "lvs-dr";

const config = new pulumi.Config();

const web = new LvsDrCluster("web", {
    vip: "10.20.0.100",
    services: [{ port: 80, healthCheck: { kind: "http", path: "/" } }],
    ssh: { user: "debian", privateKey: config.requireSecret("sshPrivateKey") },
    hosts: {
        subnet: "10.20.0.0/24",
        director: { address: "10.20.0.10", interface: "eth0" },
        realServers: [
            { name: "a", address: "10.20.0.11", interface: "eth0" },
            { name: "b", address: "10.20.0.12", interface: "eth0" },
        ],
    },
});

export const vip = web.vip;
export const ipvsTable = web.ipvsTable;
