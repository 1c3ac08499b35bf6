/**
 * `npm run test:lab`: a real LVS cluster of Debian VMs (one director + real servers a, b, c) under
 * software emulation, configured with exactly the commands the component runs, then checked from
 * the client side (the lab namespace) and on the hosts. Each check can fail: "ARP negative control"
 * makes one fail on purpose. The tests run in order on the run's shared VMs (sharedLab: the pair's
 * second director idles until "TUN on the pair"; test:ha follows on the same VMs in test:vms).
 */
import { strict as assert } from "assert";
import type { LvsDrServiceArgs } from "../../src/args";
import { marksTable } from "../../src/core/names";
import { type ClusterPlan, markOf } from "../../src/core/plan";
import { realServerSetupCommand } from "../../src/core/scripts/command-lines";
import { directorSysctls } from "../../src/core/scripts/director";
import { realServerSysctls, type Sysctl } from "../../src/core/scripts/kernel-parameters";
import { withPort } from "../../src/core/ip";
import {
    directorCommands, inNetns, inNetnsAsync, type Lab, type PortRequest, requestsFromPorts, requestsTo, sharedLab, urlOf, VIP, VIP6,
} from "../../lab/harness/lab";
import { startUdpServer, stopUdpServer, UDP_PORT, udpClient } from "./support/udp";

const BIG = 20 * 1024 * 1024;

/**
 * The lab clusters' firewall-mark service: ports 443 and 8443 (plain HTTP from the image's
 * lvsdr-web-fwmark.service) balanced as one service with persistence, on both VIPs, so that every
 * check from setup to teardown, the reboot's too, covers marks.
 */
const FWMARK_SERVICE: LvsDrServiceArgs = { ports: [443, 8443], scheduler: "rr", persistenceSeconds: 300 };

/**
 * A UDP service in the same clusters (no check: nothing listens on it outside the UDP check, which
 * applies its own), so that the reboot and the teardown cover a UDP virtual service too.
 */
const UDP_SERVICE: LvsDrServiceArgs = { port: UDP_PORT, protocol: "udp", scheduler: "rr" };

/** The real servers in the UDP service of `vip` on the director, sorted. */
function udpServers(lab: Lab, vip: string): string[] {
    const out = lab.mustSsh("director", `ipvsadm -Ln -u ${withPort(vip, UDP_PORT)}`);
    return out.split("\n").filter((l) => l.trim().startsWith("->") && !l.includes("RemoteAddress")).map((l) => l.trim().split(/\s+/)[1]).sort();
}

/** The connections IPVS counted on the firewall-mark service of `plan` on `vip`. */
function fwmarkConns(lab: Lab, plan: ClusterPlan, vip: string): number {
    const mark = markOf(plan, plan.services[1], vip)!;
    const out = lab.mustSsh("director", `ipvsadm -Ln --stats --exact -f ${mark}${vip.includes(":") ? " -6" : ""}`);
    // "FWM  MARK [IPv6] CONNS INPKTS ...": ipvsadm names the family of an IPv6 mark.
    const fields = out.split("\n").find((l) => l.startsWith("FWM"))?.trim().split(/\s+/).filter((f) => f !== "IPv6");
    assert.ok(fields, `no fwmark service ${mark} on the director:\n${out}`);
    const conns = Number(fields[2]);
    assert.ok(Number.isInteger(conns), `no connection count in the mark's stats:\n${out}`);
    return conns;
}

/**
 * The firewall-mark check: one client's requests to 443 and 8443 of `vip`, alternating, all land on
 * one real server (the mark's shared persistence), and IPVS counted each on the mark's service.
 */
async function checkFwmark(lab: Lab, plan: ClusterPlan, vip: string, rounds = 3): Promise<string> {
    const before = fwmarkConns(lab, plan, vip);
    const host = vip.includes(":") ? `[${vip}]` : vip;
    const r = await inNetnsAsync(`i=0; while [ $i -lt ${rounds} ]; do for p in 443 8443; do ` +
        `curl -g -s -m 10 -H 'Connection: close' http://${host}:$p/ || echo FAILED; done; i=$((i+1)); done`);
    const hosts = r.stdout.split("\n").filter(Boolean);
    assert.equal(hosts.length, 2 * rounds, `${vip}: ${r.stdout} ${r.stderr}`);
    assert.equal(new Set(hosts).size, 1, `${vip}: 443 and 8443 of one client went to different real servers (or failed): ${hosts.join(" ")}`);
    assert.match(hosts[0], /^lvsdr-lab-rs-[abc]$/, `${vip}: ${hosts.join(" ")}`);
    // IPVS folds its per-CPU counters into what ipvsadm reads in the background: polled.
    let counted = 0;
    for (let i = 0; i < 25 && counted < 2 * rounds; i++) {
        counted = fwmarkConns(lab, plan, vip) - before;
        if (counted < 2 * rounds) {
            await new Promise((ok) => setTimeout(ok, 400));
        }
    }
    assert.equal(counted, 2 * rounds, `${vip}: the mark's service counted ${counted} connections of ${2 * rounds}`);
    return hosts[0];
}

