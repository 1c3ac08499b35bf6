/**
 * The libvirt platform: an isolated network (or an existing one), and one VM per host, each
 * reachable over SSH once cloud-init has given it its user, key and static address.
 */
import { clusterResourceName, hostResourceName, roleOf } from "../../core/names";
import type { HostPlan } from "../../core/plan";
import { type CreateHosts, hostsOf } from "../platform";
import { withAuthorizedKeys } from "../vm/authorized-keys";
import { createdHost } from "../vm/created-host";
import { machineGuard } from "../vm/machine-guard-resource";
import { networkInputs, vmInputs } from "./inputs";
import { libvirtNames } from "./names";
import type { LibvirtPlatformPlan } from "./plan";
import { replacingInputs, replacingSpec, type VmInputs } from "./provider";
import { LibvirtNetwork, LibvirtVm } from "./resources";

export const libvirtHosts: CreateHosts<LibvirtPlatformPlan> = (plan, l, parent) => {
    const netInputs = networkInputs(l);
    const network = netInputs && new LibvirtNetwork(clusterResourceName(plan.name, "network"), netInputs, { parent });
    // Each VM's inputs, rendered once: the guard compares them, the VM is made of them.
    const rendered = new Map<HostPlan, VmInputs>();
    const inputsOf = (host: HostPlan): VmInputs => rendered.get(host)
        ?? rendered.set(host, vmInputs(l, libvirtNames.domain(plan.name, roleOf(plan, host)), host)).get(host)!;
    // Refuses, at preview, an update that would replace both directors or every real server.
    const guard = machineGuard(plan, (host) => replacingSpec(inputsOf(host)), parent);
    const hosts = hostsOf(plan, (host) => {
        const role = roleOf(plan, host);
        const inputs = inputsOf(host);
        const machine = new LibvirtVm(hostResourceName(plan.name, role, "vm"), inputs, {
            parent, dependsOn: [...(network ? [network] : []), guard],
            // Name, MAC and address are fixed: a replacement (`pulumi up --replace`, an input change)
            // deletes the old VM first, whatever the diff says.
            deleteBeforeReplace: true,
            // A kept VM stays as it is (keepMachine): the engine keeps its old inputs.
            ...(host.keepMachine ? { ignoreChanges: replacingInputs(inputs) } : {}),
        });
        // The VM's setup waits for its user's keys to be the cluster's (../vm/authorized-keys.ts).
        return withAuthorizedKeys(plan, role, createdHost(plan, role, host, machine, machine.instanceId, host.address, machine.hostKey, parent),
            l.sshAuthorizedKeys, parent);
    });
    return {
        hosts,
        ids: {
            libvirtNetworkName: l.network.name,
            libvirtDomainNames: [...hosts].filter(([, h]) => !h.gone).map(([host]) => libvirtNames.domain(plan.name, roleOf(plan, host))),
        },
    };
};
