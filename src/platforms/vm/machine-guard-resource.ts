/**
 * The guard of ./machine-guard.ts as a resource: one per cluster on a platform that creates
 * machines, registered before them (each machine depends on it). Its check runs at preview and
 * refuses an update that would take every director, or every real server, down at once; its state
 * is what each machine was made with, the only record of the last update a program can compare
 * with (the machines' own diffs see one machine each).
 */
import * as pulumi from "@pulumi/pulumi";
import { clusterResourceName, roleOf } from "../../core/names";
import type { ClusterPlan, HostPlan } from "../../core/plan";
import { changedMachines, type GuardedMachine, guardedMachines, type MachineGuardInputs, replacementProblems } from "./machine-guard";

/** A machine as the guard's inputs take it: its spec may come from a value another resource gives. */
type GuardedMachineInput = Omit<GuardedMachine, "spec"> & { spec: pulumi.Input<string> };

/** Exported for its unit test: the engine calls its check at preview. */
export const machineGuardProvider: pulumi.dynamic.ResourceProvider = {
    async check(olds: Partial<MachineGuardInputs>, news: MachineGuardInputs) {
        const problems = replacementProblems(olds, news);
        return {
            inputs: { ...news, machines: guardedMachines(olds, news) },
            failures: problems.map((reason) => ({ property: "machines", reason })),
        };
    },
    // A change is a machine whose settings changed. Machines added or removed are none: scaling
    // one server shows no update here (a step that changes nothing still records the new inputs).
    async diff(_id, olds: MachineGuardInputs, news: MachineGuardInputs) {
        return { changes: changedMachines(olds, news).length > 0 };
    },
    async create(inputs: MachineGuardInputs) {
        return { id: "machines", outs: inputs };
    },
    async update(_id, _olds, news: MachineGuardInputs) {
        return { outs: news };
    },
};

/** The cluster's machine guard (`<cluster>-machines`). */
export class MachineGuard extends pulumi.dynamic.Resource {
    constructor(name: string, args: { machines: pulumi.Input<pulumi.Input<GuardedMachineInput>[]> }, opts?: pulumi.CustomResourceOptions) {
        super(machineGuardProvider, name, args, opts, "lvs-dr", "MachineGuard");
    }
}

/**
 * The guard of the plan's machines (gone hosts have none), each with what of its settings would
 * replace or restart it (`spec`, from the platform). Every machine depends on it.
 */
export function machineGuard(plan: ClusterPlan, spec: (host: HostPlan) => pulumi.Input<string>, parent: pulumi.Resource): MachineGuard {
    const hosts = [...plan.directors, ...plan.realServers].filter((h) => !h.gone);
    return new MachineGuard(clusterResourceName(plan.name, "machines"), {
        machines: hosts.map((h) => ({
            role: roleOf(plan, h), group: plan.directors.includes(h) ? "directors" : "realServers", spec: spec(h), keep: h.keepMachine === true,
        })),
    }, { parent });
}