/** The director's nftables tables, one a line. */
function nftTables(lab: Lab): string {
    return lab.mustSsh("director", "nft list tables");
}

/** IPVS counters of the service on `vip`, exact numbers. */
function stats(lab: Lab, vip = VIP): { conns: number; inPkts: number; outPkts: number } {
    const out = lab.mustSsh("director", `ipvsadm -Ln --stats --exact -t ${withPort(vip, 80)}`);
    const line = out.split("\n").find((l) => l.startsWith("TCP"));
    assert.ok(line, `no service line in:\n${out}`);
    const [, , conns, inPkts, outPkts] = line.trim().split(/\s+/).map((x, i) => (i >= 2 ? Number(x) : 0));
    return { conns, inPkts, outPkts };
}

const sleep = (ms: number): Promise<void> => new Promise((ok) => setTimeout(ok, ms));

/** The client port of the UDP check's one-socket flow (below the ephemeral range: no other client takes it). */
const FLOW_PORT = 21900;

/** Which real server the one-socket UDP flow is pinned to: its entry in the director's connection table. */
async function flowServer(lab: Lab): Promise<string> {
    for (let i = 0; i < 20; i++) {
        const entries = lab.mustSsh("director",
            `ipvsadm -Lnc | awk '$1 == "UDP" && $4 ~ /:${FLOW_PORT}$/ && $5 == "${VIP}:${UDP_PORT}" { print $6 }'`).trim().split("\n").filter(Boolean);
        if (entries.length === 1) {
            const rip = entries[0].split(":")[0];
            return rip === lab.address("a") ? "lvsdr-lab-rs-a" : "lvsdr-lab-rs-b";
        }
        await sleep(500);
    }
    throw new Error("the UDP flow has no single entry in the director's connection table");
}

/**
 * The service's Conns counter once it has caught up. The kernel folds its per-CPU counters into the
 * ones ipvsadm shows in its estimator, every 2 seconds (kernel 6.1): a read right after requests can
 * miss them. Settled = two reads one estimator period apart agree.
 */
async function settledConns(lab: Lab, vip = VIP): Promise<number> {
    let last = stats(lab, vip).conns;
    for (let i = 0; i < 6; i++) {
        await sleep(2200);
        const now = stats(lab, vip).conns;
        if (now === last) {
            return now;
        }
        last = now;
    }
    throw new Error(`the director's Conns counter did not settle: ${last}`);
}

function txBytes(lab: Lab, host: string): number {
    return Number(lab.mustSsh(host, "cat /sys/class/net/eth0/statistics/tx_bytes").trim());
}

/** The MAC addresses that answer an ARP request for `ip` on the lab bridge. */
function arpAnswers(lab: Lab, ip: string): string[] {
    const r = inNetns(`arping -b -c 3 -w 8 -I ${lab.bridge} ${ip}`, 30000);
    const macs = [...r.stdout.matchAll(/reply from \S+ \[([0-9A-Fa-f:]+)\]/g)].map((m) => m[1].toLowerCase());
    return [...new Set(macs)].sort();
}

/**
 * Makes the client map the VIP to `mac`, as a VIP's previous holder leaves its neighbours (stale: no
 * traffic has confirmed it since). Nothing but an announcement changes it while no one talks to the VIP.
 */
function plantVipEntry(lab: Lab, mac: string): void {
    inNetns(`ip neigh replace ${VIP} lladdr ${mac} dev ${lab.bridge} nud stale`);
    assert.equal(lab.clientEntry(VIP), mac, "could not plant the client's neighbour entry for the VIP");
}

