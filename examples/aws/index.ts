/**
 * A director and three real servers as EC2 instances (Debian 12) in a new VPC 10.77.0.0/16 with
 * one subnet 10.77.1.0/24. Source/destination checks are off and the VIP is a secondary private
 * IP of the director. DR relies on same-subnet delivery inside the VPC: serve clients in the VPC
 * (or use forwarding "tun"); see the README's Platforms section (aws).
 *
 *   pulumi config set aws:region eu-west-1
 *   pulumi config set adminCidr 203.0.113.7/32        # where you SSH from
 *   pulumi config set sshPublicKey "$(cat ~/.ssh/id_ed25519.pub)"
 *   pulumi config set --secret sshPrivateKey -- "$(cat ~/.ssh/id_ed25519)"
 *   pulumi up
 */
import * as pulumi from "@pulumi/pulumi";
import { LvsDrCluster } from "lvs-dr";

const config = new pulumi.Config();

const web = new LvsDrCluster("web", {
    vip: "10.77.1.100",
    services: [{ port: 80, scheduler: "wlc" }],
    ssh: {
        user: "admin",
        privateKey: config.requireSecret("sshPrivateKey"),
        publicKey: config.require("sshPublicKey"),
    },
    aws: {
        adminCidrs: [config.require("adminCidr")],
        allowedCidrs: ["10.77.0.0/16"],
        realServers: [{ name: "a" }, { name: "b" }, { name: "c", weight: 2 }],
    },
});

export const vpcId = web.awsVpcId;
export const instanceIds = web.awsInstanceIds;
export const ipvsTable = web.ipvsTable;
