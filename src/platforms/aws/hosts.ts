/**
 * The AWS platform: one subnet (given, or created with its VPC and an internet gateway for admin
 * SSH), a security group for the directors and one for the real servers, one EC2 instance per
 * host. DR on AWS needs two things a plain instance lacks: the source/destination check off (the
 * director forwards frames whose source is the client; real servers accept packets for the VIP),
 * and the VIP as a secondary private IP of the director's interface (a /32 route inside a VPC is
 * impossible).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { clusterResourceName, hostResourceName, roleOf } from "../../core/names";
import type { ClusterPlan, HostPlan } from "../../core/plan";
import { type CreateHosts, hostsOf, type PlatformHost } from "../platform";
import { withAuthorizedKeys } from "../vm/authorized-keys";
import { createdHost } from "../vm/created-host";
import { machineGuard } from "../vm/machine-guard-resource";
import { hostKeyCloudConfig } from "../vm/host-key";
import { HostKey } from "../vm/host-key-resource";
import { awsTags, HOST_KEY_TAG, instanceResourceName } from "./names";
import type { AwsNetworkPlan, AwsPlatformPlan } from "./plan";

/** The Debian project's AWS account, publisher of the official Debian AMIs. */
const DEBIAN_AMI_OWNER = "136693071363";

