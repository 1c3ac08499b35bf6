/**
 * Who keeps the VIP of a VRRP pair when both directors believe they hold it: after the master was
 * paused longer than the takeover time, or after a partition between the directors heals.
 * keepalived decides by priority alone (vrrp_state_master_rx: the master that receives a higher
 * priority advert becomes backup; nopreempt governs a backup only, and the thawed master never
 * left MASTER), so each director's priority says how it came to hold the VIP: a step script
 * (../scripts/sh/vrrp-holder.sh) writes a level that keepalived adds, times LEVEL_WEIGHT, to the
 * director's base priority:
 *
 * - 0: a backup whose peer answers, or a director that holds the VIP while its peer still
 *   answers (a backup that wakes from a pause takes the VIP for a moment, meets the live master
 *   and loses);
 * - 2: the peer does not answer: a backup about to take over from a peer that stopped, or the
 *   director that did; a peer that comes back still holding the VIP is at 1 or 0 and yields, so
 *   the VIP stays with the director the connections went to. A backup is at 2 before it takes
 *   over, so that its first advert as master already outranks the peer: a paused master that
 *   wakes reads the adverts queued for it, and one lower than its own priority would make it
 *   reassert the VIP with gratuitous ARPs before it yields (seen on the VMs: a connection of the
 *   new holder's sent to the woken master for that moment, scheduled anew, reset by a server).
 *   The takeover can come 2.1 s after the peer stopped, so a backup probes its peer three times a
 *   step, a quarter of a second apart (one probe a step left it up to two seconds behind, and
 *   once behind the takeover, on the lab's loaded VMs);
 * - 1: holding the VIP after the peer answered for longer than an advert interval: the peer is a
 *   backup again, and its next takeover (at 2) wins over this director.
 *
 * A static boost for the holder fails on repeated events (A paused, B takes over; later B paused,
 * A takes over: both hold the same boost); the levels do not, because a holder comes down to 1
 * once its peer is back. What the levels cannot tell apart (both at 2: the holder took over from
 * a dead peer and was paused before that peer came back) falls to the base priorities (the first
 * director), as before.
 */
import * as path from "path";
import { hostPaths, vrrpInstanceOf } from "../names";
import { addressFor, type ClusterPlan, type HostPlan, isIpv6, type Tool, type VrrpPlan } from "../plan";
import { directorTitle } from "../scripts/director/title";
import { block } from "../scripts/keepalived/virtual-servers";
import { libraryFile } from "../scripts/library";
import { call, script } from "../scripts/render";

/** What one level adds to the priority. Levels 0-2 of a director stay apart from the other's. */
export const LEVEL_WEIGHT = 10;
/** The step script's own weight (keepalived runs a vrrp_script only if an instance tracks it). */
const STEP_WEIGHT = 1;

/**
 * Base priorities, first director first: 233 and 230 plus the step's 1 give 234/231 at level 0,
 * 244/241 at 1, 254/251 at 2 (254 is keepalived's highest below the address owner). Every
 * level of one director is above every lower level of the other, and the first director wins a
 * tie of levels (both starting at once). A backup's skew is (256 - 231) / 256 of an advert.
 */
export function basePriority(index: number): number {
    return 233 - 3 * index;
}

/** The step script, the level keepalived tracks and the step's own state, on a director. */
export function holderPaths(vip: string): { script: string; level: string; state: string } {
    return {
        script: `${hostPaths(vip, "director").configDir}/director-vrrp-holder.sh`,
        // /run: a reboot starts as a backup (level 0). keepalived requires the file's directory
        // to exist when it loads the configuration: /run always does.
        level: `/run/lvs-dr-${vip}.vrrp-level`,
        state: `/run/lvs-dr-${vip}.vrrp-state`,
    };
}

/** Steps in a row the peer must answer before a holder comes down to 1: more than an advert. */
export function settleSteps(vrrp: VrrpPlan): number {
    return Math.ceil(vrrp.advertIntervalSeconds) + 2;
}

/** The VIP as `ip addr` prints it on the director holding it. */
function heldVip(vip: string): string {
    return isIpv6(vip) ? `${vip}/128` : `${vip}/32`;
}

/** The step script a director runs every second (keepalived's vrrp_script). */
export function renderHolderScript(plan: ClusterPlan, vrrp: VrrpPlan, director: HostPlan): string {
    const peer = plan.directors.find((d) => d !== director);
    if (peer === undefined) {
        throw new Error("lvs-dr: a VRRP pair without a second director");
    }
    const p = holderPaths(plan.vip);
    return script(`${directorTitle(plan)} for VIP ${plan.vip} (director ${director.address}): keepalived runs this every second; ` +
        "the level it writes says how this director came to hold the VIP.",
    [], libraryFile(path.join(__dirname, "..", "scripts", "sh", "vrrp-holder.sh")),
    call("vrrp_holder", director.interface, heldVip(plan.vip), addressFor(peer, plan.vip), p.level, p.state, settleSteps(vrrp)));
}

/** What the step needs on a director beyond the base system (ip, flock, logger): ping. */
export const HOLDER_TOOLS: Tool[] = [{ command: "ping", packages: ["iputils-ping"] }];

/** Teardown: the step script and its files in /run. */
export function holderTeardown(plan: ClusterPlan): string {
    const p = holderPaths(plan.vip);
    return [p.script, p.level, p.state, `${p.state}.lock`].map((f) => call("remove_file", f)).join("\n");
}

/** The keepalived blocks outside the VRRP instance: the step script and the level file. */
export function holderBlocks(plan: ClusterPlan): string[] {
    const name = vrrpInstanceOf(plan.vip);
    const p = holderPaths(plan.vip);
    return [
        ...block(`vrrp_script ${name}_step`, [
            // sh runs it: keepalived checks that the command it runs exists when it loads the
            // file, and the step script is written by the director's setup.
            `script "/bin/sh ${p.script}"`,
            "interval 1",
            // A step waits at most half a second for the peer's answer.
            "timeout 3",
            "user root",
        ]),
        ...block(`track_file ${name}_level`, [`file "${p.level}"`, `weight ${LEVEL_WEIGHT}`]),
    ];
}

/** The VRRP instance's lines that track them. */
export function holderTracking(plan: ClusterPlan): string[] {
    const name = vrrpInstanceOf(plan.vip);
    return [
        ...block("track_script", [`${name}_step weight ${STEP_WEIGHT}`]),
        ...block("track_file", [`${name}_level weight ${LEVEL_WEIGHT}`]),
    ];
}
