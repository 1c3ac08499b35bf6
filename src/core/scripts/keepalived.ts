/**
 * The keepalived configuration of one cluster on one director: its virtual servers with their
 * real servers and health checks and, for a director pair, the VRRP instance that moves the VIP
 * and the connection-sync daemon that follows it. One file per cluster, included from the main
 * configuration; every value in it was validated (addresses, numbers, whitelisted paths), so it
 * holds no quoting.
 */
import { hostPaths, vrrpInstanceOf } from "../names";
import { withPort } from "../ip";
import { addressFor, type ClusterPlan, type HealthCheckPlan, type HostPlan, isIpv6, markOf, realServerPort, type ServicePlan, sorryServerFor, virtualServices } from "../plan";

/** keepalived's name of a forwarding method. */
const METHOD = { dr: "DR", tun: "TUN" } as const;

/**
 * A line `keepalived` skips, marking where the rules script inserts real servers being drained;
 * the service as ipvsadm writes it (`[fd77::100]:80` for IPv6, the mark of a firewall-mark service).
 */
export function drainMarker(plan: Pick<ClusterPlan, "vip6">, vip: string, svc: ServicePlan): string {
    const mark = markOf(plan, svc, vip);
    return mark === undefined ? `# lvs-dr drain ${svc.protocol} ${withPort(vip, svc.port)}` : `# lvs-dr drain fwmark ${mark}`;
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
        case "udp":
            return block("UDP_CHECK", [
                ...timing,
                ...(check.udp?.payload ? [`payload ${check.udp.payload}`] : []),
                ...(check.udp?.requireReply ?? true ? ["require_reply"] : []),
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
function virtualServer(plan: ClusterPlan, vip: string, svc: ServicePlan, allWeightsZero: boolean): string[] {
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
        `lvs_method ${METHOD[plan.forwarding]}`,
        // A mark says nothing of the family, nor of the protocol (keepalived warns on one).
        ...(mark === undefined ? [`protocol ${svc.protocol.toUpperCase()}`] : isIpv6(vip) ? ["ip_family inet6"] : []),
        ...(svc.persistenceSeconds > 0 ? [`persistence_timeout ${svc.persistenceSeconds}`] : []),
        ...(sorry ? [`sorry_server ${sorry} ${svc.port}`] : []),
        ...realServers,
        drainMarker(plan, vip, svc),
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
    // VRRP speaks the primary VIP's family. In dual stack the IPv6 VIP is an excluded address of the
    // same instance (VRRP forbids mixing families in its adverts): both VIPs move together, and the
    // sync daemon that follows the instance covers both.
    const peers = plan.directors.filter((d) => d !== director).map((d) => addressFor(d, plan.vip));
    const vipLine = (vip: string) => isIpv6(vip) ? `${vip}/128 dev ${director.interface} preferred_lft 0` : `${vip}/32 dev ${director.interface}`;
    const name = vrrpInstanceOf(plan.vip);
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
            `unicast_src_ip ${addressFor(director, plan.vip)}`,
            ...block("unicast_peer", peers),
            ...block("virtual_ipaddress", [vipLine(plan.vip)]),
            ...(plan.vip6 ? block("virtual_ipaddress_excluded", [vipLine(plan.vip6)]) : []),
            // Gratuitous ARPs (unsolicited neighbour advertisements for IPv6) on takeover, repeated
            // once after a second for switches that missed them.
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
        `# lvs-dr cluster ${plan.name}, VIP ${plan.vip}${plan.vip6 ? ` and ${plan.vip6}` : ""}, on director ${director.address}.`,
        "# Written by lvs-dr on every apply: edit the Pulumi program, not this file.",
        ...vrrpInstance(plan, director),
        ...virtualServices(plan).flatMap(({ vip, svc }) => virtualServer(plan, vip, svc, options.allWeightsZero ?? false)),
        "",
    ].join("\n");
}
