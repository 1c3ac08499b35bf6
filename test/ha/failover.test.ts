/**
 * `npm run test:ha`: keepalived owning the table on a director pair, on real kernels. Two directors
 * and three real servers in the VM lab (the run's shared VMs: in `npm run test:vms` the lab checks
 * used them first), configured with the component's own commands; a client in
 * the lab namespace sends a request through the VIP every 100 ms for the whole suite, and every
 * failure must fall inside the window of a failure the suite caused. Every figure is printed.
 */
import { Figures, sleep } from "../../lab/harness/figures";
import { strict as assert } from "assert";
import { type ChildProcess, execFileSync } from "child_process";
import type { ClusterPlan } from "../../src/core/plan";
import { directorRulesCommand } from "../../src/core/scripts/command-lines";
import { holderPaths } from "../../src/core/modes/vrrp-holder";
import { keepalivedPaths } from "../../src/core/names";
import { inNetns, inNetnsAsync, type Lab, NETNS, realServerSetupCommandFor, type Sh, sharedLab, URI, VIP, waitForVipCommand } from "../../lab/harness/lab";
import { type Hit, Load, longestGap } from "../../lab/harness/load";
import { startTcpdump } from "../support/tcpdump";

/** The default check: (retries + 1) x (interval + timeout) to fail, interval + timeout to recover. */
const DETECTION_MS = 3 * (1000 + 1000);
const RECOVERY_MS = 1000 + 1000;
/** How long SSH and the watcher's polling add to a measured time (measured: ~0.3-1 s under emulation). */
const MEASURE_SLACK_MS = 1500;
const DRAIN_SECONDS = 60;

const figures = new Figures();
const figure = (text: string): void => figures.add(text);

/** A failure window the suite caused on purpose: failures are allowed inside it, nowhere else. */
interface Window {
    what: string;
    from: number;
    to: number;
}

/** A TCP reset from the VIP's address seen on the bridge: when, who sent it, to which client port. */
interface Reset {
    t: number;
    from: string;
    director: boolean;
    port: number;
    line: string;
}

function show(hits: Hit[]): string {
    return hits.map((h) => `${new Date(h.t).toISOString()} port ${h.port} exit ${h.exit} ${h.host}`).join("\n");
}

/**
 * From a director's journal: how long before its last takeover (keepalived's "Entering MASTER
 * STATE") its holder step wrote level 2 (the step's "level N -> 2"), in ms; negative when after.
 */
function levelBeforeTakeover(lab: Lab, director: string): number {
    const lines = lab.mustSsh(director, "journalctl -o short-unix --no-pager --since=-120s -t lvs-dr -t Keepalived_vrrp").split("\n");
    const at = (l: string): number => Math.round(Number(l.split(" ")[0]) * 1000);
    const master = lines.filter((l) => l.includes("Entering MASTER STATE")).pop();
    assert.ok(master !== undefined, `${director} logged no takeover in the last 120 s:\n${lines.join("\n")}`);
    const level = lines.filter((l) => / -> 2 /.test(l)).pop();
    assert.ok(level !== undefined, `${director}'s holder step never wrote level 2 in the last 120 s:\n${lines.join("\n")}`);
    return at(master) - at(level);
}

