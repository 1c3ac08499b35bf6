/**
 * What the component says about itself on every run: one line of what it builds, and a warning
 * for each risk the arguments take. Pure text from the plan; the platform adds its own risks.
 */
import type { ClusterPlan } from "../core/plan";

/** e.g. `lvs-dr web: libvirt (VMs on a hypervisor), a VRRP pair (router id 42), VIP 192.168.77.100, 3 real servers, DR, tcp/80 wlc`. */
export function planSummary(plan: ClusterPlan, platform: string): string {
    const mode = plan.mode.kind === "vrrp" ? `a VRRP pair (router id ${plan.mode.virtualRouterId})`
        : plan.mode.kind === "bgp" ? `${plan.directors.length} active-active directors (BGP, AS ${plan.mode.asn})` : "one director";
    const vips = plan.vip6 ? `VIPs ${plan.vip} and ${plan.vip6}` : `VIP ${plan.vip}`;
    const gone = plan.goneRealServers.length > 0 ? ` (and ${plan.goneRealServers.length} marked gone)` : "";
    const servers = `${plan.realServers.length} real server${plan.realServers.length === 1 ? "" : "s"}${gone}`;
    const services = plan.services.map((s) => `${s.protocol}/${s.fwmark ? s.fwmark.ports.join("+") : s.port} ${s.scheduler}`).join(", ");
    return `lvs-dr ${plan.name}: ${plan.platform.kind} (${platform}), ${mode}, ${vips}, ${servers}, ${plan.forwarding.toUpperCase()}, ${services}`;
}

/** The risks the cluster's own arguments take (the platform's come from its registry entry). */
export function planRisks(plan: ClusterPlan): string[] {
    const risks: string[] = [];
    if (plan.mode.kind === "vrrp" && plan.mode.derivedVirtualRouterId) {
        risks.push(`lvs-dr ${plan.name}: the VRRP router id ${plan.mode.virtualRouterId} is derived from the VIP: another VRRP `
            + "cluster on the same segment has the same one with a chance of 1 in 255 (and their directors then fight over "
            + "both VIPs); set vrrp.virtualRouterId to one you keep unique on the segment");
    }
    return risks;
}
