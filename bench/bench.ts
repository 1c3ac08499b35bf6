/**
 * The benchmark's parts in order on a booted lab (a director VM `director` and real servers a, b,
 * c; the pair's `director-1` too for part 5): the data path (DR, then HAProxy beside it),
 * construction under mocks, the director's table at scale, the engine parts, then active-active
 * directors. Writes RESULT.json, RESULT.md and RESULT.svg into `outDir`.
 * It asserts nothing about timing: it fails only when something did not work (a failed request,
 * a table that does not hold what was applied, a command that failed).
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { activeActiveCells, activeActiveFigures } from "./active-active";
import { type Cell, idle, measure, type Sample, SIZES, startProxy, stopProxy } from "./datapath";
import { directorScale } from "./director-scale";
import { engineBench } from "./engine";
import type { MockScaleResult } from "./mock-scale";
import { type BenchResult, writeReport } from "./report";
import { figures, ratios } from "./stats";
import { labLibvirtArgs } from "../lab/lab-libvirt";
import type { Lab, LabCommand } from "../lab/harness/lab";
import { VIP } from "../lab/harness/lab";
import { ActiveActiveLab, DIRECTORS as AA_DIRECTORS, VIP as AA_VIP } from "../lab/harness/active-active";
import { Stack } from "../lab/harness/stack";

export const PARTS = ["datapath", "mocks", "director", "engine", "activeactive"] as const;
export type Part = (typeof PARTS)[number];

export interface BenchOptions {
    kind: "full" | "smoke";
    /** The parts to run (default: all). */
    parts?: Part[];
    outDir: string;
    /** The data path's cells (mode is added: each runs as DR and as proxy) and repetitions. */
    cells: Omit<Cell, "mode" | "sizeBytes">[];
    repetitions: number;
    mockSizes: number[];
    directorSizes: number[];
    /** The director sizes whose destroy (every drain hook at once, then the rules) is measured. */
    destroySizes: number[];
    /** How many drain hooks run at once in a destroy (default the engine's, HOOKS_AT_ONCE). */
    hooksAtOnce?: number;
    /** Real server counts to preview the addition of one to (or the smoke's preview from empty only). */
    engine: { preview: number[]; previewOnly?: boolean };
    /**
     * Part 5's cell (active-active directors; needs the lab's director pair booted, for three
     * directors). The smoke run leaves it out: the VM suite's active-active checks run it at its
     * smallest on the cluster they deployed (test/lab/active-active.test.ts).
     */
    activeActive?: { file: string; requests: number; concurrency: number; repetitions: number };
    log: (line: string) => void;
}

export const FULL: Omit<BenchOptions, "outDir" | "log"> = {
    kind: "full",
    cells: [
        { file: "1k.bin", concurrency: 1, requests: 300 },
        { file: "1k.bin", concurrency: 8, requests: 300 },
        { file: "1m.bin", concurrency: 1, requests: 30 },
        { file: "1m.bin", concurrency: 8, requests: 30 },
        { file: "big.bin", concurrency: 1, requests: 3 },
    ],
    repetitions: 3,
    mockSizes: [1, 16, 64, 256, 1000],
    directorSizes: [1, 64, 1000],
    // 1,000 hooks at once exceed the lab director's process limit (a finding: README, Limits).
    destroySizes: [1, 64],
    engine: { preview: [2, 8] },
    activeActive: { file: "1k.bin", requests: 300, concurrency: 8, repetitions: 3 },
};

/** The smoke run in `npm test`: every code path, smallest sizes, one repetition. */
export const SMOKE: Omit<BenchOptions, "outDir" | "log"> = {
    kind: "smoke",
    cells: [{ file: "1k.bin", concurrency: 1, requests: 10 }, { file: "1k.bin", concurrency: 2, requests: 10 }],
    repetitions: 1,
    mockSizes: [1, 16],
    directorSizes: [1],
    destroySizes: [1],
    engine: { preview: [], previewOnly: true },
};

const REAL_SERVERS = ["a", "b", "c"];
const DIRECTOR = "director";

