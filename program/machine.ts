/**
 * A machine another resource of the program makes, as far as the cluster sees it: a resource whose
 * `address` output is known only once it is created (like a VM's or an instance's address). The
 * root project's `composed` mode (program/index.ts) gives the `hosts` platform its machines through
 * it, so the engine deploys a cluster whose addresses are Outputs, unknown in a first preview.
 * It creates nothing: `at` is where the machine already is (the lab's VMs).
 */
import * as pulumi from "@pulumi/pulumi";

interface MachineInputs {
    at: string;
}

const provider: pulumi.dynamic.ResourceProvider<MachineInputs, { at: string; address: string }> = {
    // An output the inputs do not hold: a preview of its creation leaves it unknown.
    create: (inputs) => Promise.resolve({ id: inputs.at, outs: { at: inputs.at, address: inputs.at } }),
    diff: (_id, olds, news) => Promise.resolve({ changes: olds.at !== news.at, replaces: olds.at !== news.at ? ["at"] : [] }),
};

export class Machine extends pulumi.dynamic.Resource {
    declare readonly address: pulumi.Output<string>;

    constructor(name: string, args: { at: pulumi.Input<string> }, opts?: pulumi.CustomResourceOptions) {
        super(provider, name, { ...args, address: undefined }, opts, "lvsdr-lab", "Machine");
    }
}
