/**
 * Active-active directors: every director holds the VIP on its loopback, forwards, and announces
 * the VIP over BGP (./bgp-speaker.ts) to the user's routers, which spread the VIP's traffic over
 * the directors that announce it (ECMP). A connection that the routers move to another director
 * (one died, joined, or left) keeps its real server there, because every director computes the
 * same Maglev table (`mh`, the same real servers in the same order with the same weights: a
 * failed server keeps its place at weight 0) and, with `sloppy_tcp`, takes up a flow in the
 * middle. No VRRP and no connection sync: no director holds anything another one needs. (Sync
 * would still matter for persistence templates and schedulers that keep state, both refused in
 * this mode.)
 *
 * The health gate: keepalived runs the gate script (../scripts/sh/bgp.sh) when a service of the
 * VIP gains or loses its last live real server (its quorum hooks), and when keepalived stops;
 * the VIP's route sits in the cluster's gate table while a service is up (a closed gate opens after
 * a hold: gateHoldSeconds), and the speaker announces what that table holds. A planned removal
 * closes the gate first and waits until the routers have moved the traffic.
 */
import { hostPrefix } from "../ip";
import { bgpPaths } from "../names";
import { type BgpPlan, type ClusterPlan, type HostPlan, markOf, type ServicePlan, vipsOf } from "../plan";
import { directorTitle } from "../scripts/director/title";
import type { Sysctl } from "../scripts/kernel-parameters";
import { call, fed, script, shq, writeFile } from "../scripts/render";
import { peerProtocol, renderBirdConf } from "./bgp-speaker";
import type { DirectorModeModule } from "./mode";

/** How long a planned removal waits at most for the routers to move the traffic, in seconds. */
const WITHDRAW_SECONDS = 30;
/** How long the rules wait at most for the sessions and the first checks, in seconds (and the gate's hold). */
const SETTLE_SECONDS = 20;
/** The line that starts the speaker's report in the rules' output, after the table. */
export const BGP_REPORT_MARK = "lvs-dr bgp:";

/** The gate's name for a service on a VIP: `tcp-80`, `udp-53`, `fwm-1280704512`. */
export function gateKey(plan: Pick<ClusterPlan, "vip6">, vip: string, svc: ServicePlan): string {
    const mark = markOf(plan, svc, vip);
    return mark === undefined ? `${svc.protocol}-${svc.port}` : `fwm-${mark}`;
}

/**
 * How long a closed gate waits before it opens, in seconds: one check interval and timeout of the
 * slowest service, by which every live real server has passed its check again. A director that
 * comes back (its checks failed, it rebooted, it joined) then announces its whole table, the same
 * as the others', not the first server that passed.
 */
export function gateHoldSeconds(plan: Pick<ClusterPlan, "services">): number {
    return Math.max(0, ...plan.services.map((s) => s.healthCheck.intervalSeconds + s.healthCheck.timeoutSeconds));
}

/** The variables bgp.sh reads. */
function gateVariables(plan: ClusterPlan, bgp: BgpPlan): string {
    const p = bgpPaths(plan.vip);
    return [
        `VIP=${shq(plan.vip)}`,
        `HOLD_SECONDS=${gateHoldSeconds(plan)}`,
        `GATE_TABLE=${shq(bgp.gateTable)}`,
        `GATE_DIR=${shq(p.gateDir)}`,
        `BIRD_SOCKET=${shq(p.birdSocket)}`,
    ].join("\n");
}

/** The script keepalived's quorum hooks and its stop run: `gate up KEY`, `gate down KEY`, `gate flush`. */
function renderGateScript(plan: ClusterPlan, bgp: BgpPlan, director: HostPlan): string {
    return script(`${directorTitle(plan)} health gate of VIP ${plan.vip} (director ${director.address}): keepalived runs it.`,
        ["common", "bgp"], gateVariables(plan, bgp), 'bgp_gate "$@"');
}

/**
 * What every director's kernel needs: `sloppy_tcp`, so that a director takes up a connection it
 * did not see start (the routers moved it); and ARP silence for the VIP on the loopback, as on a
 * real server (the routers reach the VIP through BGP, never by ARP).
 */
const SYSCTLS: Sysctl[] = [
    { path: "net/ipv4/vs/sloppy_tcp", value: "1" },
    { path: "net/ipv4/conf/all/arp_ignore", value: "1" },
    { path: "net/ipv4/conf/all/arp_announce", value: "2" },
];

