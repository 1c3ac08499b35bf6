/**
 * The long-lived connections client of the active-active checks, run in the client namespace
 * behind the lab's router: `node conns.js VIP PORT COUNT INTERVAL_MS`. It opens COUNT connections
 * to VIP:PORT (each from its own port, as the kernel gives them), and on each one asks the real
 * server its name every INTERVAL_MS (a line out, a line back). Per connection it records the first
 * name, every change of name, a reset or any other error, and the longest time between two
 * answers (with the time it began). On SIGTERM (or SIGINT) it prints one JSON document and exits.
 *
 * `node conns.js VIP PORT COUNT --once FIRST_PORT`: COUNT short connections instead (50 at a
 * time, from local ports FIRST_PORT up), each asking once and closing; prints `{ answered, failed,
 * names }` (answers per real server) and exits.
 */
import * as net from "net";

/** Waits longer than this are recorded one by one (an answer normally takes a few ms). */
const GAP_MS = 150;

export interface ConnRecord {
    localPort: number;
    /** The real server's name in the first answer. */
    first: string;
    /** Names after the first that differ from the one before, with when (ms since the epoch). */
    changes: { t: number; name: string }[];
    answers: number;
    /** The longest time without an answer while the connection was open, and when it began. */
    maxGapMs: number;
    maxGapAt: number;
    /** When the last answer came. */
    lastAt: number;
    /** Every wait for an answer over GAP_MS: when it began (the answer before) and how long it was. */
    gaps: { at: number; ms: number }[];
    /** The error that ended the connection (`ECONNRESET` for a reset), or "closed" when the server closed it. */
    ended?: string;
    endedAt?: number;
}

export interface ConnsReport {
    started: number;
    stopped: number;
    connected: number;
    records: ConnRecord[];
}

export interface OnceReport {
    answered: number;
    failed: number;
    /** Answers per real server name. */
    names: Record<string, number>;
}

/**
 * COUNT short connections, `parallel` at a time, each one question, from local ports FIRST_PORT
 * up: each its own, never used before in the run, so that no director takes one for an old
 * connection's entry that it still keeps (IPVS keeps closed entries up to two minutes).
 */
function once(vip: string, port: number, count: number, firstPort: number, parallel = 50): void {
    const report: OnceReport = { answered: 0, failed: 0, names: {} };
    let started = 0;
    let finished = 0;
    const next = (): void => {
        if (started >= count) {
            return;
        }
        const localPort = firstPort + started;
        started++;
        const socket = net.connect({ host: vip, port, localPort });
        let buffered = "";
        let done = false;
        const end = (name?: string): void => {
            if (done) {
                return;
            }
            done = true;
            if (name === undefined) {
                report.failed++;
            } else {
                report.answered++;
                report.names[name] = (report.names[name] ?? 0) + 1;
            }
            socket.destroy();
            if (++finished === count) {
                process.stdout.write(`${JSON.stringify(report)}\n`, () => process.exit(0));
            } else {
                next();
            }
        };
        socket.setTimeout(5000, () => end());
        socket.on("connect", () => socket.write("?\n"));
        socket.on("data", (d: Buffer) => {
            buffered += d.toString();
            const at = buffered.indexOf("\n");
            if (at >= 0) {
                end(buffered.slice(0, at).trim());
            }
        });
        socket.on("error", () => end());
        socket.on("close", () => end());
    };
    for (let i = 0; i < Math.min(parallel, count); i++) {
        next();
    }
}

function main(): void {
    const [vip, portText, countText, intervalText] = process.argv.slice(2);
    if (intervalText === "--once") {
        once(vip, Number(portText), Number(countText), Number(process.argv[6]));
        return;
    }
    const port = Number(portText);
    const count = Number(countText);
    const interval = Number(intervalText);
    if (!vip || !(port > 0) || !(count > 0) || !(interval > 0)) {
        process.stderr.write("usage: node conns.js VIP PORT COUNT INTERVAL_MS\n");
        process.exit(2);
    }
    const started = Date.now();
    const records: ConnRecord[] = [];
    const sockets: net.Socket[] = [];
    let connected = 0;
    for (let i = 0; i < count; i++) {
        const record: ConnRecord = { localPort: 0, first: "", changes: [], answers: 0, maxGapMs: 0, maxGapAt: 0, lastAt: 0, gaps: [] };
        records.push(record);
        // Opened over the first second, not all in one burst.
        setTimeout(() => {
            const socket = net.connect({ host: vip, port });
            sockets.push(socket);
            let last = 0;
            let name = "";
            let buffered = "";
            let timer: NodeJS.Timeout | undefined;
            socket.setNoDelay(true);
            socket.on("connect", () => {
                connected++;
                record.localPort = socket.localPort ?? 0;
                last = Date.now();
                timer = setInterval(() => socket.write("?\n"), interval);
            });
            socket.on("data", (data: Buffer) => {
                buffered += data.toString();
                let at: number;
                while ((at = buffered.indexOf("\n")) >= 0) {
                    const line = buffered.slice(0, at).trim();
                    buffered = buffered.slice(at + 1);
                    const now = Date.now();
                    if (now - last > GAP_MS) {
                        record.gaps.push({ at: last, ms: now - last });
                    }
                    if (now - last > record.maxGapMs) {
                        record.maxGapMs = now - last;
                        record.maxGapAt = last;
                    }
                    last = now;
                    record.lastAt = now;
                    record.answers++;
                    if (record.first === "") {
                        record.first = line;
                    } else if (line !== name) {
                        record.changes.push({ t: now, name: line });
                    }
                    name = line;
                }
            });
            const end = (why: string): void => {
                if (record.ended === undefined) {
                    record.ended = why;
                    record.endedAt = Date.now();
                }
                if (timer) {
                    clearInterval(timer);
                }
            };
            socket.on("error", (e: NodeJS.ErrnoException) => end(e.code ?? e.message));
            socket.on("close", () => end("closed"));
        }, Math.floor((i * 1000) / count));
    }
    const stop = (): void => {
        const stopped = Date.now();
        // A connection still open counts the time since its last answer as a gap too.
        for (const r of records) {
            if (r.ended === undefined && r.answers > 0 && stopped - r.lastAt > r.maxGapMs) {
                r.maxGapMs = stopped - r.lastAt;
                r.maxGapAt = r.lastAt;
            }
        }
        const report: ConnsReport = { started, stopped, connected, records };
        process.stdout.write(`${JSON.stringify(report)}\n`, () => {
            sockets.forEach((s) => s.destroy());
            process.exit(0);
        });
    };
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
}

if (require.main === module) {
    main();
}
