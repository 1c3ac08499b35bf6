/**
 * The director modes, one module each: the plan's `mode` picks one. A new mode is one member of
 * `DirectorMode` (plan.ts), one module here and one case below, which the compiler asks for.
 */
import type { ClusterPlan } from "../plan";
import type { DirectorModeModule } from "./mode";
import { bgpMode } from "./bgp";
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
        case "bgp":
            return bgpMode(mode);
    }
}