/** The ARP check: only the director answers ARP for the VIP, and the client caches its MAC. */
function checkArp(lab: Lab, realServers: string[]): void {
    inNetns(`ip neigh flush dev ${lab.bridge}; curl -s -m 10 -o /dev/null http://${VIP}/`);
    const neigh = inNetns(`ip neigh show ${VIP} dev ${lab.bridge}`).stdout;
    assert.match(neigh, new RegExp(`lladdr ${lab.mac("director")}`), `client's neighbour entry for the VIP: ${neigh}`);
    assert.deepEqual(arpAnswers(lab, VIP), [lab.mac("director")], "answers to ARP for the VIP");
    for (const rs of realServers) {
        assert.deepEqual(arpAnswers(lab, lab.address(rs)), [lab.mac(rs)], `answers to ARP for ${rs}'s own address`);
    }
}

/**
 * The reply-source check: captured on the bridge, every reply comes from a real server's MAC with
 * the VIP as source. keepalived's health checks (director to the real servers' own addresses) are
 * not replies to clients: traffic to the directors is left out of the capture.
 */
async function checkReplySource(lab: Lab, realServers: string[], vip = VIP): Promise<void> {
    const v6 = vip.includes(":");
    const notToDirectors = lab.directors().map((d) => ` and not dst host ${v6 ? lab.address6(d) : lab.address(d)}`).join("");
    const capture = inNetnsAsync(`timeout 12 tcpdump -U -l -nn -e -i ${lab.bridge} -c 400 '${v6 ? "ip6" : "ip"} and tcp and src port 80${notToDirectors}' 2>/dev/null`);
    await new Promise((ok) => setTimeout(ok, 2000));
    requestsTo(vip, 6);
    const lines = (await capture).stdout.split("\n").filter((l) => l.includes(" > "));
    assert.ok(lines.length >= 6, `too few reply packets captured: ${lines.length}`);
    const rsMacs = realServers.map((r) => lab.mac(r));
    const shape = v6 ? /^(?:\S+ )?([0-9a-f:]{17}) > [0-9a-f:]{17}, ethertype IPv6 \(0x86dd\), length \d+: ([0-9a-f:]+)\.80 >/
        : /^(?:\S+ )?([0-9a-f:]{17}) > [0-9a-f:]{17}, ethertype IPv4 \(0x0800\), length \d+: (\d+\.\d+\.\d+\.\d+)\.80 >/;
    for (const line of lines) {
        const m = shape.exec(line);
        assert.ok(m, `unparsed capture line: ${line}`);
        assert.equal(m[2], vip, `a reply with source ${m[2]}: ${line}`);
        assert.ok(rsMacs.includes(m[1]), `a reply from ${m[1]}, not a real server (director is ${lab.mac("director")})`);
    }
}

/**
 * The rr check: every real server serves, consecutive requests alternate exactly, and the director
 * scheduled every request as a new connection (ordinary client ports, which may match an entry the
 * director still tracks).
 */
async function checkRoundRobin(lab: Lab, realServers: string[], vip = VIP): Promise<void> {
    const n = realServers.length * 4;
    const connsBefore = await settledConns(lab, vip);
    const hosts = requestsTo(vip, n);
    assert.ok(!hosts.includes("FAILED"), `failed requests: ${hosts.join(", ")}`);
    const expected = realServers.map((r) => `${"lvsdr-lab-rs-"}${r}`).sort();
    assert.deepEqual([...new Set(hosts)].sort(), expected, "servers that answered");
    const cycle = hosts.slice(0, realServers.length);
    // On failure, say whether every request was scheduled by the director and where the client sends the VIP.
    const scheduled = (await settledConns(lab, vip)) - connsBefore;
    const why = `${hosts.join(" ")}; director scheduled ${scheduled} of ${n} connections; ` +
        `client neighbour entry: ${inNetns(`ip neigh show ${vip}`).stdout.trim()}`;
    hosts.forEach((h, i) => { if (h !== cycle[i % cycle.length]) assert.fail(`request ${i} broke the rotation: ${why}`); });
    assert.equal(scheduled, n, `every request is a connection the director scheduled: ${why}`);
}

/**
 * For the IPv6 check: the MACs that answer a neighbour solicitation for `vip` on the lab bridge
 * (ndisc6, the arping of IPv6: it solicits and lists every answer). With a VIP on `lo` a real
 * server never answers: the kernel answers a solicitation only for addresses on the interface it
 * arrived on.
 */
function neighbourAnswers(lab: Lab, vip: string): string[] {
    const r = inNetns(`ndisc6 -m -n -q -r 2 -w 1500 ${vip} ${lab.bridge}`, 30000);
    const macs = r.stdout.split("\n").map((l) => l.trim().toLowerCase()).filter((l) => /^[0-9a-f:]{17}$/.test(l));
    return [...new Set(macs)].sort();
}

