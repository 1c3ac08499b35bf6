/**
 * Host scripts for the director: the VIP on its subnet-facing NIC, the IPVS virtual services and
 * their real servers, both persisted across reboots, and their exact undo.
 */
import {
    hostChecks, installBootUnit, rememberFunction, rememberSysctls, removeBootUnit, restoreRemembered, SET_SYSCTL, Sysctl,
    sysctlConf, unbindVip,
} from "./host-steps";
import { hostPaths } from "./paths";
import { ClusterPlan, Scheduler, ServicePlan } from "./plan";
import { COMMON_FUNCTIONS, script, shq, writeFileCommand } from "./shell";

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

/**
 * Lines of `ipvsadm -Sn` that belong to this cluster (the third word starts with `VIP:`), in the
 * syntax of {@link desiredIpvsRules}: ipvsadm 1.31 appends `--tun-type ipip` to tunnel entries,
 * which is the default and is dropped so that an unchanged entry compares equal.
 */
function ownLinesFilter(plan: ClusterPlan): string {
    return `awk -v vip=${shq(plan.vip)} 'index($3, vip ":") == 1 { sub(/ --tun-type ipip$/, ""); print }'`;
}

/**
 * IPVS parameters of a director (kernel Documentation/networking/ipvs-sysctl.rst). In DR and TUN the
 * director sees only the client's half of each TCP connection, so a finished connection stays in
 * its table in FIN_WAIT for the tcpfin timeout (120 s):
 * - `conn_reuse_mode=2`: a new connection whose client port matches such an entry is scheduled
 *   afresh ("FIN_WAIT ... the last state seen by load balancer in Direct Routing mode"); with the
 *   default 1 it follows the old entry to the old real server, bypassing weights and the scheduler;
 * - `expire_nodest_conn=1`: a packet of an entry whose real server was removed expires the entry
 *   (and a new connection is scheduled) instead of being dropped in silence until it times out;
 * - `expire_quiescent_template=1`: persistence templates of a real server at weight 0 expire, so
 *   weight 0 means "no new clients" under persistence too, not only for new clients.
 */
export function directorSysctls(): Sysctl[] {
    return [
        { path: "net/ipv4/vs/conn_reuse_mode", value: "2" },
        { path: "net/ipv4/vs/expire_nodest_conn", value: "1" },
        { path: "net/ipv4/vs/expire_quiescent_template", value: "1" },
    ];
}

/** The director's kernel state; run by setup and, through a systemd unit, at every boot. */
export function renderDirectorUp(plan: ClusterPlan): string {
    const p = hostPaths(plan.vip, "director");
    return script(
        `LVS-${plan.forwarding.toUpperCase()} director kernel state for VIP ${plan.vip}.`,
        SET_SYSCTL,
        `[ -e /proc/net/ip_vs ] || modprobe ip_vs
${directorSysctls().map((s) => `set_sysctl ${shq(s.path)} ${shq(s.value)}`).join("\n")}
ip addr replace ${shq(`${plan.vip}/32`)} dev ${shq(plan.director.interface)}`,
        `# At boot the table is empty: restore the last applied one. A live table is left alone (the
# rules command reconciles it), so re-running setup never disturbs connections.
if [ -s ${shq(p.rulesFile)} ] && [ -z "$(ipvsadm -Sn | ${ownLinesFilter(plan)})" ]; then
  ipvsadm -R < ${shq(p.rulesFile)}
fi`,
    );
}

const INSTALL_IPVSADM = `if ! command -v ipvsadm >/dev/null 2>&1; then
  say "ipvsadm is missing; installing it"
  if command -v apt-get >/dev/null 2>&1; then
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q ipvsadm </dev/null; then
      apt-get update -q </dev/null
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q ipvsadm </dev/null
    fi
  elif command -v dnf >/dev/null 2>&1; then
    dnf install -y ipvsadm </dev/null
  elif command -v yum >/dev/null 2>&1; then
    yum install -y ipvsadm </dev/null
  else
    die "ipvsadm is missing and no apt-get, dnf or yum was found: install ipvsadm on the director"
  fi
  command -v ipvsadm >/dev/null 2>&1 || die "ipvsadm is still missing after installing it"
fi`;

