/** A client load through a VIP from the lab namespace, every request recorded. */
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { NETNS } from "./lab";

export interface Hit {
    /** When the request started and ended (ms since the epoch). */
    t: number;
    end: number;
    port: number;
    exit: number;
    host: string;
}

/**
 * A client load through the VIP from the lab namespace: one request every 200 ms by default, each recorded.
 * Each request's client port is drawn at random from the kernel's ephemeral range, as the kernel
 * would, but by the script: curl cannot report the port of a connection that never completed, and a
 * failed request must say which port it used (a port the director still tracks from an earlier
 * connection is scheduled differently). curl reads to the end of the connection, so the server
 * closes first and no TIME_WAIT socket of the client's own holds a port it may draw again.
 */
export class Load {
    readonly hits: Hit[] = [];
    private readonly stopFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "lvsdr-load-")), "stop");
    private done?: Promise<void>;
    private partial = "";

    /**
     * Starts requests to `vip`, one every `intervalSeconds` (after the previous one ended), each
     * given at most `timeoutSeconds`.
     */
    start(vip: string, intervalSeconds = 0.2, timeoutSeconds = 5): void {
        const script = `read -r low high < /proc/sys/net/ipv4/ip_local_port_range
while [ ! -e ${this.stopFile} ]; do
  t=$(date +%s%3N)
  port=$(( $(od -An -N2 -tu2 /dev/urandom) % (high - low + 1) + low ))
  h=$(curl -s -m ${timeoutSeconds} --local-port "$port" --ignore-content-length -H 'Connection: close' http://${vip}/) && rc=0 || rc=$?
  [ "$rc" = 0 ] && [ -n "$h" ] || h=FAILED
  echo "$t $port $rc $h $(date +%s%3N)"
  sleep ${intervalSeconds}
done`;
        const child = spawn("ip", ["netns", "exec", NETNS, "sh", "-c", script]);
        child.stdout.on("data", (d: Buffer) => {
            const lines = (this.partial + d.toString()).split("\n");
            this.partial = lines.pop() ?? "";
            for (const line of lines) {
                const [t, port, exit, host, end] = line.split(" ");
                this.hits.push({ t: Number(t), port: Number(port), exit: Number(exit), host: host ?? "FAILED", end: Number(end) });
            }
        });
        this.done = new Promise((ok) => child.on("close", () => ok()));
    }

    async stop(): Promise<void> {
        if (this.done) {
            fs.writeFileSync(this.stopFile, "");
            await this.done;
            this.done = undefined;
        }
        fs.rmSync(path.dirname(this.stopFile), { recursive: true, force: true });
    }

    between(from: number, to: number): Hit[] {
        return this.hits.filter((h) => h.t >= from && h.t <= to);
    }
}

/** The longest time between two successful completions among `hits` (ms): the client-visible gap. */
export function longestGap(hits: Hit[]): number {
    const ok = hits.filter((h) => h.host !== "FAILED").map((h) => h.end).sort((a, b) => a - b);
    let gap = 0;
    for (let i = 1; i < ok.length; i++) {
        gap = Math.max(gap, ok[i] - ok[i - 1]);
    }
    return gap;
}
