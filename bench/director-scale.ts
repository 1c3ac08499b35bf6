/**
 * Part 2c of the benchmark: on a director VM, the component's own commands for a cluster of N real
 * servers x 2 services (addresses in 198.18.0.0/15, health checks `none`: nothing is sent to them).
 * For each N: the rules applied to an empty table (write, `keepalived -t`, reload, wait until the
 * table is applied), one weight changed (the same, as a diff: keepalived's reload at that size),
 * `keepalived -t` alone on the file, and the rules removed (drain with nothing active, delete).
 * The director's setup runs once before, its teardown after. Each time is the SSH command's wall
 * time; an empty command's is reported beside them.
 */
import type { LvsDrClusterArgs } from "../src/args";
import { keepalivedPaths } from "../src/core/names";
import type { ClusterPlan } from "../src/core/plan";
import { directorRulesCommand, directorSetupCommand } from "../src/core/scripts/command-lines";
import { validateClusterArgs } from "../src/core/validate";
import { benchHosts } from "./addresses";
import type { Lab } from "../test/lab/support/lab";

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

export function scalePlan(director: string, n: number, firstWeight = 1): ClusterPlan {
    const args: LvsDrClusterArgs = {
        vip: benchHosts.vip,
        services: [80, 443].map((port) => ({ port, scheduler: "wlc" as const, healthCheck: { kind: "none" as const } })),
        drainSeconds: 5,
        ssh: { user: "root", privateKey: "unused: the bench runs the texts over its own SSH" },
        hosts: {
            director: { address: director },
            realServers: benchHosts.realServers(n).map((address, i) => ({ address, weight: i === 0 ? firstWeight : 1 })),
        },
    };
    return validateClusterArgs(args, CLUSTER);
}

async function timed(lab: Lab, host: string, command: string): Promise<{ seconds: number; stdout: string }> {
    const t = process.hrtime.bigint();
    const stdout = await lab.mustSshAsync(host, command);
    return { seconds: Number(process.hrtime.bigint() - t) / 1e9, stdout };
}

/** Runs the sizes in order on `host` (a director VM of the lab); `log` gets a line per figure. */
export async function directorScale(lab: Lab, host: string, sizes: number[], log: (s: string) => void): Promise<{ sshSeconds: number; setupSeconds: number; results: DirectorScale[] }> {
    const address = lab.address(host);
    const sshSeconds = (await timed(lab, host, "true")).seconds;
    const first = scalePlan(address, sizes[0]);
    const setup = directorSetupCommand(first, first.directors[0]);
    const setupSeconds = (await timed(lab, host, setup.create)).seconds;
    const results: DirectorScale[] = [];
    const conf = keepalivedPaths(benchHosts.vip).clusterConf;
    try {
        for (const n of sizes) {
            const plan = scalePlan(address, n);
            const rules = directorRulesCommand(plan, plan.directors[0]);
            const apply = await timed(lab, host, rules.create);
            const entries = Number((await lab.mustSshAsync(host, `ipvsadm -Sn | grep -c -- '-a -t ${benchHosts.vip}:' || true`)).trim());
            if (entries !== n * 2) {
                throw new Error(`${n} real servers x 2 services: the table holds ${entries} entries of the VIP after the apply`);
            }
            const changed = scalePlan(address, n, 2);
            const change = await timed(lab, host, directorRulesCommand(changed, changed.directors[0]).create);
            const check = await timed(lab, host, `keepalived -t -f ${conf} >/dev/null 2>&1 || keepalived -t -f ${conf}`);
            const remove = await timed(lab, host, directorRulesCommand(changed, changed.directors[0]).delete);
            const r: DirectorScale = {
                realServers: n, services: 2, commandBytes: Buffer.byteLength(rules.create), entries,
                applySeconds: apply.seconds, changeSeconds: change.seconds, checkSeconds: check.seconds, removeSeconds: remove.seconds,
            };
            results.push(r);
            log(`director: ${n} real servers x 2 services (${entries} entries, command ${r.commandBytes} bytes): apply ${r.applySeconds.toFixed(1)} s, ` +
                `one weight changed ${r.changeSeconds.toFixed(1)} s, keepalived -t ${r.checkSeconds.toFixed(1)} s, removal ${r.removeSeconds.toFixed(1)} s`);
        }
    } finally {
        await lab.sshAsync(host, setup.delete);
    }
    return { sshSeconds, setupSeconds, results };
}