/** Setup: ipvsadm, the ip_vs module, the VIP on the NIC, persisted by a boot unit. Idempotent. */
export function renderDirectorSetup(plan: ClusterPlan): string {
    const p = hostPaths(plan.vip, "director");
    const d = plan.director;
    return script(
        `LVS-${plan.forwarding.toUpperCase()} director setup for VIP ${plan.vip} (director ${d.address}).`,
        COMMON_FUNCTIONS,
        rememberFunction(p.originalSysctls),
        hostChecks(d.interface, d.address, d.interfaceFix),
        INSTALL_IPVSADM,
        `if [ ! -e /proc/net/ip_vs ]; then
  modprobe ip_vs || die "cannot load the ip_vs module: this kernel has no IPVS support"
fi`,
        rememberSysctls(directorSysctls()),
        writeFileCommand(p.modulesLoadConf, "0644", "# Loaded at boot for lvs-dr (VIP " + plan.vip + "): IPVS, and its sysctls for systemd-sysctl.\nip_vs\n"),
        writeFileCommand(p.sysctlConf, "0644",
            sysctlConf(`LVS-${plan.forwarding.toUpperCase()} director for VIP ${plan.vip}`, directorSysctls())),
        ...installBootUnit(p, {
            description: `LVS-${plan.forwarding.toUpperCase()} director for VIP ${plan.vip} (VIP on ${d.interface}, IPVS table)`,
            ordering: ["Wants=network-online.target", "After=network-online.target"],
        }, renderDirectorUp(plan)),
        `sh ${shq(p.upScript)}\nsay ${shq(`VIP ${plan.vip} bound on ${d.interface}`)}`,
    );
}

/** Teardown of setup: unbinds the VIP and removes the unit and scripts. ipvsadm and modules stay. */
export function renderDirectorTeardown(plan: ClusterPlan): string {
    const p = hostPaths(plan.vip, "director");
    return script(
        `LVS-${plan.forwarding.toUpperCase()} director teardown for VIP ${plan.vip} (director ${plan.director.address}).`,
        COMMON_FUNCTIONS,
        unbindVip(plan.vip, plan.director.interface),
        restoreRemembered(p.originalSysctls),
        `${removeBootUnit(p)}
remove_file ${shq(p.sysctlConf)}
remove_file ${shq(p.modulesLoadConf)}
remove_dir ${shq(p.configDir)}
remove_dir /etc/lvs-dr
remove_dir ${shq(p.stateDir)}
remove_dir /var/lib/lvs-dr`,
    );
}

function schedulers(plan: ClusterPlan): Scheduler[] {
    return [...new Set(plan.services.map((s) => s.scheduler))].sort();
}

/**
 * Rules: reconciles the live IPVS table with the desired one. Entries are added, edited in place
 * or deleted one by one, never flushed, so established connections to unchanged real servers
 * survive every update. Only entries on this cluster's VIP are touched. Prints the resulting
 * table on stdout (the component's `ipvsTable` output); change notes go to stderr.
 */
