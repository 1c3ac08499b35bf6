/**
 * Active-active directors (`bgp`): the arguments (validated, defaulted, refused with the reason),
 * the BIRD configuration (parsed by BIRD itself), the keepalived file (Maglev flags, quorum hooks,
 * failed servers kept in place), and what the rules report.
 */
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import { mkdtempSync, rmSync, writeFileSync } from "fs";
import * as os from "os";
import * as path from "path";
import type { LvsDrClusterArgs } from "../../src/args";
import { validateClusterArgs } from "../../src/component/validate";
import { BGP_REPORT_MARK, splitRulesOutput } from "../../src/core/modes/bgp";
import { renderBirdConf } from "../../src/core/modes/bgp-speaker";
import { hostResourceName, roleOf } from "../../src/core/names";
import type { BgpPlan } from "../../src/core/plan";
import { renderKeepalivedConfig } from "../../src/core/scripts/keepalived/config";
import { renderDirectorRulesRemoval } from "../../src/core/scripts/director";
import { derivedGateTable } from "../../src/core/validation/bgp";
import { validArgs, validAwsArgs } from "../support/fixtures";
import { problems, refusal } from "../support/problems";

function activeArgs(): LvsDrClusterArgs {
    const args = validArgs();
    args.services = [{ port: 80, scheduler: "mh" }];
    args.hosts!.directors = [{ address: "192.168.77.10", name: "east" }, { address: "192.168.77.9", name: "west" }, { address: "192.168.77.8" }];
    delete args.hosts!.director;
    args.bgp = { asn: 65010, peers: [{ address: "192.168.77.1", asn: 65000 }] };
    return args;
}

function bgpOf(args: LvsDrClusterArgs): BgpPlan {
    const mode = validateClusterArgs(args).mode;
    return mode.kind === "bgp" ? mode : assert.fail(`mode ${mode.kind}, not bgp`);
}