export const awsHosts: CreateHosts<AwsPlatformPlan> = (plan, a, parent, known) => {
    const name = plan.name;
    // A field another resource gives (the public key, the AMI, the address ranges) is a stand-in
    // in `a`: its value comes from the plan made once it is known.
    const given = <T>(f: (p: AwsPlatformPlan) => T): pulumi.Input<T> => (known ? known.apply((k) => f(k.platform)) : f(a));
    const { vpcId, subnetId, vpcCidrs } = subnetOf(plan, a.network, a.subnetCidr, parent);

    const sshPort = plan.directors[0].ssh.port;
    const directorCidrs = plan.directors.map((d) => `${d.address}/32`);
    // Every port of every service, a firewall-mark service's each.
    const servicePorts = plan.services.flatMap((svc) => (svc.fwmark?.ports ?? [svc.port]).map((port) => ({ protocol: svc.protocol, port })));
    // The clients: allowedCidrs, else the VPC's own blocks. Not the world by default: a client on the
    // internet can never be served (the internet gateway does not translate a reply from the VIP), so
    // all the world could reach is each instance's own public address (admin SSH gives every instance
    // one unless sshViaPrivateIp), and a real server's service behind it.
    const clients = a.allowedCidrs !== undefined ? given((p) => p.allowedCidrs ?? []) : vpcCidrs;
    const services = (from: pulumi.Input<pulumi.Input<string>[]>, what: (protocol: string, port: number) => string) =>
        servicePorts.map(({ protocol, port }) => ({ description: what(protocol, port), protocol, fromPort: port, toPort: port, cidrBlocks: from }));
    const adminSsh = { description: "admin SSH", protocol: "tcp", fromPort: sshPort, toPort: sshPort, cidrBlocks: given((p) => p.adminCidrs) };
    const icmp = { description: "ICMP within the subnet (path MTU, unreachables)", protocol: "icmp", fromPort: -1, toPort: -1, cidrBlocks: [a.subnetCidr] };
    const egress = [{ description: "replies and updates", protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] }];
    // Two groups, each host getting only what its role needs. A security group matches a packet's
    // source, port and protocol, never which of the instance's addresses it was sent to: whatever a
    // group lets in reaches the instance's public address as well as the VIP.
    const directorGroup = new aws.ec2.SecurityGroup(clusterResourceName(name, "sg"), {
        vpcId,
        description: `LVS-${plan.forwarding.toUpperCase()} cluster ${name}, directors: the services from the clients, admin SSH${plan.mode.kind === "vrrp" ? ", VRRP from the directors" : ""}`,
        ingress: [
            // Requests to the VIP, a secondary address of the director (of the master in a pair).
            ...services(clients, (protocol, port) => `${protocol}/${port} on the VIP`),
            adminSsh,
            // VRRP adverts (IP protocol 112, unicast) between the directors, and from nowhere else:
            // the reason the directors' host firewall does not filter them here (network.vrrpPeerFilter).
            ...(plan.mode.kind === "vrrp" ? [{ description: "VRRP between the directors", protocol: "112", fromPort: 0, toPort: 0, cidrBlocks: directorCidrs }] : []),
            icmp,
        ],
        egress,
        tags: awsTags(name, "sg"),
    }, { parent });
    const realServerGroup = new aws.ec2.SecurityGroup(clusterResourceName(name, "rs-sg"), {
        vpcId,
        description: `LVS-${plan.forwarding.toUpperCase()} cluster ${name}, real servers: ${plan.forwarding === "tun" ? "IPIP" : "forwarded requests from the clients"}, admin SSH, checks from the directors`,
        ingress: [
            // DR: a director forwards the client's packet as it is, its source the client's: the
            // group must let the clients in on the services' ports (and so lets them reach the real
            // server's own addresses too, the reason the clients are not the world by default).
            // TUN: the group sees the outer packet, director to real server, protocol 4, and the
            // clients need no rule here at all.
            ...(plan.forwarding === "tun"
                ? [{ description: "IPIP (TUN forwarding) from the directors", protocol: "4", fromPort: 0, toPort: 0, cidrBlocks: directorCidrs }]
                : services(clients, (protocol, port) => `${protocol}/${port} forwarded to the VIP`)),
            adminSsh,
            // keepalived's health checks reach the real servers' ports from the directors' own addresses.
            ...services(directorCidrs, (protocol, port) => `health checks of ${protocol}/${port} from the directors`),
            icmp,
        ],
        egress,
        tags: awsTags(name, "rs-sg"),
    }, { parent });

    // The public key for new instances' first boot. A new key replaces the key pair (auto-named, so
    // the new one is made before the old one goes); the instances ignore the new name (below): their
    // keys are kept by the access commands.
    const keyPair = new aws.ec2.KeyPair(clusterResourceName(name, "key"), { publicKey: given((p) => p.sshPublicKey), tags: awsTags(name, "key") }, { parent });
    const ami = a.ami !== undefined ? given((p) => p.ami ?? "") : aws.ec2.getAmiOutput({
        mostRecent: true,
        owners: [DEBIAN_AMI_OWNER],
        filters: [
            { name: "name", values: ["debian-12-amd64-*"] },
            { name: "architecture", values: ["x86_64"] },
            { name: "virtualization-type", values: ["hvm"] },
        ],
    }, { parent }).id;

    const pair = plan.mode.kind === "vrrp";
    const vipMover = pair ? vipMoverProfile(name, parent) : undefined;
    const directorInterfaces: pulumi.Output<string>[] = [];

    // Refuses, at preview, an update that would replace (an explicit AMI) or stop and start (the
    // instance type, changed in place) both directors or every real server.
    const guard = machineGuard(plan, (host) => given((p) => JSON.stringify({
        ami: p.ami ?? null, instanceType: plan.directors.includes(host) ? p.directorInstanceType : p.realServerInstanceType,
    })), parent);
    const ids: pulumi.Output<string>[] = [];
    const instance = (host: HostPlan): PlatformHost => {
        const role = roleOf(plan, host);
        const director = plan.directors.includes(host);
        const instanceType = director ? a.directorInstanceType : a.realServerInstanceType;
        // The VIP is a secondary address of the first director's interface (in a pair, to begin with).
        const secondaryIps = host === plan.directors[0] ? [plan.vip] : [];
        // A looked-up AMI moves with every Debian release: that must not replace running hosts.
        // In a pair the VIP moves between the directors through the EC2 API (keepalived's notify
        // hook): where it is now is not a difference to undo.
        // User data is first-boot data: changing it would stop and start the instance, so an
        // instance keeps what it was created with, and the host-key tag that says what that was.
        // So is the key pair: a new key pair's name would replace every instance at once, both
        // directors included, where the access command changes the user's keys in place.
        const ignored = [...(a.ami && !host.keepMachine ? [] : ["ami"]), ...(director && pair ? ["secondaryPrivateIps"] : []),
            "userData", `tags["${HOST_KEY_TAG}"]`, "keyName",
            // A kept instance stays as it is (keepMachine): the engine keeps its old settings.
            ...(host.keepMachine ? ["instanceType"] : [])];
        const key = new HostKey(hostResourceName(name, role, "host-key"), { parent });
        const vm = new aws.ec2.Instance(instanceResourceName(name, role), {
            ami, instanceType, subnetId,
            privateIp: host.address,
            ...(secondaryIps.length ? { secondaryPrivateIps: secondaryIps } : {}),
            ...(director && vipMover ? { iamInstanceProfile: vipMover.profile.name } : {}),
            vpcSecurityGroupIds: [director ? directorGroup.id : realServerGroup.id],
            keyName: keyPair.keyName,
            sourceDestCheck: false,
            associatePublicIpAddress: !a.sshViaPrivateIp,
            metadataOptions: { httpTokens: "required", httpEndpoint: "enabled" },
            rootBlockDevice: { encrypted: true, volumeType: "gp3" },
            userData: pulumi.secret(pulumi.all([key.publicKey, key.privateKey])
                .apply(([publicKey, privateKey]) => `#cloud-config\n${hostKeyCloudConfig({ publicKey, privateKey })}`)),
            tags: key.id.apply((fingerprint) => ({ ...awsTags(name, role), [HOST_KEY_TAG]: fingerprint })),
        }, {
            parent,
            dependsOn: [guard],
            // Its private address is fixed by the plan: a replacement must free it first.
            deleteBeforeReplace: true,
            ...(ignored.length > 0 ? { ignoreChanges: ignored } : {}),
        });
        ids.push(vm.id);
        if (director) {
            directorInterfaces.push(vm.primaryNetworkInterfaceId);
        }
        // Pinned only if this instance was created with this key (see HOST_KEY_TAG).
        const hostKey = pulumi.all([vm.tags, key.id, key.publicKey])
            .apply(([tags, fingerprint, publicKey]) => tags?.[HOST_KEY_TAG] === fingerprint ? publicKey : undefined);
        // The instance's setup waits for its user's keys to be the cluster's (../vm/authorized-keys.ts).
        return withAuthorizedKeys(plan, role, createdHost(plan, role, host, vm, vm.id, a.sshViaPrivateIp ? host.address : vm.publicIp, hostKey, parent),
            given((p) => p.sshAuthorizedKeys), parent);
    };

    const hosts = hostsOf(plan, instance);
    if (vipMover) {
        // The directors' setups wait for it: keepalived (started by the rules after them) may take
        // the VIP through the API at once.
        const policy = vipMoverPolicy(name, vipMover.role, directorInterfaces, parent);
        plan.directors.forEach((d) => hosts.get(d)?.dependsOn.push(policy));
    }
    return {
        hosts,
        // The directors' group: the one the VIP's clients are let in by.
        ids: { awsVpcId: vpcId, awsSubnetId: subnetId, awsSecurityGroupId: directorGroup.id, awsInstanceIds: ids },
    };
};

