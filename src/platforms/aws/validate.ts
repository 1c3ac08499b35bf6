/** Validation of the AWS platform. Pure: no Pulumi, no I/O. */
import * as path from "path";
import type { Input } from "@pulumi/pulumi";
import type { LvsDrAwsArgs } from "../../args";
import { isEventual, keysOf } from "../../core/validation/checker";
import { clusterAuthorizedKeys, requirePublicKey } from "../../core/validation/hosts";
import { cidrContains, formatCidr, isIpv6 } from "../../core/ip";
import type { NetworkCapabilities } from "../../core/plan";
import type { PlatformValidation, ValidatePlatform } from "../validation";
import { validateVms } from "../vm/validate-vms";
import { AMI_ID, AWS_INSTANCE_TYPE, AWS_ZONE, awsReserved, SUBNET_ID } from "./patterns";
import { AWS_DEFAULTS, type AwsNetworkPlan, type AwsPlatformPlan } from "./plan";

const KEYS = keysOf<LvsDrAwsArgs>({
    subnetId: true, subnetCidr: true, vpcCidr: true, availabilityZone: true, adminCidrs: true, allowedCidrs: true, ami: true,
    directorInstanceType: true, realServerInstanceType: true, interface: true, sshViaPrivateIp: true, director: true, backupDirector: true, realServers: true,
});

/**
 * A VPC routes a secondary private address to the interface that holds it and answers ARP itself:
 * nothing to announce, and a pair's new master must take the VIP through the EC2 API (keepalived's
 * notify hook runs `take_vip`, ./take-vip.sh). The directors' security group admits VRRP (IP
 * protocol 112) from the directors only (./hosts.ts): no host firewall rule is needed for it.
 */
const VPC_NETWORK: NetworkCapabilities = {
    vipAnnouncement: "none",
    vipTakeover: {
        kind: "hook", libraryFile: path.join(__dirname, "take-vip.sh"), command: "take_vip",
        tools: [{ command: "aws", packages: ["awscli"] }, { command: "curl", packages: ["curl"] }],
    },
    vrrpPeerFilter: "network",
    activeActive: {
        supported: false,
        why: "a VPC route table holds one target per prefix: it cannot spread the VIP over several directors (no ECMP), and EC2 speaks no BGP",
        instead: "use a VRRP pair (backupDirector), or put an AWS Network Load Balancer in front of several clusters",
    },
};

