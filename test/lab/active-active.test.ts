/**
 * Active-active directors on real kernels: three of the shared lab's VMs as directors (director,
 * director-1 and c), a and b as real servers, configured with the component's own commands on the
 * `hosts` platform; a router in a namespace of the lab's (lab/harness/router.ts: BIRD, BGP and BFD
 * with every director, ECMP with the L4 hash) and a client behind it that holds long-lived
 * connections, each asking its real server's name every 100 ms. Every figure is printed.
 */
import { strict as assert } from "assert";
import { execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { type LvsDrClusterArgs } from "../../src/args";
import { validateClusterArgs } from "../../src/component/validate";
import type { ClusterPlan, HostPlan } from "../../src/core/plan";
import { splitRulesOutput } from "../../src/core/modes/bgp";
import { directorRulesCommand, directorSetupCommand, realServerSetupCommand } from "../../src/core/scripts/command-lines";
import { type Lab, sharedLab, URI } from "../../lab/harness/lab";
import type { ConnsReport } from "../../lab/harness/conns";
import { CLIENT_NET, CLIENT_NS, Router, ROUTER_ADDRESS, ROUTER_ASN } from "../../lab/harness/router";

const CLUSTER = "lvsdr-aa";
/** Outside the lab subnet: the routers reach it through BGP alone. */
const VIP = "10.77.0.100";
const PORT = 7000;
const ASN = 65010;
const DIRECTORS = ["director", "director-1", "c"];
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

const figures: string[] = [];
function figure(text: string): void {
    figures.push(text);
    console.log(`      figure: ${text}`);
}

function sleep(ms: number): Promise<void> {
    return new Promise((ok) => setTimeout(ok, ms));
}

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
        // The real servers' way back to the client is the router (a real network's default gateway).
        await Promise.all(REAL_SERVERS.map((rs) => lab.mustSshAsync(rs, {
            command: `ip route replace ${CLIENT_NET} via ${ROUTER_ADDRESS} && cat > /run/lvsdr-names.py && ` +
                "systemd-run --quiet --unit=lvsdr-names python3 /run/lvsdr-names.py",
            stdin: NAME_SERVER,
        })));
        // The component's order: every setup at once, then each director's rules.
        await Promise.all([
            ...plan.realServers.map((rs) => lab.mustSshAsync(hostOf(rs), realServerSetupCommand(plan, rs).create)),
            ...plan.directors.map((d) => lab.mustSshAsync(hostOf(d), directorSetupCommand(plan, d).create)),
        ]);
        for (const d of plan.directors) {
            const out = lab.mustSsh(hostOf(d), directorRulesCommand(plan, d).create);
            const bgp = splitRulesOutput(out, [{ address: ROUTER_ADDRESS }]).bgp;
            figure(`${hostOf(d)} after its rules: session ${JSON.stringify(bgp?.sessions)}, announces ${bgp?.announces}`);
        }
    });

    after(async function () {
        router?.stop();
    });

    it("every director peers with the router and announces the VIP: one multipath route over the three", async function () {
        const want = DIRECTORS.map((n) => lab.address(n)).sort();
        const deadline = Date.now() + 30000;
        while (Date.now() < deadline && router.nextHops(VIP).join() !== want.join()) {
            await sleep(200);
        }
        assert.deepEqual(router.nextHops(VIP), want, `the router's route to ${VIP}:\n${router.sessions()}`);
        figure(`router: ${VIP} via ${want.join(", ")}; BFD:\n${router.bfdSessions()}`);
    });

    it("kill a director under load: no connection is reset or changes real server; its share stalls for BFD's detection and a retransmission", async function () {
        const client = new Client(CONNECTIONS);
        await sleep(5000);
        const victim = "director-1";
        const victimAddress = lab.address(victim);
        lab.closeSsh(victim);
        const t0 = Date.now();
        execFileSync("virsh", ["-c", URI, "destroy", lab.domain(victim)]);
        const t1 = Date.now();
        let gone = 0;
        while (Date.now() - t0 < 15000) {
            if (!router.nextHops(VIP).includes(victimAddress)) {
                gone = Date.now();
                break;
            }
            await sleep(10);
        }
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
        figure(`kill ${victim} (virsh destroy took ${t1 - t0} ms): its path left the router ${gone - t0} ms after the destroy began, ` +
            `${gone - t1} ms after it returned; router log:\n${router.logOf(victimAddress)}`);
        figure(`kill ${victim}: ${report.connected}/${CONNECTIONS} connected, ${s.open} open at the end, ${s.resets} reset, ` +
            `${s.changed} changed real server; ${stalled.length} stalled beyond the baseline's longest wait (${baseline} ms), ` +
            `the longest stall ${longest} ms`);
        const detected = gone === 0 ? 0 : gone - t0;
        assert.ok(detected > 0, `the router kept ${victim}'s path for 15 s:\n${router.sessions()}`);
        assert.equal(s.silent, 0, `connections never answered: ${s.silent}`);
        assert.equal(s.resets, 0, `connections reset: ${s.ended.join(" ")}`);
        assert.deepEqual(s.ended, [], "no connection may end");
        assert.equal(s.changed, 0, "no connection may change its real server");
        assert.ok(stalled.length < CONNECTIONS / 2, `${stalled.length} connections stalled: more than the dead director's share`);
        assert.ok(longest <= 1500, `the longest stall was ${longest} ms`);
    });
});
