import { spawnSync } from "child_process";

/**
 * Runs `shellcheck -s sh` on a script and returns its findings (empty when clean). A missing
 * shellcheck is a failure, never a pass.
 */
export function shellcheck(script: string): string {
    const result = spawnSync("shellcheck", ["-s", "sh", "-f", "gcc", "-"], { input: script, encoding: "utf8" });
    if (result.error) {
        throw new Error(`shellcheck could not be run (${result.error.message}): install it, e.g. apt-get install shellcheck`);
    }
    if (result.status !== 0 && result.stdout.trim() === "") {
        throw new Error(`shellcheck failed without findings: ${result.stderr}`);
    }
    return result.stdout.trim();
}
