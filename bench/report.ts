/**
 * The benchmark's results: the JSON it writes (machine, date, versions, raw samples, figures), the
 * markdown table and the SVG chart made from that JSON. `node build/bench/report.js RESULT.json`
 * (re)writes RESULT.md and RESULT.svg beside it, so a chart can be remade from any saved run.
 */
import * as fs from "fs";
import * as path from "path";
import type { ActiveActiveCell, ActiveActiveSample } from "./active-active";
import type { Sample } from "./datapath";
import type { DirectorScale } from "./director-scale";
import type { EngineResults } from "./engine";
import type { MockScaleResult } from "./mock-scale";
import { type CellFigures, CPU_GOAL, type Ratio, TX_GOAL } from "./stats";

export interface BenchResult {
    kind: "full" | "smoke";
    date: string;
    machine: { host: string; cpus: number; cpuModel: string; memoryGiB: number; hostKernel: string };
    vm: { kernel: string; vcpus: number; memoryMiB: number; emulation: string };
    versions: Record<string, string>;
    notes: string[];
    datapath?: {
        idle: { seconds: number; cpuSeconds: number; txBytes: number };
        samples: Sample[];
        cells: CellFigures[];
        ratios: Ratio[];
    };
    mocks?: MockScaleResult[];
    /** `loaderSeconds`: an empty script through a host command's loader (runs before 0.2.0 lack it). */
    director?: { sshSeconds: number; loaderSeconds?: number; setupSeconds: number; results: DirectorScale[] };
    engine?: EngineResults;
    /** Part 5: active-active directors behind the lab's router, 1 to 3 of them announcing. */
    activeActive?: { file: string; concurrency: number; requests: number; samples: ActiveActiveSample[]; cells: ActiveActiveCell[] };
}

const SIZE_LABEL: Record<string, string> = { "1k.bin": "1 KiB", "1m.bin": "1 MiB", "big.bin": "20 MiB" };
const label = (file: string): string => SIZE_LABEL[file] ?? file;

/** A number with `digits` significant digits, plainly written. */
function sig(x: number, digits = 3): string {
    if (!Number.isFinite(x)) {
        return "n/a";
    }
    if (x === 0) {
        return "0";
    }
    return Number(x.toPrecision(digits)).toString();
}

const range = (s: { min: number; median: number; max: number }): string => `${sig(s.median)} (${sig(s.min)}–${sig(s.max)})`;

