/**
 * Validation of active-active directors (`bgp`): the BGP settings, and what the mode asks of the
 * services. Pure: no Pulumi, no I/O.
 */
import type { Input } from "@pulumi/pulumi";
import type { LvsDrBgpArgs, LvsDrBgpPeerArgs } from "../../args";
import { fnv1a } from "../names";
import { type BgpPlan, DEFAULTS, type ServicePlan } from "../plan";
import { type Checker, isEventual, keysOf } from "./checker";

const BGP_KEYS = keysOf<LvsDrBgpArgs>({
    asn: true, peers: true, bfd: true, bfdIntervalMs: true, bfdMultiplier: true, holdSeconds: true, gateTable: true,
});
const PEER_KEYS = keysOf<LvsDrBgpPeerArgs>({ address: true, asn: true, password: true });

/** Routers a director may peer with. */
export const MAX_PEERS = 4;

/** The longest TCP-MD5 key the kernel takes (TCP_MD5SIG_MAXKEYLEN), in bytes. */
export const MAX_PASSWORD_BYTES = 80;

/**
 * A peer's TCP-MD5 password, a string known now (given plain, or an Output's value once known):
 * one that BIRD's configuration holds between double quotes (no `"`, no `\`, which newer BIRD
 * reads as an escape, no control character) and the kernel takes as a key (1-80 bytes). Undefined
 * when a problem was recorded; a problem shows "(hidden)" for the value, as for a private key.
 */
