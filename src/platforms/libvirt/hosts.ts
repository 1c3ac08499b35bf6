/**
 * The libvirt platform: an isolated network (or an existing one), and one VM per host, each
 * reachable over SSH once cloud-init has given it its user, key and static address.
 */
import type * as pulumi from "@pulumi/pulumi";
import { clusterResourceName, hostResourceName, roleOf } from "../../core/names";
import type { HostPlan } from "../../core/plan";
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
    // Each VM's inputs, rendered once: the guard compares them, the VM is made of them. With a
    // field they say (the image, the kernel, the public key) awaited, the shape's values there are
    // stand-ins: `known` is what they are made of, the shape only says which inputs there are.
    const rendered = new Map<HostPlan, { shape: VmInputs; known?: pulumi.Output<VmInputs> }>();
    const inputsOf = (host: HostPlan): { shape: VmInputs; known?: pulumi.Output<VmInputs> } => {
        let r = rendered.get(host);
        if (r === undefined) {
            const domain = libvirtNames.domain(plan.name, roleOf(plan, host));
            const pick = pickOf(plan, host);
            r = { shape: vmInputs(l, domain, host), known: known?.apply((k) => vmInputs(k.platform, domain, pick(k))) };
            rendered.set(host, r);
        }
        return r;
    };
    // Refuses, at preview, an update that would replace every director (both of a pair, all of a
    // list) or every real server.
    const guard = machineGuard(plan, (host) => {
        const r = inputsOf(host);
        return r.known ? r.known.apply(replacingSpec) : replacingSpec(r.shape);
    }, parent);
    const hosts = hostsOf(plan, (host) => {
        const role = roleOf(plan, host);
        const inputs = inputsOf(host);
        const machine = new LibvirtVm(hostResourceName(plan.name, role, "vm"), inputs.known ? eachInput(inputs.shape, inputs.known) : inputs.shape, {
            parent, dependsOn: [...(network ? [network] : []), guard],
            // Name, MAC and address are fixed: a replacement (`pulumi up --replace`, an input change)
            // deletes the old VM first, whatever the diff says.
            deleteBeforeReplace: true,
            // A kept VM stays as it is (keepMachine): the engine keeps its old inputs.
            ...(host.keepMachine ? { ignoreChanges: replacingInputs(inputs.shape) } : {}),
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
