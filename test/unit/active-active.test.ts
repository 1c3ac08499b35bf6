/**
 * Active-active directors (`bgp`): the arguments (validated, defaulted, refused with the reason),
 * the BIRD configuration (parsed by BIRD itself), the keepalived file (Maglev flags, quorum hooks,
 * failed servers kept in place), what the rules report, and the routers' passwords (checked, in
 * BIRD's file, secret in every command that holds one: under Pulumi's mocks).
 */
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import { mkdtempSync, rmSync, writeFileSync } from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
// The mocks first: the code under test is loaded after them.
import { deploy, isSecret, reveal } from "../support/mocks";
import type { LvsDrClusterArgs } from "../../src/args";
import { withPasswords } from "../../src/component/host-configuration";
import { LvsDrArgsError, validateClusterArgs } from "../../src/component/validate";
import { BGP_REPORT_MARK, splitRulesOutput } from "../../src/core/modes/bgp";
import { renderBirdConf } from "../../src/core/modes/bgp-speaker";
import { hostResourceName, roleOf } from "../../src/core/names";
import type { BgpPlan } from "../../src/core/plan";
import { renderKeepalivedConfig } from "../../src/core/scripts/keepalived/config";
import { renderDirectorRulesRemoval } from "../../src/core/scripts/director";
import { directorRulesCommand, directorSetupCommand, realServerSetupCommand } from "../../src/core/scripts/command-lines";
import { derivedGateTable } from "../../src/core/validation/bgp";
import { validArgs, validAwsArgs } from "../support/fixtures";
import { problems, refusal } from "../support/problems";

/** A password with what a shell or BIRD might read: a quote, a dollar, a hash, spaces, parentheses. */
const PASSWORD = "lvs-dr's $ecret #1 (x)";

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

describe("active-active directors: a director joins or leaves", () => {
    it("changes no other host's commands: every real server's setup, the other directors' setup and rules stay as they were", () => {
        const named = (): LvsDrClusterArgs => {
            const args = activeArgs();
            args.hosts!.directors![2].name = "north";
            return args;
        };
        const three = validateClusterArgs(named());
        const twoArgs = named();
        twoArgs.hosts!.directors!.splice(1, 1);
        const two = validateClusterArgs(twoArgs);
        const byName = (plan: typeof three, name: string) => plan.directors.find((d) => d.name === name)!;
        for (const name of two.directors.map((d) => d.name!)) {
            assert.deepEqual(directorSetupCommand(two, byName(two, name)), directorSetupCommand(three, byName(three, name)), `director ${name}'s setup`);
            assert.deepEqual(directorRulesCommand(two, byName(two, name)), directorRulesCommand(three, byName(three, name)), `director ${name}'s rules`);
        }
        two.realServers.forEach((rs, i) => assert.deepEqual(realServerSetupCommand(two, rs), realServerSetupCommand(three, three.realServers[i]), `${rs.name}'s setup`));
    });
});

describe("active-active directors: the order of a director's commands", () => {
    it("its drain hooks come before its rules: a director's removal withdraws (the rules' delete) before the hooks, which then drain nothing", async () => {
        const { wired } = await deploy(activeArgs());
        // Elsewhere a hook comes after the rules (test/unit/cluster.test.ts).
        assert.deepEqual(wired.get("web-rs-1-drain-director-east")!.dependsOn.sort(), ["web-director-east-setup", "web-rs-1-setup"]);
        const rules = wired.get("web-director-east-rules")!.dependsOn;
        assert.ok(["web-rs-0-drain-director-east", "web-rs-1-drain-director-east"].every((h) => rules.includes(h)), `the rules depend on ${rules.join(", ")}`);
        assert.ok(!rules.some((r) => r.includes("drain-director-west")), "a director's rules wait for no other director's hooks");
    });
});

describe("active-active directors: addresses", () => {
    it("takes a VIP outside hosts.subnet (the routers reach it through the directors, not by ARP); a pair does not", () => {
        const args = activeArgs();
        args.hosts!.subnet = "192.168.77.0/24";
        args.vip = "10.77.0.100";
        assert.equal(validateClusterArgs(args).vip, "10.77.0.100");
        assert.deepEqual(problems((a) => { a.hosts!.subnet = "192.168.77.0/24"; a.vip = "10.77.0.100"; }).filter((p) => p.startsWith("vip:")),
            ["vip: is outside hosts.subnet 192.168.77.0/24"]);
    });

    it("takes the directors' addresses from other resources (Outputs): the same commands as with plain addresses", async () => {
        const commands = async (args: LvsDrClusterArgs): Promise<Map<string, unknown>> => new Map((await deploy(args)).resources
            .filter((r) => r.type === "command:remote:Command")
            .map((r) => [r.name, { create: r.inputs.create, delete: r.inputs.delete, stdin: reveal(r.inputs.stdin), host: (r.inputs.connection as { host: unknown }).host }]));
        const plain = await commands(activeArgs());
        const awaited = activeArgs();
        awaited.hosts!.directors = awaited.hosts!.directors!.map((d) => ({ ...d, address: pulumi.output(d.address as string) }));
        const fromOutputs = await commands(awaited);
        assert.deepEqual([...fromOutputs.keys()].sort(), [...plain.keys()].sort());
        for (const [name, command] of plain) {
            assert.deepEqual(fromOutputs.get(name), command, `${name} differs`);
        }
    });
});

