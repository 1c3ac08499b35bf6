/**
 * An active-active director's control plane on the real kernel, in network namespaces the test
 * creates (no IPVS is needed for it): the director's BIRD configuration as lvs-dr renders it and
 * its health gate (the gate script's functions, bgp.sh, with `ip` and `flock`), against a router
 * namespace running BIRD with BFD and multipath. The router learns the VIP exactly while the gate
 * is open; a director that stops answering leaves the router's paths within BFD's detection (and,
 * without BFD, not before the hold time: the negative control); a dead speaker takes its path
 * with it at once (graceful restart off); with a password (TCP-MD5) the session comes up only with
 * a router that has the same one. All traffic stays on the veth between the namespaces.
 */
import { strict as assert } from "assert";
import { execFileSync, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { LvsDrClusterArgs } from "../../src/args";
import { validateClusterArgs } from "../../src/component/validate";
import { renderBirdConf } from "../../src/core/modes/bgp-speaker";
import type { BgpPlan, ClusterPlan } from "../../src/core/plan";
import { library } from "../../src/core/scripts/library";
import { validArgs } from "../support/fixtures";

const DIRECTOR_NS = "lvsdr-bgp-d";
const ROUTER_NS = "lvsdr-bgp-r";
const DIRECTOR = "10.99.0.2";
const ROUTER = "10.99.0.1";
const VIP = "10.99.9.100";

function sh(ns: string, command: string): { status: number | null; stdout: string; stderr: string } {
    const r = spawnSync("ip", ["netns", "exec", ns, "sh", "-c", command], { encoding: "utf8", timeout: 30000 });
    return { status: r.status, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
}

function must(ns: string, command: string): string {
    const r = sh(ns, command);
    assert.equal(r.status, 0, `${ns}: ${command}\n${r.stdout}${r.stderr}`);
    return r.stdout;
}

/**
 * A director that stops answering with its link up (a machine that died, or hangs): every packet
 * in and out dropped. (Taking the veth down would tell the router at once, through its carrier.)
 */
const SILENCE = "nft 'add table inet lvsdr_silence; add chain inet lvsdr_silence in { type filter hook input priority 0; policy drop; }; " +
    "add chain inet lvsdr_silence out { type filter hook output priority 0; policy drop; }'";

function sleep(ms: number): Promise<void> {
    return new Promise((ok) => setTimeout(ok, ms));
}

function planOf(bfd: boolean, password?: string): ClusterPlan {
    const args: LvsDrClusterArgs = validArgs();
    args.vip = VIP;
    args.services = [{ port: 80, scheduler: "mh" }, { port: 443, scheduler: "mh" }];
    args.hosts = {
        directors: [{ address: DIRECTOR, name: "d" }, { address: "10.99.0.3" }],
        realServers: [{ address: "10.99.0.11" }],
    };
    args.bgp = { asn: 65010, peers: [{ address: ROUTER, asn: 65000, ...(password === undefined ? {} : { password }) }], bfd, holdSeconds: 6 };
    return validateClusterArgs(args);
}

const ROUTER_CONF = `log stderr all;
router id ${ROUTER};
protocol device { }
protocol kernel { merge paths on; ipv4 { import none; export all; }; }
protocol bfd { interface "eth0" { min rx interval 100 ms; min tx interval 100 ms; multiplier 5; }; }
protocol bgp directors {
  local ${ROUTER} as 65000;
  neighbor range 10.99.0.0/24 as 65010;
  direct;
  bfd on;
  ipv4 { import all; export none; };
}
`;

/** The router with a password for the director (TCP-MD5 keys are per neighbour address). */
function routerConfWith(password: string): string {
    return ROUTER_CONF.replace("neighbor range 10.99.0.0/24 as 65010;", `neighbor ${DIRECTOR} as 65010;\n  password "${password}";`);
}

/** The kernel's count of TCP segments refused for a wrong MD5 signature, in a namespace. */
function md5Failures(ns: string): number {
    return Number(/TcpExtTCPMD5Failure\s+(\d+)/.exec(sh(ns, "nstat -asz TcpExtTCPMD5Failure").stdout)?.[1] ?? 0);
}

describe("active-active director's control plane: the health gate and the BGP speaker against a router (network namespaces)", function () {
    this.timeout(120000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lvsdr-bgp-"));
    const gateDir = path.join(dir, "gate");
    let plan: ClusterPlan;
    let bgp: BgpPlan;
    const pids: number[] = [];

    /** The gate's functions in the director namespace, as the gate script runs them. */
    const gate = (event: string): string => must(DIRECTOR_NS, [
        "set -eu", library("common"), library("bgp"),
        `VIP=${VIP}; GATE_TABLE=${bgp.gateTable}; GATE_DIR=${gateDir}; BIRD_SOCKET=${dir}/d.ctl`, event,
    ].join("\n"));

    const hops = (): string => sh(ROUTER_NS, `ip -4 route show ${VIP}/32`).stdout;

    async function until(what: string, test: () => boolean, ms: number): Promise<number> {
        const t0 = Date.now();
        while (Date.now() - t0 < ms) {
            if (test()) {
                return Date.now() - t0;
            }
            await sleep(10);
        }
        assert.fail(`${what}: not within ${ms} ms; the router's route: '${hops().trim()}'`);
    }

    function startBird(ns: string, conf: string, name: string): number {
        const file = path.join(dir, `${name}.conf`);
        fs.writeFileSync(file, conf);
        // The daemon writes its pid file after it forks: `bird -f` in the background keeps the pid
        // ours from the start (a pid read as 0 would make process.kill signal our own group).
        const child = spawn("ip", ["netns", "exec", ns, "bird", "-f", "-c", file, "-s", `${dir}/${name}.ctl`], { stdio: "ignore" });
        assert.ok(child.pid !== undefined && child.pid > 0, `bird did not start in ${ns}`);
        pids.push(child.pid);
        return child.pid;
    }

    function stopBirds(): void {
        for (const pid of pids.splice(0).filter((p) => p > 0)) {
            try {
                process.kill(pid, "SIGKILL");
            } catch {
                // gone already
            }
        }
    }

    before(function () {
        const bird = spawnSync("bird", ["--version"], { encoding: "utf8" });
        assert.ok(bird.error === undefined, "the bird command is missing: install bird2 (BIRD 2) for the active-active checks");
        assert.ok(spawnSync("flock", ["--version"]).error === undefined, "flock (util-linux) is missing");
        for (const ns of [DIRECTOR_NS, ROUTER_NS]) {
            spawnSync("ip", ["netns", "del", ns]);
            execFileSync("ip", ["netns", "add", ns]);
            must(ns, "ip link set lo up");
        }
        must(ROUTER_NS, `ip link add eth0 type veth peer name eth0 netns ${DIRECTOR_NS} && ip addr add ${ROUTER}/24 dev eth0 && ip link set eth0 up`);
        must(DIRECTOR_NS, `ip addr add ${DIRECTOR}/24 dev eth0 && ip link set eth0 up`);
    });

    afterEach(() => {
        stopBirds();
        spawnSync("ip", ["netns", "exec", DIRECTOR_NS, "nft", "delete", "table", "inet", "lvsdr_silence"]);
        fs.rmSync(gateDir, { recursive: true, force: true });
    });

    after(() => {
        stopBirds();
        for (const ns of [DIRECTOR_NS, ROUTER_NS]) {
            spawnSync("ip", ["netns", "del", ns]);
        }
        fs.rmSync(dir, { recursive: true, force: true });
    });

    async function established(): Promise<void> {
        await until("the session is established", () => /Established/.test(
            spawnSync("birdc", ["-s", `${dir}/r.ctl`, "show", "protocols"], { encoding: "utf8" }).stdout), 15000);
    }

    /** Both speakers started, the director's as lvs-dr renders it (BFD on or off), the session up. */
    async function sessionUp(bfd: boolean): Promise<void> {
        plan = planOf(bfd);
        bgp = plan.mode as BgpPlan & { kind: "bgp" };
        startBird(ROUTER_NS, ROUTER_CONF, "r");
        startBird(DIRECTOR_NS, renderBirdConf(plan, bgp, plan.directors[0]), "d");
        await established();
    }

    /** The session up and the gate open: the router has the VIP via the director. */
    async function announced(bfd: boolean): Promise<void> {
        await sessionUp(bfd);
        gate("bgp_gate up tcp-80");
        await until("the router learns the VIP", () => hops().includes(`via ${DIRECTOR}`), 5000);
    }

    it("the router has the VIP exactly while the gate is open: a service up opens it, the last one down closes it; a withdrawal wins over the checks until released", async function () {
        await sessionUp(true);
        assert.equal(hops(), "", "nothing is announced before a check passes");
        gate("bgp_gate up tcp-80");
        const learned = await until("the router learns the VIP", () => hops().includes(`via ${DIRECTOR}`), 5000);
        gate("bgp_gate up tcp-443");
        gate("bgp_gate down tcp-80");
        await sleep(500);
        assert.match(hops(), new RegExp(`via ${DIRECTOR}`), "one service up keeps the VIP announced");
        gate("bgp_gate withdraw");
        const withdrawn = await until("a withdrawal takes the VIP away", () => hops() === "", 5000);
        gate("bgp_gate up tcp-80");
        await sleep(500);
        assert.equal(hops(), "", "checks that pass do not open a withdrawn gate");
        gate("bgp_gate release");
        await until("a release opens it again", () => hops().includes(`via ${DIRECTOR}`), 5000);
        gate("bgp_gate flush");
        await until("keepalived's stop (flush) closes it", () => hops() === "", 5000);
        // An upgraded director: earlier versions marked a live service with an empty file.
        gate(': > "$GATE_DIR/up/tcp-8080" && bgp_gate release');
        await until("an earlier version's marker (an empty file) counts as up", () => hops().includes(`via ${DIRECTOR}`), 5000);
        gate("bgp_gate down tcp-8080");
        await until("and its service's down closes the gate", () => hops() === "", 5000);
        console.log(`      figure: the router learned the VIP ${learned} ms after the gate opened, lost it ${withdrawn} ms after a withdrawal`);
    });

    it("a closed gate opens only once it has wanted to for its hold with no event between (a director that comes back announces its whole table); closing is at once", async function () {
        await sessionUp(true);
        const held = (event: string): string => gate(`HOLD_SECONDS=2; ${event}`);
        held("bgp_gate up tcp-80");
        await sleep(1200);
        assert.equal(hops(), "", "the gate opened before its hold was over");
        // Another service comes up during the hold (as a director's servers pass one by one): the hold starts again.
        held("bgp_gate up tcp-443");
        const second = Date.now();
        await sleep(1200);
        assert.equal(hops(), "", "an event during the hold did not start it again");
        await until("the hold over, the router learns the VIP", () => hops().includes(`via ${DIRECTOR}`), 5000);
        const opened = Date.now() - second;
        assert.ok(opened >= 1900, `the gate opened ${opened} ms after the last event (hold 2 s)`);
        // Closing waits for nothing: not for the gate's lock, held here for 5 s as an opening holds it.
        gate('(flock 7; sleep 5) 7>"$GATE_DIR/lock" </dev/null >/dev/null 2>&1 &');
        await sleep(200);
        const downs = Date.now();
        held("bgp_gate down tcp-80");
        held("bgp_gate down tcp-443");
        assert.ok(Date.now() - downs < 2000, `closing took ${Date.now() - downs} ms with the gate's lock held elsewhere`);
        const closed = await until("the last service down closes the gate at once", () => hops() === "", 2000);
        // Up and down again within the hold: it never opens.
        held("bgp_gate up tcp-80");
        held("bgp_gate down tcp-80");
        await sleep(3000);
        assert.equal(hops(), "", "a service that came up and went down within the hold opened the gate");
        console.log(`      figure: hold 2 s: opened ${opened} ms after the last event; closed ${closed} ms after the last service went down`);
    });

    it("a director that stops answering leaves the router's paths within BFD's detection (100 ms x 5)", async function () {
        await announced(true);
        await sleep(1000);
        must(DIRECTOR_NS, SILENCE);
        const detection = await until("BFD takes the path away", () => hops() === "", 3000);
        console.log(`      figure: BFD detection of a silent director: ${detection} ms`);
        assert.ok(detection >= 300 && detection <= 1000, `detection ${detection} ms, expected about 500`);
    });

    it("without BFD the path outlives the director until the hold time (the negative control)", async function () {
        await announced(false);
        must(DIRECTOR_NS, SILENCE);
        await sleep(2000);
        assert.match(hops(), new RegExp(`via ${DIRECTOR}`), "without BFD the router keeps the path for the hold time");
        const gone = await until("the hold time ends the session", () => hops() === "", 10000);
        console.log(`      figure: without BFD a silent director kept its path ${2000 + gone} ms (hold time ${bgp.holdSeconds} s)`);
        assert.ok(2000 + gone >= 3000, "about the hold time");
    });

    it("with a password (TCP-MD5): a router that has it learns the VIP; one with another never establishes the session (the negative control)", async function () {
        const password = "lvs-dr's $ecret #1 (x)";
        plan = planOf(true, password);
        bgp = plan.mode as BgpPlan & { kind: "bgp" };
        const t0 = Date.now();
        const router = startBird(ROUTER_NS, routerConfWith(password), "r");
        startBird(DIRECTOR_NS, renderBirdConf(plan, bgp, plan.directors[0]), "d");
        await established();
        gate("bgp_gate up tcp-80");
        await until("the router learns the VIP", () => hops().includes(`via ${DIRECTOR}`), 5000);
        const learned = Date.now() - t0;
        // The same director against a router whose password differs.
        process.kill(router, "SIGKILL");
        pids.splice(pids.indexOf(router), 1);
        const failures = md5Failures(DIRECTOR_NS) + md5Failures(ROUTER_NS);
        startBird(ROUTER_NS, routerConfWith("another password"), "r");
        const states = new Set<string>();
        for (const t1 = Date.now(); Date.now() - t1 < 8000; await sleep(200)) {
            const state = spawnSync("birdc", ["-s", `${dir}/r.ctl`, "show", "protocols", "directors"], { encoding: "utf8" }).stdout;
            assert.doesNotMatch(state, /Established/, "the session is established with another password");
            const info = /directors\s+BGP\s+\S+\s+\S+\s+\S+\s+(\S+)/.exec(state)?.[1];
            if (info !== undefined) {
                states.add(info);
            }
        }
        const refused = md5Failures(DIRECTOR_NS) + md5Failures(ROUTER_NS) - failures;
        assert.ok(refused > 0, "no segment was refused for its MD5 signature: the password is not in use");
        console.log(`      figure: with the same password the router learned the VIP ${learned} ms after both speakers started; `
            + `with another, 8 s without a session (router: ${[...states].join(", ")}), ${refused} segments refused for their MD5 signature`);
    });

    it("a speaker that dies takes its path with it at once: graceful restart is off", async function () {
        await announced(true);
        process.kill(pids.pop()!, "SIGKILL");
        const gone = await until("the path leaves with the speaker", () => hops() === "", 2000);
        console.log(`      figure: a killed speaker's path left the router after ${gone} ms`);
    });
});
