import * as pulumi from "@pulumi/pulumi";
import { type NetworkInputs, networkProvider, type VmInputs, vmProvider } from "./provider";

type Inputs<T> = { [K in keyof T]: pulumi.Input<T[K]> };

/** A libvirt network (defined, started, autostarted) managed through virsh. */
export class LibvirtNetwork extends pulumi.dynamic.Resource {
    declare readonly name: pulumi.Output<string>;

    constructor(name: string, args: Inputs<NetworkInputs>, opts?: pulumi.CustomResourceOptions) {
        super(networkProvider, name, { ...args }, opts, "lvs-dr", "LibvirtNetwork");
    }
}

/** A libvirt VM: qcow2 overlay disk, cloud-init seed, domain; deleting it removes all three. */
export class LibvirtVm extends pulumi.dynamic.Resource {
    declare readonly name: pulumi.Output<string>;

    constructor(name: string, args: Inputs<VmInputs>, opts?: pulumi.CustomResourceOptions) {
        super(vmProvider, name, { ...args }, opts, "lvs-dr", "LibvirtVm");
    }
}
