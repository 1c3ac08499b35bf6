/**
 * `npm run bench` (after `npm run lab:up`): boots the lab's director and three real servers, runs
 * the benchmark (bench.ts) and writes bench/results/full.{json,md,svg}, then deletes the VMs.
 * `npm run bench -- --smoke` runs the smoke settings instead (what `npm test` runs on its own VMs)
 * into bench/results/smoke.*; `--out DIR` writes elsewhere. Takes about 40 minutes in full.
 */
import * as path from "path";
import { FULL, runBench, SMOKE } from "./bench";
import { Lab } from "../test/lab/support/lab";

async function main(argv: string[]): Promise<void> {
    const smoke = argv.includes("--smoke");
    const outAt = argv.indexOf("--out");
    const outDir = outAt >= 0 && argv[outAt + 1] ? path.resolve(argv[outAt + 1]) : path.resolve(__dirname, "../../bench/results");
    const start = Date.now();
    const log = (line: string): void => console.log(`bench ${((Date.now() - start) / 1000).toFixed(0).padStart(5)} s  ${line}`);
    const lab = new Lab({ pair: false });
    try {
        log("booting the lab's director and real servers a, b, c");
        await lab.boot();
        const { json, md, svg } = await runBench(lab, { ...(smoke ? SMOKE : FULL), outDir, log });
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