/** The direct-return check: the director sends nothing back (OutPkts 0) and its NIC transmits < 5% of the bytes served. */
function checkBypass(lab: Lab): void {
    const txBefore = txBytes(lab, "director");
    const r = inNetns(`for i in 1 2 3; do curl -s -m 120 -o /dev/null -w '%{size_download}\\n' http://${VIP}/big.bin; done`, 400000);
    const served = r.stdout.split("\n").filter(Boolean).map(Number).reduce((a, b) => a + b, 0);
    const txGrowth = txBytes(lab, "director") - txBefore;
    assert.equal(served, 3 * BIG, `bytes served through the VIP: ${r.stdout} ${r.stderr}`);
    assert.ok(txGrowth < 0.05 * served, `director transmitted ${txGrowth} bytes for ${served} served (>= 5%)`);
    const s = stats(lab);
    assert.ok(s.inPkts > 0, "the director forwarded nothing");
    assert.equal(s.outPkts, 0, "the director saw reply packets");
}

/** Kernel and file state a re-apply must leave byte-identical. */
function hostState(lab: Lab, host: string): string {
    return lab.mustSsh(host, [
        "ipvsadm -Sn 2>/dev/null || true",
        "nft list ruleset 2>/dev/null || true",
        "ip -o addr show | sed 's/valid_lft.*//'",
        "sysctl -a 2>/dev/null | grep -E '^net\\.ipv4\\.(conf\\.(all|eth0|lo|tunl0)\\.(arp_ignore|arp_announce|rp_filter)|vs\\.[a-z_]+) ' || true",
        "find /etc/lvs-dr /var/lib/lvs-dr /etc/sysctl.d /etc/systemd/system -name '*lvs-dr*' -exec md5sum {} + 2>/dev/null | sort || true",
    ].join("; "));
}

/** The values of `sysctls` on `host` as "path=value" lines (after `prepare`, e.g. loading a module). */
function readSysctls(lab: Lab, host: string, sysctls: Sysctl[], prepare = ""): string {
    return lab.mustSsh(host, prepare + sysctls
        .map((s) => `printf '%s=' ${s.path}; cat /proc/sys/${s.path} 2>/dev/null || echo absent`).join("; "));
}

function sysctlValues(lab: Lab, host: string, forwarding: "dr" | "tun"): string {
    return readSysctls(lab, host, realServerSysctls(forwarding, "eth0"));
}

/** The director's IPVS sysctls as "path=value" lines (ip_vs loaded first: they exist only then). */
function directorSysctlValues(lab: Lab): string {
    return readSysctls(lab, "director", directorSysctls({ mode: { kind: "single" } }), "modprobe ip_vs; ");
}

const DIRECTOR_DR_SYSCTLS = directorSysctls({ mode: { kind: "single" } }).map((s) => `${s.path}=${s.value}`).join("\n") + "\n";

/** Six consecutive client ports starting at `from` (below the ephemeral range: no other client takes them). */
function portsFrom(from: number): number[] {
    return Array.from({ length: 6 }, (_, i) => from + i);
}

function show(requests: PortRequest[]): string {
    return requests.map((r) => `${r.port}: ${r.host} (curl exit ${r.exit}, ${r.seconds} s)`).join("; ");
}

interface Reuse {
    /** Ports whose first request went to c. */
    onC: number[];
    /** The second round, from the same ports. */
    again: PortRequest[];
    /** How many of the second round the director scheduled as new connections. */
    scheduled: number;
    /** The director's entries for the ports just before the second round. */
    entries: string;
}

/**
 * One request from each of `ports` while `c` serves, then `c` removed from the table (the rules of
 * `without`), then the same ports again within the FIN_WAIT window (2 minutes).
 */
