/** tcpdump in a network namespace, for the tests that read the wire. */
import { strict as assert } from "assert";
import { type ChildProcess, spawn } from "child_process";

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
    for (let waited = 0; waited < timeoutMs && !/listening on/.test(err); waited += 50) {
        await new Promise((ok) => setTimeout(ok, 50));
    }
    if (!/listening on/.test(err)) {
        await stop();
        assert.fail(`tcpdump did not start in the namespace ${netns}: ${err}`);
    }
    return { child, stop };
}
