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
    /**
     * New with every VM the provider creates (a UUID): a replaced VM keeps its name, its MAC and its
     * address. Absent in the state of VMs created before lvs-dr had it.
     */
    declare readonly instanceId: pulumi.Output<string | undefined>;
    /**
     * The VM's SSH host key (`ssh-ed25519 …`), made by the provider and handed to the VM in its
     * cloud-init seed. Absent in the state of VMs created before lvs-dr pinned host keys.
     */
    declare readonly hostKey: pulumi.Output<string | undefined>;

    constructor(name: string, args: Inputs<VmInputs>, opts?: pulumi.CustomResourceOptions) {
        // A dynamic resource exposes only the outputs named in its properties.
        super(vmProvider, name, { instanceId: undefined, hostKey: undefined, ...args }, opts, "lvs-dr", "LibvirtVm");
    }
}
