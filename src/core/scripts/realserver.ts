/**
 * Host scripts for a real server: make it accept traffic for the VIP without ever answering ARP
 * for it, persist that across reboots, and undo exactly that.
 */
import { hostPrefix } from "../ip";
import { hostPaths } from "../names";
import { modeOf } from "../modes";
import { addressFor, type ClusterPlan, type Forwarding, isIpv6, type RealServerPlan, vipsOf } from "../plan";
import { installBootUnit, removeBootUnit } from "./boot-unit";
import { realServerSysctls, rememberSysctls, restoreSysctls, sysctlConf } from "./kernel-parameters";
import { call, script, writeFile } from "./render";

/** The device that holds the VIP on a real server (the IPv4 one when not told `vip`). */
export function vipDevice(forwarding: Forwarding, vip = "0.0.0.0"): string {
    return forwarding === "dr" ? "lo" : isIpv6(vip) ? "ip6tnl0" : "tunl0";
}


/**
 * Binding a VIP. IPv4: on `lo` (DR, labelled lo:0) or `tunl0`, silent through the ARP sysctls.
 * IPv6 needs no sysctl: the kernel answers a neighbour solicitation only for an address on the
 * interface it arrived on, so a VIP on `lo` or `ip6tnl0` is never claimed on the NIC. It is bound
 * `nodad` (duplicate address detection would find the director's VIP) and deprecated
 * (`preferred_lft 0`), so the host never picks it as the source of its own connections.
 */
function bindVip(plan: ClusterPlan, vip: string): string {
    const dev = vipDevice(plan.forwarding, vip);
    if (isIpv6(vip)) {
        return call("bind_vip6", hostPrefix(vip), dev);
    }
    return plan.forwarding === "dr" ? call("bind_vip", hostPrefix(vip), "lo", "lo:0") : call("bind_vip", hostPrefix(vip), "tunl0");
}

function vipDevices(plan: ClusterPlan): string {
    return [...new Set(vipsOf(plan).map((v) => vipDevice(plan.forwarding, v)))].join(" and ");
}

function title(plan: ClusterPlan): string {
    return `LVS-${plan.forwarding.toUpperCase()} real server`;
}

/** The kernel state alone; run by setup and, through a systemd unit, at every boot. */
export function renderRealServerUp(plan: ClusterPlan, rs: RealServerPlan): string {
    const tunnels = plan.forwarding === "tun" ? vipsOf(plan).map((v) => (isIpv6(v) ? "ip6tnl0_up" : "tunl0_up")).join("\n") : "";
    return script(`${title(plan)} kernel state for VIP ${plan.vip}.`, ["common", "sysctl", "realserver"],
        tunnels,
        "# ARP first, VIP second: a real server must never answer ARP for the VIP.",
        realServerSysctls(plan.forwarding, rs.interface).map((s) => call("set_sysctl", s.path, s.value)).join("\n"),
        vipsOf(plan).map((v) => bindVip(plan, v)).join("\n"),
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
            "lock_host",
            call("require_interface", rs.interface, `interface ${rs.interface} not found on ${rs.address}: ${rs.interfaceFix}`),
            ...(modeOf(plan).realServersCheckGateway ? plan.directors : []).flatMap((d) => vipsOf(plan).map((vip) => addressFor(d, vip)).map((address) =>
                call(isIpv6(address) ? "refuse_gateway6" : "refuse_gateway", address,
                    `the default gateway of ${rs.address} is the director (${address}). In ${method} replies go straight to the ` +
                    "client and must not pass through the director: route this host through the router of the subnet instead"))),
            ...(plan.forwarding === "tun" ? vipsOf(plan).map((v) => call(isIpv6(v) ? "prepare_ip6tnl0" : "prepare_tunl0", p.originalSysctls)) : []),
        ].join("\n"),
        rememberSysctls(p, sysctls),
        writeFile(p.sysctlConf, "0644", sysctlConf(`${title(plan)} for VIP ${plan.vip}`, sysctls)),
        ...installBootUnit(p, {
            description: `${title(plan)} for VIP ${plan.vip} (ARP-silent VIP on ${vipDevices(plan)})`,
            // Before the network: the VIP is bound, ARP-silent, before the NIC can see any traffic.
            ordering: [
                "DefaultDependencies=no",
                "After=local-fs.target systemd-sysctl.service systemd-modules-load.service",
                "Before=network-pre.target",
                "Wants=network-pre.target",
            ],
        }, renderRealServerUp(plan, rs)),
        `${call("sh", p.upScript)}\n` + vipsOf(plan).map((v) => call("say", isIpv6(v)
            ? `VIP ${v} bound on ${vipDevice(plan.forwarding, v)} (IPv6: no neighbour advertisement leaves ${rs.interface} for it)`
            : `VIP ${v} bound on ${vipDevice(plan.forwarding, v)}; ARP for it silenced on ${rs.interface}`)).join("\n"),
    );
}

/** Teardown: unbinds the VIP, restores the remembered sysctl values, removes every file setup wrote. */
export function renderRealServerTeardown(plan: ClusterPlan, rs: RealServerPlan): string {
    const p = hostPaths(plan.vip, "realserver");
    return script(`${title(plan)} teardown for VIP ${plan.vip} (real server ${rs.name}, ${rs.address}).`,
        ["common", "sysctl", "boot-unit"],
        "lock_host",
        // VIP first: the host stops accepting VIP traffic before it may answer ARP for it again.
        vipsOf(plan).map((v) => call("unbind_vip", hostPrefix(v), vipDevice(plan.forwarding, v))).join("\n"),
        restoreSysctls(p),
        removeBootUnit(p),
        [call("remove_file", p.sysctlConf), call("remove_dir", ...p.ownDirs)].join("\n"),
    );
}
