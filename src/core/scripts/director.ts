/**
 * Host scripts for a director: keepalived and the IPVS parameters DR needs, the VIP (bound by the
 * boot unit on a single director; moved by keepalived's VRRP in a pair), the cluster's keepalived
 * file with its drain, all persisted across reboots, and their exact undo.
 */
import { hostPaths, keepalivedPaths, marksTable } from "../names";
import { hostPrefix, withPort } from "../ip";
import { addressFor, type ClusterPlan, type HostPlan, isIpv6, markOf, marksOf, realServerPort, type ServicePlan, sorryServerFor, vipsOf, virtualServices } from "../plan";
import { installBootUnit, removeBootUnit } from "./boot-unit";
import { renderKeepalivedConfig } from "./keepalived";
import { renderMarksNft } from "./marks";
import { directorSysctls, rememberSysctls, restoreSysctls, sysctlConf } from "./kernel-parameters";
import { call, script, shq, writeFile } from "./render";

const PROTOCOL_FLAG = { tcp: "-t", udp: "-u" } as const;

/**
 * `ipvsadm` service selector words, e.g. `["-t", "192.168.77.100:80"]`, `["-t", "[fd77::100]:80"]`,
 * `["-f", "1280706562"]` for a firewall-mark service.
 */
export function serviceSelector(plan: ClusterPlan, svc: ServicePlan, vip = plan.vip): [string, string] {
    const mark = markOf(plan, svc, vip);
    return mark === undefined ? [PROTOCOL_FLAG[svc.protocol], withPort(vip, svc.port)] : ["-f", String(mark)];
}

/** The IPVS forwarding flag: `-g` gatewaying (DR) or `-i` IPIP tunnelling. */
export function forwardingFlag(plan: ClusterPlan): string {
    return plan.forwarding === "dr" ? "-g" : "-i";
}

/**
 * The desired table in `ipvsadm -Sn` syntax: what the rules script waits for keepalived to reach
 * after a reload, and what tells it which live real servers are leaving (and must be drained).
 */
export function desiredIpvsRules(plan: ClusterPlan, allWeightsZero = false): string[] {
    return virtualServices(plan).flatMap(({ vip, svc }) => {
        const [flag, addr] = serviceSelector(plan, svc, vip);
        const persistence = svc.persistenceSeconds > 0 ? ` -p ${svc.persistenceSeconds}` : "";
        return [
            `-A ${flag} ${addr} -s ${svc.scheduler}${persistence}`,
            ...plan.realServers.map((rs) =>
                `-a ${flag} ${addr} -r ${withPort(addressFor(rs, vip), realServerPort(svc))} ${forwardingFlag(plan)} -w ${allWeightsZero ? 0 : rs.weight}`),
        ];
    });
}

/** Sorry servers as the real-server keys keepalived gives them in the table. */
function sorryKeys(plan: ClusterPlan): string[] {
    return virtualServices(plan).flatMap(({ vip, svc }) => {
        const [flag, addr] = serviceSelector(plan, svc, vip);
        const sorry = sorryServerFor(svc, vip);
        return sorry ? [`${flag} ${addr} ${withPort(sorry, svc.port)}`] : [];
    });
}

/**
 * A single director's VIP bindings (a pair's keepalived binds them on the master), each IPv4 VIP
 * announced by gratuitous ARP: its neighbours may map it to another MAC (a director it replaced).
 * In an AWS VPC the VPC answers ARP, so nothing is announced there. IPv6 has no standard tool for
 * an unsolicited advertisement; a neighbour's IPv6 entry is re-verified by NUD within seconds.
 */
function bindVips(plan: ClusterPlan, director: HostPlan): string {
    return vipsOf(plan).flatMap((v) => isIpv6(v) ? [call("bind_vip6", hostPrefix(v), director.interface)]
        : [call("bind_vip", hostPrefix(v), director.interface), ...(announces(plan) ? [call("announce_vip", v, director.interface)] : [])]).join("\n");
}

/** A single director off AWS announces its IPv4 VIP itself (a pair's keepalived does on takeover). */
function announces(plan: ClusterPlan): boolean {
    return !pair(plan) && plan.platform.kind !== "aws";
}

