/**
 * Host scripts for a director: the VIP on its subnet-facing NIC, the IPVS parameters DR needs, the
 * virtual services and their real servers, all persisted across reboots, and their exact undo.
 */
import { hostPaths } from "../names";
import type { ClusterPlan, HostPlan, ServicePlan } from "../plan";
import { installBootUnit, removeBootUnit } from "./boot-unit";
import { directorSysctls, rememberSysctls, restoreSysctls, sysctlConf } from "./kernel-parameters";
import { call, script, shq, writeFile } from "./render";

const PROTOCOL_FLAG = { tcp: "-t", udp: "-u" } as const;

/** `ipvsadm` service selector words, e.g. `["-t", "192.168.77.100:80"]`. */
export function serviceSelector(plan: ClusterPlan, svc: ServicePlan): [string, string] {
    return [PROTOCOL_FLAG[svc.protocol], `${plan.vip}:${svc.port}`];
}

/** The IPVS forwarding flag: `-g` gatewaying (DR) or `-i` IPIP tunnelling. */
export function forwardingFlag(plan: ClusterPlan): string {
    return plan.forwarding === "dr" ? "-g" : "-i";
}

/**
 * The desired table in `ipvsadm -Sn` syntax. The rules script compares these lines with the live
 * table; the saved copy is what boot restores.
 */
export function desiredIpvsRules(plan: ClusterPlan): string[] {
    return plan.services.flatMap((svc) => {
        const [flag, addr] = serviceSelector(plan, svc);
        const persistence = svc.persistenceSeconds > 0 ? ` -p ${svc.persistenceSeconds}` : "";
        return [
            `-A ${flag} ${addr} -s ${svc.scheduler}${persistence}`,
            ...plan.realServers.map((rs) =>
                `-a ${flag} ${addr} -r ${rs.address}:${svc.port} ${forwardingFlag(plan)} -w ${rs.weight}`),
        ];
    });
}

function title(plan: ClusterPlan): string {
    return `LVS-${plan.forwarding.toUpperCase()} director`;
}

/** The director's kernel state; run by setup and, through a systemd unit, at every boot. */
export function renderDirectorUp(plan: ClusterPlan, director: HostPlan): string {
    const p = hostPaths(plan.vip, "director");
    return script(`${title(plan)} kernel state for VIP ${plan.vip}.`, ["common", "sysctl", "ipvs"],
        ["load_ipvs", ...directorSysctls().map((s) => call("set_sysctl", s.path, s.value))].join("\n"),
        call("bind_vip", `${plan.vip}/32`, director.interface),
        call("restore_rules", plan.vip, p.rulesFile),
    );
}

/**
 * Setup: ipvsadm, the ip_vs module and its parameters, the VIP on the NIC, persisted by a boot unit.
 * Idempotent.
 */
export function renderDirectorSetup(plan: ClusterPlan, director: HostPlan): string {
    const p = hostPaths(plan.vip, "director");
    const sysctls = directorSysctls();
    return script(`${title(plan)} setup for VIP ${plan.vip} (director ${director.address}).`,
        ["common", "sysctl", "boot-unit", "ipvs"],
        [
            "require_root",
            call("require_interface", director.interface, `interface ${director.interface} not found on ${director.address}: ${director.interfaceFix}`),
            "install_ipvsadm",
            "load_ipvs",
        ].join("\n"),
        rememberSysctls(p, sysctls),
        writeFile(p.modulesLoadConf, "0644", `# lvs-dr director for VIP ${plan.vip}: IPVS at boot, before systemd-sysctl sets its parameters.\nip_vs\n`),
        writeFile(p.sysctlConf, "0644", sysctlConf(`${title(plan)} for VIP ${plan.vip}`, sysctls)),
        ...installBootUnit(p, {
            description: `${title(plan)} for VIP ${plan.vip} (VIP on ${director.interface}, IPVS table)`,
            ordering: ["Wants=network-online.target", "After=network-online.target"],
        }, renderDirectorUp(plan, director)),
        `${call("sh", p.upScript)}\n${call("say", `VIP ${plan.vip} bound on ${director.interface}`)}`,
    );
}

/** Teardown of setup: unbinds the VIP, restores the parameters, removes the files. ipvsadm and modules stay. */
export function renderDirectorTeardown(plan: ClusterPlan, director: HostPlan): string {
    const p = hostPaths(plan.vip, "director");
    return script(`${title(plan)} teardown for VIP ${plan.vip} (director ${director.address}).`,
        ["common", "sysctl", "boot-unit"],
        call("unbind_vip", `${plan.vip}/32`, director.interface),
        restoreSysctls(p),
        removeBootUnit(p),
        [call("remove_file", p.sysctlConf), call("remove_file", p.modulesLoadConf), call("remove_dir", ...p.ownDirs)].join("\n"),
    );
}

/**
 * Rules: reconciles the live IPVS table with the desired one (see sh/ipvs.sh). Prints the resulting
 * table on stdout (the component's `ipvsTable` output); change notes go to stderr.
 */
export function renderDirectorRules(plan: ClusterPlan, director: HostPlan): string {
    const p = hostPaths(plan.vip, "director");
    const schedulers = [...new Set(plan.services.map((s) => s.scheduler))].sort();
    return script(`${title(plan)} IPVS rules for VIP ${plan.vip} (director ${director.address}).`, ["common", "ipvs"],
        ["require_ipvsadm", ...schedulers.map((s) => call("load_scheduler", s))].join("\n"),
        `DESIRED=${shq(desiredIpvsRules(plan).join("\n"))}\nCURRENT=$(${call("own_rules", plan.vip)})`,
        plan.services.flatMap((svc) => {
            const [flag, addr] = serviceSelector(plan, svc);
            return [
                call("ensure_service", flag, addr, svc.scheduler, svc.persistenceSeconds),
                ...plan.realServers.map((rs) => call("ensure_real", flag, addr, `${rs.address}:${svc.port}`, forwardingFlag(plan), rs.weight)),
            ];
        }).join("\n"),
        "remove_unwanted",
        `${call("own_rules", plan.vip)} | ${call("write_file", p.rulesFile, "0644")} >&2`,
        plan.services.map((svc) => call("ipvsadm", "-Ln", ...serviceSelector(plan, svc))).join("\n"),
    );
}

/** Removes this cluster's virtual services (and with them their real servers) and the saved table. */
export function renderDirectorRulesRemoval(plan: ClusterPlan, director: HostPlan): string {
    const p = hostPaths(plan.vip, "director");
    return script(`${title(plan)} IPVS rules removal for VIP ${plan.vip} (director ${director.address}).`, ["common", "ipvs"],
        call("remove_services", plan.vip),
        [call("remove_file", p.rulesFile), call("remove_dir", ...p.ownDirs)].join("\n"),
    );
}