export const validateAws: ValidatePlatform<AwsPlatformPlan> = (c, value, ctx) => {
    const subnetField = "aws.subnetCidr";
    if (!c.isObject("aws", value, "give aws: { adminCidrs, realServers: [...] }")) {
        return { directors: [], realServers: [], reserved: [], subnetField, network: VPC_NETWORK };
    }
    c.knownKeys("aws", value, KEYS);
    const start = c.problems.length;
    const sshPublicKey = requirePublicKey(c, ctx.ssh, "aws");
    // Decided: no IPv6 on AWS yet. It needs an IPv6 CIDR on the VPC and subnet, IPv6 rules in the
    // security group and, for a pair, assign-ipv6-addresses in the notify hook: none can be tried here.
    for (const [field, vip] of [["vip", ctx.vip], ["vip6", ctx.vip6]] as const) {
        if (vip !== undefined && isIpv6(vip)) {
            c.add(field, vip, "is IPv6, which the aws platform does not offer yet",
                "serve an IPv4 VIP on AWS, or use the hosts platform with instances you made dual-stack");
        }
    }
    const existing = value.subnetId !== undefined;
    if (existing && value.subnetCidr === undefined) {
        c.add("aws.subnetCidr", undefined, "is required with aws.subnetId", "give the CIDR of that subnet, e.g. 10.0.1.0/24");
    }
    for (const key of ["vpcCidr", "availabilityZone"]) {
        if (existing && value[key] !== undefined) {
            c.add(`aws.${key}`, value[key], "only applies when the platform creates the VPC", "remove it, or remove aws.subnetId");
        }
    }
    const subnet = existing && value.subnetCidr === undefined ? undefined
        : c.subnet(subnetField, value.subnetCidr ?? AWS_DEFAULTS.subnetCidr, "10.77.1.0/24", 16, 28, "AWS subnets are /16 to /28");
    let network: AwsNetworkPlan | undefined;
    if (existing) {
        // An Output or a promise (a subnet made by the same program) is checked by AWS; a literal here.
        const subnetId: Input<string> | undefined = isEventual(value.subnetId) ? value.subnetId as Input<string>
            : c.matches("aws.subnetId", value.subnetId, SUBNET_ID, "a subnet ID (or an Output of one)",
                "use an ID such as subnet-0123456789abcdef0, or the id Output of a subnet made in the same program");
        network = subnetId === undefined ? undefined : { kind: "existing", subnetId };
    } else {
        const vpc = c.subnet("aws.vpcCidr", value.vpcCidr ?? AWS_DEFAULTS.vpcCidr, "10.77.0.0/16", 16, 28, "AWS VPCs are /16 to /28");
        if (vpc && subnet && (subnet.prefixLength < vpc.prefixLength || !cidrContains(vpc, subnet.network))) {
            c.add(subnetField, formatCidr(subnet), `is not inside aws.vpcCidr ${formatCidr(vpc)}`, "pick a subnet inside the VPC");
        }
        const availabilityZone = value.availabilityZone === undefined ? undefined
            : c.matches("aws.availabilityZone", value.availabilityZone, AWS_ZONE, "an availability zone", "use e.g. eu-west-1a");
        network = vpc && { kind: "create", vpcCidr: formatCidr(vpc), ...(availabilityZone ? { availabilityZone } : {}) };
    }
    const adminCidrs = c.cidrList("aws.adminCidrs", value.adminCidrs, true,
        "list the CIDRs allowed to SSH in, e.g. [\"203.0.113.7/32\"]; there is deliberately no open default");
    // Unset: the VPC's own CIDR blocks (./hosts.ts).
    const allowedCidrs = c.cidrList("aws.allowedCidrs", value.allowedCidrs, false, "list the clients' CIDRs, e.g. [\"10.0.0.0/16\"]");
    const ami = value.ami === undefined ? undefined
        : c.matches("aws.ami", value.ami, AMI_ID, "an AMI ID", "use an ID such as ami-0123456789abcdef0");
    const type = (key: string) => value[key] === undefined ? AWS_DEFAULTS.instanceType
        : c.matches(`aws.${key}`, value[key], AWS_INSTANCE_TYPE, "an instance type", "use e.g. t3.small");
    const directorInstanceType = type("directorInstanceType");
    const realServerInstanceType = type("realServerInstanceType");
    const iface = value.interface === undefined ? AWS_DEFAULTS.interface : c.interfaceName("aws.interface", value.interface);
    const sshViaPrivateIp = c.boolean("aws.sshViaPrivateIp", value.sshViaPrivateIp, false);

    const reserved = subnet ? awsReserved(subnet).map((address) => ({ address, what: "reserved by AWS in every subnet" })) : [];
    const vms = validateVms(c, value, ctx, {
        base: "aws", subnet, reserved, interface: iface, noIpv6: "is not offered on the aws platform (no IPv6 there yet)",
        interfaceFix: "set aws.interface to the subnet-facing NIC of the instances (ens5 for Debian on Nitro instances)",
    });
    // No familyFix: IPv6 VIPs are refused above.
    const result: PlatformValidation<AwsPlatformPlan> = { ...vms, subnet, subnetField, reserved, network: VPC_NETWORK };
    if (c.problems.length > start) {
        return result;
    }
    const ok = c.present({ sshPublicKey, network, subnet, adminCidrs, directorInstanceType, realServerInstanceType });
    return {
        ...result,
        platform: {
            kind: "aws", network: ok.network, subnetCidr: formatCidr(ok.subnet), adminCidrs: ok.adminCidrs, ...(allowedCidrs ? { allowedCidrs } : {}),
            ...(ami ? { ami } : {}), directorInstanceType: ok.directorInstanceType,
            realServerInstanceType: ok.realServerInstanceType, sshViaPrivateIp, sshPublicKey: ok.sshPublicKey, sshAuthorizedKeys: clusterAuthorizedKeys(ctx.ssh, ok.sshPublicKey),
        },
    };
};
