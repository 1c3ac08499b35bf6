/**
 * `npm run demo -- --active-active` and its drill (lab/demo.sh): a router and a client in front of
 * the demo's three active-active directors, in namespaces of the lab's own (lab/harness/router.ts:
 * BIRD with BGP and BFD from every director, ECMP on the L4 hash), and the drill that destroys a
 * director under load.
 *
 *   node build/lab/demo-active-active.js up BRIDGE SUBNET KEY HOST...   the router on BRIDGE at SUBNET's .254, the client behind
 *                                                                         it; each HOST (director or real server) routes the client's
 *                                                                         network through the router and runs the line server of port
 *                                                                         7000 (its host name for every line)
 *   node build/lab/demo-active-active.js show VIP                         the router's paths and BFD sessions; requests from the client
 *   node build/lab/demo-active-active.js drill VIP KEY DOMAIN ADDRESS     200 connections asking every 100 ms; `virsh destroy DOMAIN`
 *                                                                         (the director at ADDRESS); resets, changed servers, the longest
 *                                                                         wait; then `virsh start DOMAIN` (it rejoins by itself)
 *   node build/lab/demo-active-active.js down                             the router stopped, both namespaces removed
 *
 * The router's state lives in .tools/demo-router, so that each command finds the one `up` started.
 */
import { execFileSync, spawn, spawnSync } from "child_process";
import * as path from "path";
import type { ConnsReport } from "./harness/conns";
import { NAME_SERVER, PORT } from "./harness/active-active";
import { closeAllSsh, sshCommandLine, URI } from "./harness/lab";
import { CLIENT_NET, CLIENT_NS, Router } from "./harness/router";
import { NETNS } from "./harness/lab";

const DIR = path.resolve(__dirname, "../../.tools/demo-router");
const ASN = 65010;
const CONNECTIONS = 200;

function router(bridge = "", subnet?: string): Router {
    return new Router({ bridge, directorsAsn: ASN, bfd: true, hashPolicy: 1, dir: DIR, ...(subnet ? { subnet } : {}) });
}

function ssh(key: string, address: string, command: string, stdin = ""): void {
    const r = spawnSync("ip", ["netns", "exec", NETNS, "sh", "-c", sshCommandLine(key, address, command)], { input: stdin, encoding: "utf8", timeout: 120000 });
    if (r.status !== 0) {
        throw new Error(`${address}: ${command}: exit ${r.status}: ${r.stderr}`);
    }
}

function up(bridge: string, subnet: string, key: string, hosts: string[]): void {
    const routerAddress = subnet.replace(/0\/24$/, "254");
    router(bridge, subnet).start();
    for (const h of hosts) {
        ssh(key, h, `ip route replace ${CLIENT_NET} via ${routerAddress}`);
        // On every host, for simplicity: a director's copy is never reached (IPVS takes the VIP's port first).
        ssh(key, h, "if ! systemctl is-active --quiet lvsdr-names; then " +
            "cat > /run/lvsdr-names.py && systemd-run --quiet --unit=lvsdr-names python3 /run/lvsdr-names.py; fi", NAME_SERVER);
    }
    closeAllSsh(key);
    console.log(`router at ${routerAddress} (namespace lvsdr-rt), client 10.77.1.2 behind it (namespace ${CLIENT_NS})`);
}

function show(vip: string): void {
    const r = router();
    console.log(`the router's route to ${vip}: via ${r.nextHops(vip).join(", ") || "nothing yet"}`);
    console.log(r.sessions().trim());
    console.log(r.bfdSessions().trim());
    const answers: string[] = [];
    for (let i = 0; i < 12; i++) {
        const a = spawnSync("ip", ["netns", "exec", CLIENT_NS, "curl", "-s", "-m", "5", "-H", "Connection: close", `http://${vip}/`], { encoding: "utf8" });
        answers.push(a.status === 0 ? a.stdout.trim() : "FAILED");
    }
    console.log(`12 requests from the client (each a new connection, hashed by the router onto a director): ${answers.join(" ")}`);
}

async function drill(vip: string, key: string, domain: string, address: string): Promise<void> {
    const r = router();
    const client = spawn("ip", ["netns", "exec", CLIENT_NS, process.execPath, path.join(__dirname, "harness/conns.js"), vip, String(PORT), String(CONNECTIONS), "100"]);
    let out = "";
    client.stdout.on("data", (d: Buffer) => (out += d.toString()));
    const done = new Promise<ConnsReport>((ok, fail) => client.on("close", () => {
        try {
            ok(JSON.parse(out) as ConnsReport);
        } catch {
            fail(new Error(`the client gave no report: ${out}`));
        }
    }));
    await new Promise((ok) => setTimeout(ok, 5000));
    console.log(`${CONNECTIONS} connections through ${vip}:${PORT}, each asking its real server's name every 100 ms; the router's paths: ${r.nextHops(vip).join(", ")}`);
    closeAllSsh(key);
    const t0 = Date.now();
    execFileSync("virsh", ["-c", URI, "destroy", domain], { stdio: "ignore" });
    const t1 = Date.now();
    console.log(`virsh destroy ${domain} (director ${address}): ${t1 - t0} ms`);
    while (r.nextHops(vip).includes(address) && Date.now() - t0 < 15000) {
        await new Promise((ok) => setTimeout(ok, 20));
    }
    // Seen by this poller, which the emulated VMs' load delays too (the lab's suite reads BFD's
    // detection on the router's wire: about 0.5 s).
    console.log(`  out of the router's paths ${Date.now() - t1} ms after the destroy returned (BFD 100 ms x 5); paths now: ${r.nextHops(vip).join(", ")}`);
    await new Promise((ok) => setTimeout(ok, 5000));
    client.kill("SIGTERM");
    const report = await done;
    const resets = report.records.filter((c) => c.ended === "ECONNRESET").length;
    const ended = report.records.filter((c) => c.ended !== undefined).length;
    const changed = report.records.filter((c) => c.changes.length > 0).length;
    const longest = Math.max(0, ...report.records.map((c) => c.maxGapMs));
    console.log(`  connections: ${report.connected} connected, ${resets} reset, ${ended} ended, ${changed} changed real server; the longest wait for an answer ${longest} ms`);
    execFileSync("virsh", ["-c", URI, "start", domain], { stdio: "ignore" });
    console.log(`virsh start ${domain}: it boots in a minute or two under emulation; its BIRD announces the VIP again once keepalived's checks pass`);
}

function down(): void {
    router().cleanup();
}

async function main(argv: string[]): Promise<void> {
    const [command, ...args] = argv;
    if (command === "up" && args.length >= 4) {
        up(args[0], args[1], args[2], args.slice(3));
    } else if (command === "show" && args.length === 1) {
        show(args[0]);
    } else if (command === "drill" && args.length === 4) {
        await drill(args[0], args[1], args[2], args[3]);
    } else if (command === "down") {
        down();
    } else {
        throw new Error("usage: demo-active-active.js up BRIDGE SUBNET KEY HOST... | show VIP | drill VIP KEY DOMAIN ADDRESS | down");
    }
}

main(process.argv.slice(2)).catch((e: unknown) => {
    console.error(`demo: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
});
