/**
 * Parts 2b and 3 of the benchmark, with the real Pulumi engine: the root project (program/index.ts)
 * with the `hosts` platform on the lab's VMs, one director. 3: `pulumi up` wall time from an empty
 * stack with 1 and with 3 real servers. 2b: the steps `pulumi preview` plans when one real server
 * is added to 2 and to 8: the new server's resources and one update of the director's rules,
 * whatever the size. Eight real servers on three VMs: the extra ones are secondary addresses on
 * the real servers' eth0 (the health checks reach them; the setup of a VM already set up for the
 * cluster changes nothing), and those updates run one resource at a time (`--parallel 1`: two
 * setups of one VM must not run at once).
 */
import * as fs from "fs";
import { changes, requireToolchain, Stack, stepEvents } from "../lab/harness/stack";
import type { Lab } from "../lab/harness/lab";

/** One resource's step in a deployment: seconds from the deployment's first event (1 s resolution: the engine's). */
export interface StepTime {
    name: string;
    start: number;
    end: number;
}

export interface EngineResults {
    /** `pulumi up` from an empty stack, wall seconds, by number of real servers. */
    deploySeconds: Record<string, number>;
    /** The remote commands' steps of those deployments (engine event log), by number of real servers. */
    deploySteps?: Record<string, StepTime[]>;
    /** The steps `pulumi preview` plans to add one real server, by number of real servers before. */
    addOneSteps: Record<string, string[]>;
    /** `pulumi destroy` of the stack at its largest, wall seconds. */
    destroySeconds?: number;
}

export const BENCH_STACK = "bench";
export const BENCH_CLUSTER = "lvsdr-bench";

interface RealServer {
    name: string;
    address: string;
    /** Where to SSH to, when the address is a secondary one. */
    sshHost?: string;
}

export class EngineBench {
    readonly stack = new Stack(BENCH_STACK);

    constructor(private readonly lab: Lab, private readonly vip: string, private readonly echo: boolean) {}

    async init(): Promise<void> {
        await this.stack.reset();
        await this.stack.must(["stack", "init"], false);
        await this.stack.must(["config", "set", "--secret", "sshPrivateKey"], false, fs.readFileSync(this.lab.key, "utf8"));
        for (const [k, v] of [["clusterName", BENCH_CLUSTER], ["vip", this.vip], ["scheduler", "rr"], ["drainSeconds", "10"],
            ["hosts.director.address", this.lab.address("director")]]) {
            await this.stack.must(["config", "set", "--path", k, v], false);
        }
    }

    /** The stack's real servers, replacing the list. */
    async setRealServers(list: RealServer[]): Promise<void> {
        await this.stack.run(["config", "rm", "--path", "hosts.realServers"], false);
        for (const [i, rs] of list.entries()) {
            await this.stack.must(["config", "set", "--path", `hosts.realServers[${i}].name`, rs.name], false);
            await this.stack.must(["config", "set", "--path", `hosts.realServers[${i}].address`, rs.address], false);
            if (rs.sshHost) {
                await this.stack.must(["config", "set", "--path", `hosts.realServers[${i}].ssh.host`, rs.sshHost], false);
            }
        }
    }

    /** `pulumi up`, wall seconds, and each resource's step from the engine's event log. */
    async up(parallel?: number): Promise<{ seconds: number; steps: StepTime[] }> {
        const t = Date.now();
        const events = await this.stack.apply("up", parallel ? ["--parallel", String(parallel)] : [], this.echo);
        const seconds = (Date.now() - t) / 1000;
        const all = stepEvents(events);
        const first = Math.min(...all.map((e) => e.timestamp));
        const steps = [...new Set(all.map((e) => e.name))].flatMap((name) => {
            const pre = all.find((e) => e.name === name && e.kind === "pre");
            const done = all.find((e) => e.name === name && e.kind === "done");
            return pre && done && pre.op !== "same" ? [{ name, start: pre.timestamp - first, end: done.timestamp - first }] : [];
        });
        return { seconds, steps };
    }

