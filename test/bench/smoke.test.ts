/**
 * The benchmark's smoke run (in `npm run test:vms`, after test:ha, on the run's shared VMs): every
 * code path of `npm run bench` at its smallest (1 KiB responses, concurrency 1 and 2, one
 * repetition; mocks at 1 and 16 real servers; the director's table at 1; the engine's preview of a
 * first real server on an empty stack, which touches no host), so the bench cannot rot.
 * It asserts what the bench measured exists and is consistent, never a timing.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { runBench, SMOKE } from "../../bench/bench";
import { sharedLab } from "../../lab/harness/lab";

describe("benchmark: smoke run of npm run bench (VM lab)", function () {
    const outDir = fs.mkdtempSync(path.join(os.tmpdir(), "lvsdr-bench-smoke-"));

    after(() => fs.rmSync(outDir, { recursive: true, force: true }));

    it("measures DR and the proxy side by side, the mocks and the director's table; writes JSON, table and chart", async () => {
        const lab = await sharedLab();
        const { json, md, svg, result } = await runBench(lab, { ...SMOKE, outDir, log: (line) => console.log(`      ${line}`) });
        const d = result.datapath!;
        assert.equal(d.samples.length, SMOKE.cells.length * 2, "one sample per cell and mode");
        for (const s of d.samples) {
            assert.equal(s.client.failures.length, 0);
            assert.equal(s.client.latenciesMs.length, s.cell.requests);
            assert.ok(s.director.txBytes > 0, `${s.cell.mode}: the director's NIC counter did not move`);
            assert.deepEqual(Object.keys(s.realServers).sort(), ["a", "b", "c"]);
        }
        assert.equal(d.ratios.length, SMOKE.cells.length);
        assert.deepEqual(result.mocks!.map((m) => m.realServers), SMOKE.mockSizes);
        assert.deepEqual(result.director!.results.map((x) => [x.realServers, x.entries]), [[1, 2]]);
        const fromEmpty = result.engine!.addOneSteps["0"];
        assert.deepEqual(fromEmpty.filter((s) => !s.startsWith("create ")), [], "a first preview only creates");
        assert.ok(fromEmpty.includes("create lvsdr-bench-director-rules") && fromEmpty.includes("create lvsdr-bench-rs-a-setup"),
            `the preview plans the director's rules and the real server's setup: ${fromEmpty.join(", ")}`);
        assert.match(result.versions.haproxy, /HAProxy version/i);
        assert.match(result.versions.keepalived, /Keepalived v/);
        const written = JSON.parse(fs.readFileSync(json, "utf8")) as typeof result;
        assert.equal(written.datapath!.samples.length, d.samples.length);
        assert.match(fs.readFileSync(md, "utf8"), /\| DR \| 1 KiB \| 1 \|/);
        assert.match(fs.readFileSync(svg, "utf8"), /^<svg /);
        for (const line of fs.readFileSync(md, "utf8").split("\n")) {
            console.log(`      ${line}`);
        }
    });
});