export function markdown(r: BenchResult): string {
    const out: string[] = [];
    out.push(`Benchmark (${r.kind}), ${r.date}, on ${r.machine.cpus} × ${r.machine.cpuModel}, ${r.machine.memoryGiB} GiB; ` +
        `lab VMs: ${r.vm.vcpus} vCPU, ${r.vm.memoryMiB} MiB, ${r.vm.emulation}, kernel ${r.vm.kernel}.`);
    out.push(`Versions: ${Object.entries(r.versions).map(([k, v]) => `${k} ${v}`).join(", ")}.`);
    out.push("");
    if (r.datapath) {
        const d = r.datapath;
        out.push("**Data path: direct routing (DR) against HAProxy in TCP mode on the same director.** " +
            "Median (min–max) over the repetitions. Director tx/byte: bytes the director's NIC sent per byte of response body served; " +
            "director CPU: CPU seconds (all states but idle, from its own /proc/stat) per 1,000 requests; director packets: received plus sent by its NIC, per request; real servers' CPU per request, all together. " +
            `Director idle floor: ${sig((d.idle.cpuSeconds / d.idle.seconds) * 1000)} ms CPU per second.`);
        out.push("");
        out.push("| mode | size | conc. | req/s | p50 ms | p99 ms | director tx/byte | director CPU s/1000 req | director packets/req | real servers CPU ms/req |");
        out.push("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        for (const c of d.cells) {
            out.push(`| ${c.mode === "dr" ? "DR" : "proxy"} | ${label(c.file)} | ${c.concurrency} | ${range(c.requestsPerSecond)} | ${range(c.latencyP50Ms)} | ` +
                `${range(c.latencyP99Ms)} | ${range(c.directorTxPerServedByte)} | ${range(c.directorCpuSecondsPer1000)} | ` +
                `${range(c.directorPacketsPerRequest)} | ${range(c.realServerCpuMsPerRequest)} |`);
        }
        out.push("");
        out.push(`| size | conc. | DR/proxy director tx per byte (goal ≤ ${TX_GOAL}) | DR/proxy director CPU per request (goal ≤ ${CPU_GOAL}) |`);
        out.push("| --- | ---: | ---: | ---: |");
        for (const q of d.ratios) {
            out.push(`| ${label(q.file)} | ${q.concurrency} | ${sig(q.txRatio)} ${q.txGoalMet ? "met" : "**missed**"} | ${sig(q.cpuRatio)} ${q.cpuGoalMet ? "met" : "**missed**"} |`);
        }
        out.push("");
    }
    if (r.mocks) {
        out.push("**Construction under mocks** (a director pair, 2 services; one process per size):");
        out.push("");
        out.push("| real servers | resources | construction ms | ms per real server | largest command bytes |");
        out.push("| ---: | ---: | ---: | ---: | ---: |");
        for (const m of r.mocks) {
            out.push(`| ${m.realServers} | ${m.resources} | ${sig(m.constructMs)} | ${sig(m.constructMs / m.realServers)} | ${m.largestCommandBytes} |`);
        }
        out.push("");
    }
    if (r.director) {
        out.push(`**Director table apply** (the component's rules command on a director VM, 2 services, health checks none; an empty SSH command takes ${sig(r.director.sshSeconds)} s${r.director.loaderSeconds === undefined ? "" : `, an empty script through a host command's loader ${sig(r.director.loaderSeconds)} s`}):`);
        out.push("");
        out.push("| real servers | entries | command bytes | apply s | one weight changed (reload) s | keepalived -t s | removal s |");
        out.push("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        for (const x of r.director.results) {
            out.push(`| ${x.realServers} | ${x.entries} | ${x.commandBytes} | ${sig(x.applySeconds)} | ${sig(x.changeSeconds)} | ${sig(x.checkSeconds)} | ${sig(x.removeSeconds)} |`);
        }
        out.push("");
        const destroys = r.director.results.filter((x) => x.destroy !== undefined);
        if (destroys.length > 0) {
            out.push("**Director destroy as the engine runs it** (the rules applied again; every real server's drain hook deleted on the director, " +
                "as many at once as the strands column says (the engine's pace: 32), started by one shell there, not over N SSH sessions; " +
                "then the rules' delete; reloads: keepalived's, from the journal; " +
                "tasks: the most the 10 s polls saw in the cgroup the hooks ran in, against its pids limit):");
            out.push("");
            out.push("| real servers | at once | all hooks s | launching them s | median hook end s | hooks failed | keepalived reloads | rules delete s | tasks / limit |");
            out.push("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
            for (const x of destroys) {
                const d = x.destroy!;
                const ends = d.hookEndSeconds;
                out.push(`| ${x.realServers} | ${d.strands ?? "n/a"} | ${sig(d.hooksSeconds)} | ${sig(d.launchSeconds)} | ${ends.length > 0 ? sig(ends[Math.floor((ends.length - 1) / 2)]) : "n/a"} | ` +
                    `${d.hookFailures} | ${d.reloads} | ${sig(d.rulesDeleteSeconds)} | ${d.tasksPeakSampled ?? "n/a"} / ${d.tasksLimit ?? "n/a"} |`);
            }
            out.push("");
        }
    }
    if (r.engine) {
        const e = r.engine;
        out.push("**With the Pulumi engine** (root project, `hosts` platform on the lab VMs, one director):");
        out.push("");
        for (const [n, s] of Object.entries(e.deploySeconds)) {
            out.push(`- \`pulumi up\` from empty with ${n} real server(s): ${sig(s)} s`);
        }
        const d1 = e.deploySeconds["1"];
        const d3 = e.deploySeconds["3"];
        if (d1 && d3) {
            out.push(`- ratio 3 : 1 = ${sig(d3 / d1)} (goal ≤ 1.5: ${d3 / d1 <= 1.5 ? "met" : "**missed**"})`);
        }
        for (const [n, steps] of Object.entries(e.deploySteps ?? {})) {
            const setups = steps.filter((st) => /-rs-.*-setup$/.test(st.name));
            if (setups.length > 0) {
                out.push(`- with ${n}: real server setups ${setups.map((st) => `${st.start}–${st.end} s`).join(", ")}; ` +
                    `every step: ${steps.map((st) => `${st.name} ${st.start}–${st.end}`).join(", ")} (seconds from the first engine event)`);
            }
        }
        for (const [n, steps] of Object.entries(e.addOneSteps)) {
            out.push(`- \`pulumi preview\` adding one real server to ${n}: ${steps.length} steps: ${steps.join(", ")}`);
        }
        out.push("");
    }
    if (r.activeActive) {
        const a = r.activeActive;
        const names = Object.keys(a.cells[0]?.cpuShare ?? {});
        out.push(`**Active-active directors** (BGP to the lab's router, ECMP with the L4 hash, \`mh\`; ${a.requests} requests of ${label(a.file)}, ` +
            `${a.concurrency} at a time, a new connection each, from a client behind the router; a director leaves by its health gate's closing). ` +
            "CPU share: each director's part of the CPU all directors spent (an idle director's floor included); median over the repetitions.");
        out.push("");
        out.push(`| directors announcing | req/s | ${names.map((d) => `${d} CPU share`).join(" | ")} |`);
        out.push(`| ---: | ---: | ${names.map(() => "---:").join(" | ")} |`);
        for (const c of a.cells) {
            out.push(`| ${c.directors} | ${sig(c.requestsPerSecond)} | ${names.map((d) => `${Math.round(100 * (c.cpuShare[d] ?? 0))}%`).join(" | ")} |`);
        }
        out.push("");
    }
    for (const n of r.notes) {
        out.push(`> ${n}`);
    }
    return out.join("\n") + "\n";
}

const esc = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/**
 * The chart: per data path cell, DR and proxy bars of director tx per served byte and director CPU
 * per 1,000 requests (each panel on its own linear scale, values written on the bars),
 * construction time against real servers under mocks, and the active-active cells.
 */
export function svg(r: BenchResult): string {
    const W = 900;
    const parts: string[] = [];
    let y = 30;
    parts.push(`<text x="20" y="${y}" font-size="16" font-weight="bold">${esc(`lvs-dr benchmark (${r.kind}), ${r.date}: ratios are the result; absolute numbers are software-emulated VMs`)}</text>`);
    y += 20;
    const cells = r.datapath?.cells ?? [];
    const keys = [...new Set(cells.map((c) => `${c.file} x${c.concurrency}`))];
    const panel = (title: string, value: (c: CellFigures) => number, fmt: (v: number) => string): void => {
        y += 25;
        parts.push(`<text x="20" y="${y}" font-size="14">${esc(title)}</text>`);
        y += 10;
        const max = Math.max(...cells.map(value), 1e-12);
        for (const k of keys) {
            const [file, conc] = k.split(" ");
            parts.push(`<text x="20" y="${y + 14}" font-size="12">${esc(`${label(file)} ${conc}`)}</text>`);
            for (const mode of ["dr", "proxy"] as const) {
                const c = cells.find((x) => x.mode === mode && `${x.file} x${x.concurrency}` === k);
                if (c) {
                    const v = value(c);
                    const w = Math.max(1, (v / max) * 600);
                    parts.push(`<rect x="130" y="${y + 2}" width="${w.toFixed(1)}" height="12" fill="${mode === "dr" ? "#2b7bb9" : "#d9822b"}"/>`);
                    parts.push(`<text x="${(135 + w).toFixed(1)}" y="${y + 12}" font-size="11">${esc(`${mode === "dr" ? "DR" : "proxy"} ${fmt(v)}`)}</text>`);
                }
                y += 15;
            }
            y += 6;
        }
    };
    if (cells.length > 0) {
        panel("Director bytes transmitted per byte served (median)", (c) => c.directorTxPerServedByte.median, (v) => sig(v));
        panel("Director CPU seconds per 1,000 requests (median)", (c) => c.directorCpuSecondsPer1000.median, (v) => `${sig(v)} s`);
    }
    const mocks = r.mocks ?? [];
    if (mocks.length > 1) {
        y += 30;
        parts.push(`<text x="20" y="${y}" font-size="14">Construction time under mocks vs real servers (linear would be a straight line)</text>`);
        const top = y + 15;
        const h = 180;
        const maxN = Math.max(...mocks.map((m) => m.realServers));
        const maxMs = Math.max(...mocks.map((m) => m.constructMs));
        const px = (n: number): number => 80 + (n / maxN) * 700;
        const py = (ms: number): number => top + h - (ms / maxMs) * h;
        parts.push(`<line x1="80" y1="${top + h}" x2="790" y2="${top + h}" stroke="#333"/><line x1="80" y1="${top}" x2="80" y2="${top + h}" stroke="#333"/>`);
        parts.push(`<polyline fill="none" stroke="#2b7bb9" stroke-width="2" points="${mocks.map((m) => `${px(m.realServers).toFixed(1)},${py(m.constructMs).toFixed(1)}`).join(" ")}"/>`);
        for (const m of mocks) {
            parts.push(`<circle cx="${px(m.realServers).toFixed(1)}" cy="${py(m.constructMs).toFixed(1)}" r="3" fill="#2b7bb9"/>`);
            parts.push(`<text x="${(px(m.realServers) + 4).toFixed(1)}" y="${(py(m.constructMs) - 6).toFixed(1)}" font-size="11">${esc(`${m.realServers}: ${sig(m.constructMs)} ms`)}</text>`);
        }
        parts.push(`<text x="${80}" y="${top + h + 16}" font-size="11">0</text><text x="760" y="${top + h + 16}" font-size="11">${maxN} real servers</text>`);
        y = top + h + 30;
    }
    const aa = r.activeActive?.cells ?? [];
    if (aa.length > 0) {
        y += 30;
        parts.push(`<text x="20" y="${y}" font-size="14">${esc("Active-active directors: requests/s and each director's share of the directors' CPU")}</text>`);
        y += 10;
        const max = Math.max(...aa.map((c) => c.requestsPerSecond), 1e-12);
        const colours = ["#2b7bb9", "#d9822b", "#3a9a4a", "#9a3a8a"];
        for (const c of aa) {
            const w = Math.max(1, (c.requestsPerSecond / max) * 400);
            parts.push(`<text x="20" y="${y + 14}" font-size="12">${esc(`${c.directors} director${c.directors === 1 ? "" : "s"}`)}</text>`);
            parts.push(`<rect x="130" y="${y + 2}" width="${w.toFixed(1)}" height="12" fill="#2b7bb9"/>`);
            parts.push(`<text x="${(135 + w).toFixed(1)}" y="${y + 12}" font-size="11">${esc(`${sig(c.requestsPerSecond)} req/s`)}</text>`);
            // The CPU shares as one stacked bar of 200 px.
            let x = 640;
            Object.entries(c.cpuShare).forEach(([d, share], i) => {
                const sw = share * 200;
                parts.push(`<rect x="${x.toFixed(1)}" y="${y + 2}" width="${sw.toFixed(1)}" height="12" fill="${colours[i % colours.length]}"><title>${esc(`${d} ${Math.round(100 * share)}%`)}</title></rect>`);
                x += sw;
            });
            y += 18;
        }
        parts.push(`<text x="640" y="${y + 12}" font-size="11">${esc(`CPU share: ${Object.keys(aa[0].cpuShare).join(", ")} (left to right)`)}</text>`);
        y += 20;
    }
    return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${y + 20}" font-family="sans-serif">\n` +
        `<rect width="100%" height="100%" fill="white"/>\n${parts.join("\n")}\n</svg>\n`;
}

/** Writes RESULT.json's markdown and chart beside it. */
export function writeReport(jsonPath: string): { md: string; svg: string } {
    const r = JSON.parse(fs.readFileSync(jsonPath, "utf8")) as BenchResult;
    const base = jsonPath.replace(/\.json$/, "");
    fs.writeFileSync(`${base}.md`, markdown(r));
    fs.writeFileSync(`${base}.svg`, svg(r));
    return { md: `${base}.md`, svg: `${base}.svg` };
}

const BEGIN = "<!-- bench:begin (node build/bench/report.js bench/results/full.json --readme docs/benchmark.md) -->";
const END = "<!-- bench:end -->";

/** Replaces the text between the bench markers of a Markdown file (docs/benchmark.md) with the run's table. */
export function intoReadme(readme: string, table: string): string {
    const from = readme.indexOf(BEGIN);
    const to = readme.indexOf(END);
    if (from < 0 || to < from) {
        throw new Error(`the file has no "${BEGIN}" ... "${END}" block`);
    }
    return `${readme.slice(0, from + BEGIN.length)}\n${table}${readme.slice(to)}`;
}

if (require.main === module) {
    const [file, flag, readme] = process.argv.slice(2);
    if (!file || !fs.existsSync(file) || (flag !== undefined && (flag !== "--readme" || !readme))) {
        console.error("usage: report.js RESULT.json [--readme docs/benchmark.md]");
        process.exit(2);
    }
    const written = writeReport(path.resolve(file));
    console.log(`wrote ${written.md} and ${written.svg}`);
    if (readme) {
        fs.writeFileSync(readme, intoReadme(fs.readFileSync(readme, "utf8"), fs.readFileSync(written.md, "utf8")));
        console.log(`updated ${readme}`);
    }
}
