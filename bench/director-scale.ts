/**
 * Part 2c of the benchmark: on a director VM, the component's own commands for a cluster of N real
 * servers x 2 services (addresses in 198.18.0.0/15, health checks `none`: nothing is sent to them).
 * For each N: the rules applied to an empty table (write, `keepalived -t`, reload, wait until the
 * table is applied), one weight changed (the same, as a diff: keepalived's reload at that size),
 * `keepalived -t` alone on the file, and the rules removed (drain with nothing active, delete).
 * Then a destroy as the engine runs it (`destroyAsEngine`): the rules applied again, every real
 * server's drain hook deleted at once (the wall time, the failed hooks, keepalived's reloads),
 * then the rules deleted. The director's setup runs once before, its teardown after. Each time is
 * the SSH command's wall time (the hooks': the director's own clock); an empty command's is
 * reported beside them. On the lab's director VM alone: `npm run bench -- --parts director`
 * (after `npm run lab:up`; sizes 1, 64, 1,000; writes bench/results/full-director.*).
 *
 * Also runnable against a director of your own that carries no traffic (it installs keepalived
 * and ipvsadm when missing, binds 198.18.0.100 on the interface for the run, then removes all it
 * added): `node build/bench/director-scale.js --host ADDRESS --key FILE [--user root]
 * [--interface eth0] [--sizes 1,64,1000]`.
 */
import { createHash } from "crypto";
import { gzipSync } from "zlib";
import type { LvsDrClusterArgs } from "../src/args";
import { keepalivedPaths } from "../src/core/names";
import type { ClusterPlan } from "../src/core/plan";
import { directorRulesCommand, directorSetupCommand, drainHookCommand } from "../src/core/scripts/command-lines";
import { validateClusterArgs } from "../src/component/validate";
import { HOOKS_AT_ONCE } from "../src/component/host-configuration";
import { hostCommand, type HostRun } from "../src/core/scripts/render";
import { benchHosts } from "./addresses";
import { run } from "../lab/harness/spawn";

export interface DirectorScale {
    realServers: number;
    services: number;
    /** Bytes the rules command sends: its script on stdin (both arms; before 0.2.0 the command text, compressed above 96 KiB). */
    commandBytes: number;
    applySeconds: number;
    changeSeconds: number;
    checkSeconds: number;
    removeSeconds: number;
    /** Entries in the table after the apply (real servers x services). */
    entries: number;
    /** The destroy as the engine runs it (absent from runs before 2026-12). */
    destroy?: DirectorDestroy;
}

/** Every drain hook's delete at once on the director, then the rules' delete. */
export interface DirectorDestroy {
    /** From the first hook's start to the last hook's end, on the director's clock. */
    hooksSeconds: number;
    /** How many hooks ran at once (the engine's HOOKS_AT_ONCE strands; the count of hooks: all at once). */
    strands?: number;
    /** Of which starting them all (the loop that forks N `sh`). */
    launchSeconds: number;
    /** Hooks that exited non-zero (the bench fails when any did). */
    hookFailures: number;
    /** keepalived reloads during the hooks: systemd's "Reloaded keepalived" lines in the journal since their start. */
    reloads: number;
    /** Hooks that wrote the held configuration (printed "wrote ... held at weight 0 (with every hold requested meanwhile)"). */
    hooksThatWrote: number;
    /** Each hook's end (the last write to its output) in seconds from the start, ascending. */
    hookEndSeconds: number[];
    /** The rules' delete after the hooks (SSH command wall time). */
    rulesDeleteSeconds: number;
    /** Bytes of the N hooks' commands (loader lines and the scripts on their stdin), and of the archive sent for them (gzip, base64). */
    hookCommandBytes: number;
    archiveBytes: number;
    /** Tasks in the driver's cgroup (the SSH session's), the most seen by the 10 s polls, and its pids limit. */
    tasksPeakSampled?: number;
    tasksLimit?: string;
}

const CLUSTER = "lvsdr-bench-scale";

/** Where the commands run: a lab VM, or a host of the user's over plain SSH. */
export interface Remote {
    address: string;
    interface: string;
    /**
     * Runs a command as root (a command line, or a product command's run: its loader line, the
     * script on stdin); resolves with its stdout, rejects with what it printed when it fails.
     */
    run(command: string | HostRun): Promise<string>;
}

