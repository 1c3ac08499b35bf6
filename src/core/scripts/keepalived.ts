/**
 * The keepalived configuration of one cluster on one director: its virtual servers with their
 * real servers and health checks and, for a director pair, the VRRP instance that moves the VIP
 * and the connection-sync daemon that follows it. One file per cluster, included from the main
 * configuration; every value in it was validated (addresses, numbers, whitelisted paths), so it
 * holds no quoting.
 */
import { hostPaths } from "../names";
import type { ClusterPlan, HealthCheckPlan, HostPlan, ServicePlan } from "../plan";

/** keepalived's name of a forwarding method. */
const METHOD = { dr: "DR", tun: "TUN" } as const;

/** The VRRP instance of a cluster: one name per VIP, so clusters on one director never clash. */
export function vrrpInstanceName(plan: ClusterPlan): string {
    return `lvs_dr_${plan.vip.replace(/\./g, "_")}`;
}

/** A line `keepalived` skips, marking where the rules script inserts real servers being drained. */
export function drainMarker(plan: ClusterPlan, svc: ServicePlan): string {
    return `# lvs-dr drain ${svc.protocol} ${plan.vip}:${svc.port}`;
}

function block(head: string, lines: string[], indent = ""): string[] {
    return [`${indent}${head} {`, ...lines.map((l) => `${indent}    ${l}`), `${indent}}`];
}

function checkLines(check: HealthCheckPlan, port: number): string[] {
    const timing = [
        `connect_port ${port}`,
        `connect_timeout ${check.timeoutSeconds}`,
        `retry ${check.retries}`,
        `delay_before_retry ${check.intervalSeconds}`,
    ];
    switch (check.kind) {
        case "none":
            return [];
        case "tcp":
            return block("TCP_CHECK", timing);
        case "http":
        case "https":
            return block(check.kind === "http" ? "HTTP_GET" : "SSL_GET", [
                ...block("url", [`path ${check.path}`, `status_code ${check.expectStatus}`]),
                ...timing,
            ]);
    }
}

/** The virtual_server block of one service; `allWeightsZero` for the drain before the cluster's removal. */
function virtualServer(plan: ClusterPlan, svc: ServicePlan, allWeightsZero: boolean): string[] {
    const check = svc.healthCheck;
    const realServers = plan.realServers.flatMap((rs) => block(`real_server ${rs.address} ${svc.port}`, [
        `weight ${allWeightsZero ? 0 : rs.weight}`,
        ...(check.kind !== "none" && check.failureAction === "weight0" ? ["inhibit_on_failure"] : []),
        ...checkLines(check, svc.port),
    ]));
    return block(`virtual_server ${plan.vip} ${svc.port}`, [
        `delay_loop ${check.intervalSeconds}`,
        `lvs_sched ${svc.scheduler}`,
        `lvs_method ${METHOD[plan.forwarding]}`,
        `protocol ${svc.protocol.toUpperCase()}`,
        ...(svc.persistenceSeconds > 0 ? [`persistence_timeout ${svc.persistenceSeconds}`] : []),
        ...(svc.sorryServer ? [`sorry_server ${svc.sorryServer} ${svc.port}`] : []),
        ...realServers,
        drainMarker(plan, svc),
    ]);
}

/**
 * VRRP of a pair: both BACKUP with nopreempt (a director that comes back stays backup instead of
 * taking the VIP with an empty connection table); the first director has the higher priority so
 * that it is the one that takes the VIP when both start. Unicast adverts: no multicast needed.
 * With nopreempt the priorities decide nothing else, so they are high: a backup declares the
 * master down after 3 adverts plus a skew of (256 - priority) / 256 adverts (RFC 5798), 0.06 s
 * at 240 where the usual 100 would add 0.6 s to every takeover.
 */
function vrrpInstance(plan: ClusterPlan, director: HostPlan): string[] {
    const vrrp = plan.vrrp;
    if (!vrrp) {
        return [];
    }
    const index = plan.directors.indexOf(director);
    const peers = plan.directors.filter((d) => d !== director).map((d) => d.address);
    const name = vrrpInstanceName(plan);
    // On AWS only the EC2 API moves the VIP (a secondary private address): the new master calls it.
    const aws = plan.platform.kind === "aws";
    return [
        ...block("global_defs", [
            // The IPVS sync daemon follows this instance: master on the VIP holder, backup on the
            // other. One per keepalived: with several pairs on one director, the last file's wins.
            `lvs_sync_daemon ${director.interface} ${name} id ${vrrp.virtualRouterId}`,
            ...(aws ? ["enable_script_security", "script_user root"] : []),
        ]),
        ...block(`vrrp_instance ${name}`, [
            "state BACKUP",
            "nopreempt",
            "version 3",
            `interface ${director.interface}`,
            `virtual_router_id ${vrrp.virtualRouterId}`,
            `priority ${index === 0 ? 250 : 240}`,
            `advert_int ${vrrp.advertIntervalSeconds}`,
            `unicast_src_ip ${director.address}`,
            ...block("unicast_peer", peers),
            ...block("virtual_ipaddress", [`${plan.vip}/32 dev ${director.interface}`]),
            // Gratuitous ARPs on takeover, repeated once after a second for switches that missed them.
            "garp_master_delay 1",
            "garp_master_repeat 3",
            ...(aws ? [`notify_master "${hostPaths(plan.vip, "director").takeVipScript}"`] : []),
        ]),
    ];
}

export interface KeepalivedOptions {
    /** Every real server at weight 0: the first step of the cluster's removal (drain). */
    allWeightsZero?: boolean;
}

/** This cluster's keepalived file on `director`. */
export function renderKeepalivedConfig(plan: ClusterPlan, director: HostPlan, options: KeepalivedOptions = {}): string {
    return [
        `# lvs-dr cluster ${plan.name}, VIP ${plan.vip}, on director ${director.address}.`,
        "# Written by lvs-dr on every apply: edit the Pulumi program, not this file.",
        ...vrrpInstance(plan, director),
        ...plan.services.flatMap((svc) => virtualServer(plan, svc, options.allWeightsZero ?? false)),
        "",
    ].join("\n");
}