describe("HA: keepalived on a director pair, under load (VM lab)", function () {
    let lab: Lab;
    let three: ClusterPlan;
    let two: ClusterPlan;
    const load = new Load();
    const windows: Window[] = [];
    let bigSha = "";

    const holdsVip = (host: string): boolean =>
        lab.mustSsh(host, "ip -o -4 addr show dev eth0").includes(` ${VIP}/32 `);

    /** The weight of a real server in `host`'s table, or "absent". */
    const weight = (host: string, rs: string): string => {
        const out = lab.mustSsh(host, `ipvsadm -Ln -t ${VIP}:80`);
        const line = out.split("\n").find((l) => l.trim().startsWith(`-> ${lab.address(rs)}:80 `));
        return line ? line.trim().split(/\s+/)[3] : "absent";
    };

    /**
     * Watches `host`'s table from the host itself (10 polls a second) until `rs` has weight
     * `want`; resolves with the time it saw it (ms since the epoch).
     */
    const watchWeight = (host: string, rs: string, want: string, timeoutS = 600): Promise<number> => {
        const a = `${lab.address(rs)}:80`;
        const test = `[ "$(ipvsadm -Ln -t ${VIP}:80 | awk '$2 == "${a}" { print $4 }')" = ${want} ]`;
        return lab.sshAsync(host, `i=0; until ${test}; do i=$((i+1)); [ $i -gt ${timeoutS * 10} ] && exit 3; sleep 0.1; done`)
            .then((r) => {
                assert.equal(r.status, 0, `${rs} never reached weight ${want} on ${host}: ${r.stderr}`);
                return Date.now();
            });
    };

    /**
     * Long downloads of /big.bin (20 MiB) through the VIP from fixed client ports, throttled to
     * `rate` (curl units). The ports are below the kernel's ephemeral range (32768-60999), which the
     * load draws from: no earlier request of the load left an entry for them in a director's table.
     */
    const downloads = (ports: number[], rate: string): Promise<Sh>[] => ports.map((port) => {
        assert.ok(port < 32768, `download port ${port} is inside the ephemeral range`);
        return inNetnsAsync(`f=$(mktemp); size=$(curl -s -m 180 --local-port ${port} --limit-rate ${rate} -o "$f" -w '%{size_download}' http://${VIP}/big.bin) && rc=0 || rc=$?
echo "$(sha256sum <"$f" | cut -d' ' -f1) $rc $size $(date +%s%3N)"; rm -f "$f"`);
    });

    interface Download { port: number; sha: string; exit: number; bytes: number; end: number }

    const finished = async (d: Promise<Sh>, port: number): Promise<Download> => {
        const r = await d;
        const [sha, exit, bytes, end] = r.stdout.trim().split(" ");
        assert.ok(sha && end, `download from port ${port} printed no result: ${r.stdout}${r.stderr}`);
        return { port, sha, exit: Number(exit), bytes: Number(bytes), end: Number(end) };
    };

    /** Each download's outcome, for a failed assertion: curl's exit (56: reset or cut), bytes, and where it went. */
    const describeDownloads = (ends: Download[], servedBy: Map<number, string>): string =>
        ends.map((e) => `port ${e.port}: ${e.sha === bigSha ? "intact" : "CORRUPT OR CUT"}, curl exit ${e.exit}, ${e.bytes} bytes, ` +
            `real server ${servedBy.get(e.port) ?? "unknown"}`).join("\n");

    /** Which real server each client port's connection went to, from `host`'s connection table. */
    const connectionsByPort = (host: string): Map<number, string> => {
        const out = lab.mustSsh(host, "ipvsadm -Lnc");
        const byPort = new Map<number, string>();
        for (const line of out.split("\n")) {
            const m = /^TCP\s+\S+\s+(\S+)\s+\S+:(\d+)\s+\S+:80\s+(\S+):80/.exec(line.trim());
            if (m && m[1] === "ESTABLISHED") {
                byPort.set(Number(m[2]), m[3]);
            }
        }
        return byPort;
    };

    /** Polls `host` twice a second until it runs the backup sync daemon (VRRP made it a backup), at most `timeoutS`. */
    const waitForBackupSync = async (host: string, timeoutS: number): Promise<void> => {
        for (let i = 0; i < timeoutS * 2 && !/backup sync daemon/.test(lab.ssh(host, "ipvsadm -L --daemon").stdout); i++) {
            await sleep(500);
        }
        assert.match(lab.mustSsh(host, "ipvsadm -L --daemon"), /backup sync daemon/, `${host} runs no backup sync daemon`);
    };

    const inPkts = (host: string): number => {
        const line = lab.mustSsh(host, `ipvsadm -Ln --stats --exact -t ${VIP}:80`).split("\n").find((l) => l.startsWith("TCP"));
        return Number(line?.trim().split(/\s+/)[3] ?? "NaN");
    };

    /**
     * Captures, on the lab's bridge, every TCP reset sent from the VIP's address, with the MAC that
     * sent it: a director's own TCP stack (it holds the VIP, IPVS let the packet through) tells apart
     * from a real server (the packet reached a server that has no such connection).
     */
    const captures = new Set<ChildProcess>();
    const captureResets = async (): Promise<{ stop: () => Promise<Reset[]> }> => {
        const names = new Map([...lab.directors(), "a", "b", "c"].map((h) => [lab.mac(h), h]));
        const capture = await startTcpdump(NETNS, ["-e", "-tt", "-i", lab.bridge, `src host ${VIP} and tcp[tcpflags] & tcp-rst != 0`]);
        captures.add(capture.child);
        return {
            stop: async () => {
                const out = await capture.stop();
                captures.delete(capture.child);
                return out.split("\n").filter((l) => l.trim() !== "").map((line) => {
                    const [epoch, mac] = line.split(" ");
                    const from = names.get(mac) ?? "unknown host";
                    const port = Number(/ > [0-9.]+\.([0-9]+): /.exec(line)?.[1] ?? "NaN");
                    return { t: Math.round(Number(epoch) * 1000), from, director: lab.directors().includes(from), port, line: `${from}: ${line}` };
                });
            },
        };
    };

    before(async () => {
        lab = await sharedLab();
        three = lab.plan({ realServers: [{ name: "a" }, { name: "b" }, { name: "c" }], drainSeconds: DRAIN_SECONDS, pair: true });
        two = lab.plan({ realServers: [{ name: "a" }, { name: "b" }], drainSeconds: DRAIN_SECONDS, pair: true });
        await lab.apply(three);
        bigSha = lab.mustSsh("a", "sha256sum /var/www/big.bin").split(" ")[0];
        load.start(VIP, 0.1, 1);
        await sleep(3000);
    });

    after(async () => {
        // A check that failed before it stopped its capture leaves it running.
        captures.forEach((c) => c.kill("SIGINT"));
        await load.stop();
        const failed = load.hits.filter((h) => h.host === "FAILED");
        console.log(`      load: ${load.hits.length} requests, ${failed.length} failed, all inside: ${windows.map((w) => w.what).join(", ")}`);
        console.log(figures.summary());
    });

    it("master and backup: the first director holds the VIP and forwards; the backup holds the table, no VIP, and forwards nothing", async () => {
        for (const d of ["director", "director-1"]) {
            assert.match(lab.mustSsh(d, "ipvsadm -Sn"), new RegExp(`-a -t ${VIP}:80 -r ${lab.address("c")}:80 -g -w 1`), `${d}'s table`);
        }
        assert.ok(holdsVip("director"), "the first director does not hold the VIP");
        assert.ok(!holdsVip("director-1"), "the backup holds the VIP too");
        const before = [inPkts("director"), inPkts("director-1")];
        await sleep(5000);
        const after = [inPkts("director"), inPkts("director-1")];
        figure(`no loop: over 5 s the master forwarded ${after[0] - before[0]} packets, the backup ${after[1] - before[1]}`);
        assert.ok(after[0] > before[0], "the master forwarded nothing");
        assert.equal(after[1], before[1], "the backup forwarded packets");
        assert.match(lab.mustSsh("director-1", "ipvsadm -L --daemon"), /backup sync daemon/);
        assert.match(lab.mustSsh("director", "ipvsadm -L --daemon"), /master sync daemon/);
        assert.equal(lab.clientEntry(VIP), lab.mac("director"));
    });

    it("backup reboot: the backup director reboots under load; no request fails, it comes back as backup with its table, sync daemon and sysctls", async () => {
        const t0 = Date.now();
        await lab.reboot("director-1");
        // keepalived starts at boot from the files on disk; VRRP makes it a backup within a few adverts.
        await waitForBackupSync("director-1", 60);
        const tBack = Date.now();
        assert.match(lab.mustSsh("director-1", "ipvsadm -Sn"), new RegExp(`-a -t ${VIP}:80 -r ${lab.address("c")}:80 -g -w 1`), "the backup's table after its reboot");
        assert.match(lab.mustSsh("director-1", "cat /proc/sys/net/ipv4/vs/backup_only /proc/sys/net/ipv4/vs/sloppy_tcp"), /^0\n1\n$/);
        assert.ok(holdsVip("director") && !holdsVip("director-1"), "the VIP moved during the backup's reboot");
        const hits = load.between(t0, Date.now());
        figure(`backup reboot: back as backup ${tBack - t0} ms after the reboot began; ${hits.length} requests meanwhile, ${hits.filter((h) => h.host === "FAILED").length} failed`);
        assert.deepEqual(show(hits.filter((h) => h.host === "FAILED")), "");
    });

    it("web server stopped: a real server whose web server stops is out within the detection bound, back within the recovery bound", async () => {
        const t0 = Date.now();
        const out = watchWeight("director", "c", "0");
        lab.mustSsh("c", "systemctl stop lvsdr-web");
        const tStopped = Date.now();
        const tOut = await out;
        windows.push({ what: "c's web server stopped", from: t0, to: tOut });
        figure(`stopped web server: weight 0 after ${tOut - t0} ms from sending the stop, ${Math.max(0, tOut - tStopped)} ms from its SSH command returning (bound ${DETECTION_MS} ms)`);
        assert.ok(tOut - t0 <= DETECTION_MS + MEASURE_SLACK_MS, `detected after ${tOut - t0} ms`);
        await sleep(3000);
        const late = load.between(tOut, Date.now()).filter((h) => h.host === "FAILED" || h.host === "lvsdr-lab-rs-c");
        assert.deepEqual(show(late), "", "requests after the detection failed or reached c");

        const back = watchWeight("director", "c", "1");
        const tStart = Date.now();
        lab.mustSsh("c", "systemctl start lvsdr-web");
        const tUp = Date.now();
        const tBack = await back;
        figure(`restarted web server: weight 1 again ${tBack - tUp} ms after it was up (bound ${RECOVERY_MS} ms; systemctl start took ${tUp - tStart} ms)`);
        assert.ok(tBack - tUp <= RECOVERY_MS + MEASURE_SLACK_MS, `re-added after ${tBack - tUp} ms`);
        await sleep(3000);
        assert.ok(load.between(tBack, Date.now()).some((h) => h.host === "lvsdr-lab-rs-c"), "c serves no request again");
    });

    it("real server destroyed: a real server whose VM is destroyed is out within the detection bound, and back after it boots", async () => {
        const out = watchWeight("director", "b", "0");
        const t0 = Date.now();
        execFileSync("virsh", ["-c", URI, "destroy", lab.domain("b")]);
        lab.closeSsh("b");
        const tOut = await out;
        windows.push({ what: "b's VM destroyed", from: t0, to: tOut + 1000 });
        figure(`destroyed VM: weight 0 after ${tOut - t0} ms (bound ${DETECTION_MS} ms)`);
        assert.ok(tOut - t0 <= DETECTION_MS + MEASURE_SLACK_MS, `detected after ${tOut - t0} ms`);

        const back = watchWeight("director", "b", "1");
        execFileSync("virsh", ["-c", URI, "start", lab.domain("b")]);
        // b comes back when its web server answers on its own address.
        let tUp = 0;
        for (let i = 0; i < 3000 && tUp === 0; i++) {
            if (inNetns(`curl -s -m 1 -o /dev/null http://${lab.address("b")}/`).status === 0) {
                tUp = Date.now();
            } else {
                await sleep(200);
            }
        }
        assert.ok(tUp > 0, "b's web server never answered after its start");
        const tBack = await back;
        figure(`rebooted VM: weight 1 again ${Math.max(0, tBack - tUp)} ms after its web server answered (bound ${RECOVERY_MS} ms)`);
        assert.ok(tBack - tUp <= RECOVERY_MS + MEASURE_SLACK_MS, `re-added ${tBack - tUp} ms after it was up`);
        await lab.waitForSsh("b");
        assert.match(lab.mustSsh("b", "ip -o addr show dev lo"), new RegExp(`${VIP.replace(/\./g, "\\.")}/32`), "b lost its VIP at boot");
    });

    it("refused configuration: a configuration keepalived refuses fails the rules with keepalived's message; the table and file are unchanged", () => {
        const k = keepalivedPaths(VIP);
        const state = () => lab.mustSsh("director", `ipvsadm -Sn; md5sum ${k.clusterConf}`);
        const before = state();
        const good = directorRulesCommand(three, three.directors[0]).create;
        const bad = { ...good, stdin: good.stdin.replace("    lvs_sched rr\n", "    lvs_sched rr\n    lvs_bogus_keyword 1\n") };
        assert.notEqual(bad, good, "could not provoke a refused configuration");
        const r = lab.ssh("director", bad);
        assert.equal(r.status, 1, r.stdout + r.stderr);
        assert.match(r.stderr, /keepalived refuses the configuration, nothing was applied: .*Unknown keyword 'lvs_bogus_keyword'/s);
        assert.equal(state(), before);
    });

    it("drain: removing a real server waits for its download, sends it nothing new, then deletes it", async () => {
        const ports = [20001, 20002, 20003];
        // With no other new connection through the VIP, rr gives three connections to three real
        // servers, one of them c. The load's requests would take turns in between (one once took
        // c's), so the load holds while the downloads connect.
        await load.pause();
        // ~50 s each: longer than the update takes to reach weight 0 under emulation (~15 s).
        const dls = downloads(ports, "400K");
        let byPort = new Map<number, string>();
        try {
            byPort = connectionsByPort("director");
            for (let i = 0; i < 40 && !ports.every((p) => byPort.has(p)); i++) {
                await sleep(250);
                byPort = connectionsByPort("director");
            }
        } finally {
            load.resume();
        }
        const servers = ports.map((p) => byPort.get(p));
        assert.deepEqual([...servers].sort(), ["a", "b", "c"].map((rs) => lab.address(rs)).sort(),
            `rr did not give the three downloads to the three real servers (client port → real server): ${JSON.stringify([...byPort])}`);
        const onC = ports[servers.indexOf(lab.address("c"))];
        const weight0 = watchWeight("director", "c", "0");
        const t0 = Date.now();
        const rules = lab.rules(two).then(() => Date.now());
        const tWeight0 = await weight0;
        const ends = await Promise.all(dls.map((d, i) => finished(d, ports[i])));
        const tRules = await rules;
        const cEnd = ends[ports.indexOf(onC)].end;
        figure(`drain: weight 0 after ${tWeight0 - t0} ms; c's download ended ${cEnd - t0} ms after the update began; the update ended ${tRules - t0} ms after it began`);
        assert.deepEqual(ends.map((e) => e.sha), ports.map(() => bigSha), `a download through the VIP is corrupt or cut:\n${describeDownloads(ends, byPort)}`);
        assert.ok(tWeight0 < cEnd, "c's download ended before its weight was 0: the drain was not tested");
        assert.ok(tRules >= cEnd, "the rules finished before the download from c ended");
        assert.ok(tRules - t0 <= (DRAIN_SECONDS + 30) * 1000, `the update took ${tRules - t0} ms (drain ${DRAIN_SECONDS} s)`);
        assert.equal(weight("director", "c"), "absent");
        const toC = load.between(tWeight0, tRules).filter((h) => h.host === "lvsdr-lab-rs-c");
        assert.deepEqual(show(toC), "", "c got new connections after its weight was 0");
        // The component deletes the real server's setup after the rules (the engine's delete order).
        lab.mustSsh("c", realServerSetupCommandFor(three, "c").delete);
        lab.mustSsh("c", realServerSetupCommandFor(three, "c").create);
    });

    it("reloads: adding and removing real servers under load (keepalived reloads) fails no request", async () => {
        const t0 = Date.now();
        await lab.rules(three);
        await lab.rules(lab.plan({ realServers: [{ name: "a" }, { name: "b", weight: 3 }, { name: "c" }], drainSeconds: DRAIN_SECONDS, pair: true }));
        await lab.rules(three);
        await sleep(2000);
        const hits = load.between(t0, Date.now());
        figure(`reloads: ${hits.length} requests during 3 updates, ${hits.filter((h) => h.host === "FAILED").length} failed`);
        assert.deepEqual(show(hits.filter((h) => h.host === "FAILED")), "");
        assert.ok(hits.some((h) => h.host === "lvsdr-lab-rs-c"), "c was not added back");
    });

    it("takeover order: in keepalived's order, a director that holds the VIP while its backup sync daemon still runs forwards the synced connections, and no reset comes from a director", async () => {
        // keepalived adds the VIP and sends its gratuitous ARPs before it stops the backup sync
        // daemon (vrrp_state_become_master); a client packet that arrives in between must reach its
        // real server, not the new master's own TCP stack. That instant is held here for seconds:
        // the VIP added on the backup, the client's neighbour entry moved to it.
        const port = 22001;
        const [dl] = downloads([port], "1M");
        let synced = new Map<number, string>();
        for (let i = 0; i < 40 && !synced.has(port); i++) {
            await sleep(250);
            synced = connectionsByPort("director-1");
        }
        assert.ok(synced.has(port), `the backup never got the download's connection: ${JSON.stringify([...synced])}`);
        assert.match(lab.mustSsh("director-1", "ipvsadm -L --daemon"), /backup sync daemon/);
        const resets = await captureResets();
        const before = inPkts("director-1");
        const tIn = Date.now();
        lab.mustSsh("director-1", `ip addr add ${VIP}/32 dev eth0`);
        inNetns(`ip neigh replace ${VIP} lladdr ${lab.mac("director-1")} dev ${lab.bridge} nud permanent`);
        const tMoved = Date.now();
        await sleep(5000);
        const forwarded = inPkts("director-1") - before;
        const tBack = Date.now();
        lab.mustSsh("director-1", `ip addr del ${VIP}/32 dev eth0`);
        inNetns(`ip neigh del ${VIP} dev ${lab.bridge}`);
        const tMovedBack = Date.now();
        // A request in flight when the client moves between two directors that both forward can
        // lose its connection (its entry is on one of them only): those two instants are windows.
        windows.push({ what: "client moved to the backup", from: tIn, to: tMoved + 1000 });
        windows.push({ what: "client moved back to the master", from: tBack, to: tMovedBack + 1000 });
        const end = await finished(dl, port);
        const reset = await resets.stop();
        const held = load.between(tMoved + 1000, tBack).filter((h) => h.host === "FAILED");
        // A real server resets a request that was in flight when the client moved, if the director
        // it moved to had no entry for it (the master syncs a new connection after its third packet,
        // in batches; the backup syncs nothing back) and scheduled its next packet elsewhere
        // (sloppy_tcp): the request fails (inside the move's window: the suite's last check), or,
        // when that packet was the client's last ACK, the reset comes after its answer (seen once:
        // b reset a request c had answered, 19 ms after the move back). Such a reset is inside a
        // move's window, to a request whose lifetime overlaps that window. Any other is a finding.
        const moves = windows.slice(-2);
        const request = (r: Reset): Hit | undefined =>
            load.hits.filter((h) => h.port === r.port && h.t <= r.t).sort((a, b) => b.t - a.t)[0];
        const explained = reset.filter((r) => {
            const hit = request(r);
            return !r.director && hit !== undefined && moves.some((w) => r.t >= w.from && r.t <= w.to && hit.t <= w.to && hit.end >= w.from);
        });
        const describe = (r: Reset): string => {
            const hit = request(r);
            return `${r.line} (${r.t - tIn} ms after the VIP was added on the backup, ${r.t - tMoved} after the client moved to it, ` +
                `${r.t - tBack} after the move back began, ${r.t - tMovedBack} after it ended; load request on that port: ${hit ? `${show([hit])}, ended ${r.t - hit.end} ms before the reset` : "none"})`;
        };
        figure(`takeover order: the backup forwarded ${forwarded} packets in ${tBack - tMoved} ms with the VIP and its sync daemon still backup; ` +
            `${reset.filter((r) => r.director).length} resets from a director, ${explained.length} from real servers to requests in flight at a move of the client` +
            (explained.length > 0 ? ` (${explained.map(describe).join("; ")})` : ""));
        assert.deepEqual(reset.filter((r) => r.director).map(describe), [], "resets from a director's own TCP stack");
        assert.deepEqual(reset.filter((r) => !explained.includes(r)).map(describe), [],
            "resets from real servers that are not to a request in flight at a move of the client (inside the move's window)");
        assert.ok(forwarded > 0, "the backup holding the VIP forwarded nothing");
        assert.deepEqual(show(held), "", "requests failed while the backup held the VIP");
        assert.equal(end.sha, bigSha, `the download did not survive:\n${describeDownloads([end], synced)}`);
        assert.ok(holdsVip("director") && !holdsVip("director-1"), "the VIP is not back on the master alone");
    });

    /**
     * The client's longest gap when the master dies, bounded by the design rather than hoped for:
     * the backup declares the master down 3 adverts plus a skew of (256 - 231) / 256 = 0.098 s after
     * the last advert it received (a backup's priority: base 230 plus its step script's 1; 3,098 ms
     * at most, keepalived acting aside); the load's request in flight when the
     * VIP moves cannot succeed (its SYN went to the dead master's MAC, and curl gives up after 1 s,
     * when its first retransmission would go); one request before the crash and the one after the
     * move take up to 400 ms each here. 4 s, the goal printed beside it, is met when the crash falls
     * early in an advert interval (most runs: 3.5-3.7 s); a run on 2026-12-02 measured 4.2 s with the
     * VIP moved 3.5 s after the crash, within this bound.
     */
    const GAP_GOAL_MS = 4000;
    const GAP_BOUND_MS = 3098 + 1000 + 2 * 400;

    it("failover: the master crashes under load; the backup takes the VIP, live downloads finish intact", async () => {
        const ports = [21001, 21002, 21003];
        const dls = downloads(ports, "1M");
        await sleep(4000);
        // The backup already holds the downloads' connections: the sync daemon sent them.
        const synced = connectionsByPort("director-1");
        assert.ok(ports.every((p) => synced.has(p)), `the backup lacks synced connections: ${JSON.stringify([...synced])}`);
        // Watched from the backup itself (10 polls a second), started before the crash.
        const takeover = lab.sshAsync("director-1", waitForVipCommand(VIP));
        const resets = await captureResets();
        await sleep(1500);
        const t0 = Date.now();
        execFileSync("virsh", ["-c", URI, "destroy", lab.domain("director")]);
        lab.closeSsh("director");
        const taken = await takeover;
        const tVip = Date.now();
        assert.equal(taken.status, 0, `the backup never took the VIP: ${taken.stderr}`);
        await sleep(5000);
        const hits = load.between(t0 - 3000, Date.now());
        const gap = longestGap(hits);
        windows.push({ what: "master destroyed", from: t0, to: t0 + gap + 1000 });
        figure(`failover: backup holds the VIP ${tVip - t0} ms after the crash; longest client gap ${gap} ms ` +
            `(goal ${GAP_GOAL_MS} ms ${gap <= GAP_GOAL_MS ? "met" : "missed"}, bound ${GAP_BOUND_MS} ms); ${hits.filter((h) => h.host === "FAILED").length} requests failed`);
        assert.ok(gap <= GAP_BOUND_MS, `client-visible gap ${gap} ms (bound ${GAP_BOUND_MS} ms):\n${show(hits)}`);
        const neigh = inNetns(`ip neigh show ${VIP} dev ${lab.bridge}`).stdout;
        assert.equal(neigh.match(/lladdr (\S+)/)?.[1], lab.mac("director-1"), `client's neighbour entry: ${neigh}`);
        const ends = await Promise.all(dls.map((d, i) => finished(d, ports[i])));
        const reset = await resets.stop();
        figure(`failover: ${ends.filter((e) => e.sha === bigSha).length} of ${ends.length} downloads that started before the crash finished intact; ${reset.length} resets from the VIP's address`);
        assert.deepEqual(ends.map((e) => e.sha), ports.map(() => bigSha),
            `a live download did not survive the failover:\n${describeDownloads(ends, synced)}\nresets from the VIP's address:\n${reset.map((r) => r.line).join("\n")}`);
    });

    it("rejoin: the old master comes back as backup; no second takeover, no failed request, it syncs as backup", async () => {
        const t0 = Date.now();
        execFileSync("virsh", ["-c", URI, "start", lab.domain("director")]);
        await lab.waitForSsh("director");
        await waitForBackupSync("director", 300);
        assert.match(lab.mustSsh("director", "ipvsadm -Sn"), new RegExp(`-a -t ${VIP}:80 -r ${lab.address("c")}:80 -g -w 1`), "the old master's table after its cold boot");
        await sleep(10000);
        assert.ok(holdsVip("director-1"), "the VIP moved back");
        assert.ok(!holdsVip("director"), "the returning director took the VIP");
        const hits = load.between(t0, Date.now());
        figure(`rejoin: ${hits.length} requests while the old master booted and rejoined, ${hits.filter((h) => h.host === "FAILED").length} failed`);
        assert.deepEqual(show(hits.filter((h) => h.host === "FAILED")), "");
        assert.match(lab.mustSsh("director", "cat /proc/sys/net/ipv4/vs/backup_only /proc/sys/net/ipv4/vs/sloppy_tcp"), /^0\n1\n$/);
        const before = inPkts("director");
        await sleep(5000);
        assert.equal(inPkts("director"), before, "the backup (old master) forwarded packets");
    });

    /**
     * A master that is paused (a hypervisor's pause, a live migration's stun) for longer than the
     * takeover time and then resumed wakes still MASTER: keepalived would hand it the VIP back by
     * its priority and cut every connection opened meanwhile. The pair's step script
     * (src/core/modes/vrrp-holder.ts) makes the director that took over from its silent peer
     * outrank it.
     */
    it("freeze: the master is paused 15 s under load; the backup takes the VIP and keeps it when the old master wakes; downloads started during the pause finish intact", async () => {
        // The master (director-1 after the rejoin above) holds the VIP and its peer answers: level 1.
        const master = holdsVip("director-1") ? "director-1" : "director";
        const backup = master === "director" ? "director-1" : "director";
        const level = holderPaths(VIP).level;
        for (let i = 0; i < 30 && lab.mustSsh(master, `cat ${level}`).trim() !== "1"; i++) {
            await sleep(1000);
        }
        assert.equal(lab.mustSsh(master, `cat ${level}`).trim(), "1", "the master never settled at level 1 with its peer answering");
        assert.ok(!holdsVip(backup), "both directors hold the VIP before the pause");
        const takeover = lab.sshAsync(backup, waitForVipCommand(VIP));
        const resets = await captureResets();
        const garps = await startTcpdump(NETNS, ["-e", "-tt", "-n", "-i", lab.bridge, `arp and ether src ${lab.mac(master)}`]);
        captures.add(garps.child);
        await sleep(1500);
        const t0 = Date.now();
        execFileSync("virsh", ["-c", URI, "suspend", lab.domain(master)]);
        lab.closeSsh(master);
        const taken = await takeover;
        const tVip = Date.now();
        assert.equal(taken.status, 0, `the backup never took the VIP from the paused master: ${taken.stderr}`);
        // Downloads that start while the master is paused: their connections are only in the new holder's table.
        const ports = [21011, 21012, 21013];
        const dls = downloads(ports, "1M");
        await sleep(Math.max(0, t0 + 15000 - Date.now()));
        const tResume = Date.now();
        execFileSync("virsh", ["-c", URI, "resume", lab.domain(master)]);
        windows.push({ what: "master paused", from: t0, to: tVip + 2000 });
        // The woken master meets the new holder's higher priority and yields: watched for 20 s.
        let moved = "";
        for (let i = 0; i < 20; i++) {
            await sleep(1000);
            const neigh = inNetns(`ip neigh show ${VIP} dev ${lab.bridge}`).stdout.match(/lladdr (\S+)/)?.[1];
            if (!holdsVip(backup) || (neigh !== undefined && neigh !== lab.mac(backup))) {
                moved = `${Date.now() - tResume} ms after the resume: ${backup} holds the VIP ${holdsVip(backup)}, client's entry ${neigh ?? "none"}`;
                break;
            }
        }
        assert.equal(moved, "", "the VIP went back to the woken master");
        assert.ok(!holdsVip(master), "the woken master still holds the VIP");
        const ends = await Promise.all(dls.map((d, i) => finished(d, ports[i])));
        const reset = await resets.stop();
        // What the woken master said about the VIP: nothing. A gratuitous ARP from it would pull
        // clients' and routers' entries to it for a moment (src/core/scripts/sh/vrrp-holder.sh).
        const announced = (await garps.stop()).split("\n").filter((l) => l.includes(`tell ${VIP},`) || l.includes(`${VIP} is-at`))
            .filter((l) => Number(l.split(" ")[0]) * 1000 >= tResume - 1000);
        captures.delete(garps.child);
        const failed = load.between(tVip + 2000, Date.now()).filter((h) => h.host === "FAILED").length;
        figure(`freeze: backup holds the VIP ${tVip - t0} ms after the pause; master resumed after ${tResume - t0} ms and yielded; ` +
            `${ends.filter((e) => e.sha === bigSha).length} of ${ends.length} downloads started during the pause intact; ${failed} requests failed after the takeover; ${reset.length} resets from the VIP's address; ${announced.length} gratuitous ARPs for the VIP from the woken master`);
        const margin = levelBeforeTakeover(lab, backup);
        figure(`freeze: the backup wrote level 2 ${margin} ms before it took over (its step runs every second; the takeover comes three adverts after the master's last)`);
        assert.ok(margin > 0, `the backup reached level 2 ${-margin} ms after its takeover: its first adverts as master were below the paused master's priority, which wakes to read them and reasserts the VIP`);
        assert.deepEqual(announced, [], "the woken master announced the VIP");
        assert.deepEqual(ends.map((e) => e.sha), ports.map(() => bigSha),
            `a download started during the pause did not survive the wake-up:\n${describeDownloads(ends, connectionsByPort(backup))}\nresets:\n${reset.map((r) => r.line).join("\n")}`);
        assert.equal(lab.mustSsh(master, `cat ${level}`).trim(), "0", "the woken master is not back at level 0 (a backup)");
        assert.equal(lab.mustSsh(backup, `cat ${level}`).trim(), "1", "the new holder did not settle at level 1 (its peer back as a backup)");
    });

    it("every failed request of the suite fell inside a failure it caused", () => {
        const stray = load.hits.filter((h) => h.host === "FAILED" && !windows.some((w) => h.t >= w.from - 1000 && h.t <= w.to));
        figure(`whole suite: ${load.hits.length} requests, ${load.hits.filter((h) => h.host === "FAILED").length} failed, ${stray.length} outside the failure windows`);
        assert.deepEqual(show(stray), "");
    });

    it("teardown of both directors leaves no VIP, no virtual service and no keepalived file of lvs-dr", async () => {
        await load.stop();
        const t0 = Date.now();
        const said = await lab.teardown(three);
        const drains = said.map((text, i) => `${lab.directors()[i]}: ${text.split("\n").filter((l) => /drain/.test(l)).join("; ") || "no drain note"}`);
        figure(`teardown: ${Date.now() - t0} ms; ${drains.join(" | ")}`);
        const k = keepalivedPaths(VIP);
        for (const d of lab.directors()) {
            assert.doesNotMatch(lab.mustSsh(d, "ipvsadm -Sn; ip -o addr show"), new RegExp(VIP.replace(/\./g, "\\.")));
            assert.equal(lab.mustSsh(d, `ls ${k.clusterDir} ${k.mainConf} 2>/dev/null || true`), "");
        }
    });
});
