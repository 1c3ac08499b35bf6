/**
 * The lab's stand-in for `pulumi-resource-command` (the provider behind @pulumi/command).
 *
 * Why it exists: on the machines this project is developed and tested on, the Go module proxy is the
 * only source of binaries, and it refuses github.com/pulumi/pulumi-command/provider (every version
 * and pseudo-version). scripts/pulumi-toolchain puts this stand-in on PATH only when the real plugin
 * is not installed; users with a normal Pulumi install never run it.
 *
 * What it implements: `command:remote:Command` as pulumi-command v1.2.1 does for what this package
 * uses — create/update/delete command strings run by the remote login shell, `stdin` sent to them
 * (a delete gets the stdin of the state, as the real one), `update` falling back
 * to `create`, `triggers` changes replacing, stdout/stderr outputs with one trailing newline trimmed,
 * dials retried `dialErrorLimit` times (-1 = until the 20-minute cap) with `perDialTimeout` each,
 * host key pinned when `hostKey` is set, secrets kept secret in state, each line of a running
 * command's output streamed to the engine as the resource's status (`logging`: stdout and stderr
 * unless it says otherwise), as the real provider's `ctx.LogStatus`. It speaks SSH through the
 * OpenSSH client, one connection per command (dialed, then the command runs on it). Anything else
 * (password, agent, proxy, environment, other resource types) is refused with an error
 * rather than half-done. `main.ts` serves it.
 */
import * as pulumi from "@pulumi/pulumi";
import { spawn } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const VERSION = "1.2.1";
const TYPE = "command:remote:Command";
const DIAL_CAP_MS = 20 * 60 * 1000;
/** Inputs of remote.Command; anything else in the state is an output. */
const INPUTS = ["connection", "create", "update", "delete", "triggers", "environment", "stdin", "logging", "addPreviousOutputInEnv"];
const UNSUPPORTED_CONNECTION = ["password", "privateKeyPassword", "agentSocketPath", "proxy"];

const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SECRET_VALUE = "1b47061264138c4ac30d75fd1eb44270";

/** The plain value of a property as the engine sends it (secrets arrive wrapped in a signature object). */
function reveal(v: unknown): unknown {
    if (Array.isArray(v)) {
        return v.map(reveal);
    }
    if (v && typeof v === "object") {
        const o = v as Record<string, unknown>;
        if (o[SECRET_SIG] === SECRET_VALUE) {
            return reveal(o.value);
        }
        return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, reveal(x)]));
    }
    return v;
}

/** The signature of an output value (an input that came from an Output with dependencies). */
const OUTPUT_VALUE = "d0e6a833031e9bbcd3f4e8bde6ca49a4";

/**
 * Inputs as plain values. The engine sends an input that came from an Output with dependencies as
 * an output value (this provider's server accepts them): `{ sig: OUTPUT_VALUE, value?, secret?,
 * dependencies? }`, here its value (a secret one kept wrapped as a secret; an unknown one, in a
 * preview, undefined), as the real provider gets it.
 */
function settled(v: unknown): unknown {
    if (Array.isArray(v)) {
        return v.map(settled);
    }
    if (v && typeof v === "object") {
        const o = v as Record<string, unknown>;
        if (o[SECRET_SIG] === OUTPUT_VALUE) {
            const value = settled(o.value);
            return o.secret === true ? secret(value) : value;
        }
        return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, settled(x)]));
    }
    return v;
}

function settledProps(v: Record<string, unknown>): Record<string, unknown> {
    return settled(v) as Record<string, unknown>;
}

function secret(v: unknown): unknown {
    return { [SECRET_SIG]: SECRET_VALUE, value: v };
}

interface Connection {
    host: string;
    port: number;
    user: string;
    privateKey: string;
    dialErrorLimit: number;
    perDialTimeout: number;
    hostKey?: string;
}

function connectionOf(inputs: Record<string, unknown>): Connection {
    const c = reveal(inputs.connection) as Record<string, unknown> | undefined;
    if (!c || typeof c.host !== "string") {
        throw new Error("connection.host is required");
    }
    for (const k of UNSUPPORTED_CONNECTION) {
        if (c[k] !== undefined) {
            throw new Error(`the lab's command provider does not support connection.${k}; install the real pulumi-resource-command`);
        }
    }
    if (typeof c.privateKey !== "string") {
        throw new Error("the lab's command provider needs connection.privateKey");
    }
    return {
        host: c.host,
        port: typeof c.port === "number" ? c.port : 22,
        user: typeof c.user === "string" ? c.user : "root",
        privateKey: c.privateKey,
        dialErrorLimit: typeof c.dialErrorLimit === "number" ? c.dialErrorLimit : 10,
        perDialTimeout: typeof c.perDialTimeout === "number" ? c.perDialTimeout : 15,
        hostKey: typeof c.hostKey === "string" ? c.hostKey : undefined,
    };
}

