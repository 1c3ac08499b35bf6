/**
 * Part 1 of the benchmark: the data path, direct routing against a proxy, side by side in one run.
 * The same director VM, the same real servers and the same client: the cluster as the component
 * deploys it (requests to the VIP), and HAProxy in TCP mode on the director (requests to the
 * director's own address, port {@link PROXY_PORT}) forwarding to the real servers' own addresses.
 * Each cell (mode x response size x concurrency) is repeated; every repetition reads the director's
 * and the real servers' own counters around the client's run (./counters.ts).
 */
import * as path from "path";
import type { ClientResult } from "./client";
import { type Delta, Sampler } from "./counters";
import { NETNS, type Lab } from "../lab/harness/lab";
import { run } from "../lab/harness/spawn";

export const PROXY_PORT = 8080;
const HAPROXY_DIR = "/run/lvsdr-bench";

export type Mode = "dr" | "proxy";

export interface Cell {
    mode: Mode;
    /** The file requested: 1k.bin, 1m.bin or big.bin (20 MiB) of the lab image. */
    file: string;
    sizeBytes: number;
    concurrency: number;
    requests: number;
}

/** One repetition of a cell: the client's view and each VM's counters. */
export interface Sample {
    cell: Cell;
    repetition: number;
    client: ClientResult;
    director: Delta;
    realServers: Record<string, Delta>;
}

export const SIZES: { file: string; sizeBytes: number; label: string }[] = [
    { file: "1k.bin", sizeBytes: 1024, label: "1 KiB" },
    { file: "1m.bin", sizeBytes: 1024 * 1024, label: "1 MiB" },
    { file: "big.bin", sizeBytes: 20 * 1024 * 1024, label: "20 MiB" },
];

/** The HAProxy configuration: TCP mode, round robin over the real servers' own port 80. */
export function haproxyConfig(listen: string, realServers: { name: string; address: string }[]): string {
    return [
        "global",
        "    maxconn 4096",
        `    pidfile ${HAPROXY_DIR}/haproxy.pid`,
        "defaults",
        "    mode tcp",
        "    timeout connect 5s",
        "    timeout client 120s",
        "    timeout server 120s",
        "frontend bench",
        `    bind ${listen}:${PROXY_PORT}`,
        "    default_backend realservers",
        "backend realservers",
        "    balance roundrobin",
        ...realServers.map((r) => `    server ${r.name} ${r.address}:80`),
        "",
    ].join("\n");
}

/** Starts HAProxy on the director with {@link haproxyConfig} (checked first with `haproxy -c`). */
export function startProxy(lab: Lab, director: string, realServers: string[]): void {
    const config = haproxyConfig(lab.address(director), realServers.map((name) => ({ name, address: lab.address(name) })));
    lab.mustSsh(director, `set -eu
mkdir -p ${HAPROXY_DIR}
cat > ${HAPROXY_DIR}/haproxy.cfg <<'EOF'
${config}EOF
haproxy -c -q -f ${HAPROXY_DIR}/haproxy.cfg
[ -e ${HAPROXY_DIR}/haproxy.pid ] && kill "$(cat ${HAPROXY_DIR}/haproxy.pid)" 2>/dev/null || true
haproxy -D -f ${HAPROXY_DIR}/haproxy.cfg
haproxy -v | head -n 1`);
}

/** Stops it and removes its files (the director is left as the component made it). */
export function stopProxy(lab: Lab, director: string): void {
    lab.mustSsh(director, `if [ -e ${HAPROXY_DIR}/haproxy.pid ]; then kill "$(cat ${HAPROXY_DIR}/haproxy.pid)" 2>/dev/null || true; fi; rm -rf ${HAPROXY_DIR}`);
}

/** Runs the client in the lab namespace, or `netns` (build/bench/client.js). */
export async function client(url: string, requests: number, concurrency: number, netns = NETNS): Promise<ClientResult> {
    const r = await run("ip", ["netns", "exec", netns, process.execPath, path.join(__dirname, "client.js"), url, String(requests), String(concurrency), "120"]);
    if (r.status !== 0) {
        throw new Error(`the bench client failed (exit ${r.status}): ${r.stderr}${r.error ? String(r.error) : ""}`);
    }
    return JSON.parse(r.stdout) as ClientResult;
}

/** One repetition of a cell, counters around it. */
export async function measure(lab: Lab, vip: string, director: string, realServers: string[], cell: Cell, repetition: number): Promise<Sample> {
    const target = cell.mode === "dr" ? `http://${vip}/${cell.file}` : `http://${lab.address(director)}:${PROXY_PORT}/${cell.file}`;
    const samplers = [director, ...realServers].map((h) => new Sampler(lab.key, lab.address(h)));
    await Promise.all(samplers.map((s) => s.start()));
    // The samplers are collected whatever the client did, so that no SSH is left waiting.
    const outcome = await client(target, cell.requests, cell.concurrency).then((r) => ({ r }), (e: unknown) => ({ e }));
    const deltas = await Promise.all(samplers.map((s) => s.stop()));
    if ("e" in outcome) {
        throw outcome.e;
    }
    const result = outcome.r;
    if (result.failures.length > 0) {
        throw new Error(`${cell.mode} ${cell.file} x${cell.concurrency}: ${result.failures.length} of ${cell.requests} requests failed: ${[...new Set(result.failures)].join("; ")}`);
    }
    if (result.bodyBytes !== cell.requests * cell.sizeBytes) {
        throw new Error(`${cell.mode} ${cell.file}: received ${result.bodyBytes} bytes, expected ${cell.requests * cell.sizeBytes}`);
    }
    return {
        cell, repetition, client: result, director: deltas[0],
        realServers: Object.fromEntries(realServers.map((r, i) => [r, deltas[i + 1]])),
    };
}

/** The director's idle counters over `seconds` (keepalived's checks, the kernel's timers): the floor under every cell. */
export async function idle(lab: Lab, director: string, seconds: number): Promise<Delta & { seconds: number }> {
    const s = new Sampler(lab.key, lab.address(director));
    await s.start();
    await new Promise((ok) => setTimeout(ok, seconds * 1000));
    return { ...(await s.stop()), seconds };
}
