/**
 * Part 2a of the benchmark, one size per process: `node build/bench/mock-scale.js N` builds an
 * LvsDrCluster with a director pair and N existing real servers under Pulumi's mocks (no engine,
 * no host) and writes one JSON document to the file RESULT: construction time until every resource
 * is registered and its outputs resolved, the registered resources by type, and the size of the
 * largest remote command's text (the director's rules, which carry the keepalived file). A file,
 * not stdout: under mocks the component's log lines (its summary, its warnings) go to stdout. A
 * fresh process per size: the SDK's mocks keep state, and a warm module cache would flatter the
 * later sizes.
 */
import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import { benchHosts } from "./addresses";

export interface MockScaleResult {
    realServers: number;
    constructMs: number;
    resources: number;
    byType: Record<string, number>;
    largestCommandBytes: number;
}

const registered: { type: string; inputs: Record<string, unknown> }[] = [];

void pulumi.runtime.setMocks({
    newResource: (args) => {
        registered.push({ type: args.type, inputs: args.inputs as Record<string, unknown> });
        return { id: `${args.name}-id`, state: { ...(args.inputs as Record<string, unknown>), stdout: "", stderr: "" } };
    },
    call: (args) => args.inputs as Record<string, unknown>,
}, "lvs-dr-bench", "bench", false);

function resolved<T>(o: pulumi.Output<T>): Promise<T> {
    return new Promise((ok) => o.apply((v) => { ok(v); return v; }));
}

async function main(n: number): Promise<MockScaleResult> {
    // Loaded after the mocks are set, as a program is.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { LvsDrCluster } = require("../src") as typeof import("../src");
    const start = process.hrtime.bigint();
    const cluster = new LvsDrCluster("bench", {
        vip: benchHosts.vip,
        services: [{ port: 80 }, { port: 443 }],
        ssh: { user: "root", privateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nbench\n-----END OPENSSH PRIVATE KEY-----\n" },
        hosts: {
            director: { address: benchHosts.director },
            backupDirector: { address: benchHosts.backupDirector },
            realServers: benchHosts.realServers(n).map((address) => ({ address })),
        },
    });
    await resolved(pulumi.all([cluster.ipvsTables, cluster.realServerAddresses]));
    // Registrations still queued behind the outputs (the drain hooks) settle within a few turns.
    let count = -1;
    while (count !== registered.length) {
        count = registered.length;
        await new Promise((ok) => setTimeout(ok, 20));
    }
    const constructMs = Number(process.hrtime.bigint() - start) / 1e6;
    const byType: Record<string, number> = {};
    for (const r of registered) {
        byType[r.type] = (byType[r.type] ?? 0) + 1;
    }
    const largestCommandBytes = Math.max(0, ...registered.filter((r) => r.type === "command:remote:Command")
        .map((r) => (typeof r.inputs.stdin === "string" ? Buffer.byteLength(r.inputs.stdin) : 0) + (typeof r.inputs.create === "string" ? Buffer.byteLength(r.inputs.create) : 0)));
    return { realServers: n, constructMs, resources: registered.length, byType, largestCommandBytes };
}

const n = Number(process.argv[2]);
const target = process.argv[3];
if (!Number.isInteger(n) || n < 1 || !target) {
    console.error("usage: mock-scale.js REAL_SERVERS RESULT.json");
    process.exit(2);
}
main(n).then((r) => fs.writeFileSync(target, JSON.stringify(r)), (e) => { console.error(e); process.exit(1); });
