/**
 * A VRRP director pair: keepalived, as VRRP speaker, binds the VIP on the master and moves it to
 * the backup when the master fails; the IPVS sync daemon follows the VRRP instance so the new
 * master knows the live connections. Where the network does not learn the VIP's new place from
 * gratuitous ARP, keepalived's notify hook moves it through the platform's API.
 */
import { hostPaths, vrrpInstanceOf } from "../names";
import { addressFor, type ClusterPlan, type HostPlan, isIpv6, type TakeoverHook, type VrrpPlan } from "../plan";
import { directorTitle } from "../scripts/director/title";
import { block } from "../scripts/keepalived/virtual-servers";
import { libraryFile } from "../scripts/library";
import { call, script, writeFile } from "../scripts/render";
import type { DirectorModeModule } from "./mode";
import { guardsVrrp, vrrpGuardLibraries, vrrpGuardTeardown, vrrpGuardTools, vrrpGuardUp } from "./vrrp-guard";
import { basePriority, HOLDER_TOOLS, holderBlocks, holderPaths, holderTeardown, holderTracking, renderHolderScript } from "./vrrp-holder";

/** The notify hook the network needs, if any. */
function hookOf(plan: ClusterPlan): TakeoverHook | undefined {
    const takeover = plan.network.vipTakeover;
    return takeover.kind === "hook" ? takeover : undefined;
}

/** keepalived's notify hook where the network needs one: takes the VIP through the platform's API. */
export function renderTakeVip(plan: ClusterPlan, director: HostPlan, hook: TakeoverHook): string {
    return script(`${directorTitle(plan)} for VIP ${plan.vip} (director ${director.address}): keepalived runs this on becoming master.`,
        ["common"], libraryFile(hook.libraryFile), call(hook.command, plan.vip, director.interface));
}

/**
 * VRRP of a pair: both BACKUP with nopreempt (a director that comes back stays backup instead of
 * taking the VIP with an empty connection table); the first director has the higher base priority
 * so that it is the one that takes the VIP when both start. Unicast adverts: no multicast needed.
 * When two masters meet (the master was paused longer than the takeover time, or a partition
 * between the directors healed) keepalived keeps the higher priority as master whatever nopreempt
 * says, so the priority also says how a director came to hold the VIP (./vrrp-holder.ts): the one
 * that took over from a silent peer outranks a peer that comes back still holding the VIP, and
 * the connections that went to it are not cut. The priorities are high: a backup declares the
 * master down after 3 adverts plus a skew of (256 - priority) / 256 adverts (RFC 5798), 0.1 s at
 * 231 where the usual 100 would add 0.6 s to every takeover.
 */
function vrrpInstance(plan: ClusterPlan, vrrp: VrrpPlan, director: HostPlan): string[] {
    const index = plan.directors.indexOf(director);
    // VRRP speaks the primary VIP's family. In dual stack the IPv6 VIP is an excluded address of the
    // same instance (VRRP forbids mixing families in its adverts): both VIPs move together, and the
    // sync daemon that follows the instance covers both.
    const peers = plan.directors.filter((d) => d !== director).map((d) => addressFor(d, plan.vip));
    const vipLine = (vip: string) => isIpv6(vip) ? `${vip}/128 dev ${director.interface} preferred_lft 0` : `${vip}/32 dev ${director.interface}`;
    const name = vrrpInstanceOf(plan.vip);
    // Where only the platform's API moves the VIP, the new master calls it.
    const hook = hookOf(plan) !== undefined;
    return [
        ...block("global_defs", [
            // The IPVS sync daemon follows this instance: master on the VIP holder, backup on the
            // other. One per keepalived: with several pairs on one director, the last file's wins.
            `lvs_sync_daemon ${director.interface} ${name} id ${vrrp.virtualRouterId}`,
            // No enable_script_security: it is daemon-wide, and would make keepalived refuse an
            // operator's scripts by rules they never chose. Without it keepalived warns that scripts
            // run and runs them; keepalived_check takes that warning for what it is (keepalived.sh).
        ]),
        ...holderBlocks(plan),
        ...block(`vrrp_instance ${name}`, [
            "state BACKUP",
            "nopreempt",
            "version 3",
            `interface ${director.interface}`,
            `virtual_router_id ${vrrp.virtualRouterId}`,
            `priority ${basePriority(index)}`,
            ...holderTracking(plan),
            // A master that receives a higher priority advert sends one of its own before it
            // yields, so that the winner, receiving a lower one, sends its gratuitous ARPs again
            // (garp_lower_prio_repeat defaults to the global garp repeat, 5): clients that the
            // loser's ARP replies reached in between come back.
            "higher_prio_send_advert",
            `advert_int ${vrrp.advertIntervalSeconds}`,
            `unicast_src_ip ${addressFor(director, plan.vip)}`,
            ...block("unicast_peer", peers),
            // Adverts are accepted from the peer's address only (VRRPv3 has no authentication: any
            // host on the segment could otherwise take the VIP with a higher priority).
            "check_unicast_src",
            ...block("virtual_ipaddress", [vipLine(plan.vip)]),
            ...(plan.vip6 ? block("virtual_ipaddress_excluded", [vipLine(plan.vip6)]) : []),
            // Gratuitous ARPs (unsolicited neighbour advertisements for IPv6) on takeover, repeated
            // once after a second for switches that missed them.
            "garp_master_delay 1",
            "garp_master_repeat 3",
            // The hook runs as root, said here rather than with a daemon-wide script_user in
            // global_defs, which would change how every other keepalived script on the host runs.
            ...(hook ? [`notify_master "${hostPaths(plan.vip, "director").takeVipScript}" root`] : []),
        ]),
    ];
}

