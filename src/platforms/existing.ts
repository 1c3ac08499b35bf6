import * as pulumi from "@pulumi/pulumi";
import type { LvsDrClusterArgs, LvsDrHostArgs } from "../args";
import type { ClusterPlan, HostPlan } from "../core/plan";
import type { PlatformHost, PlatformHosts } from "./host";

/**
 * The existing-machines platform: nothing to create, only connections to build. The plan carries
 * every validated setting; the private keys come from the raw args because they may be Outputs and
 * never enter the pure core.
 */
export function existingHosts(plan: ClusterPlan, args: LvsDrClusterArgs): PlatformHosts {
    const hosts = args.hosts;
    if (!hosts) {
        throw new Error("existingHosts called without args.hosts; validation should have refused this");
    }
    return {
        director: existingHost(plan.director, hosts.director, args),
        realServers: plan.realServers.map((rs, i) => existingHost(rs, hosts.realServers[i], args)),
        ids: {},
    };
}

function existingHost(host: HostPlan, hostArgs: LvsDrHostArgs, args: LvsDrClusterArgs): PlatformHost {
    return {
        address: host.address,
        interface: host.interface,
        sudo: host.ssh.sudo,
        connection: {
            host: host.ssh.host,
            port: host.ssh.port,
            user: host.ssh.user,
            privateKey: pulumi.secret(hostArgs.ssh?.privateKey ?? args.ssh.privateKey),
            ...(host.ssh.hostKey ? { hostKey: host.ssh.hostKey } : {}),
        },
        dependsOn: [],
    };
}
