/**
 * The director as a host: keepalived and the IPVS parameters DR needs, and what its mode adds (the
 * VIP where it always holds it, a takeover hook), persisted across reboots by a boot unit; and the
 * exact undo. The cluster's table is the rules' (./rules.ts).
 */
import { modeOf } from "../../modes";
import { hostPaths } from "../../names";
import { hostPrefix } from "../../ip";
import { type ClusterPlan, type HostPlan, vipsOf } from "../../plan";
import { installBootUnit, removeBootUnit } from "../boot-unit";
import { IPVS_SYSCTLS, rememberSysctls, restoreSysctls, type Sysctl, sysctlConf } from "../kernel-parameters";
import { call, script, shq, writeFile } from "../render";
import { removeMarks } from "./marks";
import { directorTitle } from "./title";

/** A director's kernel parameters: every director's IPVS parameters, then its mode's. */
export function directorSysctls(plan: Pick<ClusterPlan, "mode">): Sysctl[] {
    return [...IPVS_SYSCTLS, ...modeOf(plan).sysctls];
}

/**
 * The director's kernel state; run by setup and, through a systemd unit, at every boot (before
 * keepalived, which restores the table from its configuration): the IPVS parameters, the mode's
 * lines (a single director binds the VIP here; a pair's keepalived binds it on the master only),
 * the firewall marks.
 */
export function renderDirectorUp(plan: ClusterPlan, director: HostPlan): string {
    const mode = modeOf(plan);
    const marks = hostPaths(plan.vip, "director").marksNft;
    return script(`${directorTitle(plan)} kernel state for VIP ${plan.vip}.`, ["common", "sysctl", "ipvs", "marks", ...mode.upLibraries(plan)],
        ["load_ipvs", ...directorSysctls(plan).map((s) => call("set_sysctl", s.path, s.value))].join("\n"),
        mode.upLines(plan, director),
        `# The firewall marks the rules wrote, if any (before keepalived restores the fwmark services).\nif [ -e ${shq(marks)} ]; then\n  ${call("apply_marks", marks)}\nfi`,
    );
}

/**
 * Setup: ipvsadm (to read the table), keepalived (to own it), what the mode needs, the ip_vs
 * module and its parameters, persisted by a boot unit. Idempotent.
 */
export function renderDirectorSetup(plan: ClusterPlan, director: HostPlan): string {
    const mode = modeOf(plan);
    const p = hostPaths(plan.vip, "director");
    const sysctls = directorSysctls(plan);
    const title = directorTitle(plan);
    return script(`${title} setup for VIP ${plan.vip} (director ${director.address}).`,
        ["common", "sysctl", "boot-unit", "ipvs", ...mode.setupLibraries(plan)],
        [
            "require_root",
            "lock_host",
            call("require_interface", director.interface, `interface ${director.interface} not found on ${director.address}: ${director.interfaceFix}`),
            call("install_tool", "ipvsadm", "ipvsadm"),
            call("install_tool", "keepalived", "keepalived"),
            ...mode.tools(plan).map((t) => call("install_tool", t.command, ...t.packages)),
            "load_ipvs",
        ].join("\n"),
        mode.setupFiles(plan, director),
        rememberSysctls(p, sysctls),
        writeFile(p.modulesLoadConf, "0644", `# lvs-dr director for VIP ${plan.vip}: IPVS at boot, before systemd-sysctl sets its parameters.\nip_vs\n`),
        writeFile(p.sysctlConf, "0644", sysctlConf(`${title} for VIP ${plan.vip}`, sysctls)),
        ...installBootUnit(p, {
            description: `${title} for VIP ${plan.vip} (${mode.bootUnitWhat(plan, director)})`,
            ordering: ["Wants=network-online.target", "After=network-online.target", "Before=keepalived.service"],
        }, renderDirectorUp(plan, director)),
        `${call("sh", p.upScript)}\n${call("say", mode.setupDone(plan, director))}`,
    );
}

/**
 * Teardown of setup: unbinds the VIP, undoes the mode's up lines, restores the parameters, removes
 * the files. Packages and modules stay.
 */
export function renderDirectorTeardown(plan: ClusterPlan, director: HostPlan): string {
    const p = hostPaths(plan.vip, "director");
    const mode = modeOf(plan);
    return script(`${directorTitle(plan)} teardown for VIP ${plan.vip} (director ${director.address}).`,
        ["common", "sysctl", "boot-unit", "marks", ...mode.teardownLibraries(plan)],
        "lock_host",
        vipsOf(plan).map((v) => call("unbind_vip", hostPrefix(v), director.interface)).join("\n"),
        // The rules' removal deleted them; kept here in case the rules never ran to the end.
        removeMarks(plan),
        mode.teardownLines(plan, director),
        restoreSysctls(p),
        removeBootUnit(p),
        [call("remove_file", p.sysctlConf), call("remove_file", p.modulesLoadConf), call("remove_file", p.takeVipScript),
            call("remove_dir", ...p.ownDirs)].join("\n"),
    );
}
