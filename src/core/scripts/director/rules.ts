/**
 * The director's rules: this cluster's keepalived file, checked by keepalived before it is used,
 * then applied by a reload, with the real servers a drain hook holds at weight 0; and their
 * removal. Real servers that leave are drained first (weight 0 until no connection to them is
 * active or drainSeconds pass), where the director's mode says it forwards.
 */
import { modeOf } from "../../modes";
import { hostPaths, keepalivedPaths } from "../../names";
import { addressFor, type ClusterPlan, type HostPlan, isIpv6, marksOf, vipsOf, virtualServices } from "../../plan";
import { renderKeepalivedConfig } from "../keepalived/config";
import { call, script, shq, writeFile } from "../render";
import { desiredIpvsRules, forwardingFlag, serviceSelector, sorryKeys } from "./ipvs-table";
import { marksStep, removeMarks } from "./marks";
import { directorTitle } from "./title";

/** The shell libraries that change and read the cluster's keepalived table: the rules' and the drain hooks'. */
export const KEEPALIVED_LIBRARIES = ["common", "ipvs", "keepalived", "table", "held", "drain"] as const;
/** The rules' and their removal's: those, and the firewall marks. */
const RULES_LIBRARIES = [...KEEPALIVED_LIBRARIES, "marks"] as const;

/**
 * The paths the keepalived libraries read: fixed for a VIP (a drain hook's scripts use only these).
 * VIP6 (dual stack) is the second VIP whose services are the cluster's too.
 */
export function keepalivedFileVariables(vip: string, vip6?: string): string {
    const k = keepalivedPaths(vip);
    return [
        `VIP=${shq(vip)}`,
        ...(vip6 ? [`VIP6=${shq(vip6)}`] : []),
        `CONF=${shq(k.clusterConf)}`,
        `MAIN=${shq(k.mainConf)}`,
        `INCLUDE=${shq(k.includeLine)}`,
        `SAMPLE=${shq(k.sampleConf)}`,
        `NEXT=${shq(k.nextConf)}`,
        `DESIRED_CONF=${shq(k.desiredConf)}`,
        `HELD=${shq(k.heldList)}`,
        `MARKS=${shq(k.marksList)}`,
    ].join("\n");
}

/** The variables the keepalived libraries read. */
function keepalivedVariables(plan: ClusterPlan): string {
    return `${keepalivedFileVariables(plan.vip, plan.vip6)}\nSORRY=${shq(sorryKeys(plan).join("\n"))}`;
}

/**
 * The call that waits for the leaving servers' connections (LEAVING, a shell expression), on the
 * director where the mode says it forwards: only while it holds the VIP, or always.
 */
export function drainCall(plan: ClusterPlan, director: HostPlan, leaving: string): string {
    switch (modeOf(plan).forwards) {
        case "while-holding-vip":
            return `drain ${leaving} ${shq(plan.drainSeconds)} ${shq(director.interface)}`;
        case "always":
            return `drain_wait ${leaving} ${shq(plan.drainSeconds)}`;
    }
}

/**
 * The filter that keeps real servers marked gone out of a drain (their connections are lost
 * already; a drain would wait drainSeconds for entries nobody will close): nothing without them.
 */
function withoutGone(plan: ClusterPlan): string {
    const gone = plan.goneRealServers.flatMap((rs) => vipsOf(plan).map((vip) => addressFor(rs, vip)));
    return gone.length === 0 ? "" : ` | ${call("without_servers", [...new Set(gone)].join(" "))}`;
}

/**
 * Rules: this cluster's keepalived file, checked by keepalived before it is used, then applied by
 * a reload, with the real servers a drain hook holds at weight 0. Real servers that leave are
 * drained first. Prints the resulting table on stdout (the component's `ipvsTable` output);
 * everything else goes to stderr.
 */
