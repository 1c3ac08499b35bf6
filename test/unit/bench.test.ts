/**
 * The benchmark's pure parts (bench/): parsing a VM's counters, the figures and ratios made from
 * raw samples, the HAProxy configuration, the report's table and chart. The bench's VM and engine
 * paths run in `npm test` as its smoke run (test/bench/smoke.test.ts).
 */
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { gzipSync } from "zlib";
import { delta, parseSample } from "../../bench/counters";
import { type Cell, haproxyConfig, type Sample } from "../../bench/datapath";
import { HOOKS_DRIVER, tarball } from "../../bench/director-scale";
import { type BenchResult, intoReadme, markdown, svg } from "../../bench/report";
import { figures, quantile, ratios, spread } from "../../bench/stats";

const cpuLine = (busy: number, idle: number): string => `cpu  ${busy} 0 0 ${idle} 0 0 0 0 0 0`;

function sample(mode: "dr" | "proxy", rep: number, directorCpu: number, directorTx: number, latencies: number[]): Sample {
    const cell: Cell = { mode, file: "1k.bin", sizeBytes: 1024, concurrency: 1, requests: latencies.length };
    const d = { cpuSeconds: directorCpu, txBytes: directorTx, rxBytes: 0, txPackets: 0, rxPackets: 0 };
    return {
        cell, repetition: rep, director: d, realServers: { a: { cpuSeconds: 0.1, txBytes: 0, rxBytes: 0, txPackets: 0, rxPackets: 0 } },
        client: { url: "http://x/1k.bin", requests: latencies.length, concurrency: 1, latenciesMs: latencies, bodyBytes: 1024 * latencies.length, failures: [], wallMs: 1000 },
    };
}