export function checkBgpPassword(c: Checker, field: string, value: unknown): string | undefined {
    if (typeof value !== "string") {
        c.add(field, "(hidden)", "must be a string or an Output of one", "give the password as a secret, e.g. config.requireSecret(\"bgpPassword\")");
        return undefined;
    }
    const bytes = new TextEncoder().encode(value).length;
    const also = "and set the same on the router";
    const refused: [boolean, string, string][] = [
        [value === "", "is empty", "give the password the router has for the directors, or remove password (no TCP-MD5)"],
        [bytes > MAX_PASSWORD_BYTES, `is ${bytes} bytes long: a TCP-MD5 key holds at most ${MAX_PASSWORD_BYTES}`,
            `give a password of at most ${MAX_PASSWORD_BYTES} bytes, ${also}`],
        [/["\\]/.test(value), "holds a \" or a \\, which BIRD's configuration cannot hold in its quoted string",
            `give a password without " and \\, ${also}`],
        // eslint-disable-next-line no-control-regex -- control characters are what is refused
        [/[\u0000-\u001f\u007f]/.test(value), "holds a control character (a line break, a tab, ...)",
            `give a password of printable characters, ${also}`],
    ];
    const found = refused.filter(([bad]) => bad);
    found.forEach(([, problem, fix]) => c.add(field, "(hidden)", problem, fix));
    return found.length === 0 ? value : undefined;
}

/** AS_TRANS (RFC 6793): the placeholder old speakers see for a 4-byte ASN, never a real one. */
const AS_TRANS = 23456;

/**
 * The derived gate table: in 0x4c560000-0x4c56ffff ("LV", as the derived firewall marks), far from
 * the small numbers operators give their own tables, from the VIP.
 */
export function derivedGateTable(vip: string): number {
    return 0x4c560000 + (fnv1a(`lvs-dr bgp ${vip}`) % 0x10000);
}

function asnOf(c: Checker, field: string, value: unknown): number | undefined {
    const asn = c.integer(field, value, 1, 4294967294, "give an AS number, 1-4294967294 (a private one: 64512-65534 or 4200000000-4294967294)");
    if (asn === AS_TRANS) {
        c.add(field, value, "is AS_TRANS, the placeholder of 4-byte AS numbers", "give the real AS number");
        return undefined;
    }
    return asn;
}

/** The BGP settings of active-active directors, with their defaults. Undefined when a problem was recorded. */
export function validateBgp(c: Checker, value: unknown, vip: string | undefined): BgpPlan | undefined {
    if (!c.isObject("bgp", value, "give bgp: { asn, peers: [{ address, asn }] }")) {
        return undefined;
    }
    c.knownKeys("bgp", value, BGP_KEYS);
    const asn = asnOf(c, "bgp.asn", value.asn);
    const peers = validatePeers(c, value.peers);
    const bfdOn = c.boolean("bgp.bfd", value.bfd, true);
    if (!bfdOn && (value.bfdIntervalMs !== undefined || value.bfdMultiplier !== undefined)) {
        c.add("bgp.bfd", false, "is off, and BFD timers are given", "remove bfdIntervalMs and bfdMultiplier, or turn BFD on");
    }
    const intervalMs = c.optionalInteger("bgp.bfdIntervalMs", value.bfdIntervalMs, 10, 10000, DEFAULTS.bgp.bfdIntervalMs,
        "give milliseconds, e.g. 100 (with bfdMultiplier 5: a dead director leaves the routers' paths in 0.5 s)");
    const multiplier = c.optionalInteger("bgp.bfdMultiplier", value.bfdMultiplier, 1, 255, DEFAULTS.bgp.bfdMultiplier,
        "give the number of missed BFD packets that declare a director dead, e.g. 5");
    const holdSeconds = c.optionalInteger("bgp.holdSeconds", value.holdSeconds, 3, 65535, DEFAULTS.bgp.holdSeconds,
        "give seconds, e.g. 9 (keepalives every 3 s)");
    const gateTable = value.gateTable === undefined ? (vip === undefined ? undefined : derivedGateTable(vip))
        : c.integer("bgp.gateTable", value.gateTable, 1, 4294967295, "give a routing table number nothing else on the directors uses");
    if (typeof gateTable === "number" && gateTable >= 253 && gateTable <= 255) {
        c.add("bgp.gateTable", gateTable, "is one of the kernel's own tables (253 default, 254 main, 255 local)",
            "give a table number nothing else on the directors uses, or leave it unset");
        return undefined;
    }
    if (asn === undefined || peers === undefined || intervalMs === undefined || multiplier === undefined
        || holdSeconds === undefined || gateTable === undefined) {
        return undefined;
    }
    return {
        asn, peers, ...(bfdOn ? { bfd: { intervalMs, multiplier } } : {}), holdSeconds, gateTable,
        ...(value.gateTable === undefined ? { derivedGateTable: true as const } : {}),
    };
}

function validatePeers(c: Checker, value: unknown): BgpPlan["peers"] | undefined {
    if (!Array.isArray(value) || value.length === 0 || value.length > MAX_PEERS) {
        c.add("bgp.peers", Array.isArray(value) ? `(${value.length} peers)` : value, `must be a list of 1 to ${MAX_PEERS} routers`,
            "list the routers the directors peer with: [{ address: \"192.168.77.1\", asn: 65000 }]");
        return undefined;
    }
    const seen = new Map<string, number>();
    const peers = value.map((entry: unknown, i: number) => {
        const field = `bgp.peers[${i}]`;
        if (!c.isObject(field, entry, "give the router as { address, asn }")) {
            return undefined;
        }
        c.knownKeys(field, entry, PEER_KEYS);
        const address = c.hostAddress(`${field}.address`, entry.address, "192.168.77.1", [4]);
        const asn = asnOf(c, `${field}.asn`, entry.asn);
        // An Output is checked once its value is known, when the component resolves it for the directors' setups.
        const password = entry.password === undefined || isEventual(entry.password) ? entry.password as Input<string> | undefined
            : checkBgpPassword(c, `${field}.password`, entry.password);
        if (address !== undefined && seen.has(address)) {
            c.add(`${field}.address`, address, `is also bgp.peers[${seen.get(address)}]`, "list each router once");
            return undefined;
        }
        if (address !== undefined) {
            seen.set(address, i);
        }
        if (address === undefined || asn === undefined || (entry.password !== undefined && password === undefined)) {
            return undefined;
        }
        return { address, asn, ...(password === undefined ? {} : { password }) };
    });
    return peers.every((p) => p !== undefined) ? peers : undefined;
}

/**
 * What active-active directors ask of the services. Each director schedules on its own, and a
 * connection moves between directors whenever the routers' paths change: only a scheduler that
 * every director computes alike from the packet, Maglev hashing (`mh`), sends it to the same real
 * server from any director. A failed real server must keep its place in every director's table
 * (weight 0, not removed: `mh` builds its table from the list's order, and a server deleted and
 * added again on one director alone goes to the list's head there). Persistence templates are
 * each director's own. IPv6 is not offered in this mode yet.
 */
export function checkServicesForBgp(c: Checker, services: ServicePlan[], vip: string | undefined, vip6: string | undefined): void {
    services.forEach((svc, i) => {
        const field = `services[${i}]`;
        if (svc.scheduler !== "mh") {
            c.add(`${field}.scheduler`, svc.scheduler, "does not keep a connection on its real server when the routers move it to another director",
                "use \"mh\" (Maglev hashing): every director sends a connection to the same real server, so none is reset when a director dies or joins");
        }
        if (svc.persistenceSeconds > 0) {
            c.add(`${field}.persistenceSeconds`, svc.persistenceSeconds, "keeps a template on each director alone: another director does not know it",
                "remove it: each connection stays on its real server through any director (Maglev hashing); affinity across a client's connections is not offered with active-active directors");
        }
        if (svc.healthCheck.kind !== "none" && svc.healthCheck.failureAction === "remove") {
            c.add(`${field}.healthCheck.${svc.healthCheck.kind === "udp" ? "kind" : "failureAction"}`, svc.healthCheck.kind === "udp" ? "udp" : "remove",
                "would delete a failed real server and add it again on one director alone, which reorders that director's Maglev table",
                svc.healthCheck.kind === "udp" ? "use kind \"none\" for UDP services with active-active directors"
                    : "use failureAction \"weight0\": the server keeps its place in every director's table");
        }
    });
    for (const [field, v] of [["vip", vip], ["vip6", vip6]] as const) {
        if (v !== undefined && v.includes(":")) {
            c.add(field, v, "is IPv6: active-active directors announce IPv4 VIPs only (this version)",
                "serve the IPv6 VIP with a director or a VRRP pair, or serve IPv4 only");
        }
    }
}