/**
 * The instance profile of a director pair: the new master moves the VIP to its own interface with
 * `ec2:AssignPrivateIpAddresses` (keepalived's notify hook). Its policy (`vipMoverPolicy`) comes
 * once the directors exist: it names their own interfaces.
 */
function vipMoverProfile(name: string, parent: pulumi.Resource): { role: aws.iam.Role; profile: aws.iam.InstanceProfile } {
    const role = new aws.iam.Role(clusterResourceName(name, "director-role"), {
        description: `lvs-dr cluster ${name}: the master director moves the VIP to itself`,
        assumeRolePolicy: JSON.stringify({
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
        }),
        tags: awsTags(name, "director-role"),
    }, { parent });
    const profile = new aws.iam.InstanceProfile(clusterResourceName(name, "director-profile"), {
        role: role.name, tags: awsTags(name, "director-profile"),
    }, { parent });
    return { role, profile };
}

/**
 * What the directors may do: assign private addresses to the pair's own network interfaces, and
 * nothing else. A compromised director cannot take another interface's address (on `Resource: "*"`
 * it could take any secondary address of any interface in the account and region).
 */
function vipMoverPolicy(name: string, role: aws.iam.Role, interfaces: pulumi.Output<string>[], parent: pulumi.Resource): aws.iam.RolePolicy {
    const partition = aws.getPartitionOutput({}, { parent }).partition;
    const region = aws.getRegionOutput({}, { parent }).region;
    const account = aws.getCallerIdentityOutput({}, { parent }).accountId;
    return new aws.iam.RolePolicy(clusterResourceName(name, "director-move-vip"), {
        role: role.id,
        policy: pulumi.all([partition, region, account, ...interfaces]).apply(([p, r, a, ...enis]) => JSON.stringify({
            Version: "2012-10-17",
            Statement: [{
                Effect: "Allow",
                Action: ["ec2:AssignPrivateIpAddresses"],
                Resource: enis.map((eni) => `arn:${p}:ec2:${r}:${a}:network-interface/${eni}`),
            }],
        })),
    }, { parent });
}

/**
 * The given subnet and its VPC, or a new VPC with one subnet, an internet gateway and its route;
 * and the VPC's IPv4 CIDR blocks (a given VPC's every associated block).
 */
function subnetOf(
    plan: ClusterPlan, network: AwsNetworkPlan, subnetCidr: string, parent: pulumi.Resource,
): { vpcId: pulumi.Output<string>; subnetId: pulumi.Input<string>; vpcCidrs: pulumi.Input<string[]> } {
    if (network.kind === "existing") {
        const vpcId = aws.ec2.getSubnetOutput({ id: network.subnetId }, { parent }).vpcId;
        const vpc = aws.ec2.getVpcOutput({ id: vpcId }, { parent });
        const vpcCidrs = pulumi.all([vpc.cidrBlock, vpc.cidrBlockAssociations]).apply(([primary, blocks]) => [...new Set([
            primary, ...(blocks ?? []).filter((b) => b.state === undefined || b.state === "associated").map((b) => b.cidrBlock),
        ])]);
        return { vpcId, subnetId: network.subnetId, vpcCidrs };
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
    return { vpcId: vpc.id, subnetId: subnet.id, vpcCidrs: [network.vpcCidr] };
}
