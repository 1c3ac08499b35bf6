/**
 * `pulumi` for the root project where no nodejs language host can be installed:
 *
 *   node build/lab/pulumi.js <any pulumi arguments>      (npm run pulumi -- <arguments>)
 *
 * Runs the CLI from scripts/pulumi-toolchain with the lab environment (file backend under .tools/,
 * no update checks or plugin downloads). For the commands that run the program (up, preview,
 * refresh, destroy) it hosts the root program (program/index.ts, compiled to build/program) in this
 * process and points the CLI at it with --client, which is how the Automation API runs inline
 * programs; everything else (config, stack, export...) is the plain CLI. Output is the CLI's own.
 * With a normal Pulumi install, `pulumi <arguments>` in the repository does the same.
 *
 * With the CLI's own `--cwd DIR` (`-C DIR`) it runs another Pulumi project instead (the
 * consumer-project test, test/consumer): the program is DIR's compiled entry point (its
 * package.json `main`, as the nodejs language host loads a program that is not TypeScript), run
 * with the @pulumi/pulumi that DIR's program resolves (its own copy, not this repository's), and
 * the CLI runs in DIR. A DIR whose Pulumi.yaml names another runtime (YAML) is the plain CLI's:
 * the engine starts that language host itself (scripts/pulumi-toolchain provides it).
 */
import type * as grpc from "@grpc/grpc-js";
import type * as langrpc from "@pulumi/pulumi/proto/language_grpc_pb";
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as yaml from "js-yaml";
import { createRequire } from "module";
import * as path from "path";

const ROOT = path.resolve(__dirname, "..", "..");
const RUNS_PROGRAM = new Set(["up", "update", "preview", "pre", "refresh", "destroy", "down"]);

