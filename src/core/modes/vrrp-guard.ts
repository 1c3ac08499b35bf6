/**
 * A director pair's VRRP guard: where the network does not limit VRRP to the directors itself
 * (`plan.network.vrrpPeerFilter`), each director's host firewall drops the adverts for the
 * cluster's virtual router id that come from any source but its peer, before keepalived reads
 * them (keepalived's `check_unicast_src` ignores them too: this keeps them away from it). The
 * cluster's own nftables table (`vrrpGuardTable`), loaded by the up-script (setup and every boot),
 * deleted by teardown; the shell is `scripts/sh/vrrp-guard.sh`.
 */
import { vrrpGuardTable } from "../names";
import { addressFor, type ClusterPlan, type HostPlan, isIpv6, type Tool, type VrrpPlan } from "../plan";
import type { Library } from "../scripts/library";
import { call } from "../scripts/render";

/** Whether the directors' host firewall must limit VRRP to the peer (the network does not). */
export function guardsVrrp(plan: Pick<ClusterPlan, "network">): boolean {
    return plan.network.vrrpPeerFilter === "host-firewall";
}

/**
 * The addresses `director` accepts the cluster's VRRP adverts from: its peer's, in the family
 * VRRP speaks (the primary VIP's: in dual stack the IPv6 VIP rides along in the IPv4 instance).
 */
export function vrrpPeers(plan: ClusterPlan, director: HostPlan): string[] {
    return plan.directors.filter((d) => d !== director).map((d) => addressFor(d, plan.vip));
}

/** What the guard needs on the director. */
export function vrrpGuardTools(plan: ClusterPlan): Tool[] {
    return guardsVrrp(plan) ? [{ command: "nft", packages: ["nftables"] }] : [];
}

/** The libraries of the guard's lines (up and teardown alike). */
export function vrrpGuardLibraries(plan: ClusterPlan): Library[] {
    return guardsVrrp(plan) ? ["vrrp-guard"] : [];
}

/** Up-script lines: the cluster's guard table, as this director's peer and router id want it. */
export function vrrpGuardUp(plan: ClusterPlan, vrrp: VrrpPlan, director: HostPlan): string {
    if (!guardsVrrp(plan)) {
        return "";
    }
    return [
        "# VRRP adverts for this cluster's router id from the peer director only (the segment is open to others).",
        call("guard_vrrp", vrrpGuardTable(plan.vip), director.interface, vrrp.virtualRouterId, isIpv6(plan.vip) ? "ip6" : "ip",
            ...vrrpPeers(plan, director)),
    ].join("\n");
}

/** Teardown lines: the guard table deleted. */
export function vrrpGuardTeardown(plan: ClusterPlan): string {
    return guardsVrrp(plan) ? call("remove_vrrp_guard", vrrpGuardTable(plan.vip)) : "";
}
