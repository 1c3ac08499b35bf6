import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { type Ran, run } from "../../lab/harness/spawn";

/**
 * Runs `shellcheck -s sh` on named scripts in one process and returns the findings, each prefixed
 * by the script's name (empty when all are clean). A missing shellcheck is a failure, never a pass.
 */
export function shellcheck(scripts: Record<string, string>): string {
    const { dir, args } = writeScripts(scripts);
    try {
        return findings(dir, spawnSync("shellcheck", args, { encoding: "utf8" }));
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

/** {@link shellcheck} without blocking, so that several run side by side. */
export async function shellcheckAsync(scripts: Record<string, string>): Promise<string> {
    const { dir, args } = writeScripts(scripts);
    try {
        return findings(dir, await run("shellcheck", args));
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

/** The scripts as files in a new folder, and shellcheck's arguments for them in their order. */
function writeScripts(scripts: Record<string, string>): { dir: string; args: string[] } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lvsdr-shellcheck-"));
    const files = Object.entries(scripts).map(([name, text], i) => {
        const file = path.join(dir, `${i}-${name.replace(/[^A-Za-z0-9.-]+/g, "_")}.sh`);
        fs.writeFileSync(file, text);
        return file;
    });
    return { dir, args: ["-s", "sh", "-f", "gcc", ...files] };
}

function findings(dir: string, result: Ran): string {
    if (result.error) {
        throw new Error(`shellcheck could not be run (${result.error.message}): install it, e.g. apt-get install shellcheck`);
    }
    if (result.status !== 0 && result.stdout.trim() === "") {
        throw new Error(`shellcheck failed without findings: ${result.stderr}`);
    }
    return result.stdout.split(dir + path.sep).join("").trim();
}
