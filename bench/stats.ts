/**
 * Turning the data path's raw samples into the figures the report shows: per repetition, then
 * min/median/max over the repetitions of a cell, and the DR/proxy ratios the goals are about.
 */
import type { Mode, Sample } from "./datapath";

export interface Spread {
    min: number;
    median: number;
    max: number;
}

export interface CellFigures {
    mode: Mode;
    file: string;
    sizeBytes: number;
    concurrency: number;
    requests: number;
    repetitions: number;
    requestsPerSecond: Spread;
    latencyP50Ms: Spread;
    latencyP99Ms: Spread;
    /** Bytes the director's NIC transmitted per byte of response body the client received. */
    directorTxPerServedByte: Spread;
    /** CPU seconds the director spent (busy, all CPUs) per 1,000 requests. */
    directorCpuSecondsPer1000: Spread;
    /** CPU milliseconds all real servers together spent per request. */
    realServerCpuMsPerRequest: Spread;
    /** Packets the director received and transmitted per request (DR: the client's packets, each forwarded once). */
    directorPacketsPerRequest: Spread;
}

export interface Ratio {
    file: string;
    concurrency: number;
    /** DR's median director tx per served byte over the proxy's (goal: at most 0.01). */
    txRatio: number;
    /** DR's median director CPU per request over the proxy's (goal: at most 0.2). */
    cpuRatio: number;
    txGoalMet: boolean;
    cpuGoalMet: boolean;
}

export const TX_GOAL = 0.01;
export const CPU_GOAL = 0.2;

export function spread(values: number[]): Spread {
    const s = [...values].sort((a, b) => a - b);
    const mid = Math.floor(s.length / 2);
    const median = s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
    return { min: s[0], median, max: s[s.length - 1] };
}

/** The q-quantile (0..1) of `values` by the nearest-rank method. */
export function quantile(values: number[], q: number): number {
    const s = [...values].sort((a, b) => a - b);
    return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
}

export function cellKey(s: { mode: Mode; file: string; concurrency: number }): string {
    return `${s.mode} ${s.file} x${s.concurrency}`;
}

export function figures(samples: Sample[]): CellFigures[] {
    const groups = new Map<string, Sample[]>();
    for (const s of samples) {
        const k = cellKey(s.cell);
        groups.set(k, [...(groups.get(k) ?? []), s]);
    }
    return [...groups.values()].map((g) => {
        const c = g[0].cell;
        const per = (f: (s: Sample) => number): Spread => spread(g.map(f));
        return {
            mode: c.mode, file: c.file, sizeBytes: c.sizeBytes, concurrency: c.concurrency, requests: c.requests, repetitions: g.length,
            requestsPerSecond: per((s) => s.client.requests / (s.client.wallMs / 1000)),
            latencyP50Ms: per((s) => quantile(s.client.latenciesMs, 0.5)),
            latencyP99Ms: per((s) => quantile(s.client.latenciesMs, 0.99)),
            directorTxPerServedByte: per((s) => s.director.txBytes / s.client.bodyBytes),
            directorCpuSecondsPer1000: per((s) => (s.director.cpuSeconds / s.client.requests) * 1000),
            realServerCpuMsPerRequest: per((s) => (Object.values(s.realServers).reduce((a, d) => a + d.cpuSeconds, 0) / s.client.requests) * 1000),
            directorPacketsPerRequest: per((s) => (s.director.rxPackets + s.director.txPackets) / s.client.requests),
        };
    });
}

export function ratios(cells: CellFigures[]): Ratio[] {
    return cells.filter((c) => c.mode === "dr").flatMap((dr) => {
        const proxy = cells.find((p) => p.mode === "proxy" && p.file === dr.file && p.concurrency === dr.concurrency);
        if (!proxy) {
            return [];
        }
        const txRatio = dr.directorTxPerServedByte.median / proxy.directorTxPerServedByte.median;
        const cpuRatio = proxy.directorCpuSecondsPer1000.median > 0
            ? dr.directorCpuSecondsPer1000.median / proxy.directorCpuSecondsPer1000.median : Number.NaN;
        return [{ file: dr.file, concurrency: dr.concurrency, txRatio, cpuRatio, txGoalMet: txRatio <= TX_GOAL, cpuGoalMet: cpuRatio <= CPU_GOAL }];
    });
}
