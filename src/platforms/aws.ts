/**
 * The AWS platform: one subnet (given, or created with its VPC and an internet gateway for admin
 * SSH), one security group, one EC2 instance per host. DR on AWS needs two things a plain
 * instance lacks: the source/destination check off (the director forwards frames whose source is
 * the client; real servers accept packets for the VIP), and the VIP as a secondary private IP of
 * the director's interface (a /32 route inside a VPC is impossible).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { LvsDrAwsArgs } from "../args";
import type { ClusterPlan, HostPlan } from "../core/plan";
import type { PlatformHost, PlatformHosts } from "./host";
import { waitForSsh } from "./wait-ssh";

/** The Debian project's AWS account, publisher of the official Debian AMIs. */
const DEBIAN_AMI_OWNER = "136693071363";

export function awsHosts(
    name: string, plan: ClusterPlan, args: LvsDrAwsArgs, privateKey: pulumi.Input<string>, parent: pulumi.Resource,
): PlatformHosts {
    const a = plan.aws;
    if (!a || !plan.sshPublicKey) {
        throw new Error("awsHosts called without a validated AWS plan");
    }
    const tags = (role: string) => ({ Name: `${name}-${role}`, "lvs-dr:cluster": name });
    const { vpcId, subnetId } = a.existingSubnet ? existingSubnet(args.subnetId!, parent) : newSubnet(name, plan, tags, parent);

    const sshPort = plan.director.ssh.port;
    const securityGroup = new aws.ec2.SecurityGroup(`${name}-sg`, {
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
        tags: tags("sg"),
    }, { parent });

    const keyPair = new aws.ec2.KeyPair(`${name}-key`, { publicKey: plan.sshPublicKey, tags: tags("key") }, { parent });
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
        const vm = new aws.ec2.Instance(`${name}-${role}`, {
            ami, instanceType, subnetId,
            privateIp: host.address,
            ...(secondaryIps.length ? { secondaryPrivateIps: secondaryIps } : {}),
            vpcSecurityGroupIds: [securityGroup.id],
            keyName: keyPair.keyName,
            sourceDestCheck: false,
            associatePublicIpAddress: !a.sshViaPrivateIp,
            metadataOptions: { httpTokens: "required", httpEndpoint: "enabled" },
            rootBlockDevice: { encrypted: true, volumeType: "gp3" },
            tags: tags(role),
        }, {
            parent,
            // A looked-up AMI moves with every Debian release: that must not replace running hosts.
            ...(a.ami ? {} : { ignoreChanges: ["ami"] }),
        });
        const connection = {
            host: a.sshViaPrivateIp ? host.address : vm.publicIp,
            port: host.ssh.port, user: host.ssh.user, privateKey: pulumi.secret(privateKey),
        };
        const ready = waitForSsh(`${name}-${role}-ssh`, connection, vm, parent);
        return { address: host.address, interface: host.interface, connection, sudo: host.ssh.sudo, dependsOn: [ready], id: vm.id };
    };

    const director = instance("director", plan.director, a.directorInstanceType, [plan.vip]);
    const realServers = plan.realServers.map((rs) => instance(`rs-${rs.name}`, rs, a.realServerInstanceType, []));
    return {
        director,
        realServers,
        ids: {
            awsVpcId: vpcId, awsSubnetId: subnetId, awsSecurityGroupId: securityGroup.id,
            awsInstanceIds: [director.id, ...realServers.map((rs) => rs.id)],
        },
    };
}

function existingSubnet(subnetId: pulumi.Input<string>, parent: pulumi.Resource): { vpcId: pulumi.Output<string>; subnetId: pulumi.Input<string> } {
    return { vpcId: aws.ec2.getSubnetOutput({ id: subnetId }, { parent }).vpcId, subnetId };
}

function newSubnet(
    name: string, plan: ClusterPlan, tags: (role: string) => Record<string, string>, parent: pulumi.Resource,
): { vpcId: pulumi.Output<string>; subnetId: pulumi.Output<string> } {
    const a = plan.aws!;
    const vpc = new aws.ec2.Vpc(`${name}-vpc`, {
        cidrBlock: a.vpcCidr!, enableDnsSupport: true, enableDnsHostnames: true, tags: tags("vpc"),
    }, { parent });
    const gateway = new aws.ec2.InternetGateway(`${name}-igw`, { vpcId: vpc.id, tags: tags("igw") }, { parent });
    const zone = a.availabilityZone ?? aws.getAvailabilityZonesOutput({ state: "available" }, { parent }).names[0];
    const subnet = new aws.ec2.Subnet(`${name}-subnet`, {
        vpcId: vpc.id, cidrBlock: a.subnetCidr, availabilityZone: zone, mapPublicIpOnLaunch: false, tags: tags("subnet"),
    }, { parent });
    const routes = new aws.ec2.RouteTable(`${name}-rt`, {
        vpcId: vpc.id, routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: gateway.id }], tags: tags("rt"),
    }, { parent });
    new aws.ec2.RouteTableAssociation(`${name}-rta`, { subnetId: subnet.id, routeTableId: routes.id }, { parent });
    return { vpcId: vpc.id, subnetId: subnet.id };
}