export function vrrpMode(vrrp: VrrpPlan): DirectorModeModule {
    return {
        tools: (plan) => [...(hookOf(plan)?.tools ?? []), ...vrrpGuardTools(plan), ...HOLDER_TOOLS],
        /**
         * A director pair's, on both directors:
         * - `backup_only=0`, set explicitly: keepalived adds the VIP and sends its gratuitous ARPs *before*
         *   it stops the backup sync daemon (vrrp_state_become_master). With 1, IPVS ignores packets while
         *   that daemon runs, so a client packet arriving in between reached the new master's own TCP stack,
         *   which holds the VIP and answered RST: a live connection cut by a takeover (seen in a CI run,
         *   reproduced by `npm run test:ha`'s "takeover order" check). The flag exists for a backup that is
         *   also a real server (VIP on its loopback, kernel commit "ipvs: add backup_only flag"); a backup
         *   here never holds the VIP, so IPVS never sees a packet for it there (test:ha: the backup
         *   forwards nothing). Set explicitly so that hosts an earlier lvs-dr set to 1 are put right.
         * - `sloppy_tcp=1`: the new master creates an entry for a TCP packet that is not a SYN. Connections
         *   are synced after their third packet and then every 50; one the sync has not carried yet would
         *   otherwise be dropped by the new master until the client gives up. With sloppy_tcp its next
         *   packet is scheduled: with a hashing scheduler (sh, mh) it reaches its own server and goes on;
         *   with another, a different server answers RST at once, so the client fails fast, not after
         *   minutes.
         */
        sysctls: [
            { path: "net/ipv4/vs/backup_only", value: "0" },
            { path: "net/ipv4/vs/sloppy_tcp", value: "1" },
        ],
        // keepalived binds the VIP on the master only. Where the network lets anyone send VRRP
        // adverts, the host firewall drops those for the cluster's router id but from the peer.
        upLibraries: vrrpGuardLibraries,
        upLines: (plan, director) => vrrpGuardUp(plan, vrrp, director),
        teardownLibraries: vrrpGuardLibraries,
        teardownLines: (plan) => [vrrpGuardTeardown(plan), holderTeardown(plan)].filter(Boolean).join("\n"),
        // The takeover hook where the network needs one, and the step script that says how this
        // director holds the VIP (./vrrp-holder.ts).
        setupLibraries: () => [],
        setupFiles: (plan, director) => {
            const hook = hookOf(plan);
            return [
                ...(hook ? [writeFile(hostPaths(plan.vip, "director").takeVipScript, "0755", renderTakeVip(plan, director, hook))] : []),
                writeFile(holderPaths(plan.vip).script, "0755", renderHolderScript(plan, vrrp, director)),
            ].join("\n");
        },
        bootUnitWhat: (plan) => guardsVrrp(plan) ? "IPVS parameters, VRRP from the peer only" : "IPVS parameters",
        setupDone: (plan) => `IPVS parameters set; keepalived moves the VIP${plan.vip6 ? "s" : ""}`,
        keepalived: (plan, director) => vrrpInstance(plan, vrrp, director),
        virtualServerLines: () => [],
        rulesLibraries: () => [],
        rulesLines: () => "",
        leaveLines: () => "",
        drainsOnRemoval: true,
        realServersCheckGateway: true,
        forwards: "while-holding-vip",
    };
}
