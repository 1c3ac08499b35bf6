/**
 * The libvirt platform: an isolated network (or an existing one), and one VM per host, each
 * reachable over SSH once cloud-init has given it its user, key and static address.
 */
import type * as pulumi from "@pulumi/pulumi";
import { clusterResourceName, hostResourceName, roleOf } from "../../core/names";
import type { ClusterPlan, HostPlan } from "../../core/plan";
import { type CreateHosts, eachInput, hostsOf, pickOf } from "../platform";
import { withAuthorizedKeys } from "../vm/authorized-keys";
import { createdHost } from "../vm/created-host";
import { machineGuard } from "../vm/machine-guard-resource";
import { networkInputs, vmInputs } from "./inputs";
import { libvirtNames } from "./names";
import type { LibvirtPlatformPlan } from "./plan";
import { replacingInputs, replacingSpec, type VmInputs } from "./provider";
import { LibvirtNetwork, LibvirtVm } from "./resources";

export const libvirtHosts: CreateHosts<LibvirtPlatformPlan> = (plan, l, parent, known) => {
    const netInputs = networkInputs(l);
    const network = netInputs && new LibvirtNetwork(clusterResourceName(plan.name, "network"), netInputs, { parent });
    // Each VM's inputs, rendered once: the guard compares them, the VM is made of them. Rendered
    // from `known` when a field they say (the image, the kernel, the public key) is awaited: the
    // shape's values there are stand-ins.
    const rendered = new Map<HostPlan, VmInputs>();
    const inputsOf = (host: HostPlan): VmInputs => rendered.get(host)
        ?? rendered.set(host, vmInputs(l, libvirtNames.domain(plan.name, roleOf(plan, host)), host)).get(host)!;
    const awaitedOf = (host: HostPlan): pulumi.Output<VmInputs> => {
        const pick = pickOf(plan, host);
        const domain = libvirtNames.domain(plan.name, roleOf(plan, host));
        return (known as pulumi.Output<ClusterPlan<LibvirtPlatformPlan>>).apply((k) => vmInputs(k.platform, domain, pick(k)));
    };
    // Refuses, at preview, an update that would replace both directors or every real server.
    const guard = machineGuard(plan, (host) => (known ? awaitedOf(host).apply(replacingSpec) : replacingSpec(inputsOf(host))), parent);
    const hosts = hostsOf(plan, (host) => {
        const role = roleOf(plan, host);
        const inputs = inputsOf(host);
        const awaited = known ? awaitedOf(host) : undefined;
        const machine = new LibvirtVm(hostResourceName(plan.name, role, "vm"), awaited ? eachInput(inputs, awaited) : inputs, {
            parent, dependsOn: [...(network ? [network] : []), guard],
            // Name, MAC and address are fixed: a replacement (`pulumi up --replace`, an input change)
            // deletes the old VM first, whatever the diff says.
            deleteBeforeReplace: true,
            // A kept VM stays as it is (keepMachine): the engine keeps its old inputs.
            ...(host.keepMachine ? { ignoreChanges: replacingInputs(inputs) } : {}),
        });
        // The VM's setup waits for its user's keys to be the cluster's (../vm/authorized-keys.ts).
        return withAuthorizedKeys(plan, role, createdHost(plan, role, host, machine, machine.instanceId, host.address, machine.hostKey, parent),
            known ? known.apply((k) => k.platform.sshAuthorizedKeys) : l.sshAuthorizedKeys, parent);
    });
    return {
        hosts,
        ids: {
            libvirtNetworkName: l.network.name,
            libvirtDomainNames: [...hosts].filter(([, h]) => !h.gone).map(([host]) => libvirtNames.domain(plan.name, roleOf(plan, host))),
        },
    };
};