interface Result {
    code: number | null;
    stdout: string;
    stderr: string;
    both: string;
}

/**
 * OpenSSH on the connection of one run: `dial` opens it (a master connection, kept on a control
 * socket in `dir`, backgrounded once authenticated), `command` runs on it, `close` ends it. One TCP
 * connection and one handshake per command, as the real provider (Go's SSH client: dial, then a
 * session on that client). Dialing and running on separate connections would cost a lab VM a
 * second handshake per command (about 2.5 s of CPU under software emulation).
 */
function ssh(dir: string, c: Connection, step: "dial" | "command" | "close", command = "", stream?: Stream, stdin = ""): Promise<Result> {
    const control = path.join(dir, "control");
    const args = [
        "-i", path.join(dir, "key"), "-p", String(c.port), "-l", c.user,
        "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o", "LogLevel=ERROR",
        "-o", `ConnectTimeout=${c.perDialTimeout > 0 ? c.perDialTimeout : 600}`,
        "-o", "ServerAliveInterval=15", "-o", "ServerAliveCountMax=4",
        "-o", `ControlPath=${control}`,
        // The master outlives a lost `close` by at most 10 minutes of idleness.
        ...(step === "dial" ? ["-o", "ControlMaster=yes", "-o", "ControlPersist=600"] : ["-o", "ControlMaster=no"]),
        ...(step === "close" ? ["-O", "exit"] : []),
        ...(c.hostKey
            ? ["-o", "StrictHostKeyChecking=yes", "-o", `UserKnownHostsFile=${path.join(dir, "known_hosts")}`]
            : ["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null"]),
        "--", c.host, ...(step === "command" ? [command] : step === "dial" ? ["true"] : []),
    ];
    return new Promise((resolve, reject) => {
        // As the real provider: `stdin`, then the end of input (at once when there is none).
        const child = spawn("ssh", args, { stdio: ["pipe", "pipe", "pipe"] });
        child.stdin.on("error", () => undefined);
        child.stdin.end(stdin);
        let stdout = "";
        let stderr = "";
        let both = "";
        const out = lines((l) => stream?.("stdout", l));
        const err = lines((l) => stream?.("stderr", l));
        child.stdout.on("data", (d: Buffer) => { stdout += d.toString(); both += d.toString(); out.push(d.toString()); });
        child.stderr.on("data", (d: Buffer) => { stderr += d.toString(); both += d.toString(); err.push(d.toString()); });
        child.on("error", reject);
        child.on("close", (code) => { out.end(); err.end(); resolve({ code, stdout, stderr, both }); });
    });
}

/** Where a running command's output lines go, by the stream they came on. */
type Stream = (from: "stdout" | "stderr", line: string) => void;

/** Splits text arriving in chunks into whole lines for `each`; `end` flushes a last line without its newline. */
function lines(each: (line: string) => void): { push: (text: string) => void; end: () => void } {
    let rest = "";
    return {
        push: (text) => {
            const parts = (rest + text).split("\n");
            rest = parts.pop() ?? "";
            parts.forEach(each);
        },
        end: () => {
            if (rest !== "") {
                each(rest);
            }
            rest = "";
        },
    };
}

/**
 * The real provider's streaming: each output line, as it comes, to the engine as an ephemeral
 * info message on the resource (the progress display's status column; `--event-log` records it
 * as a diagnostic event with `ephemeral: true`). `logging` picks the streams (none: nothing).
 */
function streamTo(urn: string, inputs: Record<string, unknown>): Stream {
    const logging = typeof inputs.logging === "string" ? inputs.logging : "stdoutAndStderr";
    const resource = { urn: pulumi.output(urn) } as unknown as pulumi.Resource;
    return (from, line) => {
        if (logging === "stdoutAndStderr" || logging === from) {
            void pulumi.log.info(line, resource, undefined, true);
        }
    };
}

