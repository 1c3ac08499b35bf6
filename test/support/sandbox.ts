/**
 * A throwaway host for running the generated scripts on the real kernel of the test machine
 * without being able to change that machine:
 * - a network namespace of its own (sysctls under net/ and addresses are per namespace), with a
 *   veth named like a real NIC;
 * - every step runs in a private mount namespace where / is read-only, /etc and /var are overlays
 *   whose upper layers live in this sandbox's work directory, and /run is an empty tmpfs (so no
 *   systemd is seen and no systemctl is called).
 * The upper layers show exactly which files a script left behind.
 */
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export interface StepResult {
    status: number | null;
    stdout: string;
    stderr: string;
}

const PRELUDE = `set -eu
w=$1; shift
for d in etc var; do
  mount -t overlay overlay -o "lowerdir=/$d,upperdir=$w/$d/upper,workdir=$w/$d/work" "/$d"
done
mount -t tmpfs tmpfs /run
mount --bind "$w/rw" "$w/rw"
mount -o bind,remount,ro /
exec "$@"`;

/** Fails with a message naming what is missing; never lets a test pass without running. */
export function requireSandboxPrerequisites(): void {
    const missing: string[] = [];
    if (process.getuid?.() !== 0) {
        missing.push("root (network and mount namespaces need it; run the tests as root)");
    }
    for (const tool of ["ip", "unshare", "mount", "sh"]) {
        if (spawnSync("sh", ["-c", `command -v ${tool}`]).status !== 0) {
            missing.push(`the ${tool} command (apt-get install iproute2 util-linux mount)`);
        }
    }
    if (!fs.readFileSync("/proc/filesystems", "utf8").includes("overlay")) {
        missing.push("overlayfs in the running kernel");
    }
    if (missing.length > 0) {
        throw new Error(`namespace tests cannot run; missing: ${missing.join("; ")}`);
    }
}

let counter = 0;

export class Sandbox {
    readonly netns: string;
    readonly dir: string;
    /** A writable directory visible inside every step (for fakes' state). */
    readonly rw: string;

    constructor() {
        this.netns = `lvsdr-test-${process.pid}-${counter++}`;
        this.dir = fs.mkdtempSync(path.join(os.tmpdir(), "lvsdr-sandbox-"));
        this.rw = path.join(this.dir, "rw");
        for (const d of ["etc/upper", "etc/work", "var/upper", "var/work", "rw/bin", "bin"]) {
            fs.mkdirSync(path.join(this.dir, d), { recursive: true });
        }
        execFileSync("ip", ["netns", "add", this.netns]);
        this.ip("link", "set", "lo", "up");
    }

    /** Runs `ip ARGS` in the namespace (no mount sandbox: read-only uses and link setup). */
    ip(...args: string[]): string {
        return execFileSync("ip", ["netns", "exec", this.netns, "ip", ...args], { encoding: "utf8" });
    }

    /** Adds a veth pair and gives the first end the name a real NIC would have. */
    addNic(name: string, address?: string): void {
        this.ip("link", "add", name, "type", "veth", "peer", "name", `${name}-peer`);
        this.ip("link", "set", name, "up");
        this.ip("link", "set", `${name}-peer`, "up");
        if (address) {
            this.ip("addr", "add", address, "dev", name);
        }
    }

    /**
     * Puts an executable on PATH for the steps (fakes for tools the host kernel cannot back).
     * `writable` puts it in the directory steps can write to, which is on PATH too.
     */
    addTool(name: string, content: string, writable = false): void {
        fs.writeFileSync(path.join(writable ? this.rw : this.dir, "bin", name), content, { mode: 0o755 });
    }

    /** Runs a script as root in the namespace and the mount sandbox. */
    run(script: string): StepResult {
        const file = path.join(this.dir, "step.sh");
        fs.writeFileSync(file, script);
        const env = { ...process.env, PATH: [path.join(this.dir, "bin"), path.join(this.rw, "bin"), process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin"].join(":") };
        const r = spawnSync("ip", ["netns", "exec", this.netns, "unshare", "--mount", "--propagation", "private",
            "sh", "-c", PRELUDE, "sandbox", this.dir, "sh", file], { encoding: "utf8", env });
        if (r.error) {
            throw r.error;
        }
        return { status: r.status, stdout: r.stdout, stderr: r.stderr };
    }

    /** Like run, but fails the test on a non-zero exit, showing the script's output. */
    mustRun(script: string): StepResult {
        const r = this.run(script);
        if (r.status !== 0) {
            throw new Error(`script exited ${r.status}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
        }
        return r;
    }

    /** Reads a sysctl of the namespace, slash-separated path under /proc/sys. */
    sysctl(key: string): string {
        return execFileSync("ip", ["netns", "exec", this.netns, "cat", `/proc/sys/${key}`], { encoding: "utf8" }).trim();
    }

    setSysctl(key: string, value: string): void {
        execFileSync("ip", ["netns", "exec", this.netns, "sh", "-c", `printf '%s\\n' "$1" > "/proc/sys/$2"`, "sh", value, key]);
    }

    /** IPv4 addresses of DEV as "address/prefix label". */
    addresses(dev: string): string[] {
        const links = JSON.parse(this.ip("-j", "-4", "addr", "show", "dev", dev)) as
            { addr_info: { local: string; prefixlen: number; label?: string }[] }[];
        return links.flatMap((l) => l.addr_info.map((a) => `${a.local}/${a.prefixlen} ${a.label ?? dev}`));
    }

    /**
     * Files and symlinks the steps left under /etc and /var, as "path -> content or target";
     * overlay whiteouts (deleted lower files) are listed as "path (deleted)".
     */
    writtenFiles(): Map<string, string> {
        const files = new Map<string, string>();
        for (const top of ["etc", "var"]) {
            const upper = path.join(this.dir, top, "upper");
            const walk = (dir: string): void => {
                for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
                    const full = path.join(dir, entry.name);
                    const shown = `/${top}/${path.relative(upper, full)}`;
                    if (entry.isDirectory()) {
                        if (!fs.existsSync(shown)) {
                            files.set(`${shown}/`, "(directory created)");
                        }
                        walk(full);
                    } else if (entry.isSymbolicLink()) {
                        files.set(shown, `-> ${fs.readlinkSync(full)}`);
                    } else if (entry.isCharacterDevice()) {
                        files.set(shown, "(deleted)");
                    } else {
                        files.set(shown, fs.readFileSync(full, "utf8"));
                    }
                }
            };
            walk(upper);
        }
        return files;
    }

    destroy(): void {
        spawnSync("ip", ["netns", "del", this.netns]);
        fs.rmSync(this.dir, { recursive: true, force: true });
    }
}