export function scalePlan(director: Remote, n: number, firstWeight = 1): ClusterPlan {
    const args: LvsDrClusterArgs = {
        vip: benchHosts.vip,
        services: [80, 443].map((port) => ({ port, scheduler: "wlc" as const, healthCheck: { kind: "none" as const } })),
        drainSeconds: 5,
        ssh: { user: "root", privateKey: "unused: the bench runs the texts over its own SSH" },
        hosts: {
            director: { address: director.address, interface: director.interface },
            realServers: benchHosts.realServers(n).map((address, i) => ({ address, weight: i === 0 ? firstWeight : 1 })),
        },
    };
    return validateClusterArgs(args, CLUSTER);
}

/** The command's wall time in seconds. */
async function timed(remote: Remote, command: string | HostRun): Promise<number> {
    const t = process.hrtime.bigint();
    await remote.run(command);
    return Number(process.hrtime.bigint() - t) / 1e9;
}

/** Runs the sizes in order on `remote` (a director that carries no traffic); `log` gets a line per figure. */
/**
 * `destroySizes`: the sizes whose destroy is measured too (default: all), `hooksAtOnce` at a time
 * (the engine's pace, HOOKS_AT_ONCE; `Infinity`: all at once, as lvs-dr ran them before strands). 1,000 real servers' hooks
 * at once do not start on the lab's 384 MiB director (its process limit, see destroyAsEngine): the
 * full run measures the destroy up to 64, and `--destroy-sizes 1000` shows that limit.
 */
export async function directorScale(remote: Remote, sizes: number[], log: (s: string) => void, destroySizes: number[] = sizes, hooksAtOnce = HOOKS_AT_ONCE): Promise<{ sshSeconds: number; loaderSeconds?: number; setupSeconds: number; results: DirectorScale[] }> {
    const sshSeconds = await timed(remote, "true");
    // What every host command adds to an SSH command: its loader (mktemp, cat, sh, rm) running an
    // empty script from stdin. The median of 5: one run is as noisy as the difference.
    const empty = hostCommand("lvs-dr bench", { create: "#!/bin/sh\nset -eu\n" }, false).create;
    const loaderRuns: number[] = [];
    for (let i = 0; i < 5; i++) {
        loaderRuns.push(await timed(remote, empty));
    }
    const loaderSeconds = [...loaderRuns].sort((a, b) => a - b)[2];
    const first = scalePlan(remote, sizes[0]);
    const setup = directorSetupCommand(first, first.directors[0]);
    const setupSeconds = await timed(remote, setup.create);
    const results: DirectorScale[] = [];
    const conf = keepalivedPaths(benchHosts.vip).clusterConf;
    try {
        for (const n of sizes) {
            const plan = scalePlan(remote, n);
            const rules = directorRulesCommand(plan, plan.directors[0]);
            const apply = await timed(remote, rules.create);
            const entries = Number((await remote.run(`ipvsadm -Sn | grep -c -- '-a -t ${benchHosts.vip}:' || true`)).trim());
            if (entries !== n * 2) {
                throw new Error(`${n} real servers x 2 services: the table holds ${entries} entries of the VIP after the apply`);
            }
            const changed = scalePlan(remote, n, 2);
            const change = await timed(remote, directorRulesCommand(changed, changed.directors[0]).create);
            const check = await timed(remote, `keepalived -t -f ${conf}`);
            const remove = await timed(remote, directorRulesCommand(changed, changed.directors[0]).delete);
            const r: DirectorScale = {
                realServers: n, services: 2, commandBytes: Buffer.byteLength(rules.create.stdin), entries,
                applySeconds: apply, changeSeconds: change, checkSeconds: check, removeSeconds: remove,
            };
            results.push(r);
            log(`director: ${n} real servers x 2 services (${entries} entries, command ${r.commandBytes} bytes): apply ${r.applySeconds.toFixed(1)} s, ` +
                `one weight changed ${r.changeSeconds.toFixed(1)} s, keepalived -t ${r.checkSeconds.toFixed(1)} s, removal ${r.removeSeconds.toFixed(1)} s`);
            if (destroySizes.includes(n)) {
                r.destroy = await destroyAsEngine(remote, changed, log, hooksAtOnce);
            }
        }
    } finally {
        await remote.run(setup.delete).catch((e: unknown) => log(`director: the teardown failed: ${String(e)}`));
    }
    return { sshSeconds, loaderSeconds, setupSeconds, results };
}