/** Dial (retried like the real provider), then run the command once, streaming its output to `urn`. */
async function run(urn: string, inputs: Record<string, unknown>, command: string): Promise<{ stdout: string; stderr: string }> {
    if (inputs.environment !== undefined) {
        throw new Error("the lab's command provider does not support environment; install the real pulumi-resource-command");
    }
    const stdin = inputs.stdin === undefined ? "" : commandText(inputs.stdin, "stdin");
    const c = connectionOf(inputs);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lvsdr-command-"));
    try {
        fs.writeFileSync(path.join(dir, "key"), c.privateKey.endsWith("\n") ? c.privateKey : `${c.privateKey}\n`, { mode: 0o600 });
        if (c.hostKey) {
            fs.writeFileSync(path.join(dir, "known_hosts"), `${c.port === 22 ? c.host : `[${c.host}]:${c.port}`} ${c.hostKey.trim()}\n`);
        }
        const deadline = Date.now() + DIAL_CAP_MS;
        let delay = 1000;
        for (let dials = 1; ; dials++) {
            const probe = await ssh(dir, c, "dial");
            if (probe.code === 0) {
                break;
            }
            const limited = c.dialErrorLimit >= 0 && dials > c.dialErrorLimit;
            if (limited || Date.now() + delay > deadline) {
                throw new Error(`Dial ${c.user}@${c.host}:${c.port} failed ${dials} times: ${probe.stderr.trim()}`);
            }
            await new Promise((ok) => setTimeout(ok, delay));
            delay = Math.min(delay * 1.5, 5000);
        }
        const r = await ssh(dir, c, "command", command, streamTo(urn, inputs), stdin);
        if (r.code !== 0) {
            throw new Error(`Process exited with status ${r.code}: running ${JSON.stringify(command)}:\n${r.both}`);
        }
        return { stdout: r.stdout.replace(/\n$/, ""), stderr: r.stderr.replace(/\n$/, "") };
    } finally {
        // Ends the master if a dial made one (nothing to end otherwise).
        await ssh(dir, c, "close").catch(() => undefined);
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

/** A command text, refused when it is anything else (a command that runs nothing must not pass for done). */
function commandText(secretOrPlain: unknown, what = "command"): string {
    // A secret text runs as any other (the real provider takes secret commands).
    const v = reveal(secretOrPlain);
    if (typeof v !== "string") {
        throw new Error(`the lab's command provider got a ${what} that is not a string: ${typeof v}`);
    }
    return v;
}

function checkType(urn: string): void {
    const type = urn.split("::")[2]?.split("$").pop();
    if (type !== TYPE) {
        throw new Error(`the lab's command provider implements only ${TYPE}, not ${type}`);
    }
}

function inputsOf(props: Record<string, unknown>): Record<string, unknown> {
    return Object.fromEntries(INPUTS.filter((k) => props[k] !== undefined).map((k) => [k, props[k]]));
}

/** The state: inputs as given (secrets stay wrapped) plus outputs; the connection is secret as in the real schema. */
function outputs(inputs: Record<string, unknown>, out: { stdout: string; stderr: string }): Record<string, unknown> {
    return { ...inputs, connection: secret(reveal(inputs.connection)), stdout: out.stdout, stderr: out.stderr };
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(reveal(a) ?? null) === JSON.stringify(reveal(b) ?? null);

export const provider: pulumi.provider.Provider = {
    version: VERSION,

    async check(urn, _olds, news: Record<string, unknown>) {
        checkType(urn);
        return { inputs: news };
    },

    async diff(_id, urn, oldProps: Record<string, unknown>, newProps: Record<string, unknown>) {
        checkType(urn);
        const [olds, news] = [settledProps(oldProps), settledProps(newProps)];
        const changed = INPUTS.filter((k) => !same(olds[k], news[k]));
        return { changes: changed.length > 0, replaces: changed.includes("triggers") ? ["triggers"] : [] };
    },

    async create(urn, props: Record<string, unknown>) {
        checkType(urn);
        const inputs = settledProps(props);
        const name = urn.split("::").pop() ?? "command";
        const id = `${name}${crypto.randomBytes(4).toString("hex")}`;
        const out = inputs.create !== undefined ? await run(urn, inputs, commandText(inputs.create)) : { stdout: "", stderr: "" };
        return { id, outs: outputs(inputsOf(inputs), out) };
    },

    async update(_id, urn, olds: Record<string, unknown>, newProps: Record<string, unknown>) {
        checkType(urn);
        const news = settledProps(newProps);
        const command = news.update ?? news.create;
        const out = command !== undefined
            ? await run(urn, news, commandText(command))
            : { stdout: typeof olds.stdout === "string" ? olds.stdout : "", stderr: typeof olds.stderr === "string" ? olds.stderr : "" };
        return { outs: outputs(inputsOf(news), out) };
    },

    async delete(_id, urn, state: Record<string, unknown>) {
        checkType(urn);
        const props = settledProps(state);
        if (props.delete !== undefined) {
            await run(urn, inputsOf(props), commandText(props.delete));
        }
    },

    async read(id, urn, props: Record<string, unknown>) {
        checkType(urn);
        return { id, props };
    },
};

