/** The kernel parameters each kind of host needs, and why; remembering and restoring them. */
import type { HostPaths } from "../names";
import type { Forwarding } from "../plan";
import { call } from "./render";

export interface Sysctl {
    /** Path under /proc/sys, slash-separated so that interface names with dots stay intact. */
    path: string;
    value: string;
}

/**
 * A real server's, in the order they must be applied: the ARP pair comes first so the VIP is never
 * announced, not even for the instant between binding it and silencing ARP. The kernel uses
 * max(conf/all, conf/<iface>) for arp_ignore, arp_announce and rp_filter, so the ARP pair goes on
 * `all` and on the NIC facing the director (on `lo` it would do nothing).
 */
export function realServerSysctls(forwarding: Forwarding, iface: string): Sysctl[] {
    const conf = (dev: string, key: string, value: string): Sysctl => ({ path: `net/ipv4/conf/${dev}/${key}`, value });
    const arp = [
        conf("all", "arp_ignore", "1"),
        conf("all", "arp_announce", "2"),
        conf(iface, "arp_ignore", "1"),
        conf(iface, "arp_announce", "2"),
    ];
    if (forwarding === "dr") {
        // Loose mode on the NIC: with max(all, iface) this is loose whatever `all` holds, and loose
        // never drops a DR packet whose client is reachable some way.
        return [...arp, conf(iface, "rp_filter", "2")];
    }
    // TUN: decapsulated packets appear on tunl0 with the client's source address; the effective
    // value is max(all, tunl0), so both must be 0.
    return [...arp, conf("all", "rp_filter", "0"), conf("tunl0", "rp_filter", "0")];
}

/**
 * Every director's IPVS parameters (kernel Documentation/networking/ipvs-sysctl.rst); its mode adds
 * its own (`core/modes/`, put together by `director/host.ts`). In DR and TUN the director sees only the client's half of each TCP connection,
 * so a finished connection stays in its table in FIN_WAIT for the tcpfin timeout (120 s):
 * - `conn_reuse_mode=2`: a new connection whose client port matches such an entry is scheduled
 *   afresh ("FIN_WAIT ... the last state seen by load balancer in Direct Routing mode"); with the
 *   default 1 it follows the old entry to the old real server, bypassing weights and the scheduler;
 * - `expire_nodest_conn=1`: entries whose real server was removed expire (the kernel flushes them)
 *   instead of silently dropping the client's packets until they time out;
 * - `expire_quiescent_template=1`: persistence templates of a real server at weight 0 expire, so
 *   weight 0 means "no new clients" under persistence too.
 */
export const IPVS_SYSCTLS: Sysctl[] = [
    { path: "net/ipv4/vs/conn_reuse_mode", value: "2" },
    { path: "net/ipv4/vs/expire_nodest_conn", value: "1" },
    { path: "net/ipv4/vs/expire_quiescent_template", value: "1" },
];

/** Setup lines: remember each parameter's value before the first lvs-dr setup on this host. */
export function rememberSysctls(p: HostPaths, sysctls: Sysctl[]): string {
    return "# Values before the first setup on this host, restored by the last teardown.\n" +
        [call("adopt_remembered", p.originalSysctls, p.legacyOriginalSysctls),
            ...sysctls.map((s) => call("remember_sysctl", p.originalSysctls, s.path))].join("\n");
}

/** Teardown line: restore each remembered value that no other cluster on the host still sets. */
export function restoreSysctls(p: HostPaths): string {
    return call("restore_remembered", p.originalSysctls, p.sysctlConf, p.sysctlConfDir, p.sysctlConfPrefix);
}

/** A sysctl.d file: the same values, applied by systemd-sysctl at boot. */
export function sysctlConf(description: string, sysctls: Sysctl[]): string {
    return `# ${description}; written by lvs-dr, removed by its teardown.\n` +
        sysctls.map((s) => `${s.path} = ${s.value}`).join("\n") + "\n";
}
