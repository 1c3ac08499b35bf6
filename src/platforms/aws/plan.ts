/** The AWS platform's part of the plan, and its defaults. */
import type { Input } from "@pulumi/pulumi";

/** The subnet of the AWS instances: given (possibly as an Output), or created with its VPC. */
export type AwsNetworkPlan =
    | { kind: "existing"; subnetId: Input<string> }
    | { kind: "create"; vpcCidr: string; availabilityZone?: string };

export interface AwsPlatformPlan {
    kind: "aws";
    network: AwsNetworkPlan;
    subnetCidr: string;
    adminCidrs: string[];
    /**
     * Unset: the VPC's own CIDR blocks. The clients a DR cluster can serve route to the VIP and back
     * from it without NAT (the internet gateway never translates a reply from the VIP): the VPC,
     * or networks it is peered or connected with, which the user lists.
     */
    allowedCidrs?: string[];
    /** Unset: the newest official Debian 12 AMI. */
    ami?: string;
    directorInstanceType: string;
    realServerInstanceType: string;
    sshViaPrivateIp: boolean;
    /** The instances' key pair: installed for the SSH user at an instance's first boot. */
    sshPublicKey: string;
    /** Every instance's user's whole authorized_keys, kept by its `-access` command: the public key, then ssh.authorizedKeys. */
    sshAuthorizedKeys: string[];
}

export const AWS_DEFAULTS = {
    subnetCidr: "10.77.1.0/24",
    vpcCidr: "10.77.0.0/16",
    instanceType: "t3.small",
    interface: "ens5",
};
