/**
 * The libvirt platform: an isolated network (or an existing one), and one VM per host, each
 * reachable over SSH once cloud-init has given it its user, key and static address.
 */
import { clusterResourceName, directorRole, hostResourceName, libvirtNames, realServerRole } from "../../core/names";
import type { HostPlan, LibvirtPlatformPlan } from "../../core/plan";
import { type CreateHosts, createdHost } from "../platform";
import { networkInputs, vmInputs } from "./inputs";
import { LibvirtNetwork, LibvirtVm } from "./resources";

export const libvirtHosts: CreateHosts<LibvirtPlatformPlan> = (plan, l, parent) => {
    const netInputs = networkInputs(l);
    const network = netInputs && new LibvirtNetwork(clusterResourceName(plan.name, "network"), netInputs, { parent });
    const vm = (role: string, host: HostPlan) => {
        const machine = new LibvirtVm(hostResourceName(plan.name, role, "vm"), vmInputs(l, libvirtNames.domain(plan.name, role), host),
            // Name, MAC and address are fixed: a replacement (`pulumi up --replace`, an input change)
            // deletes the old VM first, whatever the diff says.
            { parent, dependsOn: network ? [network] : [], deleteBeforeReplace: true });
        return createdHost(plan, role, host, machine, machine.instanceId, host.address, parent);
    };
    const roles = [...plan.directors.map((_, i) => directorRole(i)), ...plan.realServers.map((rs) => realServerRole(rs.name))];
    return {
        directors: plan.directors.map((d, i) => vm(directorRole(i), d)),
        realServers: plan.realServers.map((rs) => vm(realServerRole(rs.name), rs)),
        ids: {
            libvirtNetworkName: l.network.name,
            libvirtDomainNames: roles.map((role) => libvirtNames.domain(plan.name, role)),
        },
    };
};
