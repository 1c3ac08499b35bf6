import type * as pulumi from "@pulumi/pulumi";
import type { types } from "@pulumi/command";

/**
 * What every platform hands the component for one machine. The component never asks how the
 * machine came to be: existing, libvirt or AWS hosts all look like this.
 */
export interface PlatformHost {
    /** Address on the load-balancing subnet (the RIP of a real server). */
    address: pulumi.Input<string>;
    /** Subnet-facing interface. */
    interface: string;
    /** How to SSH in; the private key in it is a secret. */
    connection: types.input.remote.ConnectionArgs;
    /** Whether the host scripts run through `sudo -n`. */
    sudo: boolean;
    /** Resources the host's first command must wait for (the VM, its SSH readiness). */
    dependsOn: pulumi.Resource[];
}

/** Identifiers of what a platform created, for the component's outputs. */
export interface PlatformIds {
    libvirtNetworkName?: pulumi.Input<string>;
    libvirtDomainNames?: pulumi.Input<string>[];
    awsVpcId?: pulumi.Input<string>;
    awsSubnetId?: pulumi.Input<string>;
    awsSecurityGroupId?: pulumi.Input<string>;
    awsInstanceIds?: pulumi.Input<string>[];
}

/** The hosts of one cluster, real servers in the order of the plan. */
export interface PlatformHosts {
    director: PlatformHost;
    realServers: PlatformHost[];
    ids: PlatformIds;
}
