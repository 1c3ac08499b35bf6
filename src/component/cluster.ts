import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import type { LvsDrClusterArgs } from "../args";
import type { ClusterPlan } from "../core/plan";
import { validateClusterArgs } from "../core/validate";
import { awsHosts } from "../platforms/aws";
import { existingHosts } from "../platforms/existing";
import type { PlatformHosts } from "../platforms/host";
import { libvirtHosts } from "../platforms/libvirt";
import { directorRules, directorSetup, realServerSetup } from "./commands";

/**
 * An LVS-DR load-balancing cluster: a director that owns the VIP and forwards each request by
 * rewriting only the destination MAC, and real servers that hold the VIP on their loopback,
 * never answer ARP for it, and reply straight to the client.
 *
 * Arguments are validated in the constructor, before anything is registered: a bad argument
 * throws {@link LvsDrArgsError} naming the field, the value and the fix.
 */
export class LvsDrCluster extends pulumi.ComponentResource {
    /** The virtual IP. */
    readonly vip: pulumi.Output<string>;
    /** The director's address on the subnet. */
    readonly directorAddress: pulumi.Output<string>;
    /** The real servers' addresses, in the order given. */
    readonly realServerAddresses: pulumi.Output<string[]>;
    /** The director's IPVS table for the VIP (`ipvsadm -Ln`) as printed right after the last apply. */
    readonly ipvsTable: pulumi.Output<string>;
    /** libvirt: the network the VMs are on (created, or the existing network or bridge). */
    readonly libvirtNetworkName: pulumi.Output<string | undefined>;
    /** libvirt: the domains, director first. */
    readonly libvirtDomainNames: pulumi.Output<string[] | undefined>;
    /** AWS: the VPC. */
    readonly awsVpcId: pulumi.Output<string | undefined>;
    /** AWS: the subnet. */
    readonly awsSubnetId: pulumi.Output<string | undefined>;
    /** AWS: the security group of every instance. */
    readonly awsSecurityGroupId: pulumi.Output<string | undefined>;
    /** AWS: the instances, director first. */
    readonly awsInstanceIds: pulumi.Output<string[] | undefined>;

    constructor(name: string, args: LvsDrClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        const plan = validateClusterArgs(args, name);
        // No inputs are recorded on the component: the engine would diff them and list the component
        // as updated whenever an argument changes, although a component has nothing to update (its
        // children carry every change), and the state would hold a copy of every private key.
        super("lvs-dr:index:LvsDrCluster", name, {}, opts);

        const hosts = platformHosts(name, plan, args, this);
        const realServerSetups = plan.realServers.map((rs, i) =>
            realServerSetup(name, plan, rs, hosts.realServers[i], this));
        const director = directorSetup(name, plan, hosts.director, this);
        const rules: command.remote.Command =
            directorRules(name, plan, hosts.director, [director, ...realServerSetups], this);

        this.vip = pulumi.output(plan.vip);
        this.directorAddress = pulumi.output(hosts.director.address);
        this.realServerAddresses = pulumi.output(hosts.realServers.map((h) => h.address));
        this.ipvsTable = rules.stdout;
        const ids = hosts.ids;
        this.libvirtNetworkName = pulumi.output(ids.libvirtNetworkName);
        this.libvirtDomainNames = pulumi.output(ids.libvirtDomainNames);
        this.awsVpcId = pulumi.output(ids.awsVpcId);
        this.awsSubnetId = pulumi.output(ids.awsSubnetId);
        this.awsSecurityGroupId = pulumi.output(ids.awsSecurityGroupId);
        this.awsInstanceIds = pulumi.output(ids.awsInstanceIds);
        this.registerOutputs({
            vip: this.vip,
            directorAddress: this.directorAddress,
            realServerAddresses: this.realServerAddresses,
            ipvsTable: this.ipvsTable,
            libvirtNetworkName: this.libvirtNetworkName,
            libvirtDomainNames: this.libvirtDomainNames,
            awsVpcId: this.awsVpcId,
            awsSubnetId: this.awsSubnetId,
            awsSecurityGroupId: this.awsSecurityGroupId,
            awsInstanceIds: this.awsInstanceIds,
        });
    }
}

function platformHosts(name: string, plan: ClusterPlan, args: LvsDrClusterArgs, parent: pulumi.Resource): PlatformHosts {
    switch (plan.platform) {
        case "hosts":
            return existingHosts(plan, args);
        case "libvirt":
            return libvirtHosts(name, plan, args.ssh.privateKey, parent);
        case "aws":
            return awsHosts(name, plan, args.aws!, args.ssh.privateKey, parent);
    }
}

