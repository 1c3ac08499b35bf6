/**
 * The director modes, one module each: the plan's `mode` picks one. A new mode (several active
 * directors announced over BGP, say) is one member of `DirectorMode` (plan.ts), one module here
 * and one case below, which the compiler asks for.
 */
import type { ClusterPlan } from "../plan";
import type { DirectorModeModule } from "./mode";
import { singleMode } from "./single";
import { vrrpMode } from "./vrrp";

export type { DirectorModeModule } from "./mode";

export function modeOf(plan: Pick<ClusterPlan, "mode">): DirectorModeModule {
    const mode = plan.mode;
    switch (mode.kind) {
        case "single":
            return singleMode;
        case "vrrp":
            return vrrpMode(mode);
    }
}