describe("active-active directors: arguments", () => {
    it("plans every listed director with BFD, a short hold time and a gate table derived from the VIP, each named in its resources", () => {
        const plan = validateClusterArgs(activeArgs(), "web");
        const bgp = bgpOf(activeArgs());
        assert.deepEqual(bgp, {
            kind: "bgp", asn: 65010, peers: [{ address: "192.168.77.1", asn: 65000 }], bfd: { intervalMs: 100, multiplier: 5 },
            holdSeconds: 9, gateTable: derivedGateTable("192.168.77.100"), derivedGateTable: true,
        });
        assert.ok(bgp.gateTable >= 0x4c560000 && bgp.gateTable <= 0x4c56ffff);
        assert.deepEqual(plan.directors.map((d) => hostResourceName(plan.name, roleOf(plan, d), "setup")),
            ["web-director-east-setup", "web-director-west-setup", "web-director-2-setup"]);
    });

    it("takes BFD off, its timers, the hold time and the gate table as given", () => {
        const args = activeArgs();
        args.bgp = { ...args.bgp!, bfdIntervalMs: 300, bfdMultiplier: 3, holdSeconds: 30, gateTable: 4242 };
        assert.deepEqual(bgpOf(args), {
            kind: "bgp", asn: 65010, peers: [{ address: "192.168.77.1", asn: 65000 }], bfd: { intervalMs: 300, multiplier: 3 },
            holdSeconds: 30, gateTable: 4242,
        });
        const off = activeArgs();
        off.bgp = { ...off.bgp!, bfd: false };
        assert.equal(bgpOf(off).bfd, undefined);
    });

    it("refuses what active-active directors cannot do, each with what to do instead", () => {
        const cases: [(a: LvsDrClusterArgs) => void, RegExp][] = [
            [(a) => (a.services = [{ port: 80 }]), /^services\[0\]\.scheduler: does not keep a connection on its real server when the routers move it to another director$/],
            [(a) => (a.services = [{ port: 80, scheduler: "sh" }]), /^services\[0\]\.scheduler/],
            [(a) => (a.services[0].persistenceSeconds = 60), /^services\[0\]\.persistenceSeconds: keeps a template on each director alone/],
            [(a) => (a.services[0].healthCheck = { failureAction: "remove" }), /^services\[0\]\.healthCheck\.failureAction: would delete a failed real server .* reorders that director's Maglev table/],
            [(a) => (a.services = [{ port: 53, protocol: "udp", scheduler: "mh", healthCheck: { kind: "udp" } }]), /^services\[0\]\.healthCheck\.kind: would delete a failed real server/],
            [(a) => (a.vrrp = {}), /^vrrp: is for a director pair: active-active directors use no VRRP/],
            [(a) => delete a.bgp, /^bgp: is required with hosts\.directors/],
            [(a) => (a.hosts!.directors = [{ address: "192.168.77.10" }]), /^hosts\.directors: must list at least 2 directors/],
            [(a) => (a.hosts!.directors = Array.from({ length: 9 }, (_, i) => ({ address: `192.168.77.${20 + i}` }))), /^hosts\.directors: must be a list of 2 to 8 directors/],
            [(a) => (a.hosts!.director = { address: "192.168.77.30" }), /^hosts\.director: is given beside hosts\.directors/],
            [(a) => (a.hosts!.directors![1].name = "east"), /^hosts\.directors\[1\]\.name: is also the name of directors\[0\]/],
            [(a) => (a.bgp!.asn = 23456), /^bgp\.asn: is AS_TRANS/],
            [(a) => (a.bgp!.asn = 0), /^bgp\.asn: must be an integer in 1-4294967294/],
            [(a) => (a.bgp!.peers = []), /^bgp\.peers: must be a list of 1 to 4 routers/],
            [(a) => a.bgp!.peers.push({ address: "192.168.77.1", asn: 65001 }), /^bgp\.peers\[1\]\.address: is also bgp\.peers\[0\]/],
            [(a) => (a.bgp!.peers[0].address = "fd77::1"), /^bgp\.peers\[0\]\.address/],
            [(a) => (a.bgp!.gateTable = 254), /^bgp\.gateTable: is one of the kernel's own tables/],
            [(a) => (a.bgp = { ...a.bgp!, bfd: false, bfdMultiplier: 3 }), /^bgp\.bfd: is off, and BFD timers are given/],
            [(a) => (a.bgp!.holdSeconds = 2), /^bgp\.holdSeconds: must be an integer in 3-65535/],
            [(a) => { a.vip6 = "fd77::100"; a.hosts!.subnet6 = "fd77::/64"; a.hosts!.directors!.forEach((d, i) => (d.address6 = `fd77::${i + 8}`)); a.hosts!.realServers.forEach((r, i) => (r.address6 = `fd77::${i + 11}`)); },
                /^vip6: is IPv6: active-active directors announce IPv4 VIPs only/],
        ];
        for (const [mutate, expected] of cases) {
            const found = problems(mutate, activeArgs);
            assert.ok(found.some((p) => expected.test(p)), `expected ${expected} among:\n${found.join("\n")}`);
        }
    });

    it("refuses bgp with a director or a pair, and on AWS says why a VPC cannot and what to use", () => {
        const single = problems((a) => (a.bgp = { asn: 65010, peers: [{ address: "192.168.77.1", asn: 65000 }] }));
        assert.ok(single.some((p) => /^bgp: is for active-active directors, given as a directors list/.test(p)), single.join("\n"));
        const aws = problems((a) => {
            a.services = [{ port: 80, scheduler: "mh" }];
            a.bgp = { asn: 65010, peers: [{ address: "10.77.1.1", asn: 65000 }] };
        }, validAwsArgs);
        assert.ok(aws.some((p) => /^bgp: cannot be used on this platform: a VPC route table holds one target per prefix/.test(p)), aws.join("\n"));
        const fix = refusal((a) => {
            a.services = [{ port: 80, scheduler: "mh" }];
            a.bgp = { asn: 65010, peers: [{ address: "10.77.1.1", asn: 65000 }] };
        }, validAwsArgs)?.problems.find((p) => p.field === "bgp")?.fix ?? "";
        assert.match(fix, /backupDirector.*Network Load Balancer/);
    });
});

describe("active-active directors: what runs on the directors", () => {
    it("keepalived: Maglev hashing on ports with fallback, failed servers kept in place, the gate's quorum hooks per service", () => {
        const args = activeArgs();
        args.services = [{ port: 80, scheduler: "mh" }, { ports: [443, 8443], scheduler: "mh", healthCheck: { kind: "http" } }];
        const plan = validateClusterArgs(args);
        const conf = renderKeepalivedConfig(plan, plan.directors[1]);
        assert.doesNotMatch(conf, /vrrp_instance|lvs_sync_daemon/, "no VRRP, no connection sync");
        for (const key of ["tcp-80", `fwm-${plan.services[1].fwmark!.mark}`]) {
            assert.match(conf, new RegExp(`quorum_up "/bin/sh /etc/lvs-dr/192\\.168\\.77\\.100/director-bgp-gate\\.sh up ${key}"`));
            assert.match(conf, new RegExp(`quorum_down "/bin/sh /etc/lvs-dr/192\\.168\\.77\\.100/director-bgp-gate\\.sh down ${key}"`));
        }
        assert.equal(conf.match(/^ {4}mh-port$/gm)?.length, 2);
        assert.equal(conf.match(/^ {4}mh-fallback$/gm)?.length, 2);
        assert.equal(conf.match(/inhibit_on_failure/g)?.length, 4, "every checked real server of both services");
        // Every director's file lists the same servers in the same order with the same weights.
        const servers = (text: string) => text.split("\n").filter((l) => /real_server|weight/.test(l)).join("\n");
        assert.equal(servers(renderKeepalivedConfig(plan, plan.directors[0])), servers(conf));
    });

    it("BIRD: one session per router, BFD, graceful restart off, only the VIP out and nothing in; BIRD parses it", function () {
        const args = activeArgs();
        args.bgp!.peers.push({ address: "192.168.77.2", asn: 65010 });
        const plan = validateClusterArgs(args);
        const bgp = plan.mode as BgpPlan & { kind: "bgp" };
        const conf = renderBirdConf(plan, bgp, plan.directors[2]);
        assert.match(conf, /^router id 192\.168\.77\.8;$/m);
        assert.match(conf, /protocol bgp peer_192_168_77_1 \{\n(.*\n)*? {4}local 192\.168\.77\.8 as 65010;\n {4}neighbor 192\.168\.77\.1 as 65000;/);
        assert.match(conf, /neighbor 192\.168\.77\.2 as 65010;/);
        assert.equal(conf.match(/graceful restart off;/g)?.length, 4, "graceful restart and its long-lived form off on both sessions");
        assert.equal(conf.match(/bfd on;/g)?.length, 2);
        assert.match(conf, /interface "eth0" \{\n {8}min rx interval 100 ms;\n {8}min tx interval 100 ms;\n {8}multiplier 5;/);
        assert.equal(conf.match(/export where net = 192\.168\.77\.100\/32;/g)?.length, 2);
        assert.equal(conf.match(/import none;/g)?.length, 2);
        assert.match(conf, new RegExp(`kernel table ${bgp.gateTable};`));
        const bird = spawnSync("bird", ["--version"], { encoding: "utf8" });
        assert.ok(bird.error === undefined, "the bird command is missing: install bird2 (BIRD 2) to check the rendered configuration");
        const dir = mkdtempSync(path.join(os.tmpdir(), "lvsdr-bird-"));
        try {
            const file = path.join(dir, "bird.conf");
            writeFileSync(file, conf);
            const parsed = spawnSync("bird", ["-p", "-c", file], { encoding: "utf8" });
            assert.equal(parsed.status, 0, `BIRD refuses the configuration: ${parsed.stderr}`);
            writeFileSync(file, conf.replace("graceful restart off;", "graceful restart offf;"));
            assert.notEqual(spawnSync("bird", ["-p", "-c", file], { encoding: "utf8" }).status, 0, "BIRD's parse check can fail");
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
    });

    it("a director's removal withdraws first and drains nothing (the other directors carry its connections on)", () => {
        const plan = validateClusterArgs(activeArgs());
        const removal = renderDirectorRulesRemoval(plan, plan.directors[0]);
        const withdraw = removal.indexOf("\nbgp_withdraw '30'\n");
        assert.ok(withdraw > 0 && withdraw < removal.indexOf("\nremove_cluster_conf\n"), "the withdrawal comes before the configuration's removal");
        assert.doesNotMatch(removal, /drain_wait "\$LEAVING"/);
        assert.match(renderDirectorRulesRemoval(validateClusterArgs(validArgs()), validateClusterArgs(validArgs()).directors[0]), /drain "\$LEAVING"/, "the other modes drain");
    });

    it("the rules' output: the table for ipvsTable, the sessions by router and the announcement for bgpStates", () => {
        const table = "IP Virtual Server version 1.2.1 (size=4096)\nTCP  192.168.77.100:80 mh (mh-fallback,mh-port)\n";
        const out = `${table}${BGP_REPORT_MARK}\npeer peer_192_168_77_1 Established\npeer peer_192_168_77_2 Active\nannounces yes\n`;
        assert.deepEqual(splitRulesOutput(out, [{ address: "192.168.77.1" }, { address: "192.168.77.2" }]), {
            table, bgp: { sessions: { "192.168.77.1": "Established", "192.168.77.2": "Active" }, announces: true },
        });
        assert.deepEqual(splitRulesOutput(table, []), { table });
    });
});
