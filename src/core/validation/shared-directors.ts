/**
 * Clusters of one program that share a director (the same machine: SSH host and port): what one
 * claims there must not be another's. keepalived refuses two VRRP instances with one router id on
 * one interface ("duplicate VRID conflict"), a firewall mark in two clusters mixes their servers
 * in each one's table readers, and a VIP keys a cluster's files and units. The host scripts check
 * the same on the director (what other stacks put there); this refuses it at preview, with the
 * other argument problems. Pure.
 */
import type { ArgsProblem } from "./checker";
import { type ClusterPlan, markOf, virtualServices } from "../plan";

/** What a cluster claims on each director machine. */
export interface DirectorClaims {
    cluster: string;
    /** Per director: the machine (`ssh host:port`), its interface, and the cluster's router id there. */
    directors: { machine: string; interface: string; routerId?: number }[];
    vips: string[];
    marks: { mark: number; field: string }[];
}

export function claimsOf(plan: ClusterPlan): DirectorClaims {
    const routerId = plan.mode.kind === "vrrp" ? plan.mode.virtualRouterId : undefined;
    return {
        cluster: plan.name,
        directors: plan.directors.filter((d) => !d.gone).map((d) => ({
            machine: `${d.ssh.host}:${d.ssh.port}`, interface: d.interface, ...(routerId === undefined ? {} : { routerId }),
        })),
        vips: plan.vip6 ? [plan.vip, plan.vip6] : [plan.vip],
        marks: virtualServices(plan).flatMap(({ vip, svc }) => {
            const mark = markOf(plan, svc, vip);
            return mark === undefined ? [] : [{ mark, field: `services[${plan.services.indexOf(svc)}]` }];
        }),
    };
}

/** Every claim of `mine` that another cluster holds on a director they share. */
export function sharedDirectorProblems(mine: DirectorClaims, others: DirectorClaims[]): ArgsProblem[] {
    const problems: ArgsProblem[] = [];
    for (const other of others) {
        const shared = mine.directors.filter((d) => other.directors.some((o) => o.machine === d.machine));
        if (shared.length === 0) {
            continue;
        }
        const where = `director ${shared[0].machine.replace(/:\d+$/, "")} with cluster "${other.cluster}"`;
        for (const vip of mine.vips.filter((v) => other.vips.includes(v))) {
            problems.push({ field: vip === mine.vips[0] ? "vip" : "vip6", value: vip, problem: `is also the VIP of ${where}, which shares it`,
                fix: "give each cluster its own VIP: a cluster's files and units on a director are named after it" });
        }
        const vrid = shared.find((d) => d.routerId !== undefined
            && other.directors.some((o) => o.machine === d.machine && o.interface === d.interface && o.routerId === d.routerId));
        if (vrid) {
            problems.push({ field: "vrrp.virtualRouterId", value: vrid.routerId,
                problem: `is also the VRRP router id of ${where} on ${vrid.interface}: keepalived refuses a duplicate`,
                fix: "set vrrp.virtualRouterId (1-255) to one no other cluster uses on these directors" });
        }
        for (const { mark, field } of mine.marks.filter((m) => other.marks.some((o) => o.mark === m.mark))) {
            problems.push({ field, value: mark, problem: `has firewall mark ${mark}, which ${where} also uses`,
                fix: `give ${field}.fwmark a mark no other cluster on these directors uses` });
        }
    }
    return problems;
}
