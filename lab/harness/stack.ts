/**
 * Drives the root project with the real Pulumi engine (through lab/pulumi.ts, inside the lab
 * namespace so the engine's SSH reaches the VMs), and a client load through the VIP.
 */
import { strict as assert } from "assert";
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { NETNS } from "./lab";

const REPO = path.resolve(__dirname, "../../..");

export interface Run {
    status: number | null;
    stdout: string;
    stderr: string;
}

/** One engine event from --event-log (only what the tests read). */
export interface EngineEvent {
    sequence: number;
    timestamp: number;
    resourcePreEvent?: { metadata: { op: string; urn: string } };
    resOutputsEvent?: { metadata: { op: string; urn: string } };
    summaryEvent?: { resourceChanges: Record<string, number> };
    /** A message from the program or a provider; `ephemeral`: a status line (a running command's output). */
    diagnosticEvent?: { urn?: string; message: string; severity: string; ephemeral?: boolean };
}

export interface PreviewStep {
    op: string;
    urn: string;
}

/** Fails, naming what is missing, unless the toolchain can provide `pulumi` (building it if needed). */
export function requireToolchain(): void {
    const r = spawnSync("bash", [path.join(REPO, "scripts/pulumi-toolchain")], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
    assert.equal(r.status, 0, "the Pulumi toolchain is missing and could not be built: run bash scripts/pulumi-toolchain");
    assert.ok(fs.existsSync(path.join(REPO, "build/lab/pulumi.js")), "build/lab/pulumi.js is missing: run npx tsc -p tsconfig.test.json");
}

export class Stack {
    private readonly logDir = fs.mkdtempSync(path.join(os.tmpdir(), "lvsdr-e2e-events-"));
    private logs = 0;

    /** `dir`: another project's folder (the CLI's `--cwd`; default the root project). */
    constructor(readonly name: string, readonly dir?: string) {}

    /**
     * `pulumi <args> --stack <name>`; the CLI's output is echoed so a CI log shows the engine's
     * progress. `input` goes to stdin (how secrets are passed: never on a command line).
     */
    run(args: string[], echo = true, input?: string): Promise<Run> {
        return new Promise((resolve, reject) => {
            const child = spawn("ip", ["netns", "exec", NETNS, "node", path.join(REPO, "build/lab/pulumi.js"),
                ...args, "--stack", this.name, "--non-interactive", ...(this.dir ? ["--cwd", this.dir] : [])], {
                cwd: REPO,
                stdio: [input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
                // --event-log is one of the CLI's debug flags (the Automation API sets this too).
                env: { ...process.env, PULUMI_DEBUG_COMMANDS: "true" },
            });
            if (input !== undefined) {
                child.stdin!.end(input);
            }
            let stdout = "";
            let stderr = "";
            child.stdout!.on("data", (d: Buffer) => { stdout += d.toString(); if (echo) { process.stdout.write(d); } });
            child.stderr!.on("data", (d: Buffer) => { stderr += d.toString(); if (echo) { process.stderr.write(d); } });
            child.on("error", reject);
            child.on("close", (status) => resolve({ status, stdout, stderr }));
        });
    }

    async must(args: string[], echo = true, input?: string): Promise<string> {
        const r = await this.run(args, echo, input);
        assert.equal(r.status, 0, `pulumi ${args.join(" ")} failed:\n${r.stdout}\n${r.stderr}`);
        return r.stdout;
    }

    /**
     * `pulumi <command> --yes` with an event log; returns the engine's events. `watch` sees each
     * event while the command runs (the log is read as the engine writes it, every 250 ms).
     */
    async apply(command: "up" | "destroy", extra: string[] = [], echo = true, watch?: (e: EngineEvent) => void): Promise<EngineEvent[]> {
        const log = path.join(this.logDir, `${++this.logs}.json`);
        let seen = 0;
        let running = true;
        const read = (): void => {
            const events = fs.existsSync(log) ? eventsIn(fs.readFileSync(log, "utf8"), running) : [];
            events.slice(seen).forEach((e) => watch?.(e));
            seen = events.length;
        };
        const timer = watch ? setInterval(read, 250) : undefined;
        try {
            await this.must([command, "--yes", "--skip-preview", "--event-log", log, ...extra], echo);
        } finally {
            clearInterval(timer);
            running = false;
        }
        if (watch) {
            read();
        }
        return eventsIn(fs.readFileSync(log, "utf8"));
    }

    async preview(): Promise<PreviewStep[]> {
        const out = await this.must(["preview", "--json"], false);
        return (JSON.parse(out) as { steps: PreviewStep[] }).steps;
    }

    async output(name: string): Promise<unknown> {
        return JSON.parse(await this.must(["stack", "output", name, "--json"], false));
    }

    /** Removes the stack and whatever an interrupted run left in it. */
    async reset(): Promise<void> {
        if ((await this.run(["stack", "select"], false)).status === 0) {
            await this.run(["destroy", "--yes", "--skip-preview"]);
            await this.run(["stack", "rm", "--yes", "--force"], false);
        }
        fs.rmSync(path.join(this.dir ?? REPO, `Pulumi.${this.name}.yaml`), { force: true });
    }

    cleanup(): void {
        fs.rmSync(this.logDir, { recursive: true, force: true });
    }
}

/** The events of a log; while the engine runs (`writing`), only its whole lines. */
function eventsIn(text: string, writing = false): EngineEvent[] {
    const lines = text.split("\n");
    if (writing) {
        lines.pop();
    }
    return lines.filter(Boolean).map((l) => JSON.parse(l) as EngineEvent);
}

/**
 * A config change re-configures the nodejs dynamic-provider host (the SDK hands it the stack's
 * config), which the engine lists as an update of its `default` provider. It touches nothing, so it
 * is left out of the changes below; any other provider step is kept.
 */
function isConfigOnly(op: string, urn: string): boolean {
    return op === "update" && urn.split("::")[2] === "pulumi:providers:pulumi-nodejs";
}

/** The steps of a preview that change something, as "op name" (name = last URN segment). */
export function changes(steps: PreviewStep[]): string[] {
    return steps.filter((s) => s.op !== "same" && !isConfigOnly(s.op, s.urn)).map((s) => `${s.op} ${s.urn.split("::").pop()}`).sort();
}

/** The same for a deployment's event log (each step once, when it finished). */
export function applied(events: EngineEvent[]): string[] {
    return events.flatMap((e) => (e.resOutputsEvent ? [e.resOutputsEvent.metadata] : []))
        .filter((m) => m.op !== "same" && !isConfigOnly(m.op, m.urn)).map((m) => `${m.op} ${m.urn.split("::").pop()}`).sort();
}

/** The step events of a deployment, in order, as { op, name, kind, timestamp }. */
export function stepEvents(events: EngineEvent[]): { op: string; name: string; kind: "pre" | "done"; timestamp: number }[] {
    return events.flatMap((e) => {
        const ev = e.resourcePreEvent ?? e.resOutputsEvent;
        if (!ev) {
            return [];
        }
        return [{ op: ev.metadata.op, name: ev.metadata.urn.split("::").pop()!, kind: e.resourcePreEvent ? "pre" as const : "done" as const, timestamp: e.timestamp }];
    });
}

export function summary(events: EngineEvent[]): Record<string, number> {
    const s = events.find((e) => e.summaryEvent);
    assert.ok(s, "the event log has no summary");
    return s.summaryEvent!.resourceChanges;
}

/**
 * One request of the client load: when it started (ms since epoch), its client port, curl's exit
 * code and who answered (FAILED when curl failed).
 */
export { type Hit, Load } from "./load";