/**
 * A minimal POSIX tar (ustar) of `files` (name -> content, mode 0644): the hooks' command lines
 * travel as one archive, unpacked byte for byte by the director's `tar`.
 */
export function tarball(files: [string, string][]): Buffer {
    const blocks: Buffer[] = [];
    for (const [name, content] of files) {
        const data = Buffer.from(content);
        const header = Buffer.alloc(512);
        const put = (at: number, text: string): void => void header.write(text, at, "ascii");
        if (Buffer.byteLength(name) > 99) {
            throw new Error(`tarball: name too long: ${name}`);
        }
        put(0, name);
        put(100, "0000644\0");
        put(108, "0000000\0");
        put(116, "0000000\0");
        put(124, `${data.length.toString(8).padStart(11, "0")}\0`);
        put(136, `${Math.floor(Date.now() / 1000).toString(8).padStart(11, "0")}\0`);
        put(148, "        ");
        put(156, "0");
        put(257, "ustar\0");
        put(263, "00");
        const sum = header.reduce((a, b) => a + b, 0);
        put(148, `${sum.toString(8).padStart(6, "0")}\0 `);
        blocks.push(header, data, Buffer.alloc((512 - (data.length % 512)) % 512));
    }
    blocks.push(Buffer.alloc(1024));
    return Buffer.concat(blocks);
}

/** Base64 characters per upload command: one SSH argument must stay under Linux's 128 KiB. */
const UPLOAD_CHUNK = 90 * 1024;

/**
 * On the director, in the unpacked archive's directory (its first argument): runs every
 * `hook-*.sh` (`sh FILE`, the file holding the hook's command line: a waiting hook is that sh, the
 * hook's own sh and its flock) in as many strands as its second argument says (default: one per
 * hook, all at once), each strand one hook after the other, as the engine runs a director's hooks
 * (src/component/host-configuration.ts, HOOKS_AT_ONCE), and writes `summary` (start, end
 * of the launch loop, end), `ends` (each output's last write) and each hook's exit status
 * (`hook-*.rc`), then `finished`. First it notes its pid (`driver.pid`: whether it still runs),
 * its cgroup (`cgroup`: whose pids limit its hooks count against) and the journal's cursor
 * (`cursor`: keepalived's reloads are counted from there), and its start (`started`). Run detached (setsid), so that a slow
 * SSH link under the load cannot cut it.
 */
export const HOOKS_DRIVER = `cd "$1" || exit 1
echo $$ > driver.pid
sed -n 's/^0:://p' /proc/self/cgroup > cgroup
journalctl -n 1 -q -o cat --show-cursor --no-pager | sed -n 's/^-- cursor: //p' > cursor
start=$(date +%s.%N)
echo "$start" > started
count=0
for f in hook-*.sh; do count=$((count + 1)); done
strands=\${2:-$count}
s=0
while [ "$s" -lt "$strands" ]; do
  (
    i=0
    for f in hook-*.sh; do
      if [ $((i % strands)) -eq "$s" ]; then
        if sh "$f" > "\${f%.sh}.out" 2>&1; then rc=0; else rc=$?; fi
        echo "$rc" > "\${f%.sh}.rc"
      fi
      i=$((i + 1))
    done
  ) &
  s=$((s + 1))
done
launched=$(date +%s.%N)
wait
end=$(date +%s.%N)
printf 'start %s\\nlaunched %s\\nend %s\\n' "$start" "$launched" "$end" > summary
stat -c '%.9Y' hook-*.out > ends
touch finished
`;

/** In the hooks' directory: keepalived's reloads since the driver's start (systemd's "Reloaded keepalived" lines). */
const RELOADS = "journalctl --sync 2>/dev/null || true; journalctl --after-cursor=\"$(cat cursor)\" -u keepalived -q -o cat --no-pager | grep -ci '^Reloaded keepalive' || true";

/** In the hooks' directory: the driver's state, then the pids cgroup's current count, limit and rejected forks. */
const POLL = "if [ -e finished ]; then echo finished; elif [ -e driver.pid ] && kill -0 \"$(cat driver.pid)\" 2>/dev/null; then echo running; else echo gone; fi; " +
    "g=\"/sys/fs/cgroup$(cat cgroup 2>/dev/null)\"; echo \"$(cat \"$g/pids.current\" 2>/dev/null || echo ?) $(cat \"$g/pids.max\" 2>/dev/null || echo ?) " +
    "$(sed -n 's/^max //p' \"$g/pids.events\" 2>/dev/null || echo ?)\"";