export function renderDirectorRules(plan: ClusterPlan): string {
    const p = hostPaths(plan.vip, "director");
    const services = plan.services.map((svc) => serviceSelector(plan, svc));
    const ensure = plan.services.flatMap((svc) => {
        const [flag, addr] = serviceSelector(plan, svc);
        return [
            `ensure_service ${flag} ${shq(addr)} ${shq(svc.scheduler)} ${shq(svc.persistenceSeconds)}`,
            ...plan.realServers.map((rs) =>
                `ensure_real ${flag} ${shq(addr)} ${shq(`${rs.address}:${svc.port}`)} ${forwardingFlag(plan)} ${shq(rs.weight)}`),
        ];
    });
    return script(
        `LVS-${plan.forwarding.toUpperCase()} director IPVS rules for VIP ${plan.vip}.`,
        COMMON_FUNCTIONS,
        `note() {
  printf 'lvs-dr: %s\\n' "$*" >&2
}

command -v ipvsadm >/dev/null 2>&1 || die "ipvsadm is missing: the director setup must run first"
` + schedulers(plan).map((s) => `[ -d /sys/module/ip_vs_${s} ] || modprobe ip_vs_${s} || die "cannot load the ip_vs_${s} scheduler module"`).join("\n"),
        `DESIRED=${shq(desiredIpvsRules(plan).join("\n"))}
TABLE=$(ipvsadm -Sn)
CURRENT=$(printf '%s\\n' "$TABLE" | ${ownLinesFilter(plan)})

# has LINE: the live table (as it was before this run) holds exactly LINE.
has() {
  printf '%s\\n' "$CURRENT" | grep -qxF -- "$1"
}

# has_prefix TEXT: the live table holds a line starting with TEXT.
has_prefix() {
  printf '%s\\n' "$CURRENT" | awk -v p="$1" 'index($0, p) == 1 { found = 1 } END { exit !found }'
}

# wanted LINE-PREFIX: the desired table holds a line starting with it.
wanted() {
  printf '%s\\n' "$DESIRED" | awk -v p="$1" 'index($0, p) == 1 { found = 1 } END { exit !found }'
}

# ensure_service FLAG VIP:PORT SCHEDULER PERSISTENCE
ensure_service() {
  if [ "$4" = 0 ]; then line="-A $1 $2 -s $3"; else line="-A $1 $2 -s $3 -p $4"; fi
  has "$line" && return 0
  if has_prefix "-A $1 $2 "; then op=-E; else op=-A; fi
  if [ "$4" = 0 ]; then
    ipvsadm "$op" "$1" "$2" -s "$3"
  else
    ipvsadm "$op" "$1" "$2" -s "$3" -p "$4"
  fi
  note "$op $1 $2 -s $3 (persistence $4)"
}

# ensure_real FLAG VIP:PORT RIP:PORT METHOD WEIGHT
ensure_real() {
  has "-a $1 $2 -r $3 $4 -w $5" && return 0
  if has_prefix "-a $1 $2 -r $3 "; then op=-e; else op=-a; fi
  ipvsadm "$op" "$1" "$2" -r "$3" "$4" -w "$5"
  note "$op $1 $2 -r $3 $4 -w $5"
}`,
        `${ensure.join("\n")}`,
        `# Real servers that are no longer wanted, then services that are no longer wanted.
printf '%s\\n' "$CURRENT" | awk '$1 == "-a" { print $2, $3, $5 }' | while read -r flag addr real; do
  if ! wanted "-a $flag $addr -r $real "; then
    ipvsadm -d "$flag" "$addr" -r "$real"
    note "-d $flag $addr -r $real"
  fi
done
printf '%s\\n' "$CURRENT" | awk '$1 == "-A" { print $2, $3 }' | while read -r flag addr; do
  if ! wanted "-A $flag $addr "; then
    ipvsadm -D "$flag" "$addr"
    note "-D $flag $addr"
  fi
done`,
        `ipvsadm -Sn | ${ownLinesFilter(plan)} | write_file ${shq(p.rulesFile)} 0644 >&2`,
        services.map(([flag, addr]) => `ipvsadm -Ln ${flag} ${shq(addr)}`).join("\n"),
    );
}

/** Removes this cluster's virtual services (and with them their real servers) and the saved table. */
export function renderDirectorRulesRemoval(plan: ClusterPlan): string {
    const p = hostPaths(plan.vip, "director");
    return script(
        `LVS-${plan.forwarding.toUpperCase()} director IPVS rules removal for VIP ${plan.vip}.`,
        COMMON_FUNCTIONS,
        `if command -v ipvsadm >/dev/null 2>&1; then
  ipvsadm -Sn | ${ownLinesFilter(plan)} | awk '$1 == "-A" { print $2, $3 }' | while read -r flag addr; do
    ipvsadm -D "$flag" "$addr"
    say "removed virtual service $flag $addr"
  done
fi
remove_file ${shq(p.rulesFile)}
remove_dir ${shq(p.configDir)}
remove_dir /etc/lvs-dr`,
    );
}