describe("benchmark (pure parts)", () => {
    it("reads a VM's CPU (busy = all but idle and iowait) and NIC counters", () => {
        const a = parseSample(`cpu  100 1 20 5000 7 3 4 2 0 0\n1000\n2000\n10\n20\n`);
        assert.deepEqual(a, { busy: 130, idle: 5007, txBytes: 1000, rxBytes: 2000, txPackets: 10, rxPackets: 20 });
        const b = parseSample(`${cpuLine(180, 6000)}\n1500\n2600\n15\n27`);
        assert.deepEqual(delta(parseSample(cpuLine(130, 0) + "\n1000\n2000\n10\n20"), b),
            { cpuSeconds: 0.5, txBytes: 500, rxBytes: 600, txPackets: 5, rxPackets: 7 });
        assert.throws(() => parseSample("cpu0 1 2 3\n1\n2\n3\n4"), /unexpected counters sample/);
        assert.throws(() => parseSample(`${cpuLine(1, 1)}\nx\n2\n3\n4`), /unexpected counters sample/);
        assert.throws(() => parseSample(`${cpuLine(1, 1)}\n1\n2`), /unexpected counters sample/);
    });

    it("spread, nearest-rank quantiles", () => {
        assert.deepEqual(spread([3, 1, 2]), { min: 1, median: 2, max: 3 });
        assert.deepEqual(spread([4, 1, 2, 3]), { min: 1, median: 2.5, max: 4 });
        const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
        assert.equal(quantile(hundred, 0.5), 50);
        assert.equal(quantile(hundred, 0.99), 99);
        assert.equal(quantile([7], 0.99), 7);
    });

    it("figures per cell over repetitions, and the DR/proxy ratios against the goals", () => {
        const samples = [
            sample("dr", 1, 0.01, 100, [1, 2, 3, 4]), sample("proxy", 1, 0.5, 5000, [2, 3, 4, 5]),
            sample("dr", 2, 0.03, 300, [1, 1, 1, 1]), sample("proxy", 2, 0.3, 4096, [5, 5, 5, 5]),
            sample("dr", 3, 0.02, 200, [2, 2, 2, 2]), sample("proxy", 3, 0.4, 4500, [3, 3, 3, 3]),
        ];
        const cells = figures(samples);
        assert.equal(cells.length, 2);
        const dr = cells.find((c) => c.mode === "dr")!;
        assert.equal(dr.repetitions, 3);
        assert.deepEqual(dr.directorCpuSecondsPer1000, { min: 2.5, median: 5, max: 7.5 });
        assert.deepEqual(dr.directorTxPerServedByte, { min: 100 / 4096, median: 200 / 4096, max: 300 / 4096 });
        assert.deepEqual(dr.requestsPerSecond, { min: 4, median: 4, max: 4 });
        assert.deepEqual(dr.latencyP50Ms, { min: 1, median: 2, max: 2 });
        const [q] = ratios(cells);
        assert.equal(q.cpuRatio, 5 / 100);
        assert.ok(q.cpuGoalMet);
        assert.equal(q.txRatio, 200 / 4500);
        assert.ok(!q.txGoalMet, "4.4% is over the 1% goal");
    });

    it("HAProxy: TCP mode, round robin over the real servers' own port 80 (the bench checks it with haproxy -c on the director)", () => {
        const cfg = haproxyConfig("192.168.77.10", [{ name: "a", address: "192.168.77.11" }, { name: "b", address: "192.168.77.12" }]);
        assert.match(cfg, /^\s+mode tcp$/m);
        assert.match(cfg, /^\s+bind 192\.168\.77\.10:8080$/m);
        assert.match(cfg, /^\s+balance roundrobin$/m);
        assert.deepEqual(cfg.split("\n").filter((l) => /^\s+server /.test(l)), ["    server a 192.168.77.11:80", "    server b 192.168.77.12:80"]);
    });

    it("the report's table and chart say what was measured, with the goals", () => {
        const samples = [sample("dr", 1, 0.01, 10, [1, 2]), sample("proxy", 1, 0.5, 5000, [2, 3])];
        const cells = figures(samples);
        const r: BenchResult = {
            kind: "smoke", date: "2026-12-02T00:00:00.000Z",
            machine: { host: "h", cpus: 2, cpuModel: "cpu", memoryGiB: 24, hostKernel: "6.1" },
            vm: { kernel: "6.1.0-cloud", vcpus: 1, memoryMiB: 384, emulation: "QEMU software emulation (TCG)" },
            versions: { keepalived: "Keepalived v2.2.7" }, notes: ["ratios are the result"],
            datapath: { idle: { seconds: 2, cpuSeconds: 0.02, txBytes: 0 }, samples, cells, ratios: ratios(cells) },
            mocks: [{ realServers: 1, constructMs: 10, resources: 8, byType: {}, largestCommandBytes: 100 },
                { realServers: 16, constructMs: 100, resources: 53, byType: {}, largestCommandBytes: 200 }],
            director: {
                sshSeconds: 0.2, setupSeconds: 5, results: [
                    { realServers: 1, services: 2, commandBytes: 100, applySeconds: 1, changeSeconds: 1, checkSeconds: 0.1, removeSeconds: 1, entries: 2 },
                    {
                        realServers: 64, services: 2, commandBytes: 200, applySeconds: 2, changeSeconds: 2, checkSeconds: 0.2, removeSeconds: 2, entries: 128,
                        destroy: {
                            hooksSeconds: 30, strands: 32, launchSeconds: 0.5, hookFailures: 0, reloads: 2, hooksThatWrote: 2, hookEndSeconds: [10, 20, 30],
                            rulesDeleteSeconds: 7, hookCommandBytes: 1000, archiveBytes: 300, tasksPeakSampled: 198, tasksLimit: "394",
                        },
                    },
                ],
            },
            engine: { deploySeconds: { 1: 100, 3: 120 }, addOneSteps: { 2: ["create x", "create y", "update z"], 8: ["create x", "create y", "update z"] } },
        };
        const md = markdown(r);
        assert.match(md, /\| DR \| 1 KiB \| 1 \|/);
        assert.match(md, /\| proxy \| 1 KiB \| 1 \|/);
        assert.match(md, /goal ≤ 0\.01/);
        assert.match(md, /ratio 3 : 1 = 1\.2 \(goal ≤ 1\.5: met\)/);
        assert.match(md, /adding one real server to 8: 3 steps/);
        assert.match(md, /> ratios are the result/);
        assert.match(md, /\| 1 \| 2 \| 100 \| 1 \| 1 \| 0\.1 \| 1 \|/, "a run without the destroy (before 2026-12) keeps its table");
        assert.match(md, /\| 64 \| 32 \| 30 \| 0\.5 \| 20 \| 0 \| 2 \| 7 \| 198 \/ 394 \|/, "the destroy's row: at once, all hooks, launch, median end, failed, reloads, rules delete, tasks");
        const chart = svg(r);
        const lint = spawnSync("xmllint", ["--noout", "-"], { input: chart, encoding: "utf8" });
        assert.equal(lint.status, 0, `the chart is not well-formed XML: ${lint.stderr}`);
        assert.match(chart, /Director bytes transmitted per byte served/);
        assert.match(chart, /16: 100 ms/);
    });

    it("the destroy's archive: a tar the director's tar unpacks byte for byte, gzip-compressed", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lvsdr-bench-tar-"));
        try {
            const files: [string, string][] = [["hook-1.sh", "sh -c 'echo \"x\" é'"], ["hook-2.sh", "a".repeat(512)], ["empty", ""], ["driver.sh", HOOKS_DRIVER]];
            const r = spawnSync("tar", ["-xzf", "-", "-C", dir], { input: gzipSync(tarball(files)), encoding: "utf8" });
            assert.equal(r.status, 0, r.stderr);
            assert.deepEqual(fs.readdirSync(dir).sort(), files.map(([n]) => n).sort());
            for (const [name, content] of files) {
                assert.equal(fs.readFileSync(path.join(dir, name), "utf8"), content, name);
            }
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("the destroy's driver (POSIX sh, shellcheck-clean) runs the hooks in strands, or all at once, and keeps each one's exit status", () => {
        const r = spawnSync("shellcheck", ["-s", "sh", "-"], { input: HOOKS_DRIVER, encoding: "utf8" });
        assert.ifError(r.error ? new Error(`shellcheck could not be run (${r.error.message}): apt-get install shellcheck`) : null);
        assert.equal(r.status, 0, r.stdout + r.stderr);
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lvsdr-bench-hooks-"));
        try {
            // Three hooks that take 1 s each: at once, the three end within about a second.
            for (const i of [1, 2, 3]) {
                fs.writeFileSync(path.join(dir, `hook-${i}.sh`), `sh -c 'sleep 1; echo "${i} held at weight 0 (with every hold requested meanwhile)"; exit ${i === 2 ? 7 : 0}'`);
            }
            const drive = (strands: string[]): number => {
                for (const f of ["finished", "summary", "hook-1.rc", "hook-2.rc", "hook-3.rc"]) {
                    fs.rmSync(path.join(dir, f), { force: true });
                }
                const ran = spawnSync("sh", ["-c", HOOKS_DRIVER, "driver", dir, ...strands], { encoding: "utf8" });
                assert.equal(ran.status, 0, ran.stderr);
                assert.ok(fs.existsSync(path.join(dir, "finished")));
                assert.deepEqual([1, 2, 3].map((i) => fs.readFileSync(path.join(dir, `hook-${i}.rc`), "utf8")), ["0\n", "7\n", "0\n"]);
                assert.equal(fs.readFileSync(path.join(dir, "ends"), "utf8").trim().split("\n").length, 3);
                const summary = Object.fromEntries(fs.readFileSync(path.join(dir, "summary"), "utf8").trim().split("\n").map((l) => l.split(" ") as [string, string]));
                return Number(summary.end) - Number(summary.start);
            };
            const atOnce = drive([]);
            assert.ok(atOnce >= 1 && atOnce < 2.5, `all at once, the hooks ran one after the other: ${atOnce} s`);
            // Two strands: hooks 1 and 3 in one, 2 in the other: two seconds.
            const twoStrands = drive(["2"]);
            assert.ok(twoStrands >= 2 && twoStrands < 3.5, `two strands of three 1 s hooks took ${twoStrands} s`);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("the README's table is replaced between its markers, and nothing else", () => {
        const begin = "<!-- bench:begin (node build/bench/report.js bench/results/full.json --readme docs/benchmark.md) -->";
        const readme = `# x\n\nbefore\n${begin}\nold table\n<!-- bench:end -->\nafter\n`;
        assert.equal(intoReadme(readme, "| new |\n"), `# x\n\nbefore\n${begin}\n| new |\n<!-- bench:end -->\nafter\n`);
        assert.throws(() => intoReadme("# no markers\n", "x"), /has no/);
    });
});
