/**
 * The component inside a larger stack, on machines the stack makes itself: the program owns the
 * network (a VPC, a subnet, an internet gateway for admin SSH) and the instances (its own AMI and
 * settings), and hands their addresses — Outputs, unknown until the instances exist — to the
 * `hosts` platform, which configures them over SSH. It then uses the cluster's outputs: a private
 * DNS name for the VIP. (With the `aws` platform lvs-dr makes the instances itself instead.)
 *
 * Direct routing on a VPC needs two things of the instances, set here: the source/destination check
 * off (the director forwards frames whose source is the client; the real servers accept packets for
 * the VIP), and the VIP a secondary private address of the director, so the VPC delivers it there.
 * One director: on `hosts`, a pair's takeover announces the VIP by ARP, which a VPC ignores.
 *
 *   pulumi config set aws:region eu-west-1
 *   pulumi config set adminCidr 203.0.113.7/32
 *   pulumi config set sshPublicKey "$(cat ~/.ssh/id_ed25519.pub)"
 *   pulumi config set --secret sshPrivateKey -- "$(cat ~/.ssh/id_ed25519)"
 *   pulumi up
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { LvsDrCluster } from "lvs-dr";

const config = new pulumi.Config();
const subnetCidr = "10.20.1.0/24";
const vip = "10.20.1.100";

const vpc = new aws.ec2.Vpc("app", { cidrBlock: "10.20.0.0/16", enableDnsHostnames: true, enableDnsSupport: true });
const igw = new aws.ec2.InternetGateway("app", { vpcId: vpc.id });
const subnet = new aws.ec2.Subnet("app-lb", { vpcId: vpc.id, cidrBlock: subnetCidr, mapPublicIpOnLaunch: true });
const routes = new aws.ec2.RouteTable("app", { vpcId: vpc.id, routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: igw.id }] });
new aws.ec2.RouteTableAssociation("app-lb", { subnetId: subnet.id, routeTableId: routes.id });

// SSH from the admin's address, HTTP from inside the VPC, everything between the cluster's machines.
const group = new aws.ec2.SecurityGroup("app-lb", {
    vpcId: vpc.id,
    ingress: [
        { protocol: "tcp", fromPort: 22, toPort: 22, cidrBlocks: [config.require("adminCidr")] },
        { protocol: "tcp", fromPort: 80, toPort: 80, cidrBlocks: ["10.20.0.0/16"] },
        { protocol: "-1", fromPort: 0, toPort: 0, self: true },
    ],
    egress: [{ protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] }],
});
const key = new aws.ec2.KeyPair("app", { publicKey: config.require("sshPublicKey") });
const debian = aws.ec2.getAmiOutput({ owners: ["136693071363"], mostRecent: true, filters: [{ name: "name", values: ["debian-12-amd64-*"] }] });

function machine(name: string, extra: Partial<aws.ec2.InstanceArgs> = {}): aws.ec2.Instance {
    return new aws.ec2.Instance(name, {
        ami: debian.id, instanceType: "t3.small", subnetId: subnet.id, vpcSecurityGroupIds: [group.id], keyName: key.keyName,
        sourceDestCheck: false, tags: { Name: name }, ...extra,
    });
}

const director = machine("app-director", { secondaryPrivateIps: [vip] });
const servers = ["app-1", "app-2", "app-3"].map((name) => machine(name));

const lb = new LvsDrCluster("app", {
    vip,
    services: [{ port: 80, healthCheck: { kind: "http", path: "/" } }],
    ssh: { user: "admin", privateKey: config.requireSecret("sshPrivateKey") },
    hosts: {
        subnet: subnetCidr,
        // Outputs: each machine's address once it exists; SSH goes to its public address.
        director: { address: director.privateIp, interface: "ens5", ssh: { host: director.publicIp } },
        realServers: servers.map((s, i) => ({
            name: `app-${i + 1}`, address: s.privateIp, interface: "ens5", ssh: { host: s.publicIp },
        })),
    },
});

// Clients in the VPC reach the service by name.
const zone = new aws.route53.Zone("internal", { name: "app.internal", vpcs: [{ vpcId: vpc.id }] });
new aws.route53.Record("www", { zoneId: zone.zoneId, name: "www.app.internal", type: "A", ttl: 60, records: [lb.vip] });

export const url = pulumi.interpolate`http://www.app.internal/ (VIP ${lb.vip})`;
export const realServerAddresses = lb.realServerAddresses;
export const ipvsTable = lb.ipvsTable;
