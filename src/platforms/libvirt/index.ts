/**
 * The libvirt platform: an isolated network (or an existing one), and one VM per host, each
 * reachable over SSH once cloud-init has given it its user, key and static address.
 */
import * as pulumi from "@pulumi/pulumi";
import type { ClusterPlan, HostPlan } from "../../core/plan";
import type { PlatformHost, PlatformHosts } from "../host";
import { waitForSsh } from "../wait-ssh";
import { networkInputs, vmInputs } from "./inputs";
import { LibvirtNetwork, LibvirtVm } from "./resources";

export function libvirtHosts(
    name: string, plan: ClusterPlan, privateKey: pulumi.Input<string>, parent: pulumi.Resource,
): PlatformHosts {
    const l = plan.libvirt;
    if (!l || !plan.sshPublicKey) {
        throw new Error("libvirtHosts called without a validated libvirt plan");
    }
    const netInputs = networkInputs(l);
    const network = netInputs && new LibvirtNetwork(`${name}-network`, netInputs, { parent });

    const vm = (resourceName: string, domain: string, host: HostPlan): PlatformHost => {
        const machine = new LibvirtVm(`${resourceName}-vm`, vmInputs(l, domain, host, plan.sshPublicKey!),
            { parent, dependsOn: network ? [network] : [] });
        const connection = {
            host: host.address, port: host.ssh.port, user: host.ssh.user, privateKey: pulumi.secret(privateKey),
        };
        const ready = waitForSsh(`${resourceName}-ssh`, connection, machine, parent);
        return { address: host.address, interface: host.interface, connection, sudo: host.ssh.sudo, dependsOn: [ready] };
    };

    return {
        director: vm(`${name}-director`, l.directorDomain, plan.director),
        realServers: plan.realServers.map((rs, i) => vm(`${name}-rs-${rs.name}`, l.realServerDomains[i], rs)),
        ids: {
            libvirtNetworkName: l.createNetwork?.name ?? l.network ?? l.bridge,
            libvirtDomainNames: [l.directorDomain, ...l.realServerDomains],
        },
    };
}
