import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { type Ran, run } from "../../lab/harness/spawn";

/**
 * keepalived's own configuration test (`keepalived -t -f`) on a configuration text: its complaints,
 * empty when it accepts the file. keepalived also checks that the interfaces named exist, so the
 * test runs in a fresh network namespace holding an interface (one end of a veth pair) of each name the text uses
 * (the machine's own NICs never matter). The warnings the rules script accepts (every real
 * server at weight 0 is below the default quorum; scripts without enable_script_security; see
 * keepalived_check in sh/keepalived.sh) are left out. A missing keepalived is a failure, never a pass.
 */
export function keepalivedTest(config: string): string {
    const { dir, argv } = prepare(config);
    try {
        return verdict(dir, spawnSync(argv[0], argv.slice(1), { encoding: "utf8" }));
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

/** {@link keepalivedTest} without blocking, so that several run side by side. */
export async function keepalivedTestAsync(config: string): Promise<string> {
    const { dir, argv } = prepare(config);
    try {
        return verdict(dir, await run(argv[0], argv.slice(1)));
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

function prepare(config: string): { dir: string; argv: string[] } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lvsdr-keepalived-"));
    const file = path.join(dir, "cluster.conf");
    fs.writeFileSync(file, config);
    const interfaces = [...new Set([...config.matchAll(/(?:^\s*interface|\bdev|^\s*lvs_sync_daemon) ([A-Za-z0-9_.-]+)/gm)].map((m) => m[1]))];
    return {
        dir,
        argv: ["unshare", "--net", "sh", "-c",
            'f=$1; shift; n=0; for i; do n=$((n+1)); ip link add "$i" type veth peer name "lvsdrpeer$n" || exit 97; done; exec keepalived -t -f "$f"', "sh", file, ...interfaces],
    };
}

function verdict(dir: string, result: Ran): string {
    if (result.error) {
        throw new Error(`keepalived's test could not be run (${result.error.message}): it needs unshare (util-linux) and root`);
    }
    const said = `${result.stdout}${result.stderr}`.split(dir + path.sep).join("").split("\n")
        .filter((l) => !/exceeds total weight of real servers 0, reducing quorum to 0$|hysteresis 0 >= quorum 0; setting hysteresis to 4294967295$/.test(l))
        // As keepalived_check: scripts running without the daemon-wide enable_script_security (exit 6).
        .filter((l) => l !== "SECURITY VIOLATION - scripts are being executed but script_security not enabled."
            && l !== "SECURITY VIOLATION - check scripts are being executed but script_security not enabled.")
        .join("\n").trim();
    if (result.status === 127 || /keepalived: not found/.test(said)) {
        throw new Error("keepalived is missing: install it, e.g. apt-get install keepalived");
    }
    return said === "" && [0, 5, 6].includes(result.status ?? -1) ? "" : `exit ${result.status}: ${said}`;
}