/** The environment scripts/pulumi-toolchain prints, applied to this process. */
function toolchainEnv(): void {
    const r = spawnSync("bash", [path.join(ROOT, "scripts", "pulumi-toolchain"), "env"], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
    if (r.status !== 0) {
        throw new Error("scripts/pulumi-toolchain failed (see above)");
    }
    const env = spawnSync("sh", ["-c", `${r.stdout}\nenv -0`], { encoding: "utf8" }).stdout;
    for (const entry of env.split("\0").filter(Boolean)) {
        const i = entry.indexOf("=");
        process.env[entry.slice(0, i)] = entry.slice(i + 1);
    }
}

/** What lab/pulumi.ts uses of the SDK's in-process language runtime. */
interface LanguageServerClass {
    new (program: () => Promise<unknown>): grpc.UntypedServiceImplementation & { onPulumiExit(failed: boolean): void };
}

/** The project a command runs: the root project, or the one the CLI's `--cwd`/`-C` names. */
interface Project {
    dir: string;
    /** The module the language host would run (a compiled program). */
    program: string;
}

/** The `--cwd`/`-C` value in `argv`, and `argv` without it (where the command is looked for). */
function cwdOption(argv: string[]): { dir?: string; rest: string[] } {
    const rest: string[] = [];
    let dir: string | undefined;
    for (let i = 0; i < argv.length; i++) {
        if (argv[i] === "--cwd" || argv[i] === "-C") {
            dir = argv[++i];
        } else if (argv[i].startsWith("--cwd=")) {
            dir = argv[i].slice("--cwd=".length);
        } else {
            rest.push(argv[i]);
        }
    }
    return { dir, rest };
}

/**
 * Whether the project in `dir` runs on nodejs (its Pulumi.yaml's runtime): a program in another
 * language (YAML) is run by its own language host, which the engine starts; nothing is hosted here.
 */
function runsOnNodejs(dir: string | undefined): boolean {
    if (dir === undefined) {
        return true;
    }
    const file = path.join(path.resolve(dir), "Pulumi.yaml");
    if (!fs.existsSync(file)) {
        return true;
    }
    // `runtime: yaml`, or `runtime: { name: nodejs, options: … }`.
    const runtime = (yaml.load(fs.readFileSync(file, "utf8")) as { runtime?: string | { name?: string } } | undefined)?.runtime;
    return (typeof runtime === "string" ? runtime : runtime?.name) === "nodejs";
}

function projectOf(dir: string | undefined): Project {
    if (dir === undefined) {
        return { dir: ROOT, program: path.join(ROOT, "build", "program", "index.js") };
    }
    const abs = path.resolve(dir);
    // As the nodejs language host: the folder's package.json `main` (index.js without one).
    return { dir: abs, program: createRequire(path.join(abs, "package.json")).resolve(abs) };
}

/** Serves the project's program over the language runtime protocol; returns the address and a stop function. */
async function hostProgram(project: Project): Promise<{ address: string; stop: (failed: boolean) => void }> {
    // Everything from the SDK copy the program itself loads: the runtime state the program
    // registers resources through must be the one the language server sets up.
    const fromProject = createRequire(path.join(project.dir, "package.json"));
    const fromSdk = createRequire(fromProject.resolve("@pulumi/pulumi/package.json"));
    // Internal to @pulumi/pulumi (pinned, so stable here; its typings omit them): the Automation
    // API's in-process language runtime and the channel options it serves it with.
    const { LanguageServer } = fromSdk("./automation/server") as { LanguageServer: LanguageServerClass };
    const { grpcChannelOptions } = fromSdk("./runtime/settings") as { grpcChannelOptions: grpc.ServerOptions };
    const grpcjs = fromSdk("@grpc/grpc-js") as typeof grpc;
    const { LanguageRuntimeService } = fromSdk("./proto/language_grpc_pb") as typeof langrpc;
    // The program is loaded while the language server runs it (a program's top-level code
    // registers resources as it loads); a module that exports a function is called, and what it
    // returns (or the module's exports) are the stack's outputs, as the nodejs language host does.
    const program = async (): Promise<unknown> => {
        const main = fromProject(project.program) as unknown;
        return typeof main === "function" ? await (main as () => unknown)() : main;
    };
    const server = new grpcjs.Server({ ...grpcChannelOptions });
    const language = new LanguageServer(program);
    server.addService(LanguageRuntimeService, language);
    const port = await new Promise<number>((ok, fail) =>
        server.bindAsync("127.0.0.1:0", grpcjs.ServerCredentials.createInsecure(), (e, p) => (e ? fail(e) : ok(p))));
    return {
        address: `127.0.0.1:${port}`,
        stop: (failed) => {
            language.onPulumiExit(failed);
            server.forceShutdown();
        },
    };
}

async function main(argv: string[]): Promise<number> {
    toolchainEnv();
    const { dir, rest } = cwdOption(argv);
    const command = rest.find((a) => !a.startsWith("-"));
    const hosted = command !== undefined && RUNS_PROGRAM.has(command) && !argv.includes("--help") && !argv.includes("-h") && runsOnNodejs(dir)
        ? await hostProgram(projectOf(dir))
        : undefined;
    // The CLI runs in the repository: a relative --cwd is passed on resolved from where this ran.
    const cliArgs = dir === undefined ? argv : [...rest, "--cwd", path.resolve(dir)];
    const args = hosted ? [...cliArgs, `--client=${hosted.address}`] : cliArgs;
    // Output that is not a terminal goes through this process, not straight to the shared pipe:
    // with the pipe shared, a 343 KB `preview --json` ended at 219,264 bytes, exit 0, in a CI run
    // and in 2 of 3 runs after it (test:consumer); forwarded, 3 of 3 were whole. The likely cause:
    // node makes the pipe it writes to non-blocking (a flag of the pipe, so of the CLI's copy too),
    // and a Go write that meets a full non-blocking pipe fails.
    const piped = !process.stdout.isTTY;
    const code = await new Promise<number>((ok, fail) => {
        const child = spawn("pulumi", args, { cwd: ROOT, stdio: piped ? ["inherit", "pipe", "pipe"] : "inherit" });
        child.stdout?.pipe(process.stdout, { end: false });
        child.stderr?.pipe(process.stderr, { end: false });
        child.on("error", fail);
        child.on("close", (c, signal) => ok(c ?? (signal ? 128 : 1)));
    });
    // Everything forwarded is written before the exit.
    await new Promise<void>((ok) => process.stdout.write("", () => ok()));
    await new Promise<void>((ok) => process.stderr.write("", () => ok()));
    hosted?.stop(code !== 0);
    return code;
}

main(process.argv.slice(2)).then((code) => process.exit(code), (e) => {
    console.error(`lab/pulumi: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
});
