import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/**
 * Runs `shellcheck -s sh` on named scripts in one process and returns the findings, each prefixed
 * by the script's name (empty when all are clean). A missing shellcheck is a failure, never a pass.
 */
export function shellcheck(scripts: Record<string, string>): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lvsdr-shellcheck-"));
    try {
        const files = Object.entries(scripts).map(([name, text], i) => {
            const file = path.join(dir, `${i}-${name.replace(/[^A-Za-z0-9.-]+/g, "_")}.sh`);
            fs.writeFileSync(file, text);
            return file;
        });
        const result = spawnSync("shellcheck", ["-s", "sh", "-f", "gcc", ...files], { encoding: "utf8" });
        if (result.error) {
            throw new Error(`shellcheck could not be run (${result.error.message}): install it, e.g. apt-get install shellcheck`);
        }
        if (result.status !== 0 && result.stdout.trim() === "") {
            throw new Error(`shellcheck failed without findings: ${result.stderr}`);
        }
        return result.stdout.split(dir + path.sep).join("").trim();
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}
