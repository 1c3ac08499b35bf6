/**
 * One director: it always holds the VIP, bound by its up-script at setup and every boot, and
 * announces it where the network learns addresses from gratuitous ARP (its neighbours may map the
 * VIP to another MAC: a director it replaced).
 */
import { hostPrefix } from "../ip";
import { type ClusterPlan, type HostPlan, isIpv6, vipsOf } from "../plan";
import { call } from "../scripts/render";
import type { DirectorModeModule } from "./mode";

/** The network learns the VIP from gratuitous ARP (a network that routes it itself wants nothing). */
function announces(plan: ClusterPlan): boolean {
    return plan.network.vipAnnouncement === "gratuitous-arp";
}

/**
 * The VIP bindings, each IPv4 VIP announced by gratuitous ARP where the network wants it. IPv6 has
 * no standard tool for an unsolicited advertisement; a neighbour's IPv6 entry is re-verified by
 * NUD within seconds.
 */
function bindVips(plan: ClusterPlan, director: HostPlan): string {
    return vipsOf(plan).flatMap((v) => isIpv6(v) ? [call("bind_vip6", hostPrefix(v), director.interface)]
        : [call("bind_vip", hostPrefix(v), director.interface), ...(announces(plan) ? [call("announce_vip", v, director.interface)] : [])]).join("\n");
}

export const singleMode: DirectorModeModule = {
    tools: (plan) => announces(plan) ? [{ command: "arping", packages: ["iputils-arping", "iputils"] }] : [],
    sysctls: [],
    upLibraries: (plan) => announces(plan) ? ["announce"] : [],
    upLines: bindVips,
    // The VIP is unbound by the director's teardown itself.
    teardownLibraries: () => [],
    teardownLines: () => "",
    setupLibraries: () => [],
    setupFiles: () => "",
    bootUnitWhat: (_plan, director) => `IPVS parameters, VIP on ${director.interface}`,
    setupDone: (plan, director) => `VIP${plan.vip6 ? "s" : ""} ${vipsOf(plan).join(" and ")} bound on ${director.interface}`,
    keepalived: () => [],
    virtualServerLines: () => [],
    rulesLibraries: () => [],
    rulesLines: () => "",
    leaveLines: () => "",
    drainsOnRemoval: true,
    realServersCheckGateway: true,
    forwards: "while-holding-vip",
};