    async destroy(parallel?: number): Promise<number> {
        const t = Date.now();
        await this.stack.must(["destroy", "--yes", "--skip-preview", ...(parallel ? ["--parallel", String(parallel)] : [])], this.echo);
        return (Date.now() - t) / 1000;
    }

    /** The changes `pulumi preview` plans (see changes() of the e2e support: the provider's config-only update left out). */
    async previewChanges(): Promise<string[]> {
        return changes(await this.stack.preview());
    }

    async remove(): Promise<void> {
        await this.stack.reset();
        this.stack.cleanup();
    }
}

/**
 * `count` real servers on the lab's real server VMs: the first ones are the VMs themselves, the
 * others secondary addresses on them (round robin), from `.31` of the lab subnet on.
 */
export function realServersOn(lab: Lab, vms: string[], count: number): RealServer[] {
    return Array.from({ length: count }, (_, i) => {
        const vm = vms[i % vms.length];
        if (i < vms.length) {
            return { name: vm, address: lab.address(vm) };
        }
        const address = lab.address(vm).replace(/\.\d+$/, `.${31 + i - vms.length}`);
        return { name: `x${i}`, address, sshHost: lab.address(vm) };
    });
}

/** Adds (or removes) the secondary addresses of {@link realServersOn} on their VMs. */
export function secondaryAddresses(lab: Lab, vms: string[], list: RealServer[], action: "add" | "del"): void {
    for (const rs of list.filter((r) => r.sshHost)) {
        const vm = vms.find((v) => lab.address(v) === rs.sshHost)!;
        lab.mustSsh(vm, action === "add"
            ? `ip -4 addr show dev eth0 | grep -qF ' ${rs.address}/' || ip addr add ${rs.address}/24 dev eth0`
            : `ip addr del ${rs.address}/24 dev eth0 2>/dev/null || true`);
    }
}

/**
 * Runs parts 3 and 2b: deploy 3 (timed), destroy, deploy 1 (timed), grow to 2, preview +1, grow to
 * 8, preview +1, destroy. `previewOnly` (the smoke run): only the preview of a first real server on
 * an empty stack, which touches no host (every path of the engine driver but up and destroy).
 */
export async function engineBench(lab: Lab, vip: string, vms: string[], sizes: { preview: number[]; previewOnly?: boolean },
    log: (s: string) => void, echo = false): Promise<EngineResults> {
    requireToolchain();
    const bench = new EngineBench(lab, vip, echo);
    const results: EngineResults = { deploySeconds: {}, addOneSteps: {} };
    if (sizes.previewOnly) {
        try {
            await bench.init();
            await bench.setRealServers(realServersOn(lab, vms, 1));
            results.addOneSteps["0"] = await bench.previewChanges();
            log(`engine: preview of a first real server on an empty stack: ${results.addOneSteps["0"].join(", ")}`);
        } finally {
            await bench.remove();
        }
        return results;
    }
    const most = Math.max(...sizes.preview) + 1;
    const all = realServersOn(lab, vms, most);
    secondaryAddresses(lab, vms, all, "add");
    try {
        await bench.init();
        for (const n of [vms.length, 1]) {
            await bench.setRealServers(all.slice(0, n));
            const up = await bench.up();
            results.deploySeconds[String(n)] = up.seconds;
            (results.deploySteps ??= {})[String(n)] = up.steps;
            log(`engine: pulumi up from empty with ${n} real server(s): ${up.seconds.toFixed(1)} s; steps (s from the first event): ` +
                up.steps.map((st) => `${st.name} ${st.start}-${st.end}`).join(", "));
            if (n !== 1) {
                await bench.destroy();
            }
        }
        for (const n of sizes.preview) {
            await bench.setRealServers(all.slice(0, n));
            await bench.up(1);
            await bench.setRealServers(all.slice(0, n + 1));
            results.addOneSteps[String(n)] = await bench.previewChanges();
            log(`engine: preview of adding one real server to ${n}: ${results.addOneSteps[String(n)].join(", ")}`);
        }
        results.destroySeconds = await bench.destroy(1);
    } finally {
        await bench.remove();
        secondaryAddresses(lab, vms, all, "del");
    }
    return results;
}
