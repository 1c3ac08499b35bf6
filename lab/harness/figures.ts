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
