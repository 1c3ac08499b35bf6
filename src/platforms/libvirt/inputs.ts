/**
 * The inputs of the libvirt resources, computed from the plan. Shared by the platform (which
 * hands them to the dynamic resources) and the VM lab (which calls the providers with them).
 */
import { renderNetworkXml, vmSpec } from "../../core/libvirt-xml";
import type { HostPlan, LibvirtPlan } from "../../core/plan";
import type { NetworkInputs, VmInputs } from "./provider";

const GIB = 1024 ** 3;

/** The network to create, when the plan creates one. */
export function networkInputs(l: LibvirtPlan): NetworkInputs | undefined {
    return l.createNetwork && { uri: l.uri, name: l.createNetwork.name, xml: renderNetworkXml(l.createNetwork), autostart: true };
}

export function vmInputs(l: LibvirtPlan, domain: string, host: HostPlan, publicKey: string): VmInputs {
    const spec = vmSpec(l, domain, host, host.ssh.user, publicKey);
    return {
        uri: l.uri, pool: l.pool, name: domain, baseImage: l.baseImage, diskBytes: l.diskGiB * GIB,
        diskVolume: spec.diskVolume, seedVolume: spec.seedVolume, domainXml: spec.domainXml,
        userData: spec.userData, metaData: spec.metaData, networkConfig: spec.networkConfig, autostart: true,
    };
}