async function reuseAfterRemoval(lab: Lab, ports: number[], without: ClusterPlan, timeout: number): Promise<Reuse> {
    const first = requestsFromPorts(VIP, ports, 10);
    assert.deepEqual(first.filter((r) => r.exit !== 0), [], `first round failed: ${show(first)}`);
    const onC = first.filter((r) => r.host === "lvsdr-lab-rs-c").map((r) => r.port);
    assert.ok(onC.length > 0, `no request went to c, so removing it tests nothing: ${show(first)}`);
    lab.mustSsh("director", directorCommands(without).rules.create);
    const pattern = ports.map((p) => `:${p} `).join("|");
    const entries = lab.mustSsh("director", `ipvsadm -Lnc | grep -E '${pattern}' || true`);
    // The ports that went to a or b are reused while the director still tracks their connection
    // (c's entries may already be gone: with expire_nodest_conn=1 the kernel flushes them).
    for (const port of ports.filter((p) => !onC.includes(p))) {
        assert.match(entries, new RegExp(`:${port} .*FIN_WAIT|FIN_WAIT.*:${port} `), `no FIN_WAIT entry for client port ${port}:\n${entries}`);
    }
    const before = await settledConns(lab);
    const again = requestsFromPorts(VIP, ports, timeout);
    return { onC, again, scheduled: (await settledConns(lab)) - before, entries };
}

