/**
 * Part 2c of the benchmark: on a director VM, the component's own commands for a cluster of N real
 * servers x 2 services (addresses in 198.18.0.0/15, health checks `none`: nothing is sent to them).
 * For each N: the rules applied to an empty table (write, `keepalived -t`, reload, wait until the
 * table is applied), one weight changed (the same, as a diff: keepalived's reload at that size),
 * `keepalived -t` alone on the file, and the rules removed (drain with nothing active, delete).
 * The director's setup runs once before, its teardown after. Each time is the SSH command's wall
 * time; an empty command's is reported beside them.
 *
 * Also runnable against a director of your own that carries no traffic (it installs keepalived
 * and ipvsadm when missing, binds 198.18.0.100 on the interface for the run, then removes all it
 * added): `node build/bench/director-scale.js --host ADDRESS --key FILE [--user root]
 * [--interface eth0] [--sizes 1,64,1000]`.
 */
import type { LvsDrClusterArgs } from "../src/args";
import { keepalivedPaths } from "../src/core/names";
import type { ClusterPlan } from "../src/core/plan";
import { directorRulesCommand, directorSetupCommand } from "../src/core/scripts/command-lines";
import { validateClusterArgs } from "../src/component/validate";
import { remoteCommand } from "../src/core/scripts/render";
import { benchHosts } from "./addresses";
import { run } from "../lab/harness/spawn";

export interface DirectorScale {
    realServers: number;
    services: number;
    /** Bytes of the rules' command text (compressed above 96 KiB). */
    commandBytes: number;
    applySeconds: number;
    changeSeconds: number;
    checkSeconds: number;
    removeSeconds: number;
    /** Entries in the table after the apply (real servers x services). */
    entries: number;
}

const CLUSTER = "lvsdr-bench-scale";

/** Where the commands run: a lab VM, or a host of the user's over plain SSH. */
export interface Remote {
    address: string;
    interface: string;
    /** Runs a command as root; resolves with its stdout, rejects with what it printed when it fails. */
    run(command: string): Promise<string>;
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
async function timed(remote: Remote, command: string): Promise<number> {
    const t = process.hrtime.bigint();
    await remote.run(command);
    return Number(process.hrtime.bigint() - t) / 1e9;
}

/** Runs the sizes in order on `remote` (a director that carries no traffic); `log` gets a line per figure. */
export async function directorScale(remote: Remote, sizes: number[], log: (s: string) => void): Promise<{ sshSeconds: number; setupSeconds: number; results: DirectorScale[] }> {
    const sshSeconds = await timed(remote, "true");
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
                realServers: n, services: 2, commandBytes: Buffer.byteLength(rules.create), entries,
                applySeconds: apply, changeSeconds: change, checkSeconds: check, removeSeconds: remove,
            };
            results.push(r);
            log(`director: ${n} real servers x 2 services (${entries} entries, command ${r.commandBytes} bytes): apply ${r.applySeconds.toFixed(1)} s, ` +
                `one weight changed ${r.changeSeconds.toFixed(1)} s, keepalived -t ${r.checkSeconds.toFixed(1)} s, removal ${r.removeSeconds.toFixed(1)} s`);
        }
    } finally {
        await remote.run(setup.delete).catch((e: unknown) => log(`director: the teardown failed: ${String(e)}`));
    }
    return { sshSeconds, setupSeconds, results };
}

/** A host of the user's over plain SSH (BatchMode: a key, no prompt); `sudo -n` for a user other than root. */
function sshRemote(host: string, key: string, user: string, iface: string): Remote {
    return {
        address: host,
        interface: iface,
        run: async (command) => {
            const r = await run("ssh", ["-i", key, "-o", "BatchMode=yes", `${user}@${host}`, user === "root" ? command : remoteCommand(command, true)]);
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
