import { spawn } from "child_process";
import * as os from "os";

export interface Ran {
    status: number | null;
    stdout: string;
    stderr: string;
    error?: Error;
}

/** spawnSync's result, without blocking: for checks that run side by side; `stdin` is written to the child's input. */
export function run(command: string, args: string[], stdin = ""): Promise<Ran> {
    return new Promise((resolve) => {
        const child = spawn(command, args);
        // A child that exits without reading its input must not crash the caller with EPIPE.
        child.stdin.on("error", () => undefined);
        child.stdin.end(stdin);
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        child.on("error", (error) => resolve({ status: null, stdout, stderr, error }));
        child.on("close", (status) => resolve({ status, stdout, stderr }));
    });
}

/**
 * A queue that runs at most `n` tasks at once (default: one per CPU). The variant checks spawn
 * shellcheck and keepalived for minutes of CPU: one at a time they leave every core but one idle.
 */
export function pool(n = Math.max(1, os.cpus().length)): <T>(task: () => Promise<T>) => Promise<T> {
    let active = 0;
    const waiting: (() => void)[] = [];
    const next = (): void => {
        if (active < n && waiting.length > 0) {
            active++;
            waiting.shift()!();
        }
    };
    return <T>(task: () => Promise<T>): Promise<T> => new Promise<T>((resolve, reject) => {
        waiting.push(() => {
            void task().then(resolve, reject).finally(() => {
                active--;
                next();
            });
        });
        next();
    });
}