/**
 * A destroy as the engine runs it, on a director whose table holds `plan`'s rules: every real
 * server's drain hook deleted at once (`drainHookCommand(...).delete`: the exact loader lines and scripts),
 * then the director's rules deleted. Fails when a hook failed or could not be started (with their
 * output, and the pids limit the director enforced) or the table does not have every real server
 * at weight 0 after the hooks.
 *
 * How this differs from the engine: `pulumi destroy` (parallelism unbounded by default) runs each
 * hook's delete as its own SSH connection from the command provider: N key exchanges, N sshd
 * sessions (two sshd processes each, and a login shell that execs the command) on the director
 * (and sshd's MaxStartups throttles unauthenticated connections past 10), arriving as the engine
 * dials them. Here the N commands travel once, as one tar archive (gzip, base64, in chunks),
 * and one `sh` per hook is started by a loop on the director (`launchSeconds`): the same scripts,
 * the same lock, reloads and table reads, without SSH's own cost, in the cgroup of the SSH session
 * that started the loop. The figures are the director's side of a destroy, a lower bound of the
 * engine's.
 */
export async function destroyAsEngine(remote: Remote, plan: ClusterPlan, log: (s: string) => void, strands = HOOKS_AT_ONCE): Promise<DirectorDestroy> {
    const n = plan.realServers.length;
    const director = plan.directors[0];
    const width = String(n).length;
    // Each hook: its delete's loader line reading its script from a file beside it, as SSH feeds it.
    const files: [string, string][] = plan.realServers.flatMap((rs, i): [string, string][] => {
        const hook = `hook-${String(i + 1).padStart(width, "0")}`;
        const run = drainHookCommand(plan, director, rs).delete;
        return [[`${hook}.sh`, `${run.command} < ${hook}.in\n`], [`${hook}.in`, run.stdin]];
    });
    files.push(["driver.sh", HOOKS_DRIVER]);
    const hookCommandBytes = files.slice(0, 2 * n).reduce((a, [, c]) => a + Buffer.byteLength(c), 0);
    const archive = gzipSync(tarball(files), { level: 9 }).toString("base64");
    const sha = createHash("sha256").update(archive).digest("hex");
    // Re-apply the rules (the run before removed them): the state a destroy starts from.
    await remote.run(directorRulesCommand(plan, director).create);
    const dir = (await remote.run("mktemp -d /tmp/lvsdr-bench-hooks.XXXXXX")).trim();
    if (!/^\/tmp\/lvsdr-bench-hooks\.[\w]+$/.test(dir)) {
        throw new Error(`mktemp on the director printed ${JSON.stringify(dir)}`);
    }
    const inDir = (command: string): Promise<string> => remote.run(`cd ${dir} && { ${command}; }`);
    let rulesDeleted = false;
    try {
        for (let at = 0; at < archive.length; at += UPLOAD_CHUNK) {
            await remote.run(`printf '%s' '${archive.slice(at, at + UPLOAD_CHUNK)}' >> ${dir}/archive.b64`);
        }
        await inDir(`echo '${sha}  archive.b64' | sha256sum -c --quiet && base64 -d archive.b64 | tar -xzf - && rm archive.b64 && ` +
            `test "$(ls hook-*.sh | wc -l)" = ${n}`);
        log(`director: ${n} drain hooks (${hookCommandBytes} bytes of commands, ${archive.length} bytes sent) unpacked; running them ${strands >= n ? "all at once" : `in ${strands} strands, as the engine does`}`);
        await remote.run(`setsid -f sh ${dir}/driver.sh ${dir} ${strands} > ${dir}/driver.log 2>&1 < /dev/null`);
        // Each hook waits at most 900 s for the lock, then drains (nothing is active): an hour is
        // far past any end the product allows. A poll that fails (SSH under the load) is retried.
        const t0 = Date.now();
        const deadline = t0 + 3600_000;
        let tasksPeak = 0;
        let tasksLimit = "?";
        let lastLog = t0;
        for (;;) {
            await new Promise((ok) => setTimeout(ok, 10_000));
            const state = await inDir(POLL).catch((e: unknown) => {
                log(`director: polling the hooks failed (retrying): ${String(e).slice(0, 300)}`);
                return "unknown\n? ? ?";
            });
            const [what, pids = "? ? ?"] = state.trim().split("\n");
            const [current, max, rejected] = pids.split(" ");
            tasksPeak = Math.max(tasksPeak, Number(current) || 0);
            tasksLimit = max ?? "?";
            if (Date.now() - lastLog >= 60_000) {
                lastLog = Date.now();
                log(`director: hooks running for ${((Date.now() - t0) / 1000).toFixed(0)} s; tasks in the driver's cgroup ${current} (limit ${max}, forks refused ${rejected})`);
            }
            if (what === "finished") {
                break;
            }
            if (what === "gone") {
                await abandoned(inDir, n, log, pids);
            }
            if (Date.now() > deadline) {
                throw new Error(`${n} drain hooks at once: not all ended within an hour`);
            }
        }
        const summary = Object.fromEntries((await inDir("cat summary")).trim().split("\n").map((l) => l.split(" ") as [string, string]));
        const start = Number(summary.start);
        const ends = (await inDir("cat ends")).trim().split("\n").map((t) => Number(t) - start).sort((a, b) => a - b);
        const failed = (await inDir("grep -L -x 0 hook-*.rc || true")).trim().split("\n").filter((l) => l !== "");
        const wrote = Number((await inDir("cat hook-*.out | grep -c 'held at weight 0 (with every hold requested meanwhile)' || true")).trim());
        const reloads = Number((await inDir(RELOADS)).trim());
        const zero = failed.length > 0 ? NaN : Number((await remote.run(`ipvsadm -Sn | grep -- '-a -t ${benchHosts.vip}:' | grep -c -- '-w 0$' || true`)).trim());
        rulesDeleted = true;
        const rulesDeleteSeconds = await timed(remote, directorRulesCommand(plan, director).delete);
        const d: DirectorDestroy = {
            strands: Math.min(strands, n),
            hooksSeconds: Number(summary.end) - start, launchSeconds: Number(summary.launched) - start, hookFailures: failed.length,
            reloads, hooksThatWrote: wrote, hookEndSeconds: ends, rulesDeleteSeconds, hookCommandBytes, archiveBytes: archive.length,
            tasksPeakSampled: tasksPeak, tasksLimit,
        };
        const median = ends[Math.floor((ends.length - 1) / 2)];
        log(`director: destroy of ${n} real servers: ${n} drain hooks ${strands >= n ? "at once" : `in ${strands} strands`} ${d.hooksSeconds.toFixed(1)} s (launched in ${d.launchSeconds.toFixed(1)} s, ` +
            `median end ${median.toFixed(1)} s), ${d.hookFailures} failed, ${d.reloads} keepalived reloads (${d.hooksThatWrote} hooks wrote the held file), ` +
            `then the rules' delete ${d.rulesDeleteSeconds.toFixed(1)} s; tasks in the driver's cgroup up to ${tasksPeak} sampled (limit ${tasksLimit})`);
        if (failed.length > 0) {
            const shown = failed.slice(0, 5).map((rc) => rc.replace(/\.rc$/, ""));
            const outputs = await inDir(`for h in ${shown.join(" ")}; do echo "--- $h: exit $(cat $h.rc)"; tail -n 15 $h.out; done`);
            throw new Error(`${n} drain hooks at once: ${failed.length} failed (${JSON.stringify({ ...d, hookEndSeconds: undefined })}); the first ${shown.length}:\n${outputs}`);
        }
        if (zero !== plan.realServers.length * 2) {
            throw new Error(`${n} drain hooks at once: ${zero} of the VIP's ${n * 2} entries are at weight 0 after them`);
        }
        return d;
    } finally {
        if (!rulesDeleted) {
            await remote.run(directorRulesCommand(plan, director).delete).catch((e: unknown) => log(`director: the rules' delete failed: ${String(e)}`));
        }
        await remote.run(`rm -rf ${dir}`).catch((e: unknown) => log(`director: removing ${dir} failed: ${String(e)}`));
    }
}