function mockScale(n: number): MockScaleResult {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lvsdr-mock-scale-"));
    try {
        const result = path.join(dir, "result.json");
        // Its stdout is the component's log lines under mocks (the summary, the warnings).
        execFileSync(process.execPath, [path.join(__dirname, "mock-scale.js"), String(n), result], { encoding: "utf8", maxBuffer: 1 << 26 });
        return JSON.parse(fs.readFileSync(result, "utf8")) as MockScaleResult;
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

function versions(lab: Lab): Record<string, string> {
    const pkg = (p: string): string => (JSON.parse(fs.readFileSync(p, "utf8")) as { version: string }).version;
    const root = path.resolve(__dirname, "../..");
    const onDirector = (cmd: string): string => lab.mustSsh(DIRECTOR, cmd).trim().split("\n")[0];
    return {
        "lvs-dr": pkg(path.join(root, "package.json")),
        node: process.version,
        "@pulumi/pulumi": pkg(path.join(root, "node_modules/@pulumi/pulumi/package.json")),
        keepalived: onDirector("keepalived -v 2>&1 | head -n 1"),
        haproxy: onDirector("haproxy -v | head -n 1"),
        ipvsadm: onDirector("ipvsadm -v"),
    };
}

export async function runBench(lab: Lab, options: BenchOptions): Promise<{ json: string; md: string; svg: string; result: BenchResult }> {
    const log = options.log;
    const runs = (part: Part): boolean => (options.parts === undefined || options.parts.includes(part)) &&
        (part !== "activeactive" || options.activeActive !== undefined);
    const image = labLibvirtArgs(lab.image, "192.168.77.0/24", []);
    const result: BenchResult = {
        kind: options.kind,
        date: new Date().toISOString(),
        machine: {
            host: os.hostname(), cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? "unknown",
            memoryGiB: Math.round(os.totalmem() / 2 ** 30), hostKernel: os.release(),
        },
        vm: {
            kernel: lab.mustSsh(DIRECTOR, "uname -r").trim(), vcpus: Number(lab.mustSsh(DIRECTOR, "nproc").trim()),
            memoryMiB: image.memoryMiB ?? 0, emulation: image.domainType === "kvm" ? "KVM" : "QEMU software emulation (TCG)",
        },
        versions: versions(lab),
        notes: [
            "Absolute numbers come from VMs under software emulation on a shared 2-core machine and mean little; the ratios, measured side by side in one run, are the result.",
        ],
    };

    if (runs("datapath")) {
        result.datapath = await datapath(lab, options);
    }
    if (runs("mocks")) {
        // 2a. Construction under mocks, a process per size.
        result.mocks = options.mockSizes.map((n) => {
            const m = mockScale(n);
            log(`mocks: ${n} real servers: ${m.resources} resources in ${m.constructMs.toFixed(0)} ms (${(m.constructMs / n).toFixed(2)} ms each)`);
            return m;
        });
    }
    if (runs("director")) {
        // 2c. The director's table at scale.
        const remote = { address: lab.address(DIRECTOR), interface: "eth0", run: (command: LabCommand) => lab.mustSshAsync(DIRECTOR, command) };
        result.director = await directorScale(remote, options.directorSizes, log, options.destroySizes, options.hooksAtOnce);
    }
    if (runs("engine")) {
        // 3 and 2b. The engine.
        result.engine = await engineBench(lab, "192.168.77.101", REAL_SERVERS, options.engine, log);
    }

    if (runs("activeactive")) {
        result.activeActive = await activeActivePart(lab, options.activeActive!, log);
    }

    fs.mkdirSync(options.outDir, { recursive: true });
    // A run of some parts only is named after them, so that it never replaces a whole run's files.
    const json = path.join(options.outDir, `${[options.kind, ...(options.parts ?? [])].join("-")}.json`);
    fs.writeFileSync(json, JSON.stringify(result, null, 1) + "\n");
    const { md, svg } = writeReport(json);
    return { json, md, svg, result };
}

/** Part 5: three active-active directors through the engine (lab/harness/active-active.ts), then 3, 2 and 1 of them announcing. */
async function activeActivePart(lab: Lab, o: NonNullable<BenchOptions["activeActive"]>, log: (line: string) => void): Promise<NonNullable<BenchResult["activeActive"]>> {
    const stack = new Stack("bench-aa");
    const aa = new ActiveActiveLab(lab, stack);
    try {
        log("active-active: the router, then pulumi up with three directors");
        await aa.start();
        await aa.deploy(AA_DIRECTORS);
        await aa.untilHops(AA_DIRECTORS, 60000);
        const samples = await activeActiveCells(lab, {
            vip: AA_VIP, directors: AA_DIRECTORS, file: o.file, sizeBytes: SIZES.find((s) => s.file === o.file)!.sizeBytes,
            requests: o.requests, concurrency: o.concurrency, repetitions: o.repetitions, announce: (d, on) => aa.announce(d, on, AA_DIRECTORS), log,
        });
        return { file: o.file, concurrency: o.concurrency, requests: o.requests, samples, cells: activeActiveFigures(samples) };
    } finally {
        await stack.reset();
        stack.cleanup();
        aa.cleanup();
    }
}

/** Part 1: the cluster as the component deploys it (DR), HAProxy beside it on the director. */
async function datapath(lab: Lab, options: BenchOptions): Promise<NonNullable<BenchResult["datapath"]>> {
    const log = options.log;
    const plan = lab.plan({ realServers: REAL_SERVERS.map((name) => ({ name })), pair: false });
    log("datapath: applying the cluster (DR) and starting HAProxy on the director");
    await lab.apply(plan);
    const samples: Sample[] = [];
    try {
        startProxy(lab, DIRECTOR, REAL_SERVERS);
        const floor = await idle(lab, DIRECTOR, options.kind === "full" ? 10 : 2);
        // Repetitions outermost and DR/proxy side by side in each cell: a drift of the machine's
        // speed during the run falls on both modes alike.
        for (let rep = 1; rep <= options.repetitions; rep++) {
            for (const c of options.cells) {
                for (const mode of ["dr", "proxy"] as const) {
                    const sizeBytes = SIZES.find((s) => s.file === c.file)!.sizeBytes;
                    const s = await measure(lab, VIP, DIRECTOR, REAL_SERVERS, { ...c, mode, sizeBytes }, rep);
                    samples.push(s);
                    log(`datapath: ${mode} ${c.file} x${c.concurrency} rep ${rep}: ${(s.client.requests / (s.client.wallMs / 1000)).toFixed(1)} req/s, ` +
                        `director tx ${s.director.txBytes} B for ${s.client.bodyBytes} B served, director CPU ${s.director.cpuSeconds.toFixed(2)} s`);
                }
            }
        }
        const cells = figures(samples);
        return { idle: { seconds: floor.seconds, cpuSeconds: floor.cpuSeconds, txBytes: floor.txBytes }, samples, cells, ratios: ratios(cells) };
    } finally {
        stopProxy(lab, DIRECTOR);
        await lab.teardown(plan);
    }
}
