import { strict as assert } from "assert";

/** What the VM suites measure: each figure printed as it comes and kept for the suite's summary. */
export class Figures {
    readonly all: string[] = [];

    /** Prints one figure under the running test, and keeps it. */
    add(text: string): void {
        this.all.push(text);
        console.log(`      figure: ${text}`);
    }

    /** Every figure of the suite, indented, for its last lines. */
    summary(): string {
        return `      figures:\n${this.all.map((f) => `        ${f}`).join("\n")}`;
    }
}

export function sleep(ms: number): Promise<void> {
    return new Promise((ok) => setTimeout(ok, ms));
}

/**
 * Polls `read` every `poll` ms until `ok` holds; how long it took. Past `ms` the check fails with
 * the last value read, and `detail()` where given (read only then).
 */
export async function until<T>(what: string, read: () => T, ok: (v: T) => boolean, ms: number, poll = 20, detail?: () => string): Promise<number> {
    const t0 = Date.now();
    let v = read();
    while (!ok(v)) {
        if (Date.now() - t0 > ms) {
            assert.fail(`${what}: still ${JSON.stringify(v)} after ${ms} ms${detail ? `:\n${detail()}` : ""}`);
        }
        await sleep(poll);
        v = read();
    }
    return Date.now() - t0;
}
