/**
 * Host scripts for a real server: make it accept traffic for the VIP without ever answering ARP
 * for it, persist that across reboots, and undo exactly that.
 */
import {
    hostChecks, installBootUnit, rememberFunction, rememberSysctls, removeBootUnit, restoreRemembered, SET_SYSCTL, Sysctl,
    sysctlConf, unbindVip,
} from "./host-steps";
import { hostPaths } from "./paths";
import { ClusterPlan, Forwarding, RealServerPlan } from "./plan";
import { COMMON_FUNCTIONS, script, shq, writeFileCommand } from "./shell";

export type { Sysctl } from "./host-steps";

/** The device that holds the VIP on a real server. */
export function vipDevice(forwarding: Forwarding): string {
    return forwarding === "dr" ? "lo" : "tunl0";
}

/**
 * Kernel parameters of a real server, in the order they must be applied: the ARP pair comes first
 * so the VIP is never announced, not even for the instant between binding it and silencing ARP.
 * The kernel uses max(conf/all, conf/<iface>) for arp_ignore, arp_announce and rp_filter, so the ARP
 * pair goes on `all` and on the NIC facing the director (on `lo` it would do nothing).
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

function vipAddCommand(plan: ClusterPlan): string {
    return plan.forwarding === "dr"
        ? `ip addr replace ${shq(`${plan.vip}/32`)} dev lo label lo:0`
        : `ip addr replace ${shq(`${plan.vip}/32`)} dev tunl0`;
}

/** The kernel state alone; run by setup and, through a systemd unit, at every boot. */
export function renderRealServerUp(plan: ClusterPlan, rs: RealServerPlan): string {
    const sysctls = realServerSysctls(plan.forwarding, rs.interface);
    const tunnel = plan.forwarding === "tun"
        ? `[ -d /sys/class/net/tunl0 ] || modprobe ipip\nip link set tunl0 up\n\n`
        : "";
    return script(
        `LVS-${plan.forwarding.toUpperCase()} real server kernel state for VIP ${plan.vip}.`,
        SET_SYSCTL,
        `${tunnel}# ARP first, VIP second: a real server must never answer ARP for the VIP.\n` +
            sysctls.map((s) => `set_sysctl ${shq(s.path)} ${shq(s.value)}`).join("\n") +
            `\n${vipAddCommand(plan)}`,
    );
}

/**
 * Setup: checks the host, remembers the sysctl values it will change, persists the configuration
 * (sysctl.d + a boot unit) and applies it. Idempotent: a second run changes nothing.
 */
export function renderRealServerSetup(plan: ClusterPlan, rs: RealServerPlan): string {
    const p = hostPaths(plan.vip, "realserver");
    const sysctls = realServerSysctls(plan.forwarding, rs.interface);
    const director = plan.director.address;
    const tunnelPrep = plan.forwarding === "tun"
        ? `if [ ! -d /sys/class/net/tunl0 ]; then
  modprobe ipip || die "cannot load the ipip module (needed for forwarding \\"tun\\")"
fi
if ! ip -o link show dev tunl0 | grep -q '[<,]UP[,>]'; then
  remember 'link:tunl0' down
fi
`
        : "";
    return script(
        `LVS-${plan.forwarding.toUpperCase()} real server setup for VIP ${plan.vip} (real server ${rs.name}, ${rs.address}).`,
        COMMON_FUNCTIONS,
        rememberFunction(p.originalSysctls),
        `${hostChecks(rs.interface, rs.address, rs.interfaceFix)}
gateway=$(ip -4 route show default | awk '$2 == "via" { print $3; exit }')
if [ "$gateway" = ${shq(director)} ]; then
  die ${shq(`the default gateway of ${rs.address} is the director (${director}). In LVS-${plan.forwarding.toUpperCase()} replies go straight to the client and must not pass through the director: route this host through the subnet's router instead`)}
fi
${tunnelPrep}`,
        rememberSysctls(sysctls),
        writeFileCommand(p.sysctlConf, "0644",
            sysctlConf(`LVS-${plan.forwarding.toUpperCase()} real server for VIP ${plan.vip}`, sysctls)),
        ...installBootUnit(p, {
            description: `LVS-${plan.forwarding.toUpperCase()} real server for VIP ${plan.vip} (ARP-silent VIP on ${vipDevice(plan.forwarding)})`,
            // Before the network: the VIP is bound, ARP-silent, before the NIC can see any traffic.
            ordering: [
                "DefaultDependencies=no",
                "After=local-fs.target systemd-sysctl.service systemd-modules-load.service",
                "Before=network-pre.target",
                "Wants=network-pre.target",
            ],
        }, renderRealServerUp(plan, rs)),
        `sh ${shq(p.upScript)}\nsay ${shq(`VIP ${plan.vip} bound on ${vipDevice(plan.forwarding)}; ARP for it silenced on ${rs.interface}`)}`,
    );
}

/** Teardown: unbinds the VIP, restores the remembered sysctl values, removes every file setup wrote. */
export function renderRealServerTeardown(plan: ClusterPlan, rs: RealServerPlan): string {
    const p = hostPaths(plan.vip, "realserver");
    return script(
        `LVS-${plan.forwarding.toUpperCase()} real server teardown for VIP ${plan.vip} (real server ${rs.name}, ${rs.address}).`,
        COMMON_FUNCTIONS,
        // VIP first: the host stops accepting VIP traffic before it may answer ARP for it again.
        unbindVip(plan.vip, vipDevice(plan.forwarding)),
        restoreRemembered(p.originalSysctls),
        `${removeBootUnit(p)}
remove_file ${shq(p.sysctlConf)}
remove_dir ${shq(p.configDir)}
remove_dir /etc/lvs-dr
remove_dir ${shq(p.stateDir)}
remove_dir /var/lib/lvs-dr`,
    );
}
