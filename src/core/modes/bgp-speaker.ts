/**
 * The BGP speaker of an active-active director: its BIRD 2 configuration. BIRD because it is the
 * smallest speaker in the distributions with BFD built in (Debian 12's bird2 is 1.5 MB; FRR is 20
 * MB of daemons, ExaBGP has no BFD). The director announces exactly what its health gate puts in
 * the cluster's gate table (the VIP, while it may take traffic) and learns nothing from the
 * routers. Every value was validated (addresses, numbers; a password has no `"`, `\` or control
 * character), so the file holds no escaping.
 */
import { addressFor, type BgpPeerPlan, type BgpPlan, type ClusterPlan, type HostPlan } from "../plan";
import { block } from "../scripts/keepalived/virtual-servers";

/** BIRD's name of the session with a router: `peer_<address with underscores>`. */
export function peerProtocol(address: string): string {
    return `peer_${address.replace(/\./g, "_")}`;
}

/** A peer's TCP-MD5 password line, when it has one: the component resolved an Output's value before rendering. */
function passwordLines(peer: BgpPeerPlan): string[] {
    if (peer.password === undefined) {
        return [];
    }
    if (typeof peer.password !== "string") {
        throw new Error(`lvs-dr: the BGP password of router ${peer.address} reached BIRD's configuration unresolved`);
    }
    return [`password "${peer.password}";`];
}

/**
 * One session per router. `direct`: the routers are on the directors' subnet (iBGP would otherwise
 * be multihop, and its BFD session too). Graceful restart and its long-lived form are off: a
 * router would keep a dead director's path for the restart time. Short retry times: a director
 * that comes back, or a router that restarts, is in the paths again within seconds, not BIRD's
 * default two minutes.
 */
function peerLines(plan: ClusterPlan, bgp: BgpPlan, director: HostPlan): string[] {
    const local = addressFor(director, plan.vip);
    return bgp.peers.flatMap((peer) => block(`protocol bgp ${peerProtocol(peer.address)}`, [
        `description "router ${peer.address}";`,
        `local ${local} as ${bgp.asn};`,
        `neighbor ${peer.address} as ${peer.asn};`,
        ...passwordLines(peer),
        "direct;",
        `hold time ${bgp.holdSeconds};`,
        `keepalive time ${Math.max(1, Math.floor(bgp.holdSeconds / 3))};`,
        "connect delay time 1;",
        "connect retry time 5;",
        "error wait time 1, 10;",
        "graceful restart off;",
        "long lived graceful restart off;",
        ...(bgp.bfd ? ["bfd on;"] : []),
        ...block("ipv4", [`import none;`, `export where net = ${plan.vip}/32;`, "next hop self;"]).map((l, i, all) => i === all.length - 1 ? `${l};` : l),
    ]));
}

/** The cluster's BIRD configuration on `director`. */
export function renderBirdConf(plan: ClusterPlan, bgp: BgpPlan, director: HostPlan): string {
    const local = addressFor(director, plan.vip);
    return [
        `# lvs-dr cluster ${plan.name}, VIP ${plan.vip}, on director ${local}: active-active, announced over BGP.`,
        "# Written by lvs-dr on every apply: edit the Pulumi program, not this file.",
        "log syslog all;",
        `router id ${local};`,
        "protocol device {",
        "}",
        "# The health gate: keepalived's quorum hooks put the VIP's route in this table while a service has",
        "# live real servers (the gate script); what is there is announced.",
        ...block("protocol kernel lvs_dr_gate", [
            `kernel table ${bgp.gateTable};`,
            "learn;",
            // BIRD learns the gate's changes from the kernel's notifications (tens of ms in the netns
            // check); the scan is the bound where one is missed or late (a closed gate reached the lab's
            // router 5 s after keepalived's quorum loss with scan time 10): a one-route table a second.
            "scan time 1;",
            ...block("ipv4", [`import where net = ${plan.vip}/32;`, "export none;"]).map((l, i, all) => i === all.length - 1 ? `${l};` : l),
        ]),
        ...(bgp.bfd ? block("protocol bfd lvs_dr_bfd", [
            ...block(`interface "${director.interface}"`, [
                `min rx interval ${bgp.bfd.intervalMs} ms;`,
                `min tx interval ${bgp.bfd.intervalMs} ms;`,
                `multiplier ${bgp.bfd.multiplier};`,
            ]).map((l, i, all) => i === all.length - 1 ? `${l};` : l),
        ]) : []),
        ...peerLines(plan, bgp, director),
        "",
    ].join("\n");
}