function title(plan: ClusterPlan): string {
    return `LVS-${plan.forwarding.toUpperCase()} director`;
}

function pair(plan: ClusterPlan): boolean {
    return plan.vrrp !== undefined;
}

/** A pair on AWS: the VIP moves through the EC2 API, from keepalived's notify hook. */
export function movesVipThroughApi(plan: ClusterPlan): boolean {
    return pair(plan) && plan.platform.kind === "aws";
}

/** keepalived's notify hook on an AWS pair: takes the VIP through the EC2 API. */
export function renderTakeVip(plan: ClusterPlan, director: HostPlan): string {
    return script(`${title(plan)} for VIP ${plan.vip} (director ${director.address}): keepalived runs this on becoming master.`,
        ["common", "aws"], call("take_vip", plan.vip));
}

/**
 * The director's kernel state; run by setup and, through a systemd unit, at every boot (before
 * keepalived, which restores the table from its configuration). A single director binds the VIP
 * here; in a pair keepalived binds it on the master only.
 */
export function renderDirectorUp(plan: ClusterPlan, director: HostPlan): string {
    const marks = hostPaths(plan.vip, "director").marksNft;
    return script(`${title(plan)} kernel state for VIP ${plan.vip}.`, ["common", "sysctl", "ipvs", "marks", ...(announces(plan) ? ["announce" as const] : [])],
        ["load_ipvs", ...directorSysctls(pair(plan)).map((s) => call("set_sysctl", s.path, s.value))].join("\n"),
        pair(plan) ? "" : bindVips(plan, director),
        `# The firewall marks the rules wrote, if any (before keepalived restores the fwmark services).\nif [ -e ${shq(marks)} ]; then\n  ${call("apply_marks", marks)}\nfi`,
    );
}

/**
 * Setup: ipvsadm (to read the table), keepalived (to own it), the ip_vs module and its parameters,
 * the VIP on a single director's NIC, persisted by a boot unit. Idempotent.
 */
export function renderDirectorSetup(plan: ClusterPlan, director: HostPlan): string {
    const p = hostPaths(plan.vip, "director");
    const sysctls = directorSysctls(pair(plan));
    return script(`${title(plan)} setup for VIP ${plan.vip} (director ${director.address}).`,
        ["common", "sysctl", "boot-unit", "ipvs"],
        [
            "require_root",
            call("require_interface", director.interface, `interface ${director.interface} not found on ${director.address}: ${director.interfaceFix}`),
            call("install_tool", "ipvsadm", "ipvsadm"),
            call("install_tool", "keepalived", "keepalived"),
            ...(announces(plan) ? [call("install_tool", "arping", "iputils-arping", "iputils")] : []),
            ...(movesVipThroughApi(plan) ? [call("install_tool", "aws", "awscli"), call("install_tool", "curl", "curl")] : []),
            "load_ipvs",
        ].join("\n"),
        movesVipThroughApi(plan) ? writeFile(p.takeVipScript, "0755", renderTakeVip(plan, director)) : "",
        rememberSysctls(p, sysctls),
        writeFile(p.modulesLoadConf, "0644", `# lvs-dr director for VIP ${plan.vip}: IPVS at boot, before systemd-sysctl sets its parameters.\nip_vs\n`),
        writeFile(p.sysctlConf, "0644", sysctlConf(`${title(plan)} for VIP ${plan.vip}`, sysctls)),
        ...installBootUnit(p, {
            description: `${title(plan)} for VIP ${plan.vip} (IPVS parameters${pair(plan) ? "" : `, VIP on ${director.interface}`})`,
            ordering: ["Wants=network-online.target", "After=network-online.target", "Before=keepalived.service"],
        }, renderDirectorUp(plan, director)),
        `${call("sh", p.upScript)}\n${call("say", pair(plan) ? `IPVS parameters set; keepalived moves the VIP${plan.vip6 ? "s" : ""}`
            : `VIP${plan.vip6 ? "s" : ""} ${vipsOf(plan).join(" and ")} bound on ${director.interface}`)}`,
    );
}

