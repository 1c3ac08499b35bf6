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
 */
import * as grpc from "@grpc/grpc-js";
import * as langrpc from "@pulumi/pulumi/proto/language_grpc_pb";
import { spawn, spawnSync } from "child_process";
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

/** Serves the root program over the language runtime protocol; returns the address and a stop function. */
async function hostProgram(): Promise<{ address: string; stop: (failed: boolean) => void }> {
    // Internal to @pulumi/pulumi (pinned, so stable here; its typings omit them): the Automation
    // API's in-process language runtime and the channel options it serves it with.
    /* eslint-disable @typescript-eslint/no-require-imports -- modules without typings, and the program built at run time */
    const { LanguageServer } = require("@pulumi/pulumi/automation/server") as { LanguageServer: LanguageServerClass };
    const { grpcChannelOptions } = require("@pulumi/pulumi/runtime/settings") as { grpcChannelOptions: grpc.ServerOptions };
    const program = require(path.join(ROOT, "build", "program", "index.js")) as () => Promise<unknown>;
    /* eslint-enable @typescript-eslint/no-require-imports */
    const server = new grpc.Server({ ...grpcChannelOptions });
    const language = new LanguageServer(program);
    server.addService(langrpc.LanguageRuntimeService, language);
    const port = await new Promise<number>((ok, fail) =>
        server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) => (e ? fail(e) : ok(p))));
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
    const command = argv.find((a) => !a.startsWith("-"));
    const hosted = command !== undefined && RUNS_PROGRAM.has(command) && !argv.includes("--help") && !argv.includes("-h")
        ? await hostProgram()
        : undefined;
    const args = hosted ? [...argv, `--client=${hosted.address}`] : argv;
    const code = await new Promise<number>((ok, fail) => {
        const child = spawn("pulumi", args, { cwd: ROOT, stdio: "inherit" });
        child.on("error", fail);
        child.on("close", (c, signal) => ok(c ?? (signal ? 128 : 1)));
    });
    hosted?.stop(code !== 0);
    return code;
}

main(process.argv.slice(2)).then((code) => process.exit(code), (e) => {
    console.error(`lab/pulumi: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
});