export function bgpMode(bgp: BgpPlan): DirectorModeModule {
    return {
        tools: () => [{ command: "bird", packages: ["bird2", "bird"] }],
        sysctls: SYSCTLS,
        upLibraries: () => [],
        // The VIP on the loopback of every director, at setup and every boot: IPVS takes its
        // packets there; the gate, not the address, says whether the routers send any.
        upLines: (plan) => vipsOf(plan).map((v) => call("bind_vip", hostPrefix(v), "lo")).join("\n"),
        teardownLibraries: () => ["bgp"],
        teardownLines: (plan) => {
            const p = bgpPaths(plan.vip);
            return [
                gateVariables(plan, bgp),
                "bgp_gate withdraw",
                call("remove_unit", p.unitName, p.unitFile, p.unitWantsLink),
                call("remove_file", p.keepalivedDropIn),
                'rm -rf "$GATE_DIR"',
                ...vipsOf(plan).map((v) => call("unbind_vip", hostPrefix(v), "lo")),
                call("remove_file", p.birdConf),
                call("remove_file", p.gateScript),
            ].join("\n");
        },
        setupLibraries: () => ["bgp"],
        setupFiles: (plan, director) => {
            const p = bgpPaths(plan.vip);
            return [
                gateVariables(plan, bgp),
                // Readable by root and BIRD alone: it holds the routers' passwords where they have them.
                fed(call("bgp_write_conf", p.birdConf), p.birdConf, renderBirdConf(plan, bgp, director)),
                writeFile(p.gateScript, "0755", renderGateScript(plan, bgp, director)),
                call("bgp_keepalived_dropin", p.keepalivedDropIn, p.gateScript),
                call("bgp_install_unit", p.unitName, p.unitFile, p.unitWantsLink, p.birdConf, p.socketDir,
                    `lvs-dr BGP speaker of VIP ${plan.vip} (director ${director.address})`),
                call("bgp_start", p.unitName, p.birdConf),
            ].join("\n");
        },
        bootUnitWhat: () => "IPVS parameters, VIP on lo",
        setupDone: (plan) => `VIP ${plan.vip} bound on lo; announced over BGP once keepalived's checks pass`,
        keepalived: () => [],
        virtualServerLines: (plan, vip, svc) => {
            const gate = bgpPaths(plan.vip).gateScript;
            const key = gateKey(plan, vip, svc);
            return [
                // Maglev hashing on the client's port too (else one client address is one real
                // server), and away from a server at weight 0 (else new flows hashed to it are dropped).
                "mh-port",
                "mh-fallback",
                "quorum 1",
                `quorum_up "/bin/sh ${gate} up ${key}"`,
                `quorum_down "/bin/sh ${gate} down ${key}"`,
            ];
        },
        rulesLibraries: () => ["bgp"],
        rulesLines: (plan) => [
            // The table is applied and printed: the wait for the sessions below (up to
            // SETTLE_SECONDS while a router is down) holds no other script of the director back.
            "unlock_keepalived",
            gateVariables(plan, bgp),
            "bgp_gate release",
            call("bgp_wait_sessions", SETTLE_SECONDS + gateHoldSeconds(plan)),
            `{ echo ${shq(BGP_REPORT_MARK)}; bgp_report; } >&3`,
        ].join("\n"),
        leaveLines: (plan) => [gateVariables(plan, bgp), call("bgp_withdraw", WITHDRAW_SECONDS)].join("\n"),
        drainsOnRemoval: false,
        realServersCheckGateway: false,
        forwards: "always",
    };
}

/** What one director's speaker said after the last apply. */
export interface BgpState {
    /** Each router's session state, by its address: `Established`, `Active`, `Connect`, ... */
    sessions: Record<string, string>;
    /** The gate is open and a session established: the routers have this director's path. */
    announces: boolean;
}

/**
 * The rules' output of one director split: the IPVS table, and the speaker's report where the
 * mode has one (`peers`: the routers, to name the sessions by address).
 */
export function splitRulesOutput(stdout: string, peers: { address: string }[]): { table: string; bgp?: BgpState } {
    const lines = stdout.split("\n");
    const at = lines.indexOf(BGP_REPORT_MARK);
    if (at < 0) {
        return { table: stdout };
    }
    const sessions: Record<string, string> = {};
    let announces = false;
    for (const line of lines.slice(at + 1)) {
        const [what, name, state] = line.trim().split(/\s+/);
        if (what === "peer" && name !== undefined && state !== undefined) {
            sessions[peers.find((p) => peerProtocol(p.address) === name)?.address ?? name] = state;
        } else if (what === "announces") {
            announces = name === "yes";
        }
    }
    return { table: lines.slice(0, at).map((l) => `${l}\n`).join(""), bgp: { sessions, announces } };
}
