/**
 * The AWS platform: one subnet (given, or created with its VPC and an internet gateway for admin
 * SSH), one security group, one EC2 instance per host. DR on AWS needs two things a plain
 * instance lacks: the source/destination check off (the director forwards frames whose source is
 * the client; real servers accept packets for the VIP), and the VIP as a secondary private IP of
 * the director's interface (a /32 route inside a VPC is impossible).
 */
import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import { awsTags, clusterResourceName, directorRole, instanceResourceName, realServerRole } from "../../core/names";
import type { AwsNetworkPlan, AwsPlatformPlan, ClusterPlan, HostPlan } from "../../core/plan";
import { type CreateHosts, createdHost, type PlatformHost } from "../platform";

/** The Debian project's AWS account, publisher of the official Debian AMIs. */
const DEBIAN_AMI_OWNER = "136693071363";

export const awsHosts: CreateHosts<AwsPlatformPlan> = (plan, a, parent) => {
    const name = plan.name;
    const { vpcId, subnetId } = subnetOf(plan, a.network, a.subnetCidr, parent);

    const sshPort = plan.directors[0].ssh.port;
    const securityGroup = new aws.ec2.SecurityGroup(clusterResourceName(name, "sg"), {
        vpcId,
        description: `LVS-${plan.forwarding.toUpperCase()} cluster ${name}: services, admin SSH, traffic within the subnet`,
        ingress: [
            ...plan.services.map((svc) => ({
                description: `${svc.protocol}/${svc.port} on the VIP`, protocol: svc.protocol,
                fromPort: svc.port, toPort: svc.port, cidrBlocks: a.allowedCidrs,
            })),
            { description: "admin SSH", protocol: "tcp", fromPort: sshPort, toPort: sshPort, cidrBlocks: a.adminCidrs },
            // Director to real servers (DR frames, TUN's IPIP), and the hosts among themselves.
            { description: "within the subnet", protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: [a.subnetCidr] },
        ],
        egress: [{ description: "replies and updates", protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] }],
        tags: awsTags(name, "sg"),
    }, { parent });

    const keyPair = new aws.ec2.KeyPair(clusterResourceName(name, "key"), { publicKey: a.sshPublicKey, tags: awsTags(name, "key") }, { parent });
    const ami = a.ami ?? aws.ec2.getAmiOutput({
        mostRecent: true,
        owners: [DEBIAN_AMI_OWNER],
        filters: [
            { name: "name", values: ["debian-12-amd64-*"] },
            { name: "architecture", values: ["x86_64"] },
            { name: "virtualization-type", values: ["hvm"] },
        ],
    }, { parent }).id;

    const instance = (role: string, host: HostPlan, instanceType: string, secondaryIps: string[]): PlatformHost & { id: pulumi.Output<string> } => {
        const vm = new aws.ec2.Instance(instanceResourceName(name, role), {
            ami, instanceType, subnetId,
            privateIp: host.address,
            ...(secondaryIps.length ? { secondaryPrivateIps: secondaryIps } : {}),
            vpcSecurityGroupIds: [securityGroup.id],
            keyName: keyPair.keyName,
            sourceDestCheck: false,
            associatePublicIpAddress: !a.sshViaPrivateIp,
            metadataOptions: { httpTokens: "required", httpEndpoint: "enabled" },
            rootBlockDevice: { encrypted: true, volumeType: "gp3" },
            tags: awsTags(name, role),
        }, {
            parent,
            // A looked-up AMI moves with every Debian release: that must not replace running hosts.
            ...(a.ami ? {} : { ignoreChanges: ["ami"] }),
        });
        return { ...createdHost(plan, role, host, vm, a.sshViaPrivateIp ? host.address : vm.publicIp, parent), id: vm.id };
    };

    // The VIP is a secondary address of the first director's interface.
    const directors = plan.directors.map((d, i) => instance(directorRole(i), d, a.directorInstanceType, i === 0 ? [plan.vip] : []));
    const realServers = plan.realServers.map((rs) => instance(realServerRole(rs.name), rs, a.realServerInstanceType, []));
    return {
        directors,
        realServers,
        ids: {
            awsVpcId: vpcId, awsSubnetId: subnetId, awsSecurityGroupId: securityGroup.id,
            awsInstanceIds: [...directors, ...realServers].map((h) => h.id),
        },
    };
};

/** The given subnet and its VPC, or a new VPC with one subnet, an internet gateway and its route. */
function subnetOf(
    plan: ClusterPlan, network: AwsNetworkPlan, subnetCidr: string, parent: pulumi.Resource,
): { vpcId: pulumi.Output<string>; subnetId: pulumi.Input<string> } {
    if (network.kind === "existing") {
        return { vpcId: aws.ec2.getSubnetOutput({ id: network.subnetId }, { parent }).vpcId, subnetId: network.subnetId };
    }
    const name = plan.name;
    const vpc = new aws.ec2.Vpc(clusterResourceName(name, "vpc"), {
        cidrBlock: network.vpcCidr, enableDnsSupport: true, enableDnsHostnames: true, tags: awsTags(name, "vpc"),
    }, { parent });
    const gateway = new aws.ec2.InternetGateway(clusterResourceName(name, "igw"), { vpcId: vpc.id, tags: awsTags(name, "igw") }, { parent });
    const zone = network.availabilityZone ?? aws.getAvailabilityZonesOutput({ state: "available" }, { parent }).names[0];
    const subnet = new aws.ec2.Subnet(clusterResourceName(name, "subnet"), {
        vpcId: vpc.id, cidrBlock: subnetCidr, availabilityZone: zone, mapPublicIpOnLaunch: false, tags: awsTags(name, "subnet"),
    }, { parent });
    const routes = new aws.ec2.RouteTable(clusterResourceName(name, "rt"), {
        vpcId: vpc.id, routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: gateway.id }], tags: awsTags(name, "rt"),
    }, { parent });
    new aws.ec2.RouteTableAssociation(clusterResourceName(name, "rta"), { subnetId: subnet.id, routeTableId: routes.id }, { parent });
    return { vpcId: vpc.id, subnetId: subnet.id };
}