/**
 * The driver died before it had started every hook (a fork refused: dash gives up): waits for the
 * hooks it did start (at most 20 minutes: 900 s for the lock, then the drain), then throws what
 * they did, keepalived's reloads, the driver's last words and the director's pids limits.
 */
async function abandoned(inDir: (command: string) => Promise<string>, n: number, log: (s: string) => void, pids: string): Promise<never> {
    const started = Number((await inDir("find . -name 'hook-*.out' | wc -l")).trim());
    log(`director: the driver ended after starting ${started} of ${n} hooks (tasks, limit, forks refused: ${pids}); waiting for those to end`);
    const until = Date.now() + 1200_000;
    let running = -1;
    while (Date.now() < until) {
        running = Number((await inDir("pgrep -c -f '^sh hook-' || true").catch(() => "-1")).trim());
        if (running === 0) {
            break;
        }
        await new Promise((ok) => setTimeout(ok, 10_000));
    }
    const outcome = await inDir([
        "echo \"driver: $(cat driver.log)\"",
        "echo \"hooks started: $(find . -name 'hook-*.out' | wc -l), still running: $(pgrep -c -f '^sh hook-')\"",
        "echo \"outputs ending held or with nothing to drain: $(for f in hook-*.out; do tail -n 1 \"$f\"; done | grep -c -e 'held at weight 0 in VIP' -e 'nothing to drain')\"",
        "echo \"outputs with an error: $(grep -l 'lvs-dr: error' hook-*.out | wc -l)\"",
        "echo \"the last hook ended $(stat -c '%.9Y' hook-*.out | sort -n | tail -n 1 | awk -v s=\"$(cat started)\" '{ printf \"%.1f\", $1 - s }') s after the start\"",
        "echo \"outputs' last lines (addresses as A, counted):\"; for f in hook-*.out; do tail -n 1 \"$f\"; echo; done | sed '/^$/d; s/[0-9][0-9]*\\.[0-9][0-9]*\\.[0-9][0-9]*\\.[0-9][0-9]*/A/g' | sort | uniq -c | sort -rn | head -n 8",
        "echo \"errors (distinct, counted):\"; grep -h 'lvs-dr: error' hook-*.out | sort | uniq -c | sort -rn | head -n 5",
        "echo \"empty outputs: $(find . -name 'hook-*.out' -empty | wc -l)\"",
        `echo "keepalived reloads: $(${RELOADS})"`,
        "g=\"/sys/fs/cgroup$(cat cgroup)\"; echo \"cgroup $(cat cgroup): pids.max $(cat \"$g/pids.max\"), events: $(cat \"$g/pids.events\")\"",
        "echo \"kernel.threads-max $(cat /proc/sys/kernel/threads-max), kernel.pid_max $(cat /proc/sys/kernel/pid_max), memory: $(free -m | sed -n 2p)\"",
        "echo 'kernel:'; dmesg | grep -i -e 'fork rejected' -e 'out of memory' -e oom | tail -n 5",
    ].join("; "));
    throw new Error(`${n} drain hooks at once: the driver on the director could not start them all:\n${outcome}`);
}

