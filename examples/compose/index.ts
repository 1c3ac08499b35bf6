/**
 * The component inside a larger stack: the program owns the network (a VPC, a subnet, an
 * internet gateway for admin SSH), hands the subnet to the cluster, then uses the cluster's
 * outputs: a private DNS name for the VIP, and the instance IDs for an alarm.
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

const vpc = new aws.ec2.Vpc("app", { cidrBlock: "10.20.0.0/16", enableDnsHostnames: true, enableDnsSupport: true });
const igw = new aws.ec2.InternetGateway("app", { vpcId: vpc.id });
const subnet = new aws.ec2.Subnet("app-lb", { vpcId: vpc.id, cidrBlock: subnetCidr });
const routes = new aws.ec2.RouteTable("app", { vpcId: vpc.id, routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: igw.id }] });
new aws.ec2.RouteTableAssociation("app-lb", { subnetId: subnet.id, routeTableId: routes.id });

const lb = new LvsDrCluster("app", {
    vip: "10.20.1.100",
    services: [{ port: 80 }, { port: 443, persistenceSeconds: 600 }],
    ssh: {
        user: "admin",
        privateKey: config.requireSecret("sshPrivateKey"),
        publicKey: config.require("sshPublicKey"),
    },
    aws: {
        subnetId: subnet.id,
        subnetCidr,
        adminCidrs: [config.require("adminCidr")],
        allowedCidrs: ["10.20.0.0/16"],
        realServers: [{ name: "app-1" }, { name: "app-2" }, { name: "app-3" }],
    },
});

// Clients in the VPC reach the service by name.
const zone = new aws.route53.Zone("internal", { name: "app.internal", vpcs: [{ vpcId: vpc.id }] });
new aws.route53.Record("www", { zoneId: zone.zoneId, name: "www.app.internal", type: "A", ttl: 60, records: [lb.vip] });

// Page someone when the director stops passing status checks.
new aws.cloudwatch.MetricAlarm("director-status", {
    namespace: "AWS/EC2",
    metricName: "StatusCheckFailed",
    dimensions: { InstanceId: lb.awsInstanceIds.apply((ids) => ids![0]) },
    statistic: "Maximum",
    period: 60,
    evaluationPeriods: 2,
    threshold: 1,
    comparisonOperator: "GreaterThanOrEqualToThreshold",
});

export const url = pulumi.interpolate`http://www.app.internal/ (VIP ${lb.vip})`;
export const ipvsTable = lb.ipvsTable;