describe("VM lab: LVS-DR on real kernels", function () {
    let lab: Lab;
    let two: ClusterPlan;
    let three: ClusterPlan;
    const baseline = new Map<string, string>();
    let directorBaseline = "";

    before(async () => {
        lab = await sharedLab();
        two = lab.plan({ realServers: [{ name: "a" }, { name: "b" }], pair: false, services: [FWMARK_SERVICE, UDP_SERVICE] });
        three = lab.plan({ realServers: [{ name: "a" }, { name: "b" }, { name: "c" }], pair: false, services: [FWMARK_SERVICE, UDP_SERVICE] });
        for (const rs of ["a", "b", "c"]) {
            baseline.set(rs, sysctlValues(lab, rs, "dr"));
        }
        directorBaseline = directorSysctlValues(lab);
    });

    it("rr: every real server serves and requests alternate exactly", async () => {
        await lab.apply(two);
        assert.equal(directorSysctlValues(lab), DIRECTOR_DR_SYSCTLS, "the director's IPVS sysctls after setup");
        await checkRoundRobin(lab, ["a", "b"]);
    });

    it("wrr: 1:3 over 200 requests gives that ratio within ±10% (rules updated in place)", () => {
        const wrr = lab.plan({ realServers: [{ name: "a", weight: 1 }, { name: "b", weight: 3 }], scheduler: "wrr", pair: false });
        lab.mustSsh("director", directorCommands(wrr).rules.create);
        const hosts = lab.requests(200);
        const b = hosts.filter((h) => h === "lvsdr-lab-rs-b").length;
        const a = hosts.filter((h) => h === "lvsdr-lab-rs-a").length;
        assert.equal(a + b, 200, `failed requests: ${200 - a - b}`);
        assert.ok(Math.abs(b / 200 - 0.75) <= 0.1 * 0.75, `b served ${b}/200, expected 150 ± 15`);
        lab.mustSsh("director", directorCommands(two).rules.create);
    });

    it("direct return: replies bypass the director (OutPkts 0, director NIC transmits < 5% of the bytes served)", () => {
        checkBypass(lab);
    });

    it("ARP: only the director answers for the VIP; real servers answer only for themselves", () => {
        checkArp(lab, ["a", "b"]);
    });

    it("VIP announcement: the director announces the VIP it binds; a client that maps the VIP to another MAC moves to the director's at setup", () => {
        plantVipEntry(lab, lab.mac("b"));
        const r = lab.mustSsh("director", directorCommands(two).setup.create);
        const entry = lab.clientEntry(VIP);
        assert.equal(entry, lab.mac("director"), `the client maps the VIP to ${entry ?? "nothing"} after the setup (b is ${lab.mac("b")}); setup said:\n${r}`);
    });

    it("reply source: replies leave real servers with the VIP as source", async () => {
        await checkReplySource(lab, ["a", "b"]);
    });

    it("IPv6: rr over the IPv6 VIP, OutPkts 0, replies from the real servers with the VIP as source, only the director answers neighbour solicitations", async () => {
        await checkRoundRobin(lab, ["a", "b"], VIP6);
        const s = stats(lab, VIP6);
        assert.ok(s.inPkts > 0, "the director forwarded nothing for the IPv6 VIP");
        assert.equal(s.outPkts, 0, "the director saw IPv6 reply packets");
        await checkReplySource(lab, ["a", "b"], VIP6);
        assert.deepEqual(neighbourAnswers(lab, VIP6), [lab.mac("director")], "neighbour advertisements for the IPv6 VIP");
        const neigh = inNetns(`ip -6 neigh show ${VIP6} dev ${lab.bridge}`).stdout;
        assert.match(neigh, new RegExp(`lladdr ${lab.mac("director")}`), `client's neighbour entry for the IPv6 VIP: ${neigh}`);
        // Negative control: the VIP bound on a real server's NIC (not lo) is answered from there.
        lab.mustSsh("c", `ip -6 addr add ${VIP6}/128 dev eth0 nodad`);
        try {
            assert.deepEqual(neighbourAnswers(lab, VIP6), [lab.mac("c"), lab.mac("director")].sort(),
                "with the VIP on c's eth0, c answers too (the check above can fail)");
        } finally {
            lab.mustSsh("c", `ip -6 addr del ${VIP6}/128 dev eth0`);
            // c's advertisement (solicited by ndisc6, with the override flag) also updated the
            // client's own neighbour entry for the VIP: forget it, as "ARP negative control" does for ARP.
            inNetns(`ip -6 neigh flush dev ${lab.bridge}`);
        }
    });

    it("dual stack: the same real servers serve the IPv4 and the IPv6 VIP at once", async () => {
        const both = await Promise.all([VIP, VIP6].map((vip) =>
            inNetnsAsync(`i=0; while [ $i -lt 8 ]; do curl -g -s -m 10 -H 'Connection: close' ${urlOf(vip)} || echo FAILED; i=$((i+1)); done`)));
        const [v4, v6] = both.map((r) => r.stdout.split("\n").filter(Boolean));
        for (const [what, hosts] of [["IPv4", v4], ["IPv6", v6]] as const) {
            assert.deepEqual([...new Set(hosts)].sort(), ["lvsdr-lab-rs-a", "lvsdr-lab-rs-b"], `${what} answers: ${hosts.join(" ")}`);
            assert.equal(hosts.length, 8, `${what}: ${hosts.join(" ")}`);
        }
    });

    it("fwmark: one client's 443 and 8443 land on the same real server (both VIPs); the mark's table is the cluster's own", async () => {
        const table = lab.mustSsh("director", `nft list table inet ${marksTable(VIP)}`);
        for (const vip of [VIP, VIP6]) {
            const mark = markOf(two, two.services[1], vip)!;
            assert.match(table, new RegExp(`${vip.includes(":") ? "ip6" : "ip"} daddr ${vip} tcp dport \\{ 443, 8443 \\} meta mark set 0x${mark.toString(16)}`),
                `the director's marks for ${vip}:\n${table}`);
            await checkFwmark(lab, two, vip);
        }
    });

    it("UDP: datagrams balance over the real servers; a server whose service dies gets no datagram after the check's bound", async () => {
        // The check's bound with its defaults: (retries + 1) x (interval + timeout) = 6 s.
        const BOUND_MS = 6000;
        const udp = lab.plan({
            realServers: [{ name: "a" }, { name: "b" }], pair: false,
            services: [{ port: UDP_PORT, protocol: "udp", scheduler: "rr", healthCheck: { kind: "udp", payload: "6c76732d6472" } }],
        });
        for (const rs of ["a", "b"]) {
            startUdpServer(lab, rs, [VIP, lab.address(rs)]);
        }
        try {
            await lab.rules(udp);
            assert.ok(!nftTables(lab).includes(marksTable(VIP)), `rules without a firewall-mark service leave the marks' table:\n${nftTables(lab)}`);
            // A new client port per datagram: every one a new flow, scheduled rr.
            const spread = (await udpClient(VIP, 8, 300)).stdout.split("\n").filter(Boolean).map((l) => l.split(" ")[1]);
            assert.deepEqual([...new Set(spread)].sort(), ["lvsdr-lab-rs-a", "lvsdr-lab-rs-b"], `answers: ${spread.join(" ")}`);
            spread.forEach((h, i) => assert.notEqual(h, spread[i + 1], `rr over new flows: ${spread.join(" ")}`));

            // One client port: one flow, pinned to one real server. Its service dies; IPVS must stop
            // sending the flow there once keepalived removes the server (expire_nodest_conn=1).
            const flow = udpClient(VIP, 60, 250, FLOW_PORT);
            await sleep(3000);
            const capture = inNetnsAsync(`timeout 18 tcpdump -tt -U -l -nn -e -i ${lab.bridge} 'udp and dst port ${UDP_PORT} and dst host ${VIP}' 2>/dev/null`);
            await sleep(1000);
            const pinnedTo = await flowServer(lab);
            const dead = pinnedTo === "lvsdr-lab-rs-a" ? "a" : "b";
            stopUdpServer(lab, dead);
            const stoppedAt = Date.now();
            const frames = (await capture).stdout.split("\n").filter((l) => l.includes(` > ${lab.mac(dead)},`));
            const lastToDead = frames.length === 0 ? 0 : Number(frames[frames.length - 1].split(" ")[0]) * 1000;
            const answers = (await flow).stdout.split("\n").filter(Boolean).map((l) => l.split(" "));
            const after = answers.filter(([t]) => Number(t) > stoppedAt + BOUND_MS).map(([, h]) => h);
            const why = `flow pinned to ${dead}; stopped at ${stoppedAt}; last datagram to ${dead} at ${lastToDead} ` +
                `(${((lastToDead - stoppedAt) / 1000).toFixed(1)} s after); answers after the bound: ${after.join(" ")}; ` +
                `table: ${lab.mustSsh("director", `ipvsadm -Ln -u ${VIP}:${UDP_PORT}`).replace(/\n/g, " | ")}`;
            assert.ok(lastToDead - stoppedAt <= BOUND_MS, `datagrams reached the dead server after the bound: ${why}`);
            assert.ok(after.length > 0 && after.every((h) => h === `lvsdr-lab-rs-${dead === "a" ? "b" : "a"}`),
                `the flow is served by the other real server after the bound: ${why}`);
        } finally {
            for (const rs of ["a", "b"]) {
                stopUdpServer(lab, rs);
            }
            await lab.rules(two);
        }
    });

    it("scaling: a third real server joins with its setup and a rules update", async () => {
        lab.mustSsh("c", realServerSetupCommand(three, lab.realServer(three, "c")).create);
        lab.mustSsh("director", directorCommands(three).rules.create);
        await checkRoundRobin(lab, ["a", "b", "c"]);
    });

    it("port reuse: a client port reused after its real server was removed is scheduled afresh (and dropped without the director's sysctls)", async () => {
        const { onC, again, scheduled, entries } = await reuseAfterRemoval(lab, portsFrom(21000), two, 5);
        const why = `ports ${onC.join(", ")} had gone to c; ${show(again)}; entries before:\n${entries}`;
        assert.deepEqual(again.filter((r) => r.exit !== 0), [], `requests from reused ports failed: ${why}`);
        assert.ok(again.every((r) => r.host === "lvsdr-lab-rs-a" || r.host === "lvsdr-lab-rs-b"), why);
        assert.equal(scheduled, again.length, `every reused port is scheduled afresh: ${why}`);

        // Negative control: with the kernel's defaults the ports whose entry pointed to c go nowhere.
        lab.mustSsh("director", directorCommands(three).rules.create);
        lab.mustSsh("director", "sysctl -q -w net.ipv4.vs.conn_reuse_mode=1 net.ipv4.vs.expire_nodest_conn=0");
        try {
            const control = await reuseAfterRemoval(lab, portsFrom(21100), two, 3);
            assert.deepEqual(control.again.filter((r) => r.exit !== 0).map((r) => r.port), control.onC,
                `with conn_reuse_mode=1 and expire_nodest_conn=0, exactly the ports that had gone to c should fail: ` +
                `${show(control.again)}; scheduled ${control.scheduled}; entries before:\n${control.entries}`);
        } finally {
            lab.mustSsh("director", directorCommands(two).setup.create);
        }
        assert.equal(directorSysctlValues(lab), DIRECTOR_DR_SYSCTLS, "setup puts the director's IPVS sysctls back");
    });

    it("ARP negative control: a real server without the ARP sysctls makes the ARP check fail", () => {
        // Take c out properly, then bind the VIP on its loopback as a naive setup would.
        lab.mustSsh("director", directorCommands(two).rules.create);
        lab.mustSsh("c", realServerSetupCommand(three, lab.realServer(three, "c")).delete);
        lab.mustSsh("c", `ip addr add ${VIP}/32 dev lo label lo:0`);
        try {
            assert.throws(() => checkArp(lab, ["a", "b"]), /answers to ARP for the VIP|neighbour entry for the VIP/);
            assert.ok(arpAnswers(lab, VIP).includes(lab.mac("c")), "c should answer ARP for the VIP");
        } finally {
            lab.mustSsh("c", `ip addr del ${VIP}/32 dev lo`);
        }
        checkArp(lab, ["a", "b"]);
    });

    it("idempotence: re-applying every script changes nothing, and a download through the VIP survives it", async () => {
        const before = ["director", "a", "b"].map((h) => hostState(lab, h));
        const download = inNetnsAsync(`curl -s -m 240 --limit-rate 1M -o /dev/null -w '%{size_download}' http://${VIP}/big.bin`);
        await new Promise((ok) => setTimeout(ok, 2000));
        await lab.apply(two);
        const after = ["director", "a", "b"].map((h) => hostState(lab, h));
        assert.deepEqual(after, before);
        const r = await download;
        assert.equal(r.status, 0, `download failed: ${r.stderr}`);
        assert.equal(Number(r.stdout), BIG);
    });

    it("reboot: after rebooting the director and a real server, LVS-DR works with no re-apply", async () => {
        // The client maps the VIP to another MAC when the director comes back: the boot announces it.
        plantVipEntry(lab, lab.mac("b"));
        await Promise.all([lab.reboot("director"), lab.reboot("a")]);
        const entry = lab.clientEntry(VIP);
        assert.equal(entry, lab.mac("director"), `the client maps the VIP to ${entry ?? "nothing"} after the director's boot (b is ${lab.mac("b")})`);
        await checkRoundRobin(lab, ["a", "b"]);
        await checkRoundRobin(lab, ["a", "b"], VIP6);
        await checkFwmark(lab, two, VIP, 2);
        await checkFwmark(lab, two, VIP6, 2);
        for (const vip of [VIP, VIP6]) {
            assert.deepEqual(udpServers(lab, vip), ["a", "b"].map((rs) => withPort(vip === VIP ? lab.address(rs) : lab.address6(rs), UDP_PORT)).sort(),
                `the UDP service of ${vip} after the reboot`);
        }
        checkArp(lab, ["a", "b"]);
        assert.deepEqual(neighbourAnswers(lab, VIP6), [lab.mac("director")], "neighbour advertisements for the IPv6 VIP after the reboot");
        assert.equal(stats(lab).outPkts, 0);
        assert.equal(directorSysctlValues(lab), DIRECTOR_DR_SYSCTLS, "the director's IPVS sysctls after the reboot");
    });

    it("teardown: it leaves no virtual service, no VIP, and the sysctls as they were", async () => {
        await lab.teardown(two);
        const table = lab.mustSsh("director", "ipvsadm -Sn");
        assert.doesNotMatch(table, new RegExp(VIP.replace(/\./g, "\\.")));
        assert.ok(!table.includes(`[${VIP6}]`), `the IPv6 VIP's services are left:\n${table}`);
        assert.doesNotMatch(table, /-f /, "a firewall-mark service is left");
        assert.ok(!nftTables(lab).includes(marksTable(VIP)), `the marks' table is left:\n${nftTables(lab)}`);
        const addresses = lab.mustSsh("director", "ip -o addr show dev eth0");
        assert.doesNotMatch(addresses, new RegExp(`${VIP}/32`));
        assert.ok(!addresses.includes(`${VIP6}/128`), `the IPv6 VIP is left on the director:\n${addresses}`);
        assert.equal(directorSysctlValues(lab), directorBaseline, "the director's IPVS sysctls after teardown");
        for (const rs of ["a", "b"]) {
            const held = lab.mustSsh(rs, "ip -o addr show");
            assert.doesNotMatch(held, new RegExp(`${VIP}/32`), `${rs} still holds the VIP`);
            assert.ok(!held.includes(`${VIP6}/128`), `${rs} still holds the IPv6 VIP:\n${held}`);
            assert.equal(sysctlValues(lab, rs, "dr"), baseline.get(rs), `${rs}'s sysctls`);
            assert.equal(lab.mustSsh(rs, "ls /etc/lvs-dr /var/lib/lvs-dr 2>/dev/null | wc -l").trim(), "0");
        }
    });

    it("TUN on the pair: with forwarding tun, rr serves from every real server, replies bypass the master with the VIP as source", async () => {
        // The pair's first director applies first and becomes the master (test:ha's "master and
        // backup" and "failover").
        const tun = lab.plan({ realServers: [{ name: "a" }, { name: "b" }], forwarding: "tun", pair: true });
        await lab.apply(tun);
        try {
            await checkRoundRobin(lab, ["a", "b"]);
            checkBypass(lab);
            await checkReplySource(lab, ["a", "b"]);
            // IPv6 over TUN: IPv6-in-IPv6 to each real server's ip6tnl0.
            await checkRoundRobin(lab, ["a", "b"], VIP6);
            await checkReplySource(lab, ["a", "b"], VIP6);
        } finally {
            await lab.teardown(tun);
        }
    });
});