/** Teardown of setup: unbinds the VIP, restores the parameters, removes the files. Packages and modules stay. */
export function renderDirectorTeardown(plan: ClusterPlan, director: HostPlan): string {
    const p = hostPaths(plan.vip, "director");
    return script(`${title(plan)} teardown for VIP ${plan.vip} (director ${director.address}).`,
        ["common", "sysctl", "boot-unit", "marks"],
        vipsOf(plan).map((v) => call("unbind_vip", hostPrefix(v), director.interface)).join("\n"),
        // The rules' removal deleted them; kept here in case the rules never ran to the end.
        removeMarks(plan),
        restoreSysctls(p),
        removeBootUnit(p),
        [call("remove_file", p.sysctlConf), call("remove_file", p.modulesLoadConf), call("remove_file", p.takeVipScript),
            call("remove_dir", ...p.ownDirs)].join("\n"),
    );
}

/**
 * The paths the keepalived library reads: fixed for a VIP (a drain hook's scripts use only these).
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
        `NEXT=${shq(k.nextConf)}`,
        `DESIRED_CONF=${shq(k.desiredConf)}`,
        `HELD=${shq(k.heldList)}`,
        `MARKS=${shq(k.marksList)}`,
    ].join("\n");
}

/** The variables the keepalived library reads. */
function keepalivedVariables(plan: ClusterPlan): string {
    return `${keepalivedFileVariables(plan.vip, plan.vip6)}\nSORRY=${shq(sorryKeys(plan).join("\n"))}`;
}

/**
 * Rules: this cluster's keepalived file, checked by keepalived before it is used, then applied by a
 * reload, with the real servers a drain hook holds at weight 0. Real servers that leave are drained
 * first (weight 0 until no connection to them is active or drainSeconds pass). Prints the resulting
 * table on stdout (the component's `ipvsTable` output); everything else goes to stderr.
 */
/**
 * The rules hand the desired table (`ipvsadm -Sn` lines) to awk through its environment, and Linux
 * refuses one environment string over 128 KiB (MAX_ARG_STRLEN): about 2,500 entries, 1,250 real servers x 2
 * services. Refused here, before anything runs, rather than by the host's exec mid-update.
 */
const TABLE_LIMIT = 120 * 1024;

function checkTableFits(plan: ClusterPlan): void {
    const bytes = Buffer.byteLength(desiredIpvsRules(plan).join("\n"));
    if (bytes > TABLE_LIMIT) {
        throw new Error(`lvs-dr: the director's table for VIP ${plan.vip} (${plan.realServers.length} real servers x ` +
            `${plan.services.length} services, ${bytes} bytes as ipvsadm lines) is over what its scripts can pass to a ` +
            `command (${TABLE_LIMIT} bytes): split the cluster (fewer real servers or services per VIP)`);
    }
}

