/**
 * keepalived as the owner of the director's table: one `virtual_server` block per service and VIP,
 * with its real servers, their weights and health checks, a sorry server, and the marker where
 * the rules insert real servers being drained. Every value was validated (addresses, numbers,
 * whitelisted paths), so the file holds no quoting.
 */
import { withPort } from "../../ip";
import { modeOf } from "../../modes";
import {
    addressFor, type ClusterPlan, type HealthCheckPlan, isIpv6, markOf, realServerPort, type ServicePlan, sorryServerFor,
} from "../../plan";

/** keepalived's name of a forwarding method. */
const METHOD = { dr: "DR", tun: "TUN" } as const;

/**
 * A line `keepalived` skips, marking where the rules script inserts real servers being drained;
 * the service as ipvsadm writes it (`[fd77::100]:80` for IPv6, the mark of a firewall-mark service).
 */
function drainMarker(plan: Pick<ClusterPlan, "vip6">, vip: string, svc: ServicePlan): string {
    const mark = markOf(plan, svc, vip);
    return mark === undefined ? `# lvs-dr drain ${svc.protocol} ${withPort(vip, svc.port)}` : `# lvs-dr drain fwmark ${mark}`;
}

export function block(head: string, lines: string[], indent = ""): string[] {
    return [`${indent}${head} {`, ...lines.map((l) => `${indent}    ${l}`), `${indent}}`];
}

/** One health check kind, one case: its keepalived checker block for `port`. */
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
        case "udp":
            return block("UDP_CHECK", [
                ...timing,
                ...(check.payload ? [`payload ${check.payload}`] : []),
                ...(check.requireReply ? ["require_reply"] : []),
            ]);
        case "http":
        case "https":
            return block(check.kind === "http" ? "HTTP_GET" : "SSL_GET", [
                ...block("url", [`path ${check.path}`, `status_code ${check.expectStatus}`]),
                ...timing,
            ]);
    }
}

/**
 * The ports a real server's checks probe: the service's port; for a firewall-mark service each of
 * its ports with tcp and udp checks (keepalived fails a real server when any of its checkers
 * fails), the first one with http and https checks.
 */
function checkedPorts(svc: ServicePlan): number[] {
    const kind = svc.healthCheck.kind;
    return svc.fwmark !== undefined && (kind === "tcp" || kind === "udp") ? svc.fwmark.ports : [svc.port];
}

/** The virtual_server block of one service on one VIP; `allWeightsZero` for the drain before the cluster's removal. */
export function virtualServer(plan: ClusterPlan, vip: string, svc: ServicePlan, allWeightsZero: boolean): string[] {
    const check = svc.healthCheck;
    const sorry = sorryServerFor(svc, vip);
    const mark = markOf(plan, svc, vip);
    const realServers = plan.realServers.flatMap((rs) => block(`real_server ${addressFor(rs, vip)} ${realServerPort(svc)}`, [
        `weight ${allWeightsZero ? 0 : rs.weight}`,
        ...(check.kind !== "none" && check.failureAction === "weight0" ? ["inhibit_on_failure"] : []),
        ...checkedPorts(svc).flatMap((port) => checkLines(check, port)),
    ]));
    return block(mark === undefined ? `virtual_server ${vip} ${svc.port}` : `virtual_server fwmark ${mark}`, [
        `delay_loop ${check.intervalSeconds}`,
        `lvs_sched ${svc.scheduler}`,
        ...modeOf(plan).virtualServerLines(plan, vip, svc),
        `lvs_method ${METHOD[plan.forwarding]}`,
        // A mark says nothing of the family, nor of the protocol (keepalived warns on one).
        ...(mark === undefined ? [`protocol ${svc.protocol.toUpperCase()}`] : isIpv6(vip) ? ["ip_family inet6"] : []),
        ...(svc.persistenceSeconds > 0 ? [`persistence_timeout ${svc.persistenceSeconds}`] : []),
        ...(sorry ? [`sorry_server ${sorry} ${svc.port}`] : []),
        ...realServers,
        drainMarker(plan, vip, svc),
    ]);
}
