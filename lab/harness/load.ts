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
 * connection is scheduled differently). curl may move up to 20 ports on from the drawn one when
 * that one is taken (the test's own SSH connections share the namespace); the port it used is the
 * one recorded. curl reads to the end of the connection, so the server closes first and no
 * TIME_WAIT socket of the client's own holds a port it may draw again.
 *
 * The range is read with cat: the shell's `read` reads one byte at a time, and a /proc/sys file
 * ends after the first read at a non-zero offset (dash read "3" of "32768 60999", and every request
 * of this load once went from port 3 or 4).
 */
export class Load {
    readonly hits: Hit[] = [];
    private readonly stopFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "lvsdr-load-")), "stop");
    private readonly pauseFile = path.join(path.dirname(this.stopFile), "pause");
    private readonly pausedFile = path.join(path.dirname(this.stopFile), "paused");
    private pauses = 0;
    private done?: Promise<void>;
    private partial = "";
    private stderr = "";
    private exitCode: number | null = null;

    /**
     * Starts requests to `vip`, one every `intervalSeconds` (after the previous one ended), each
     * given at most `timeoutSeconds`.
     */
    start(vip: string, intervalSeconds = 0.2, timeoutSeconds = 5): void {
        const dir = path.dirname(this.stopFile);
        const script = `range=$(cat /proc/sys/net/ipv4/ip_local_port_range)
low=\${range%%[!0-9]*}
high=\${range##*[!0-9]}
case "$low.$high" in
  *[!0-9.]* | .* | *.) echo "load: cannot read the ephemeral port range: '$range'" >&2; exit 3 ;;
esac
[ "$low" -ge 1024 ] && [ "$high" -gt "$((low + 20))" ] || { echo "load: odd ephemeral port range: '$range'" >&2; exit 3; }
while [ ! -e ${this.stopFile} ]; do
  if [ -e ${this.pauseFile} ]; then
    cp ${this.pauseFile} ${this.pausedFile}
    sleep 0.05
    continue
  fi
  t=$(date +%s%3N)
  port=$(( $(od -An -N2 -tu2 /dev/urandom) % (high - low - 19) + low ))
  used=$(curl -s -m ${timeoutSeconds} --local-port "$port-$((port + 20))" --ignore-content-length -H 'Connection: close' -o ${dir}/body -w '%{local_port}' http://${vip}/) && rc=0 || rc=$?
  h=$(cat ${dir}/body 2>/dev/null || true)
  rm -f ${dir}/body
  [ "$rc" = 0 ] && [ -n "$h" ] || h=FAILED
  [ -n "$used" ] && [ "$used" != 0 ] || used=$port
  echo "$t $used $rc $h $(date +%s%3N)"
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
        child.stderr.on("data", (d: Buffer) => (this.stderr += d.toString()));
        this.done = new Promise((ok) => child.on("close", (code) => {
            this.exitCode = code;
            ok();
        }));
    }

    /**
     * Holds the load between two requests: returns once no request of the load is in flight and
     * none will start until `resume`. The script copies the pause file's token to the paused
     * file only between requests, so a token of an earlier pause cannot be taken for this one.
     */
    async pause(timeoutMs = 15000): Promise<void> {
        const token = `pause ${++this.pauses}\n`;
        fs.writeFileSync(this.pauseFile, token);
        const t0 = Date.now();
        const read = (): string => {
            try {
                return fs.readFileSync(this.pausedFile, "utf8");
            } catch {
                return "";
            }
        };
        while (read() !== token) {
            if (Date.now() - t0 > timeoutMs || this.exitCode !== null) {
                throw new Error(`the client load did not pause within ${timeoutMs} ms (script exit ${this.exitCode}): ${this.stderr}`);
            }
            await new Promise((ok) => setTimeout(ok, 20));
        }
    }

    resume(): void {
        fs.rmSync(this.pauseFile, { force: true });
    }

    /** Stops the load; fails when the load script itself failed (its requests are then not a load). */
    async stop(): Promise<void> {
        if (this.done) {
            fs.writeFileSync(this.stopFile, "");
            await this.done;
            this.done = undefined;
        }
        fs.rmSync(path.dirname(this.stopFile), { recursive: true, force: true });
        if (this.exitCode !== 0 && this.exitCode !== null) {
            throw new Error(`the client load script failed (exit ${this.exitCode}): ${this.stderr}`);
        }
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
