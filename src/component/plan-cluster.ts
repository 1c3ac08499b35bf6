/**
 * The component's plan, now and once its awaited fields are known (see core/validation/awaited.ts).
 * Without awaited fields (every value plain) both are the one plan validated at once, as before.
 */
import * as pulumi from "@pulumi/pulumi";
import type { LvsDrClusterArgs } from "../args";
import { findAwaited, standIns, withValues } from "../core/validation/awaited";
import type { Plan } from "../platforms";
import { validateClusterArgs } from "./validate";

export interface ClusterPlans {
    /**
     * Validated at once: every resource the cluster has, their names and every plain field. Where a
     * field is awaited it holds a stand-in: nothing may read an awaited field from it.
     */
    shape: Plan;
    /** The plan with the awaited values, validated when they are known (a refusal then fails the resources that read it). */
    known: pulumi.Output<Plan>;
    /** Whether any field is awaited (`known` is `shape` otherwise). */
    awaits: boolean;
}

/** @throws LvsDrArgsError for every problem found at once (the awaited fields' problems come when they are known). */
export function planCluster(args: LvsDrClusterArgs, name: string): ClusterPlans {
    const awaited = findAwaited(args);
    if (awaited.length === 0) {
        const plan = validateClusterArgs(args, name);
        return { shape: plan, known: pulumi.output(plan), awaits: false };
    }
    const shape = validateClusterArgs(withValues(args, awaited, standIns(args, awaited)), name);
    // Each awaited value is a string or an Output of one. The plan's own Outputs (a private key)
    // stay inside it as they are: apply lifts an Output only when the callback returns one whole.
    const values = awaited.map((a) => pulumi.output(a.value));
    const known = pulumi.all(values).apply((vs) => validateClusterArgs(withValues(args, awaited, vs), name));
    return { shape, known, awaits: true };
}
