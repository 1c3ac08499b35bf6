/**
 * Waiting for a new machine's SSH server to answer, without logging in: a TCP connection to its
 * SSH port that receives the server's identification line (`SSH-2.0-…`, RFC 4253 §4.2, which the
 * server sends first). No key, no user: it tells "still booting" (nothing answers yet) from
 * "answers" so that the login that follows (`<cluster>-<role>-ssh`) can fail within a minute when
 * the login itself is refused, instead of retrying that for the whole boot timeout.
 *
 * Runs inside a dynamic provider (ssh-banner-resource.ts), which the engine serializes and runs in
 * another process: these functions use nothing but each other and `require`d Node built-ins.
 */

/** What one try saw: the identification line, or why there was none. */
export type BannerTry = { banner: string; failure?: undefined } | { banner?: undefined; failure: string };

/** How long to wait, and how often to try. */
export interface BannerWait {
    host: string;
    port: number;
    /** Gives up after this long (milliseconds). */
    timeoutMs: number;
    /** Pause after a failed try (milliseconds). */
    retryMs?: number;
    /** Bound of one try: connecting and receiving the identification line (milliseconds). */
    tryMs?: number;
}

/** Until a line of this many bytes, a server may still be sending its identification (RFC 4253: 255 per line; lines before it are allowed). */
const MAX_PRELUDE_BYTES = 8192;

/** `host:port`, an IPv6 address in brackets. */
export function endpointOf(host: string, port: number): string {
    return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/** One try: connects to `host:port` and reads until the server's `SSH-` line, an error, a close or `tryMs`. */
export function tryBanner(host: string, port: number, tryMs: number): Promise<BannerTry> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const net = require("net") as typeof import("net");
    return new Promise((resolve) => {
        let seen = "";
        let connected = false;
        let done = false;
        // Declared before `finish` uses it: Pulumi's closure serializer refuses a function that
        // refers to a variable declared after it.
        const pending: { timer?: ReturnType<typeof setTimeout> } = {};
        const socket = net.connect({ host, port });
        const finish = (result: BannerTry) => {
            if (!done) {
                done = true;
                clearTimeout(pending.timer);
                socket.destroy();
                resolve(result);
            }
        };
        const seconds = Math.round(tryMs / 100) / 10;
        pending.timer = setTimeout(() => finish({
            failure: connected ? `connected, but no SSH identification line within ${seconds} s` : `no TCP connection within ${seconds} s`,
        }), tryMs);
        const firstLine = () => JSON.stringify(seen.split("\n")[0].replace(/\r$/, "").slice(0, 80));
        socket.on("connect", () => {
            connected = true;
        });
        socket.on("data", (chunk: Buffer) => {
            seen += chunk.toString("latin1");
            const lines = seen.split("\n");
            // The last element is a line not yet complete.
            const banner = lines.slice(0, -1).map((l) => l.replace(/\r$/, "")).find((l) => l.startsWith("SSH-"));
            if (banner !== undefined) {
                finish({ banner });
            } else if (seen.length > MAX_PRELUDE_BYTES) {
                finish({ failure: `sent ${seen.length} bytes without an SSH identification line (the first: ${firstLine()}): not an SSH server` });
            }
        });
        socket.on("error", (e: NodeJS.ErrnoException) => finish({ failure: e.code ?? e.message }));
        socket.on("close", () => finish({
            failure: !connected ? "closed before connecting"
                : seen === "" ? "closed the connection without an SSH identification line"
                    : `closed the connection after ${firstLine()}, without an SSH identification line`,
        }));
    });
}

/** The error when the wait gives up. */
export function neverAnsweredMessage(host: string, port: number, timeoutMs: number, tries: number, last: string): string {
    return `lvs-dr: ${endpointOf(host, port)} never answered SSH within ${Math.round(timeoutMs / 1000)} s `
        + `(${tries} tries; the last: ${last}). The machine did not finish booting, or its SSH port is not reachable `
        + "from the machine that runs Pulumi (its address, a route, a firewall or a security group).";
}

/**
 * Tries every `retryMs` until the server at `host:port` sends its identification line; resolves
 * with that line. Rejects with neverAnsweredMessage once `timeoutMs` has passed (no try starts
 * later than `retryMs` before that).
 */
export async function waitForSshBanner(wait: BannerWait): Promise<string> {
    const retryMs = wait.retryMs ?? 3000;
    const tryMs = wait.tryMs ?? 10000;
    const deadline = Date.now() + wait.timeoutMs;
    for (let tries = 1; ; tries++) {
        const result = await tryBanner(wait.host, wait.port, Math.max(1, Math.min(tryMs, deadline - Date.now())));
        if (result.banner !== undefined) {
            return result.banner;
        }
        const left = deadline - Date.now();
        if (left <= retryMs) {
            throw new Error(neverAnsweredMessage(wait.host, wait.port, wait.timeoutMs, tries, result.failure));
        }
        await new Promise((ok) => setTimeout(ok, retryMs));
    }
}
