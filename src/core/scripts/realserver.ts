/**
 * Host scripts for a real server: make it accept traffic for the VIP without ever answering ARP
 * for it, persist that across reboots, and undo exactly that.
 */
import { hostPaths } from "../names";
import type { ClusterPlan, Forwarding, RealServerPlan } from "../plan";
import { installBootUnit, removeBootUnit } from "./boot-unit";
import { realServerSysctls, rememberSysctls, restoreSysctls, sysctlConf } from "./kernel-parameters";
import { call, script, writeFile } from "./render";

/** The device that holds the VIP on a real server. */
export function vipDevice(forwarding: Forwarding): string {
    return forwarding === "dr" ? "lo" : "tunl0";
}

function title(plan: ClusterPlan): string {
    return `LVS-${plan.forwarding.toUpperCase()} real server`;
}

/** The kernel state alone; run by setup and, through a systemd unit, at every boot. */
export function renderRealServerUp(plan: ClusterPlan, rs: RealServerPlan): string {
    const vip = `${plan.vip}/32`;
    return script(`${title(plan)} kernel state for VIP ${plan.vip}.`, ["common", "sysctl", "realserver"],
        plan.forwarding === "tun" ? "tunl0_up" : "",
        "# ARP first, VIP second: a real server must never answer ARP for the VIP.",
        realServerSysctls(plan.forwarding, rs.interface).map((s) => call("set_sysctl", s.path, s.value)).join("\n"),
        plan.forwarding === "dr" ? call("bind_vip", vip, "lo", "lo:0") : call("bind_vip", vip, "tunl0"),
    );
}

/**
 * Setup: checks the host, remembers the sysctl values it will change, persists the configuration
 * (sysctl.d + a boot unit) and applies it. Idempotent: a second run changes nothing.
 */
export function renderRealServerSetup(plan: ClusterPlan, rs: RealServerPlan): string {
    const p = hostPaths(plan.vip, "realserver");
    const sysctls = realServerSysctls(plan.forwarding, rs.interface);
    const method = `LVS-${plan.forwarding.toUpperCase()}`;
    return script(`${title(plan)} setup for VIP ${plan.vip} (real server ${rs.name}, ${rs.address}).`,
        ["common", "sysctl", "boot-unit", "realserver"],
        [
            "require_root",
            call("require_interface", rs.interface, `interface ${rs.interface} not found on ${rs.address}: ${rs.interfaceFix}`),
            ...plan.directors.map((d) => call("refuse_gateway", d.address,
                `the default gateway of ${rs.address} is the director (${d.address}). In ${method} replies go straight to the ` +
                "client and must not pass through the director: route this host through the router of the subnet instead")),
            ...(plan.forwarding === "tun" ? [call("prepare_tunl0", p.originalSysctls)] : []),
        ].join("\n"),
        rememberSysctls(p, sysctls),
        writeFile(p.sysctlConf, "0644", sysctlConf(`${title(plan)} for VIP ${plan.vip}`, sysctls)),
        ...installBootUnit(p, {
            description: `${title(plan)} for VIP ${plan.vip} (ARP-silent VIP on ${vipDevice(plan.forwarding)})`,
            // Before the network: the VIP is bound, ARP-silent, before the NIC can see any traffic.
            ordering: [
                "DefaultDependencies=no",
                "After=local-fs.target systemd-sysctl.service systemd-modules-load.service",
                "Before=network-pre.target",
                "Wants=network-pre.target",
            ],
        }, renderRealServerUp(plan, rs)),
        `${call("sh", p.upScript)}\n` +
            call("say", `VIP ${plan.vip} bound on ${vipDevice(plan.forwarding)}; ARP for it silenced on ${rs.interface}`),
    );
}

/** Teardown: unbinds the VIP, restores the remembered sysctl values, removes every file setup wrote. */
export function renderRealServerTeardown(plan: ClusterPlan, rs: RealServerPlan): string {
    const p = hostPaths(plan.vip, "realserver");
    return script(`${title(plan)} teardown for VIP ${plan.vip} (real server ${rs.name}, ${rs.address}).`,
        ["common", "sysctl", "boot-unit"],
        // VIP first: the host stops accepting VIP traffic before it may answer ARP for it again.
        call("unbind_vip", `${plan.vip}/32`, vipDevice(plan.forwarding)),
        restoreSysctls(p),
        removeBootUnit(p),
        [call("remove_file", p.sysctlConf), call("remove_dir", ...p.ownDirs)].join("\n"),
    );
}
