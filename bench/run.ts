/**
 * `npm run bench` (after `npm run lab:up`): boots the lab's director and three real servers, runs
 * the benchmark (bench.ts) and writes bench/results/full.{json,md,svg}, then deletes the VMs.
 * `npm run bench -- --smoke` runs the smoke settings instead (what `npm test` runs on its own VMs)
 * into bench/results/smoke.*; `--out DIR` writes elsewhere; `--parts datapath,mocks,director,engine,activeactive`
 * runs only those (`activeactive`, part 5, boots the director pair too); `--director-sizes 1,64,1000` sets part 2c's sizes (real servers; the director's
 * table, then a destroy of each size in `--destroy-sizes`, default 1,64: e.g. `npm run bench --
 * --parts director --director-sizes 1000 --destroy-sizes 1000`); the hooks run 32 at a time, as
 * the engine runs them; `--all-hooks-at-once` runs them all at once (1,000 exceed the lab director's
 * process limit: what made lvs-dr chain them). About 20
 * minutes in full (19 in the runs of 2026-12-02, booting the VMs 5-7).
 */
import * as path from "path";
import { FULL, type Part, PARTS, runBench, SMOKE } from "./bench";
import { Lab } from "../lab/harness/lab";

async function main(argv: string[]): Promise<void> {
    const smoke = argv.includes("--smoke");
    const outAt = argv.indexOf("--out");
    const outDir = outAt >= 0 && argv[outAt + 1] ? path.resolve(argv[outAt + 1]) : path.resolve(__dirname, "../../bench/results");
    const partsAt = argv.indexOf("--parts");
    const parts = partsAt >= 0 ? (argv[partsAt + 1] ?? "").split(",") : undefined;
    const unknown = parts?.filter((p) => !(PARTS as readonly string[]).includes(p)) ?? [];
    if (unknown.length > 0 || parts?.length === 0) {
        throw new Error(`--parts takes a comma-separated list of ${PARTS.join(", ")}; got ${JSON.stringify(argv[partsAt + 1] ?? "")}`);
    }
    const sizesAt = argv.indexOf("--director-sizes");
    const directorSizes = sizesAt >= 0 ? (argv[sizesAt + 1] ?? "").split(",").map(Number) : undefined;
    if (directorSizes && !directorSizes.every((n) => Number.isInteger(n) && n >= 1)) {
        throw new Error(`--director-sizes takes a comma-separated list of real server counts; got ${JSON.stringify(argv[sizesAt + 1] ?? "")}`);
    }
    const destroyAt = argv.indexOf("--destroy-sizes");
    const destroySizes = destroyAt >= 0 ? (argv[destroyAt + 1] ?? "").split(",").map(Number) : undefined;
    if (destroySizes && !destroySizes.every((n) => Number.isInteger(n) && n >= 1)) {
        throw new Error(`--destroy-sizes takes a comma-separated list of real server counts; got ${JSON.stringify(argv[destroyAt + 1] ?? "")}`);
    }
    const start = Date.now();
    const log = (line: string): void => console.log(`bench ${((Date.now() - start) / 1000).toFixed(0).padStart(5)} s  ${line}`);
    // Part 5 (active-active) takes the pair's second director as its third.
    const pair = parts === undefined ? !smoke : parts.includes("activeactive");
    const lab = new Lab({ pair });
    try {
        log(`booting the lab's director${pair ? " pair" : ""} and real servers a, b, c`);
        await lab.boot();
        const settings = smoke ? SMOKE : FULL;
        const { json, md, svg } = await runBench(lab, { ...settings, directorSizes: directorSizes ?? settings.directorSizes,
            destroySizes: destroySizes ?? settings.destroySizes,
            ...(argv.includes("--all-hooks-at-once") ? { hooksAtOnce: Infinity } : {}), parts: parts as Part[] | undefined, outDir, log });
        log(`wrote ${json}, ${md}, ${svg}`);
    } finally {
        lab.destroyAll(true);
        lab.cleanupKey();
    }
}

main(process.argv.slice(2)).catch((e: unknown) => {
    console.error(`bench: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
    process.exit(1);
});
