/** tcpdump in a network namespace, for the tests that read the wire. */
import { strict as assert } from "assert";
import { type ChildProcess, execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export interface Capture {
    child: ChildProcess;
    /** Ends the capture; what tcpdump printed. */
    stop(): Promise<string>;
}

/**
 * Starts `tcpdump -l -n ARGS` in `netns` and returns once it listens (a packet sent before that
 * would be missed), at most `timeoutMs`; a tcpdump that did not start is ended and the test fails.
 */
export async function startTcpdump(netns: string, args: string[], timeoutMs = 10000): Promise<Capture> {
    const child = spawn("ip", ["netns", "exec", netns, "tcpdump", "-l", "-n", ...args]);
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    const closed = new Promise<number | null>((ok) => child.on("close", ok));
    const stop = async (): Promise<string> => {
        child.kill("SIGINT");
        await closed;
        return out;
    };
    await listening(netns, () => err, stop, timeoutMs);
    return { child, stop };
}

/**
 * Like startTcpdump, but tcpdump writes the packets to a file (`-w`, each packet as it comes) and
 * `stop()` reads them back: for captures of thousands of packets a second while the test's own
 * event loop is busy (a pipe it does not drain fills, and tcpdump then drops what it cannot write).
 * `readArgs` are the options the packets are printed with (`-tt -e`).
 */
export async function startCaptureToFile(netns: string, iface: string, filter: string, readArgs: string[], timeoutMs = 10000): Promise<Capture> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lvsdr-capture-"));
    const file = path.join(dir, "capture.pcap");
    const child = spawn("ip", ["netns", "exec", netns, "tcpdump", "-n", "-U", "-i", iface, "-w", file, filter]);
    let err = "";
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    const closed = new Promise<number | null>((ok) => child.on("close", ok));
    const stop = async (): Promise<string> => {
        child.kill("SIGINT");
        await closed;
        try {
            return execFileSync("tcpdump", ["-n", ...readArgs, "-r", file], { encoding: "utf8", maxBuffer: 256 * 1024 * 1024, stdio: ["ignore", "pipe", "ignore"] });
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    };
    await listening(netns, () => err, stop, timeoutMs);
    return { child, stop };
}

/** Waits until tcpdump says it listens (its stderr, `err()`), at most `timeoutMs`; else stops it and fails the test. */
async function listening(netns: string, err: () => string, stop: () => Promise<string>, timeoutMs: number): Promise<void> {
    for (let waited = 0; waited < timeoutMs && !/listening on/.test(err()); waited += 50) {
        await new Promise((ok) => setTimeout(ok, 50));
    }
    if (!/listening on/.test(err())) {
        await stop();
        assert.fail(`tcpdump did not start in the namespace ${netns}: ${err()}`);
    }
}
