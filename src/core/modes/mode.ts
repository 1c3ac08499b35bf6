/**
 * What a director mode contributes to the director's scripts: who holds the VIP and how it moves
 * is the mode's alone. The host setup, the up-script, the keepalived file and the drain ask the
 * mode of the plan (`modeOf`, ./index.ts) and never test which mode it is.
 */
import type { ClusterPlan, HostPlan, ServicePlan, Tool } from "../plan";
import type { Sysctl } from "../scripts/kernel-parameters";
import type { Library } from "../scripts/library";

export interface DirectorModeModule {
    /** What the director's setup installs beyond ipvsadm and keepalived. */
    tools(plan: ClusterPlan): Tool[];
    /** The mode's kernel parameters, after the ones every director needs. */
    sysctls: Sysctl[];
    /** The libraries `upLines` calls. */
    upLibraries(plan: ClusterPlan): Library[];
    /**
     * Up-script lines (setup and every boot), after the IPVS parameters: the VIP where this
     * director always holds it; a pair's VRRP guard where the host firewall must keep it.
     */
    upLines(plan: ClusterPlan, director: HostPlan): string;
    /** The libraries `teardownLines` calls. */
    teardownLibraries(plan: ClusterPlan): Library[];
    /**
     * Teardown lines, before the parameters are restored: undo what `upLines` made that the rest of
     * the teardown does not (a pair's VRRP guard table). Safe to repeat.
     */
    teardownLines(plan: ClusterPlan, director: HostPlan): string;
    /** The libraries `setupFiles` calls. */
    setupLibraries(plan: ClusterPlan): Library[];
    /** Setup: the files the mode writes on the director (a takeover hook), and what it starts (a BGP speaker). */
    setupFiles(plan: ClusterPlan, director: HostPlan): string;
    /** What the boot unit sets up, for its description. */
    bootUnitWhat(plan: ClusterPlan, director: HostPlan): string;
    /** The setup's last message. */
    setupDone(plan: ClusterPlan, director: HostPlan): string;
    /** The mode's part of the cluster's keepalived file, before its virtual servers. */
    keepalived(plan: ClusterPlan, director: HostPlan): string[];
    /** The mode's lines in each virtual_server block (scheduler flags, quorum hooks). */
    virtualServerLines(plan: ClusterPlan, vip: string, svc: ServicePlan): string[];
    /** The libraries `rulesLines` and `leaveLines` call. */
    rulesLibraries(plan: ClusterPlan): Library[];
    /**
     * The rules' last lines, once the table is applied: what the mode reports after the table on
     * file descriptor 3 (the rules' stdout, the component's outputs).
     */
    rulesLines(plan: ClusterPlan, director: HostPlan): string;
    /** The first lines of the rules' removal: a director that leaves stops taking traffic (a BGP withdrawal). */
    leaveLines(plan: ClusterPlan, director: HostPlan): string;
    /**
     * Whether the rules' removal drains every real server first (weight 0 until their connections
     * end): where the director's connections have nowhere else to go. Not where other directors
     * carry them on.
     */
    drainsOnRemoval: boolean;
    /**
     * Whether each real server's setup refuses a default gateway that is a director. Not where
     * directors come and go (active-active): the check would tie every real server's setup to the
     * list of directors, and a director's join or leave would re-run every real server's setup.
     */
    realServersCheckGateway: boolean;
    /**
     * When a director of this mode forwards the VIP's traffic, and so when a drain has connections
     * to wait for there: only while it holds the VIP, or always (every director active).
     */
    forwards: "while-holding-vip" | "always";
}
