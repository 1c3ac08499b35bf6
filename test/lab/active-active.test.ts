/**
 * Active-active directors on real kernels: directors `director` and `c` of the shared lab's VMs,
 * then `director-1` joining under load, real servers a and b, configured with the component's own
 * commands on the `hosts` platform; a router in a namespace of the lab's (lab/harness/router.ts:
 * BIRD, BGP and BFD with every director, ECMP with the L4 hash) and a client behind it that holds
 * 200 long-lived connections, each asking its real server's name every 100 ms
 * (lab/harness/conns.ts). The claims: a director joins (0 reset, 0 changed server, new connections
 * even), a director's checks fail (withdrawn within the check bound, nothing reaches it after), a
 * director is destroyed (0 reset, 0 changed, its share stalls for BFD's detection and a
 * retransmission), and the negative control (without sloppy_tcp the moved connections are reset).
 * Last in `npm run test:vms` before the provider's delete: it destroys a VM. Every figure is printed.
 */
import { Figures, sleep } from "../../lab/harness/figures";
import { strict as assert } from "assert";
import { execFileSync, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { type LvsDrClusterArgs } from "../../src/args";
import { validateClusterArgs } from "../../src/component/validate";
import type { ClusterPlan, HostPlan } from "../../src/core/plan";
import { splitRulesOutput } from "../../src/core/modes/bgp";
import { directorRulesCommand, directorSetupCommand, realServerSetupCommand } from "../../src/core/scripts/command-lines";
import { type Lab, sharedLab, URI } from "../../lab/harness/lab";
import type { ConnsReport, OnceReport } from "../../lab/harness/conns";
import { CLIENT_ADDRESS, CLIENT_NET, CLIENT_NS, Router, ROUTER_ADDRESS, ROUTER_ASN, ROUTER_NS } from "../../lab/harness/router";
import { startCaptureToFile } from "../support/tcpdump";

const CLUSTER = "lvsdr-aa";
/** Outside the lab subnet: the routers reach it through BGP alone. */
const VIP = "10.77.0.100";
const PORT = 7000;
const ASN = 65010;
/** The directors: the first two from the start, the third joins under load. */
const DIRECTORS = ["director", "c", "director-1"];
const REAL_SERVERS = ["a", "b"];
/** Connections the client holds: what the lab's emulated real servers answer every 100 ms without falling behind. */
const CONNECTIONS = 200;
const INTERVAL_MS = 100;

/** A one-process server on a real server: each line in, its host name back (python3 is in the lab image for cloud-init). */
const NAME_SERVER = `import asyncio, socket
NAME = socket.gethostname().encode() + b"\\n"
async def serve(reader, writer):
    try:
        while await reader.readline():
            writer.write(NAME)
            await writer.drain()
    except Exception:
        pass
    writer.close()
async def main():
    server = await asyncio.start_server(serve, host="0.0.0.0", port=${PORT}, backlog=1024)
    await server.serve_forever()
asyncio.run(main())
`;

/**
 * IPVS sums its per-CPU counters into the totals `ipvsadm --stats` shows every 2 s (its rate
 * estimator): a reading waits this long after the traffic it should count.
 */
const STATS_MS = 3000;

const figures = new Figures();
const figure = (text: string): void => figures.add(text);

/** The client, started in its namespace: resolves with its report once stopped. */
class Client {
    private readonly child;
    private out = "";
    private err = "";
    private readonly done: Promise<ConnsReport>;

    constructor(count: number) {
        const script = path.join(__dirname, "../../lab/harness/conns.js");
        this.child = spawn("ip", ["netns", "exec", CLIENT_NS, process.execPath, script, VIP, String(PORT), String(count), String(INTERVAL_MS)]);
        this.child.stdout.on("data", (d: Buffer) => (this.out += d.toString()));
        this.child.stderr.on("data", (d: Buffer) => (this.err += d.toString()));
        this.done = new Promise((resolve, reject) => this.child.on("close", (code) => {
            try {
                resolve(JSON.parse(this.out) as ConnsReport);
            } catch {
                reject(new Error(`the client exited ${code} without a report:\n${this.out}\n${this.err}`));
            }
        }));
    }

    stop(): Promise<ConnsReport> {
        this.child.kill("SIGTERM");
        return this.done;
    }
}

/** COUNT short connections from the client namespace, each asking once, from ports FIRST_PORT up. */
function once(count: number, firstPort: number): OnceReport {
    const script = path.join(__dirname, "../../lab/harness/conns.js");
    const r = spawnSync("ip", ["netns", "exec", CLIENT_NS, process.execPath, script, VIP, String(PORT), String(count), "--once", String(firstPort)],
        { encoding: "utf8", timeout: 300000 });
    assert.equal(r.status, 0, `the short connections failed: ${r.stdout}${r.stderr}`);
    return JSON.parse(r.stdout) as OnceReport;
}

/** What a client report says, in figures. */
function summary(r: ConnsReport): { open: number; resets: number; ended: string[]; changed: number; maxGapMs: number; silent: number } {
    const ended = r.records.filter((c) => c.ended !== undefined).map((c) => `${c.localPort}:${c.ended}`);
    return {
        open: r.records.filter((c) => c.answers > 0 && c.ended === undefined).length,
        resets: r.records.filter((c) => c.ended === "ECONNRESET").length,
        ended,
        changed: r.records.filter((c) => c.changes.length > 0).length,
        maxGapMs: Math.max(0, ...r.records.map((c) => c.maxGapMs)),
        silent: r.records.filter((c) => c.answers === 0).length,
    };
}

describe("Active-active directors: BGP, ECMP and Maglev hashing under long-lived connections (VM lab)", function () {
    let lab: Lab;
    let plan: ClusterPlan;
    let router: Router;
    const hostOf = (h: HostPlan): string => [...DIRECTORS, ...REAL_SERVERS].find((n) => lab.address(n) === h.address) ?? assert.fail(`no lab host at ${h.address}`);
    const addresses = (names: string[]): string[] => names.map((n) => lab.address(n)).sort();

    /** The connections a director's IPVS took for the VIP's service so far. */
    const conns = (director: string): number => Number(lab.mustSsh(director, `ipvsadm -Ln --stats --exact -t ${VIP}:${PORT} | awk '$1 == "TCP" { print $3 }'`).trim());
    const inPackets = (director: string): number => Number(lab.mustSsh(director, `ipvsadm -Ln --stats --exact -t ${VIP}:${PORT} | awk '$1 == "TCP" { print $4 }'`).trim());

    async function untilHops(want: string[], ms: number): Promise<number> {
        const t0 = Date.now();
        while (Date.now() - t0 < ms) {
            if (router.nextHops(VIP).join() === want.join()) {
                return Date.now() - t0;
            }
            await sleep(20);
        }
        assert.fail(`the router's route to ${VIP} is via ${router.nextHops(VIP).join(", ")}, not ${want.join(", ")}, after ${ms} ms:\n${router.sessions()}`);
    }

    /** A director's setup, as the engine runs it: packages, parameters, the BIRD unit (no route announced yet). */
    async function setUp(director: HostPlan): Promise<void> {
        await lab.mustSshAsync(hostOf(director), directorSetupCommand(plan, director).create);
    }

    /** A director's rules, as the engine runs them after its setup: keepalived's table, then the gate opens. */
    async function announce(director: HostPlan): Promise<void> {
        const out = lab.mustSsh(hostOf(director), directorRulesCommand(plan, director).create);
        const bgp = splitRulesOutput(out, [{ address: ROUTER_ADDRESS }]).bgp;
        figure(`${hostOf(director)} after its rules: sessions ${JSON.stringify(bgp?.sessions)}, announces ${bgp?.announces}`);
        assert.deepEqual(bgp, { sessions: { [ROUTER_ADDRESS]: "Established" }, announces: true });
    }

    before(async function () {
        lab = await sharedLab();
        router = new Router({ bridge: lab.bridge, directorsAsn: ASN, bfd: true, hashPolicy: 1 });
        router.start();
        const args: LvsDrClusterArgs = {
            vip: VIP,
            services: [{ port: PORT, scheduler: "mh" }],
            ssh: { user: "root", privateKey: fs.readFileSync(lab.key, "utf8") },
            bgp: { asn: ASN, peers: [{ address: ROUTER_ADDRESS, asn: ROUTER_ASN }] },
            hosts: {
                directors: DIRECTORS.map((name) => ({ address: lab.address(name), name })),
                realServers: REAL_SERVERS.map((name) => ({ address: lab.address(name), name })),
            },
        };
        plan = validateClusterArgs(args, CLUSTER);
        // The hosts' way to the client is the router, as a real network's default gateway: the real
        // servers' replies, and a director's own packets (a reset from its stack) take it.
        await Promise.all(DIRECTORS.map((d) => lab.mustSshAsync(d, `ip route replace ${CLIENT_NET} via ${ROUTER_ADDRESS}`)));
        await Promise.all(REAL_SERVERS.map((rs) => lab.mustSshAsync(rs, {
            command: `ip route replace ${CLIENT_NET} via ${ROUTER_ADDRESS} && cat > /run/lvsdr-names.py && ` +
                "systemd-run --quiet --unit=lvsdr-names python3 /run/lvsdr-names.py",
            stdin: NAME_SERVER,
        })));
        // The component's order: every setup at once, then each director's rules. The third
        // director's rules come later, under load: its setup announces nothing (no route in its
        // gate before keepalived has its table), so it is made here beside the others' (on the lab's
        // loaded host a director's setup takes one to two minutes).
        await Promise.all([
            ...plan.realServers.map((rs) => lab.mustSshAsync(hostOf(rs), realServerSetupCommand(plan, rs).create)),
            ...plan.directors.map((d) => setUp(d)),
        ]);
        for (const d of plan.directors.slice(0, 2)) {
            await announce(d);
        }
    });

    after(async function () {
        router?.cleanup();
        console.log(figures.summary());
    });

    it("two directors peer with the router and announce the VIP: one multipath route over both", async function () {
        await untilHops(addresses(DIRECTORS.slice(0, 2)), 30000);
        figure(`router: ${VIP} via ${router.nextHops(VIP).join(", ")}; BFD:\n${router.bfdSessions()}`);
    });

    it("a director joins under load: no connection is reset or changes real server; new connections spread evenly over the three", async function () {
        const client = new Client(CONNECTIONS);
        await sleep(5000);
        const t0 = Date.now();
        await announce(plan.directors[2]);
        const joined = await untilHops(addresses(DIRECTORS), 30000);
        const inPaths = Date.now() - t0;
        await sleep(5000);
        const s = summary(await client.stop());
        figure(`join of ${DIRECTORS[2]} under ${CONNECTIONS} connections: in the router's paths ` +
            `${joined} ms after its rules returned (${inPaths} ms after they began); ${s.resets} reset, ${s.changed} changed real server, ${s.ended.length} ended, longest wait ${s.maxGapMs} ms`);
        assert.equal(s.silent, 0, "every connection answered");
        assert.deepEqual(s.ended, [], "no connection may end");
        assert.equal(s.changed, 0, "no connection may change its real server");
        // New connections, each from a port of its own (the range below the kernel's ephemeral one):
        // each director's share of 3,000 (even: 1,000 each; ±10%).
        const before = DIRECTORS.map(conns);
        const r = once(3000, 20000);
        await sleep(STATS_MS);
        const shares = DIRECTORS.map((d, i) => conns(d) - before[i]);
        assert.equal(shares.reduce((a, b) => a + b, 0), 3000, `the directors took ${shares.join(" + ")} new connections, not 3,000`);
        figure(`3,000 new connections after the join: ${r.answered} answered, ${r.failed} failed; per director ${DIRECTORS.map((d, i) => `${d} ${shares[i]}`).join(", ")}; ` +
            `per real server ${JSON.stringify(r.names)}`);
        assert.equal(r.failed, 0);
        for (const [i, share] of shares.entries()) {
            assert.ok(Math.abs(share - 1000) <= 100, `${DIRECTORS[i]} took ${share} of 3,000 new connections, not 1,000 ± 10%`);
        }
    });

    it("a director whose checks fail withdraws the VIP within the check bound; nothing reaches it afterwards; it announces again once they pass", async function () {
        const victim = "c";
        const client = new Client(CONNECTIONS);
        await sleep(3000);
        // keepalived's checks (its own sockets, uid 0) to the real servers dropped; forwarded packets
        // (no socket) pass: the director still forwards, only its view of the servers is gone.
        const t0 = Date.now();
        const dropAt = lab.mustSsh(victim, `date +%s.%N && nft 'add table inet lvsdr_lab_checks; add chain inet lvsdr_lab_checks out { type filter hook output priority 0; }; ` +
            `add rule inet lvsdr_lab_checks out ip daddr { ${REAL_SERVERS.map((n) => lab.address(n)).join(", ")} } tcp dport ${PORT} meta skuid 0 drop'`);
        const withdrawn = await untilHops(addresses(DIRECTORS.filter((d) => d !== victim)), 20000);
        const at = Date.now();
        await sleep(STATS_MS);
        const packets = inPackets(victim);
        await sleep(6000);
        const after = inPackets(victim) - packets;
        lab.mustSsh(victim, "nft delete table inet lvsdr_lab_checks");
        const back = await untilHops(addresses(DIRECTORS), 20000);
        await sleep(3000);
        const s = summary(await client.stop());
        const timeline = lab.mustSsh(victim, `journalctl -o short-unix --no-pager --since=-60s -t Keepalived_healthcheckers | grep -E 'failed|quorum' | tail -n 12`);
        figure(`${victim}'s keepalived from the drop at ${dropAt.trim()} (its clock):\n${timeline}`);
        const lost = timeline.split("\n").find((l) => l.includes("Lost quorum"));
        assert.ok(lost !== undefined, `${victim}'s keepalived never lost quorum:\n${timeline}`);
        const quorumLostMs = Math.round(1000 * (Number(lost.split(" ")[0]) - Number(dropAt.trim())));
        figure(`${victim}'s checks failing: keepalived lost quorum ${quorumLostMs} ms after the drop (check bound 6 s), ` +
            `out of the router's paths ${at - t0} ms after the drop's command began (an SSH round trip earlier); ` +
            `${after} packets reached it in 6 s from ${STATS_MS / 1000} s after the withdrawal; back in the paths ${back} ms after the checks passed again; ` +
            `${s.resets} reset, ${s.changed} changed real server, longest wait ${s.maxGapMs} ms`);
        // The check bound, (retries + 1) x (interval + timeout) = 6 s, plus the fraction of a second
        // keepalived takes to act; the router's view adds the gate, BGP and a poller on a loaded host.
        assert.ok(quorumLostMs <= 7000, `keepalived lost quorum ${quorumLostMs} ms after the drop`);
        assert.ok(withdrawn <= 7000 + 2000, `withdrawn ${withdrawn} ms after the drop's command returned`);
        assert.equal(after, 0, "no packet may reach a director that withdrew");
        assert.deepEqual(s.ended, [], "no connection may end");
        assert.equal(s.changed, 0, "no connection may change its real server");
    });

    it("kill a director under load: no connection is reset or changes real server; its share stalls for BFD's detection and a retransmission", async function () {
        const client = new Client(CONNECTIONS);
        await sleep(5000);
        const victim = "director-1";
        const victimAddress = lab.address(victim);
        // The router's wire, with the kernel's timestamps (the lab's loaded host delays any poller by
        // seconds while a VM is destroyed): BFD's packets from the victim, and the requests the router
        // forwards, with their destination MAC. The detection is from the victim's last BFD packet to
        // the last request the router sent it.
        const wire = await startCaptureToFile(ROUTER_NS, "eth0",
            `(udp dst port 3784 and src host ${victimAddress}) or (ether dst ${lab.mac(victim)} and tcp dst port ${PORT} and src host ${CLIENT_ADDRESS})`, ["-tt", "-e"]);
        lab.closeSsh(victim);
        const t0 = Date.now();
        execFileSync("virsh", ["-c", URI, "destroy", lab.domain(victim)]);
        const t1 = Date.now();
        await untilHops(addresses(DIRECTORS.filter((d) => d !== victim)), 15000);
        const gone = Date.now();
        const captured = await wire.stop();
        const frames = captured.trim().split("\n").map((l) => l.split(" "))
            .map((f) => ({ t: Math.round(1000 * Number(f[0])), from: f[1], to: (f[3] ?? "").replace(/,$/, ""), bfd: f.join(" ").includes(".3784:") }));
        const victimMac = lab.mac(victim);
        const lastBfd = Math.max(0, ...frames.filter((f) => f.bfd).map((f) => f.t));
        const lastToVictim = Math.max(0, ...frames.filter((f) => !f.bfd && f.to === victimMac).map((f) => f.t));
        await sleep(5000);
        const report = await client.stop();
        const s = summary(report);
        // The emulated real servers pause now and then for every connection alike: a connection
        // stalled by the kill is one whose wait began in the kill's window and outlasted every wait
        // of the seconds before it (the baseline).
        const baseline = Math.max(0, ...report.records.flatMap((c) => c.gaps.filter((g) => g.at < t0 - 500).map((g) => g.ms)));
        const windowGaps = report.records.map((c) => Math.max(0, ...c.gaps.filter((g) => g.at >= t0 - 500 && g.at <= t1 + 1000).map((g) => g.ms)));
        const stalled = windowGaps.filter((ms) => ms > baseline);
        const longest = Math.max(0, ...windowGaps);
        const detection = lastToVictim - lastBfd;
        figure(`kill ${victim} (virsh destroy took ${t1 - t0} ms): the router sent it its last request ${detection} ms after its last BFD packet ` +
            `(BFD 100 ms x 5; the route's change seen by a poller ${gone - t1} ms after the destroy returned)`);
        figure(`kill ${victim}: ${report.connected}/${CONNECTIONS} connected, ${s.open} open at the end, ${s.resets} reset, ` +
            `${s.changed} changed real server; ${stalled.length} stalled beyond the baseline's longest wait (${baseline} ms), ` +
            `the longest stall ${longest} ms`);
        assert.ok(lastBfd > t0 - 1000 && lastToVictim > 0, `the capture saw no BFD packet or no request to ${victim} (${victimMac}) around the kill: ` +
            `${frames.filter((f) => f.bfd).length} BFD frames, ${frames.filter((f) => f.to === victimMac).length} to it, of ${frames.length}; ` +
            `first lines:\n${captured.split("\n").slice(0, 3).join("\n")}\nBFD lines:\n${captured.split("\n").filter((l) => l.includes("3784")).slice(-3).join("\n")}`);
        assert.ok(detection <= 1000, `the router still sent ${victim} requests ${detection} ms after its last BFD packet`);
        assert.equal(s.silent, 0, `connections never answered: ${s.silent}`);
        assert.equal(s.resets, 0, `connections reset: ${s.ended.join(" ")}`);
        assert.deepEqual(s.ended, [], "no connection may end");
        assert.equal(s.changed, 0, "no connection may change its real server");
        assert.ok(stalled.length < CONNECTIONS / 2, `${stalled.length} connections stalled: more than the dead director's share`);
        assert.ok(longest <= 1500, `the longest stall was ${longest} ms`);
    });

    it("negative control: without sloppy_tcp, the connections the routers move to another director are reset", async function () {
        // Two directors are left (director-1 was killed): c withdraws (its checks fail), and its
        // connections move to the director, which has no entry for them.
        const [taker, mover] = ["director", "c"];
        lab.mustSsh(taker, "sysctl -qw net.ipv4.vs.sloppy_tcp=0");
        try {
            const client = new Client(CONNECTIONS);
            await sleep(3000);
            lab.mustSsh(mover, `nft 'add table inet lvsdr_lab_checks; add chain inet lvsdr_lab_checks out { type filter hook output priority 0; }; ` +
                `add rule inet lvsdr_lab_checks out ip daddr { ${REAL_SERVERS.map((n) => lab.address(n)).join(", ")} } tcp dport ${PORT} meta skuid 0 drop'`);
            await untilHops(addresses([taker]), 20000);
            await sleep(3000);
            const s = summary(await client.stop());
            lab.mustSsh(mover, "nft delete table inet lvsdr_lab_checks");
            figure(`sloppy_tcp=0 on ${taker}, ${mover} withdrawn under ${CONNECTIONS} connections: ${s.resets} reset, ${s.ended.length} ended, ` +
                `longest wait ${s.maxGapMs} ms (the product sets sloppy_tcp=1: 0 reset above)`);
            assert.ok(s.resets > 0, "with sloppy_tcp=0 the moved connections must be reset: the check above can fail");
        } finally {
            lab.mustSsh(taker, "sysctl -qw net.ipv4.vs.sloppy_tcp=1");
        }
    });
});
