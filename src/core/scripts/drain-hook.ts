/**
 * A real server's drain hook on one director: a remote command on the director that the engine
 * deletes before the real server's setup is torn down or its machine replaced, and creates again
 * once its new setup is done. Its delete holds the real server at weight 0 in this cluster's
 * keepalived table and waits until no connection to it is active (or drainSeconds pass); its create
 * releases it. The rules drain real servers that leave the cluster; the hooks drain the ones that
 * are replaced in place, which the rules never see (same address, same table).
 *
 * The texts depend only on the VIP, the real server's address, the director and drainSeconds: a
 * change elsewhere in the cluster must not re-run (let alone replace) a hook.
 */
import { addressFor, type ClusterPlan, type HostPlan, type RealServerPlan, vipsOf } from "../plan";
import { drainCall, keepalivedFileVariables, KEEPALIVED_LIBRARIES } from "./director/rules";
import { script, shq } from "./render";

function what(plan: ClusterPlan, director: HostPlan, rs: RealServerPlan): string {
    return `lvs-dr drain hook of real server ${rs.address} for VIP ${plan.vip} (director ${director.address})`;
}

/** The real server's addresses in the cluster's tables: one per VIP (IPv4 and IPv6 in dual stack). */
function addresses(plan: ClusterPlan, rs: RealServerPlan): string[] {
    return vipsOf(plan).map((vip) => addressFor(rs, vip));
}

/** RIP (the first address) and, in dual stack, RIP6: what the hook's messages and calls name. */
function variables(plan: ClusterPlan, rs: RealServerPlan): string {
    const [rip, rip6] = addresses(plan, rs);
    return [keepalivedFileVariables(plan.vip, plan.vip6), `RIP=${shq(rip)}`, ...(rip6 ? [`RIP6=${shq(rip6)}`] : [])].join("\n");
}

/** `COMMAND "$RIP"` (and `COMMAND "$RIP6"` in dual stack), one per line after `indent`. */
function each(plan: ClusterPlan, rs: RealServerPlan, command: string, indent = ""): string {
    return addresses(plan, rs).map((_, i) => `${indent}${command} "$${i === 0 ? "RIP" : "RIP6"}"`).join("\n");
}

/**
 * The hook's delete: hold the real server at weight 0, then wait for its active connections to
 * end. The hold is requested before the lock is taken: the hooks of a destroy, all started at
 * once, are applied by whichever takes the lock first, with one reload; the others find theirs
 * applied and reload nothing. The lock is not held through the drain.
 */
export function renderHoldRealServer(plan: ClusterPlan, director: HostPlan, rs: RealServerPlan): string {
    return script(`${what(plan, director, rs)}: hold it at weight 0 and drain it.`, [...KEEPALIVED_LIBRARIES],
        "require_root",
        variables(plan, rs),
        [
            `request_hold ${addresses(plan, rs).map((_, i) => `"$${i === 0 ? "RIP" : "RIP6"}"`).join(" ")}`,
            "lock_keepalived",
            "# Nothing to drain where this cluster's keepalived file is gone (the cluster's removal) or the",
            "# real server is in no table (it left the cluster: the rules drained it).",
            'if [ ! -e "$CONF" ] || [ ! -e "$DESIRED_CONF" ] || ! command -v keepalived >/dev/null 2>&1 || ! keepalived_running; then',
            "  drop_held_requests",
            '  say "no keepalived configuration of VIP $VIP runs here: nothing to drain"',
            "  exit 0",
            "fi",
            "take_held_requests",
            plan.vip6 ? 'SERVERS=$(servers_at "$RIP"; servers_at "$RIP6")' : 'SERVERS=$(servers_at "$RIP")',
            'if [ -z "$SERVERS" ]; then',
            '  say "$RIP is in no service of VIP $VIP here: nothing to drain"',
            "  exit 0",
            "fi",
        ].join("\n"),
        [
            each(plan, rs, "hold"),
            "# Another hook's reload may have applied this hold already.",
            'if ! at_weight_zero "$SERVERS"; then',
            '  install_held "$RIP held at weight 0 (with every hold requested meanwhile)"',
            "fi",
            'wait_weight_zero "$SERVERS" "$RIP"',
            "unlock_keepalived",
            drainCall(plan, director, '"$SERVERS"'),
            'say "$RIP held at weight 0 in VIP $VIP\'s table"',
        ].join("\n"),
    );
}

/** The hook's create: release the real server if its hook held it (its replacement is set up). */
export function renderReleaseRealServer(plan: ClusterPlan, director: HostPlan, rs: RealServerPlan): string {
    return script(`${what(plan, director, rs)}: release it.`, [...KEEPALIVED_LIBRARIES],
        "require_root",
        variables(plan, rs),
        [
            "lock_keepalived",
            'if is_held "$RIP"; then',
            each(plan, rs, "unhold", "  "),
            '  if [ -e "$CONF" ] && [ -e "$DESIRED_CONF" ]; then',
            '    install_held "$RIP released"',
            "  fi",
            '  say "$RIP released: back at its weight in VIP $VIP\'s table"',
            "else",
            '  say "$RIP is not held: nothing to release"',
            "fi",
        ].join("\n"),
    );
}