export function renderDirectorRules(plan: ClusterPlan, director: HostPlan): string {
    const p = hostPaths(plan.vip, "director");
    const k = keepalivedPaths(plan.vip);
    const schedulers = [...new Set(plan.services.map((s) => s.scheduler))].sort();
    const next = k.nextConf;
    const draining = k.drainConf;
    const rendered = `${k.nextConf}.rendered`;
    const marks = marksOf(plan);
    return script(`${directorTitle(plan)} keepalived configuration for VIP ${plan.vip} (director ${director.address}).`,
        [...RULES_LIBRARIES, ...modeOf(plan).rulesLibraries(plan)],
        ["# stdout is the table alone (and what the mode reports after it): the rest goes to stderr.", "exec 3>&1 1>&2",
            "require_root", call("install_tool", "keepalived", "keepalived"), call("install_tool", "ipvsadm", "ipvsadm"),
            "lock_keepalived",
            ...schedulers.map((s) => call("load_scheduler", s))].join("\n"),
        keepalivedVariables(plan),
        `DESIRED=${shq(desiredIpvsRules(plan).join("\n"))}`,
        `mkdir -p ${shq(k.clusterDir)}`,
        // Another cluster's marks on this director would mix its servers into this one's readers.
        marks.length > 0 ? call("marks_free", ...marks) : "",
        writeFile(next, "0644", renderKeepalivedConfig(plan, director)),
        // Checked before anything changes: a file keepalived refuses changes nothing.
        call("keepalived_check", next),
        [
            "# A table lvs-dr 0.1 wrote with ipvsadm: keepalived would not own its entries. Removed once.",
            `if [ -e ${shq(p.rulesFile)} ]; then`,
            `  ${call("remove_services", ...vipsOf(plan))}`,
            `  ${call("remove_file", p.rulesFile)}`,
            "fi",
        ].join("\n"),
        marksStep(plan),
        [
            "# Kept as rendered for the drain hooks; applied with held real servers at weight 0.",
            `write_file "$DESIRED_CONF" 0644 < ${shq(next)}`,
            ...(plan.drainSeconds === 0 ? [] : [`cp "$DESIRED_CONF" ${shq(rendered)}`]),
            `prune_held "$DESIRED"`,
            `hold_weights "$DESIRED_CONF" > ${shq(next)}`,
        ].join("\n"),
        plan.drainSeconds === 0 ? "" : [
            `LEAVING=$(leaving_servers "$DESIRED"${withoutGone(plan)})`,
            `if [ -n "$LEAVING" ] && [ -e "$CONF" ]; then`,
            // The lock is let go while the leaving servers drain (up to drainSeconds): a drain hook
            // or another cluster's script may reload keepalived meanwhile, so the configuration they
            // install (DESIRED_CONF, with the holds) keeps the leaving servers at weight 0 until then.
            `  ${call("with_draining", rendered)} "$LEAVING" > ${shq(draining)}`,
            `  write_file "$DESIRED_CONF" 0644 < ${shq(draining)}`,
            `  hold_weights "$DESIRED_CONF" > ${shq(draining)}`,
            `  ${call("apply_config", draining)} "$(printf '%s\\n' "$DESIRED"; ${call("draining_rules")} "$LEAVING" ${shq(forwardingFlag(plan))})" 'leaving real servers at weight 0'`,
            "  unlock_keepalived",
            `  ${drainCall(plan, director, '"$LEAVING"')}`,
            "  lock_keepalived",
            `  write_file "$DESIRED_CONF" 0644 < ${shq(rendered)}`,
            "  # The holds may have changed during the drain.",
            `  hold_weights "$DESIRED_CONF" > ${shq(next)}`,
            "fi",
            `rm -f ${shq(rendered)}`,
        ].join("\n"),
        `${call("apply_config", next)} "$DESIRED" 'the cluster configuration'`,
        marks.length > 0 ? call("set_marks", ...marks) : "clear_marks",
        `{\n${virtualServices(plan).map(({ vip, svc }) => `  ${call("ipvsadm", "-Ln", ...serviceSelector(plan, svc, vip),
            ...(svc.fwmark !== undefined && isIpv6(vip) ? ["-6"] : []))}`).join("\n")}\n} >&3`,
        modeOf(plan).rulesLines(plan, director),
    );
}

/**
 * Removal of the rules: every real server drained (weight 0 until no connection is active or
 * drainSeconds pass), then this cluster's keepalived file removed and keepalived reloaded.
 */
export function renderDirectorRulesRemoval(plan: ClusterPlan, director: HostPlan): string {
    const p = hostPaths(plan.vip, "director");
    const k = keepalivedPaths(plan.vip);
    const draining = k.drainConf;
    const mode = modeOf(plan);
    return script(`${directorTitle(plan)} keepalived configuration removal for VIP ${plan.vip} (director ${director.address}).`,
        [...RULES_LIBRARIES, ...mode.rulesLibraries(plan)],
        keepalivedVariables(plan),
        mode.leaveLines(plan, director),
        "lock_keepalived",
        plan.drainSeconds === 0 || !mode.drainsOnRemoval ? "" : [
            `if [ -e "$CONF" ] && command -v keepalived >/dev/null 2>&1 && keepalived_running; then`,
            `  LEAVING=$(leaving_servers ''${withoutGone(plan)})`,
            writeFile(draining, "0644", renderKeepalivedConfig(plan, director, { allWeightsZero: true })).replace(/^/, "  "),
            `  ${call("apply_config", draining, desiredIpvsRules(plan, true).join("\n"), "every real server at weight 0")}`,
            "  # Other clusters' scripts may run while this one's servers drain.",
            "  unlock_keepalived",
            `  ${drainCall(plan, director, '"$LEAVING"')}`,
            "  lock_keepalived",
            "fi",
        ].join("\n"),
        "remove_cluster_conf",
        [removeMarks(plan), call("remove_services", ...vipsOf(plan)), call("remove_file", p.rulesFile), call("remove_dir", ...p.ownDirs)].join("\n"),
    );
}