describe("active-active directors: the routers' passwords (TCP-MD5)", () => {
    it("takes one per router, plain or as an Output", () => {
        const args = activeArgs();
        args.bgp!.peers[0].password = PASSWORD;
        assert.equal(bgpOf(args).peers[0].password, PASSWORD);
        for (const longest of ["x".repeat(80), "é".repeat(40)]) {
            args.bgp!.peers[0].password = longest;
            assert.equal(bgpOf(args).peers[0].password, longest, "80 bytes is the kernel's limit, and allowed");
        }
        const given = pulumi.secret(PASSWORD);
        args.bgp!.peers[0].password = given;
        assert.equal(bgpOf(args).peers[0].password, given, "an Output passes through");
    });

    it("refuses one that BIRD's quoted string or the kernel cannot take, saying what to fix and never showing it", () => {
        const cases: [unknown, RegExp][] = [
            ["", /is empty/],
            ["leak".repeat(21), /is 84 bytes long: a TCP-MD5 key holds at most 80/],
            ["leakleak".repeat(5) + "é".repeat(21), /is 82 bytes long/],
            ['leak"', /holds a " or a \\, which BIRD's configuration cannot hold/],
            ["leak\\", /holds a " or a \\/],
            ["leak\nleak", /holds a control character/],
            ["leak\tleak", /holds a control character/],
            [1234, /must be a string or an Output of one/],
        ];
        for (const [password, expected] of cases) {
            const error = refusal((a) => (a.bgp!.peers[0].password = password as string), activeArgs);
            const problem = error?.problems.find((p) => p.field === "bgp.peers[0].password");
            assert.ok(problem, `${JSON.stringify(password)} accepted`);
            assert.match(problem.problem, expected);
            assert.match(problem.fix, /password/);
            assert.equal(problem.value, "(hidden)");
            assert.doesNotMatch(error!.message, /leak|1234/, `the message shows the password: ${error!.message}`);
        }
    });

    it("checks an Output's value once known, with the message a plain one gets; a good one is resolved into the plan", () => {
        const plain = refusal((a) => (a.bgp!.peers[0].password = 'leak"'), activeArgs)?.message;
        assert.ok(plain);
        const args = activeArgs();
        args.bgp!.peers.unshift({ address: "192.168.77.2", asn: 65010, password: pulumi.secret('leak"') });
        const plan = validateClusterArgs(args);
        assert.throws(() => withPasswords(plan, ['leak"', undefined]), (e) => e instanceof LvsDrArgsError && e.message === plain);
        const resolved = withPasswords(plan, [PASSWORD, undefined]).mode as BgpPlan;
        assert.deepEqual(resolved.peers, [{ address: "192.168.77.2", asn: 65010, password: PASSWORD }, { address: "192.168.77.1", asn: 65000 }]);
        assert.deepEqual((withPasswords(plan).mode as BgpPlan).peers.map((p) => p.password), [undefined, undefined], "without values: none");
    });

    it("a secret Output is in the directors' setup scripts alone, which are secrets; no input holds it in plain text", async () => {
        const args = activeArgs();
        args.bgp!.peers.push({ address: "192.168.77.2", asn: 65010, password: pulumi.secret(PASSWORD) });
        // An awaited field too: the scripts are rendered once the plan is known.
        args.hosts!.realServers[0].address = pulumi.output("192.168.77.11");
        const { resources } = await deploy(args);
        // A value is safe when it only occurs inside a secret envelope (stored encrypted).
        const plainText = (v: unknown): string => JSON.stringify(v, (_k, x: unknown) => (isSecret(x) ? "(secret)" : x));
        const commands = resources.filter((r) => r.type === "command:remote:Command");
        const setups = commands.filter((r) => /^web-director-.*setup$/.test(r.name));
        assert.equal(setups.length, 3);
        for (const c of commands) {
            assert.ok(!plainText(c.inputs).includes("$ecret #1"), `${c.name}: the password is in plain text: ${plainText(c.inputs).slice(0, 200)}`);
            assert.ok(!isSecret(c.inputs.create) && !isSecret(c.inputs.delete), `${c.name}: its loader lines are secrets`);
            assert.equal(isSecret(c.inputs.stdin), setups.includes(c), `${c.name}: its script is ${isSecret(c.inputs.stdin) ? "" : "not "}a secret`);
        }
        for (const c of setups) {
            const stdin = reveal(c.inputs.stdin) as string;
            assert.ok(stdin.includes(`neighbor 192.168.77.2 as 65010;\n    password "${PASSWORD}";\n`), `${c.name}: no password line`);
            assert.ok(stdin.includes("bgp_write_conf '/etc/lvs-dr/192.168.77.100/director-bird.conf' <<'LVS_DR_EOF'"), `${c.name}: BIRD's file not written privately`);
        }
        // A plain password is made a secret too; without one nothing is.
        const plain = activeArgs();
        plain.bgp!.peers[0].password = PASSWORD;
        const again = await deploy(plain);
        assert.ok(isSecret(again.resources.find((r) => r.name === "web-director-east-setup")!.inputs.stdin));
        const none = await deploy(activeArgs());
        assert.ok(!none.resources.some((r) => isSecret(r.inputs.stdin)));
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

    it("BIRD: one session per router (its password where given), BFD, graceful restart off, only the VIP out and nothing in; BIRD parses it", function () {
        const args = activeArgs();
        args.bgp!.peers.push({ address: "192.168.77.2", asn: 65010, password: PASSWORD });
        const plan = validateClusterArgs(args);
        const bgp = plan.mode as BgpPlan & { kind: "bgp" };
        const conf = renderBirdConf(plan, bgp, plan.directors[2]);
        assert.match(conf, /neighbor 192\.168\.77\.2 as 65010;\n {4}password "lvs-dr's \$ecret #1 \(x\)";\n {4}direct;/);
        assert.equal(conf.match(/password/g)?.length, 1, "only the router that has a password");
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
