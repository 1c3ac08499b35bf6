import type { ClusterPlan } from "../../plan";

/** The first words of every director script's description: `LVS-DR director`, `LVS-TUN director`. */
export function directorTitle(plan: ClusterPlan): string {
    return `LVS-${plan.forwarding.toUpperCase()} director`;
}
