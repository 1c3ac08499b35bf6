/**
 * The inputs of the libvirt resources, computed from the plan. Shared by the platform (which
 * hands them to the dynamic resources) and the VM lab (which calls the providers with them). Pure.
 */
import type { HostPlan } from "../../core/plan";
import type { LibvirtPlatformPlan } from "./plan";
import type { NetworkInputs, VmInputs } from "./provider";
import { renderNetworkXml, vmSpec } from "./xml";

const GIB = 1024 ** 3;

/** The network to create, when the plan creates one. */
export function networkInputs(l: LibvirtPlatformPlan): NetworkInputs | undefined {
    return l.network.kind === "create"
        ? { uri: l.uri, name: l.network.name, xml: renderNetworkXml(l.network), autostart: true }
        : undefined;
}

export function vmInputs(l: LibvirtPlatformPlan, domain: string, host: HostPlan): VmInputs {
    const spec = vmSpec(l, domain, host);
    return {
        uri: l.uri, pool: l.pool, name: domain, baseImage: l.baseImage, diskBytes: l.diskGiB * GIB,
        diskVolume: spec.diskVolume, seedVolume: spec.seedVolume, domainXml: spec.domainXml,
        userData: spec.userData, metaData: spec.metaData, networkConfig: spec.networkConfig, autostart: true,
    };
}