export function renderDirectorRules(plan: ClusterPlan, director: HostPlan): string {
    checkTableFits(plan);
    const p = hostPaths(plan.vip, "director");
    const k = keepalivedPaths(plan.vip);
    const schedulers = [...new Set(plan.services.map((s) => s.scheduler))].sort();
    const next = k.nextConf;
    const draining = k.drainConf;
    const marks = marksOf(plan);
    return script(`${title(plan)} keepalived configuration for VIP ${plan.vip} (director ${director.address}).`,
        ["common", "ipvs", "keepalived", "marks"],
        ["# stdout is the table alone: the rest goes to stderr.", "exec 3>&1 1>&2",
            "require_root", call("install_tool", "keepalived", "keepalived"), call("install_tool", "ipvsadm", "ipvsadm"),
            "lock_keepalived",
            ...schedulers.map((s) => call("load_scheduler", s))].join("\n"),
        keepalivedVariables(plan),
        `DESIRED=${shq(desiredIpvsRules(plan).join("\n"))}`,
        [
            "# A table lvs-dr 0.1 wrote with ipvsadm: keepalived would not own its entries. Removed once.",
            `if [ -e ${shq(p.rulesFile)} ]; then`,
            `  ${call("remove_services", ...vipsOf(plan))}`,
            `  ${call("remove_file", p.rulesFile)}`,
            "fi",
        ].join("\n"),
        `mkdir -p ${shq(k.clusterDir)}`,
        marksStep(plan),
        writeFile(next, "0644", renderKeepalivedConfig(plan, director)),
        call("keepalived_check", next),
        [
            "# Kept as rendered for the drain hooks; applied with held real servers at weight 0.",
            `write_file "$DESIRED_CONF" 0644 < ${shq(next)}`,
            `prune_held "$DESIRED"`,
            `hold_weights "$DESIRED_CONF" > ${shq(next)}`,
        ].join("\n"),
        plan.drainSeconds === 0 ? "" : [
            `LEAVING=$(leaving_servers "$DESIRED")`,
            `if [ -n "$LEAVING" ] && [ -e "$CONF" ]; then`,
            `  ${call("with_draining", next)} "$LEAVING" > ${shq(draining)}`,
            `  ${call("apply_config", draining)} "$(printf '%s\\n' "$DESIRED"; ${call("draining_rules")} "$LEAVING" ${shq(forwardingFlag(plan))})" 'leaving real servers at weight 0'`,
            `  drain "$LEAVING" ${shq(plan.drainSeconds)} ${shq(director.interface)}`,
            "fi",
        ].join("\n"),
        `${call("apply_config", next)} "$DESIRED" 'the cluster configuration'`,
        marks.length > 0 ? call("set_marks", ...marks) : "clear_marks",
        `{\n${virtualServices(plan).map(({ vip, svc }) => `  ${call("ipvsadm", "-Ln", ...serviceSelector(plan, svc, vip),
            ...(svc.fwmark !== undefined && isIpv6(vip) ? ["-6"] : []))}`).join("\n")}\n} >&3`,
    );
}

/** The cluster's nftables table and its file, deleted (nothing else of nftables is touched). */
function removeMarks(plan: ClusterPlan): string {
    return [call("remove_marks", marksTable(plan.vip)), call("remove_file", hostPaths(plan.vip, "director").marksNft)].join("\n");
}

/**
 * The firewall marks of the rules: the cluster's nftables table loaded (or deleted when it has no
 * firewall-mark service left) before keepalived gets the configuration, and the marks list
 * extended for the table readers until the configuration is applied (then it is set exactly). A
 * marked packet whose fwmark service keepalived has not added yet goes to the VIP's port service,
 * if any: IPVS looks up a mark first, then the address and port.
 */
function marksStep(plan: ClusterPlan): string {
    const p = hostPaths(plan.vip, "director");
    const nft = renderMarksNft(plan);
    if (nft === undefined) {
        return removeMarks(plan);
    }
    return [
        call("install_tool", "nft", "nftables"),
        writeFile(p.marksNft, "0644", nft),
        call("apply_marks", p.marksNft),
        call("expect_marks", ...marksOf(plan)),
    ].join("\n");
}

/**
 * Removal of the rules: every real server drained (weight 0 until no connection is active or
 * drainSeconds pass), then this cluster's keepalived file removed and keepalived reloaded.
 */
export function renderDirectorRulesRemoval(plan: ClusterPlan, director: HostPlan): string {
    checkTableFits(plan);
    const p = hostPaths(plan.vip, "director");
    const k = keepalivedPaths(plan.vip);
    const draining = k.drainConf;
    return script(`${title(plan)} keepalived configuration removal for VIP ${plan.vip} (director ${director.address}).`,
        ["common", "ipvs", "keepalived", "marks"],
        keepalivedVariables(plan),
        "lock_keepalived",
        plan.drainSeconds === 0 ? "" : [
            `if [ -e "$CONF" ] && command -v keepalived >/dev/null 2>&1 && keepalived_running; then`,
            `  LEAVING=$(leaving_servers '')`,
            writeFile(draining, "0644", renderKeepalivedConfig(plan, director, { allWeightsZero: true })).replace(/^/, "  "),
            `  ${call("apply_config", draining, desiredIpvsRules(plan, true).join("\n"), "every real server at weight 0")}`,
            `  drain "$LEAVING" ${shq(plan.drainSeconds)} ${shq(director.interface)}`,
            "fi",
        ].join("\n"),
        "remove_cluster_conf",
        [removeMarks(plan), call("remove_services", ...vipsOf(plan)), call("remove_file", p.rulesFile), call("remove_dir", ...p.ownDirs)].join("\n"),
    );
}
