/**
 * The benchmark's HTTP client: `node build/bench/client.js URL REQUESTS CONCURRENCY [TIMEOUT_S]`,
 * run inside the lab namespace by the benchmark (never anywhere else). Each request is a new TCP
 * connection (`Connection: close`, no agent), as the lab's other checks do: a load balancer
 * schedules connections, so a connection per request makes every request cross the scheduler.
 * `CONCURRENCY` requests are in flight at any time. Prints one JSON line: latencies (ms, one per
 * successful request, to the last byte), body bytes received, failures with their reasons, wall
 * time.
 */
import * as http from "http";

export interface ClientResult {
    url: string;
    requests: number;
    concurrency: number;
    latenciesMs: number[];
    bodyBytes: number;
    failures: string[];
    wallMs: number;
}

function one(url: URL, timeoutMs: number): Promise<{ ms: number; bytes: number }> {
    const start = process.hrtime.bigint();
    return new Promise((resolve, reject) => {
        const req = http.request(url, { agent: false, headers: { Connection: "close" }, timeout: timeoutMs }, (res) => {
            let bytes = 0;
            res.on("data", (d: Buffer) => (bytes += d.length));
            res.on("end", () => {
                if (res.statusCode !== 200) {
                    reject(new Error(`HTTP ${res.statusCode}`));
                } else {
                    resolve({ ms: Number(process.hrtime.bigint() - start) / 1e6, bytes });
                }
            });
            res.on("error", reject);
        });
        req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
        req.on("error", reject);
        req.end();
    });
}

export async function runClient(urlText: string, requests: number, concurrency: number, timeoutMs: number): Promise<ClientResult> {
    const url = new URL(urlText);
    const result: ClientResult = { url: urlText, requests, concurrency, latenciesMs: [], bodyBytes: 0, failures: [], wallMs: 0 };
    let next = 0;
    const start = Date.now();
    const worker = async (): Promise<void> => {
        while (next < requests) {
            next++;
            try {
                const r = await one(url, timeoutMs);
                result.latenciesMs.push(r.ms);
                result.bodyBytes += r.bytes;
            } catch (e) {
                result.failures.push(e instanceof Error ? e.message : String(e));
            }
        }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, requests) }, worker));
    result.wallMs = Date.now() - start;
    return result;
}

if (require.main === module) {
    const [url, n, c, timeout] = process.argv.slice(2);
    if (!url || !Number.isInteger(Number(n)) || !Number.isInteger(Number(c))) {
        console.error("usage: client.js URL REQUESTS CONCURRENCY [TIMEOUT_S]");
        process.exit(2);
    }
    runClient(url, Number(n), Number(c), Number(timeout ?? 60) * 1000).then(
        (r) => console.log(JSON.stringify(r)),
        (e) => { console.error(e); process.exit(1); },
    );
}
