/**
 * The keepalived configuration of one cluster on one director: the director mode's part (a pair's
 * VRRP instance and sync daemon, `core/modes/`), then the virtual servers that make keepalived the
 * owner of the cluster's table (./virtual-servers.ts). One file per cluster, included from the main
 * configuration.
 */
import { modeOf } from "../../modes";
import { type ClusterPlan, type HostPlan, virtualServices } from "../../plan";
import { virtualServer } from "./virtual-servers";

export interface KeepalivedOptions {
    /** Every real server at weight 0: the first step of the cluster's removal (drain). */
    allWeightsZero?: boolean;
}

/** This cluster's keepalived file on `director`. */
export function renderKeepalivedConfig(plan: ClusterPlan, director: HostPlan, options: KeepalivedOptions = {}): string {
    return [
        `# lvs-dr cluster ${plan.name}, VIP ${plan.vip}${plan.vip6 ? ` and ${plan.vip6}` : ""}, on director ${director.address}.`,
        "# Written by lvs-dr on every apply: edit the Pulumi program, not this file.",
        ...modeOf(plan).keepalived(plan, director),
        ...virtualServices(plan).flatMap(({ vip, svc }) => virtualServer(plan, vip, svc, options.allWeightsZero ?? false)),
        "",
    ].join("\n");
}
