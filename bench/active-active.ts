/**
 * Part 5 of the benchmark: active-active directors' data path with 1, 2 and 3 of them announcing
 * the VIP behind the lab's router (lab/harness/router.ts: BGP, ECMP with the L4 hash). The client
 * runs in the client namespace behind the router, a new connection per request, so each request
 * crosses the router's hash and one director's scheduler. Each cell reads every director's own
 * counters around the client's run: requests/s, and each director's share of the directors' CPU.
 * A director leaves the cell by its health gate's closing (what its quorum hooks do when its real
 * servers fail: the router withdraws its path) and comes back by its opening.
 */
import type { ClientResult } from "./client";
import { Sampler } from "./counters";
import { client } from "./datapath";
import type { Lab } from "../lab/harness/lab";
import { CLIENT_NS } from "../lab/harness/router";

export interface ActiveActiveSample {
    /** The directors announcing the VIP in this cell. */
    directors: string[];
    repetition: number;
    client: ClientResult;
    /** CPU seconds each director spent busy during the run (all of them, announcing or not). */
    cpuSeconds: Record<string, number>;
}

export interface ActiveActiveOptions {
    vip: string;
    /** Every director of the cluster, in the order they are taken into the cells (1, 2, ... of them). */
    directors: string[];
    file: string;
    sizeBytes: number;
    requests: number;
    concurrency: number;
    repetitions: number;
    /** Withdraws (false) or announces (true) a director's path and returns once the router's paths show it. */
    announce: (director: string, on: boolean) => Promise<void>;
    log: (line: string) => void;
}

/**
 * The cells, from every director announcing down to one (repetitions outermost); every director
 * announces again at the end. Fails on a failed request or a short body, as part 1 does.
 */
export async function activeActiveCells(lab: Lab, o: ActiveActiveOptions): Promise<ActiveActiveSample[]> {
    const samples: ActiveActiveSample[] = [];
    const url = `http://${o.vip}/${o.file}`;
    try {
        for (let rep = 1; rep <= o.repetitions; rep++) {
            for (let n = o.directors.length; n >= 1; n--) {
                const on = o.directors.slice(0, n);
                if (n < o.directors.length) {
                    await o.announce(o.directors[n], false);
                }
                const samplers = o.directors.map((d) => new Sampler(lab.key, lab.address(d)));
                await Promise.all(samplers.map((s) => s.start()));
                const outcome = await client(url, o.requests, o.concurrency, CLIENT_NS).then((r) => ({ r }), (e: unknown) => ({ e }));
                const deltas = await Promise.all(samplers.map((s) => s.stop()));
                if ("e" in outcome) {
                    throw outcome.e;
                }
                const r = outcome.r;
                if (r.failures.length > 0) {
                    throw new Error(`${n} directors: ${r.failures.length} of ${o.requests} requests failed: ${[...new Set(r.failures)].join("; ")}`);
                }
                if (r.bodyBytes !== o.requests * o.sizeBytes) {
                    throw new Error(`${n} directors: received ${r.bodyBytes} bytes, expected ${o.requests * o.sizeBytes}`);
                }
                const cpuSeconds = Object.fromEntries(o.directors.map((d, i) => [d, deltas[i].cpuSeconds]));
                samples.push({ directors: on, repetition: rep, client: r, cpuSeconds });
                o.log(`active-active: ${n} director${n === 1 ? "" : "s"} rep ${rep}: ${(r.requests / (r.wallMs / 1000)).toFixed(1)} req/s, ` +
                    `CPU ${Object.entries(cpuSeconds).map(([d, s]) => `${d} ${s.toFixed(2)} s`).join(", ")}`);
            }
            for (const d of o.directors.slice(1)) {
                await o.announce(d, true);
            }
        }
    } finally {
        // Whatever failed, every director announces again (a stopped speaker is started).
        for (const d of o.directors) {
            await o.announce(d, true);
        }
    }
    return samples;
}

/** Per director count: requests/s (median over repetitions) and each director's share of the directors' CPU (median). */
export interface ActiveActiveCell {
    directors: number;
    requestsPerSecond: number;
    /** Each director's share of the CPU all directors spent, 0-1 (the idle ones' floor included). */
    cpuShare: Record<string, number>;
}

export function activeActiveFigures(samples: ActiveActiveSample[]): ActiveActiveCell[] {
    const median = (xs: number[]): number => {
        const s = [...xs].sort((a, b) => a - b);
        return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    };
    const counts = [...new Set(samples.map((s) => s.directors.length))].sort((a, b) => a - b);
    return counts.map((n) => {
        const g = samples.filter((s) => s.directors.length === n);
        const names = Object.keys(g[0].cpuSeconds);
        const share = (s: ActiveActiveSample, d: string): number => {
            const total = Object.values(s.cpuSeconds).reduce((a, b) => a + b, 0);
            return total > 0 ? s.cpuSeconds[d] / total : 0;
        };
        return {
            directors: n,
            requestsPerSecond: median(g.map((s) => s.client.requests / (s.client.wallMs / 1000))),
            cpuShare: Object.fromEntries(names.map((d) => [d, median(g.map((s) => share(s, d)))])),
        };
    });
}