/** A host of the user's over plain SSH (BatchMode: a key, no prompt); `sudo -n` for a user other than root. */
function sshRemote(host: string, key: string, user: string, iface: string): Remote {
    return {
        address: host,
        interface: iface,
        run: async (command) => {
            // A plain command line runs as it is for root, through the loader with sudo for another user.
            const what: HostRun = typeof command !== "string" ? command
                : user === "root" ? { command, stdin: "" } : hostCommand("lvs-dr bench", { create: `${command}\n` }, true).create;
            const r = await run("ssh", ["-i", key, "-o", "BatchMode=yes", `${user}@${host}`, what.command], what.stdin);
            if (r.status !== 0) {
                throw new Error(`on ${host}: exit ${r.status}: ${(r.stderr + (r.error ? String(r.error) : "")).slice(-2000)}`);
            }
            return r.stdout;
        },
    };
}

if (require.main === module) {
    const argv = process.argv.slice(2);
    const opt = (name: string): string | undefined => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
    const host = opt("--host");
    const key = opt("--key");
    const sizes = (opt("--sizes") ?? "1,64,1000").split(",").map(Number);
    if (!host || !key || !sizes.every((n) => Number.isInteger(n) && n >= 1)) {
        console.error("usage: director-scale.js --host ADDRESS --key FILE [--user root] [--interface eth0] [--sizes 1,64,1000]");
        process.exit(2);
    }
    directorScale(sshRemote(host, key, opt("--user") ?? "root", opt("--interface") ?? "eth0"), sizes, (line) => console.log(line))
        .then((r) => console.log(JSON.stringify(r)), (e: unknown) => { console.error(String(e)); process.exit(1); });
}
