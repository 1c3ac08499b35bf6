import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/**
 * keepalived's own configuration test (`keepalived -t -f`) on a configuration text: its complaints,
 * empty when it accepts the file. The one warning the rules script accepts (every real server at
 * weight 0 is below the default quorum; see keepalived_check in sh/keepalived.sh) is left out. A
 * missing keepalived is a failure, never a pass.
 */
export function keepalivedTest(config: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lvsdr-keepalived-"));
    try {
        const file = path.join(dir, "cluster.conf");
        fs.writeFileSync(file, config);
        const result = spawnSync("keepalived", ["-t", "-f", file], { encoding: "utf8" });
        if (result.error) {
            throw new Error(`keepalived could not be run (${result.error.message}): install it, e.g. apt-get install keepalived`);
        }
        const said = `${result.stdout}${result.stderr}`.split(dir + path.sep).join("").split("\n")
            .filter((l) => !/exceeds total weight of real servers 0, reducing quorum to 0$|hysteresis 0 >= quorum 0; setting hysteresis to 4294967295$/.test(l))
            .join("\n").trim();
        return said === "" ? "" : `exit ${result.status}: ${said}`;
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}
