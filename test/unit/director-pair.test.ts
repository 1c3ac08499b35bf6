/**
 * What keepalived brings: health-check, drain and VRRP arguments (validated, defaulted), the
 * configuration they render, the director pair on every platform, and the AWS pair's VIP mover,
 * under Pulumi mocks.
 */
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "fs";
import * as os from "os";
import * as path from "path";
import type { LvsDrClusterArgs } from "../../src/args";
import { derivedVirtualRouterId } from "../../src/core/validation/director-mode";
import { renderKeepalivedConfig } from "../../src/core/scripts/keepalived/config";
import { renderTakeVip } from "../../src/core/modes/vrrp";
import { renderDirectorRules, renderDirectorRulesRemoval, renderDirectorSetup } from "../../src/core/scripts/director";
import { validateClusterArgs } from "../../src/component/validate";
import { validArgs, validAwsArgs, validLibvirtArgs } from "../support/fixtures";
import { problems } from "../support/problems";
import { keepalivedTest } from "../support/keepalived";
import { byName, deploy, eniOf, IPVS_TABLE, ofType, resolve } from "../support/mocks";
import { shellcheck } from "../support/shellcheck";

function pairArgs(): LvsDrClusterArgs {
    const args = validArgs();
    args.hosts!.backupDirector = { address: "192.168.77.9" };
    return args;
}

describe("health checks, drain and VRRP arguments", () => {
    it("refuses bad health checks, naming the field", () => {
        const cases: [(a: LvsDrClusterArgs) => void, RegExp][] = [
            [(a) => (a.services = [{ port: 53, protocol: "udp", healthCheck: { kind: "tcp" } }]), /^services\[0\]\.healthCheck\.kind: cannot check a UDP service/],
            [(a) => (a.services[0].healthCheck = { path: "/x" }), /^services\[0\]\.healthCheck\.path: is only used by http and https checks, not tcp/],
            [(a) => (a.services[0].healthCheck = { kind: "http", path: "/x\n}\nvirtual_server 1.2.3.4 80 {" }), /^services\[0\]\.healthCheck\.path: is not an HTTP path/],
            [(a) => (a.services[0].healthCheck = { kind: "http", path: "/${HOME}" }), /^services\[0\]\.healthCheck\.path/],
            [(a) => (a.services[0].healthCheck = { kind: "http", path: "health" }), /^services\[0\]\.healthCheck\.path/],
            [(a) => (a.services[0].healthCheck = { kind: "http", expectStatus: 99 }), /^services\[0\]\.healthCheck\.expectStatus: must be an integer in 100-599/],
            [(a) => (a.services[0].healthCheck = { intervalSeconds: 0 }), /^services\[0\]\.healthCheck\.intervalSeconds: must be an integer in 1-3600/],
            [(a) => (a.services[0].healthCheck = { timeoutSeconds: 1.5 }), /^services\[0\]\.healthCheck\.timeoutSeconds/],
            [(a) => (a.services[0].healthCheck = { retries: -1 }), /^services\[0\]\.healthCheck\.retries/],
            [(a) => (a.services[0].healthCheck = { failureAction: "quarantine" as "remove" }), /^services\[0\]\.healthCheck\.failureAction/],
            [(a) => (a.services[0].healthCheck = { kind: "icmp" as "tcp" }), /^services\[0\]\.healthCheck\.kind/],
            [(a) => (a.services[0].healthCheck = { interval: 1 } as never), /^services\[0\]\.healthCheck\.interval: is not a known argument/],
            [(a) => (a.services[0].sorryServer = "192.168.77.100"), /^services\[0\]\.sorryServer: is a VIP/],
            [(a) => (a.services[0].sorryServer = "192.168.77.11"), /^services\[0\]\.sorryServer: is a host of this cluster/],
            [(a) => (a.services[0].sorryServer = "127.0.0.1"), /^services\[0\]\.sorryServer/],
            [(a) => (a.drainSeconds = -1), /^drainSeconds: must be an integer in 0-3600/],
            [(a) => (a.drainSeconds = 3601), /^drainSeconds/],
            [(a) => (a.vrrp = {}), /^vrrp: is only used by a director pair/],
        ];
        for (const [mutate, expected] of cases) {
            const found = problems(mutate);
            assert.equal(found.length, 1, `${expected}: ${found.join("; ")}`);
            assert.match(found[0], expected);
        }
    });

    it("refuses bad VRRP settings and backup directors", () => {
        const cases: [(a: LvsDrClusterArgs) => void, RegExp][] = [
            [(a) => (a.vrrp = { virtualRouterId: 0 }), /^vrrp\.virtualRouterId: must be an integer in 1-255/],
            [(a) => (a.vrrp = { virtualRouterId: 256 }), /^vrrp\.virtualRouterId/],
            [(a) => (a.vrrp = { advertIntervalSeconds: 0.05 }), /^vrrp\.advertIntervalSeconds: must be a number of seconds in 0\.1-40/],
            [(a) => (a.vrrp = { advertIntervalSeconds: 0.123 }), /^vrrp\.advertIntervalSeconds/],
            [(a) => (a.vrrp = { advertIntervalSeconds: "1" as unknown as number }), /^vrrp\.advertIntervalSeconds/],
            [(a) => (a.hosts!.backupDirector = { address: "192.168.77.10" }), /^hosts\.backupDirector\.address: is also hosts\.director\.address/],
            [(a) => (a.hosts!.backupDirector = { address: "192.168.77.100" }), /^hosts\.backupDirector\.address: is the VIP/],
            [(a) => (a.hosts!.backupDirector = { address: "192.168.77.9", weight: 2 }), /^hosts\.backupDirector\.weight: is not a known argument/],
            [(a) => (a.hosts!.backupDirector = { address: "192.168.77.9", interface: "eth0;reboot" }), /^hosts\.backupDirector\.interface/],
        ];
        for (const [mutate, expected] of cases) {
            const found = problems(mutate, pairArgs);
            assert.ok(found.some((f) => expected.test(f)), `${expected}: ${found.join("; ")}`);
        }
        assert.match(problems((a) => (a.libvirt!.backupDirector = { name: "x" }), validLibvirtArgs)[0], /^libvirt\.backupDirector\.name: is not a known argument/);
        assert.match(problems((a) => (a.aws!.backupDirector = { address: "10.77.1.1" }), validAwsArgs)[0], /^aws\.backupDirector\.address: is /);
    });

    it("defaults: tcp check 1 s / 1 s / 2 retries, weight 0 on failure, drain 60 s, VRRP id from the VIP, 1 s adverts", () => {
        const plan = validateClusterArgs(pairArgs());
        assert.deepEqual(plan.services[0].healthCheck,
            { kind: "tcp", intervalSeconds: 1, timeoutSeconds: 1, retries: 2, failureAction: "weight0" });
        assert.equal(plan.drainSeconds, 60);
        assert.deepEqual(plan.mode, { kind: "vrrp", virtualRouterId: derivedVirtualRouterId("192.168.77.100"), advertIntervalSeconds: 1, derivedVirtualRouterId: true });
        assert.deepEqual(plan.directors.map((d) => d.address), ["192.168.77.10", "192.168.77.9"]);
        assert.equal(plan.directors[1].interfaceFix, "set hosts.backupDirector.interface to the NIC that faces the real servers");
    });

    it("the derived virtual router id is stable, in 1-255, and differs for neighbouring VIPs", () => {
        const ids = Array.from({ length: 256 }, (_, i) => derivedVirtualRouterId(`10.0.${i}.100`));
        assert.ok(ids.every((id) => Number.isInteger(id) && id >= 1 && id <= 255));
        assert.equal(derivedVirtualRouterId("192.168.77.100"), derivedVirtualRouterId("192.168.77.100"));
        assert.ok(new Set(ids).size > 150, `only ${new Set(ids).size} distinct ids for 256 VIPs`);
    });

    it("VMs: the backup director is planned just below the director, and scaling never moves it", () => {
        const args = validLibvirtArgs();
        args.libvirt!.backupDirector = {};
        const plan = validateClusterArgs(args);
        assert.deepEqual([...plan.directors, ...plan.realServers].map((h) => h.address),
            ["192.168.77.10", "192.168.77.9", "192.168.77.11", "192.168.77.12"]);
        args.libvirt!.realServers.push({});
        assert.deepEqual(validateClusterArgs(args).directors.map((h) => h.address), ["192.168.77.10", "192.168.77.9"]);
        // Adding the backup director does not move a real server either.
        const single = validLibvirtArgs();
        assert.deepEqual(validateClusterArgs(single).realServers.map((h) => h.address), ["192.168.77.11", "192.168.77.12"]);
        const aws = validAwsArgs();
        aws.aws!.backupDirector = {};
        assert.deepEqual(validateClusterArgs(aws).directors.map((h) => h.address), ["10.77.1.10", "10.77.1.9"]);
    });
});

describe("keepalived configuration", () => {
    it("a pair: both BACKUP, nopreempt, VRRPv3, unicast to the peer, the first director preferred, sync following VRRP", () => {
        const plan = validateClusterArgs(pairArgs());
        const [first, second] = plan.directors.map((d) => renderKeepalivedConfig(plan, d));
        for (const conf of [first, second]) {
            assert.match(conf, /^ {4}state BACKUP$/m);
            assert.match(conf, /^ {4}nopreempt$/m);
            assert.match(conf, /^ {4}version 3$/m);
            assert.match(conf, /^ {4}advert_int 1$/m);
            assert.match(conf, /^ {4}lvs_sync_daemon eth0 lvs_dr_192_168_77_100 id \d+$/m);
            assert.match(conf, /^ {8}192\.168\.77\.100\/32 dev eth0$/m);
            assert.doesNotMatch(conf, /notify_master|script_user/, "only AWS pairs run a notify hook");
            assert.equal(keepalivedTest(conf), "");
        }
        // Adverts only from the peer: check_unicast_src right after the peer list.
        assert.match(first, /^ {4}unicast_src_ip 192\.168\.77\.10\n {4}unicast_peer \{\n {8}192\.168\.77\.9\n {4}\}\n {4}check_unicast_src$/m);
        assert.match(second, /^ {4}unicast_src_ip 192\.168\.77\.9\n {4}unicast_peer \{\n {8}192\.168\.77\.10\n {4}\}\n {4}check_unicast_src$/m);
        assert.match(first, /^ {4}priority 233$/m);
        assert.match(second, /^ {4}priority 230$/m);
        const single = validateClusterArgs(validArgs());
        assert.doesNotMatch(renderKeepalivedConfig(single, single.directors[0]), /vrrp_instance|lvs_sync_daemon/);
    });

    it("checks: weight 0 on failure by inhibit_on_failure, remove without it; http path and status; timing; sorry server", () => {
        const args = validArgs();
        args.services = [
            { port: 80, healthCheck: { kind: "http", path: "/healthz?full=1", expectStatus: 204, intervalSeconds: 3, timeoutSeconds: 2, retries: 4 }, sorryServer: "192.168.77.200" },
            { port: 443, healthCheck: { kind: "https", failureAction: "remove" } },
            { port: 53, protocol: "udp" },
        ];
        const plan = validateClusterArgs(args);
        const conf = renderKeepalivedConfig(plan, plan.directors[0]);
        assert.equal(keepalivedTest(conf), "");
        const server = (port: number) => conf.slice(conf.indexOf(`virtual_server 192.168.77.100 ${port} {`)).split("\n}\n")[0];
        assert.match(server(80), /delay_loop 3\n/);
        assert.match(server(80), /sorry_server 192\.168\.77\.200 80\n/);
        assert.match(server(80), /inhibit_on_failure\n {8}HTTP_GET \{\n {12}url \{\n {16}path \/healthz\?full=1\n {16}status_code 204\n {12}\}\n {12}connect_port 80\n {12}connect_timeout 2\n {12}retry 4\n {12}delay_before_retry 3\n/);
        assert.doesNotMatch(server(443), /inhibit_on_failure/);
        assert.match(server(443), /SSL_GET/);
        assert.doesNotMatch(server(53), /_CHECK|_GET/);
        assert.match(server(53), /protocol UDP/);
        const weights = renderKeepalivedConfig(plan, plan.directors[0], { allWeightsZero: true }).match(/weight \d+/g);
        assert.ok(weights && weights.every((w) => w === "weight 0"));
    });

    it("UDP checks: UDP_CHECK with the payload and require_reply, failed servers removed (no inhibit_on_failure)", () => {
        const args = validArgs();
        args.services = [
            { port: 53, protocol: "udp", healthCheck: { kind: "udp", payload: "ABCD", timeoutSeconds: 2 } },
            { port: 514, protocol: "udp", healthCheck: { kind: "udp", requireReply: false } },
        ];
        const plan = validateClusterArgs(args);
        assert.equal(plan.services[0].healthCheck.failureAction, "remove");
        const conf = renderKeepalivedConfig(plan, plan.directors[0]);
        assert.equal(keepalivedTest(conf), "");
        const server = (port: number) => conf.slice(conf.indexOf(`virtual_server 192.168.77.100 ${port} {`)).split("\n}\n")[0];
        assert.match(server(53), /real_server 192\.168\.77\.11 53 \{\n {8}weight 1\n {8}UDP_CHECK \{\n {12}connect_port 53\n {12}connect_timeout 2\n {12}retry 2\n {12}delay_before_retry 1\n {12}payload abcd\n {12}require_reply\n {8}\}/);
        assert.doesNotMatch(conf, /inhibit_on_failure/);
        assert.match(server(514), /UDP_CHECK \{\n {12}connect_port 514\n {12}connect_timeout 1\n {12}retry 2\n {12}delay_before_retry 1\n {8}\}/);
    });

    it("a user's weight 0 is written as weight 0 (maintenance stays 0 across reloads)", () => {
        const args = validArgs();
        args.hosts!.realServers[1].weight = 0;
        const plan = validateClusterArgs(args);
        assert.match(renderKeepalivedConfig(plan, plan.directors[0]), /real_server 192\.168\.77\.12 80 \{\n {8}weight 0\n/);
    });

    it("rules check the file with keepalived before using it and reload, never restart; removal drains first", () => {
        const plan = validateClusterArgs(validArgs());
        const rules = renderDirectorRules(plan, plan.directors[0]);
        assert.ok(rules.indexOf("keepalived_check '/etc/keepalived/lvs-dr/192.168.77.100.conf.next'") < rules.indexOf("apply_config '/etc/keepalived/lvs-dr/192.168.77.100.conf.next'"));
        assert.doesNotMatch(rules, /systemctl restart|ipvsadm -[Cc]|ipvsadm -R|ipvsadm -[AaEe] /);
        assert.match(rules, /drain "\$LEAVING" '60' 'eth0'/);
        const noDrain = validArgs();
        noDrain.drainSeconds = 0;
        const p0 = validateClusterArgs(noDrain);
        assert.doesNotMatch(renderDirectorRules(p0, p0.directors[0]), /drain "/);
        const removal = renderDirectorRulesRemoval(plan, plan.directors[0]);
        assert.ok(removal.indexOf("every real server at weight 0") < removal.lastIndexOf("remove_cluster_conf"));
    });
});

describe("AWS director pair (mocked engine)", () => {
    function awsPair(): LvsDrClusterArgs {
        const args = validAwsArgs();
        args.aws!.backupDirector = {};
        return args;
    }

    it("lets VRRP (protocol 112) in from the two directors only, to the directors only, and checks from the directors", async () => {
        const d = await deploy(awsPair(), "web");
        const rules = (group: string) => (byName(d.resources, group).inputs.ingress as Record<string, unknown>[])
            .map((r) => `${String(r.protocol)} ${String(r.fromPort)}-${String(r.toPort)} from ${(r.cidrBlocks as string[]).join(",")}`);
        assert.deepEqual(rules("web-sg"), [
            "tcp 80-80 from 10.77.0.0/16",
            "udp 53-53 from 10.77.0.0/16",
            "tcp 22-22 from 203.0.113.7/32",
            "112 0-0 from 10.77.1.10/32,10.77.1.9/32",
            "icmp -1--1 from 10.77.1.0/24",
        ]);
        assert.deepEqual(rules("web-rs-sg"), [
            "tcp 80-80 from 10.77.0.0/16",
            "udp 53-53 from 10.77.0.0/16",
            "tcp 22-22 from 203.0.113.7/32",
            "tcp 80-80 from 10.77.1.10/32,10.77.1.9/32",
            "udp 53-53 from 10.77.1.10/32,10.77.1.9/32",
            "icmp -1--1 from 10.77.1.0/24",
        ]);
        assert.deepEqual(byName(d.resources, "web-director-1").inputs.vpcSecurityGroupIds, ["web-sg-id"]);
        const single = await deploy(validAwsArgs(), "web");
        const singleRules = (byName(single.resources, "web-sg").inputs.ingress as Record<string, unknown>[]).map((r) => String(r.protocol));
        assert.ok(!singleRules.includes("112"), "no VRRP without a pair");
        assert.deepEqual(ofType(single.resources, "aws:iam/role:Role"), [], "no role without a pair");
    });

    it("gives the directors, and only them, a profile that may only assign private addresses to their own interfaces", async () => {
        const d = await deploy(awsPair(), "web");
        const policy = JSON.parse(String(byName(d.resources, "web-director-move-vip").inputs.policy)) as
            { Statement: { Action: string[]; Effect: string; Resource: string[] }[] };
        assert.deepEqual(policy.Statement.map((s) => [s.Effect, s.Action]), [["Allow", ["ec2:AssignPrivateIpAddresses"]]]);
        // The two directors' primary interfaces, and nothing else: never "*".
        const enis = ["web-director", "web-director-1"].map((n) => `arn:aws:ec2:eu-west-1:123456789012:network-interface/${eniOf(n)}`);
        assert.deepEqual(policy.Statement[0].Resource, enis);
        // keepalived may call the API as soon as the rules start it: the directors' setups wait for the policy.
        for (const director of ["web-director", "web-director-1"]) {
            assert.ok(d.wired.get(`${director}-setup`)!.dependsOn.includes("web-director-move-vip"), director);
        }
        assert.ok(!d.wired.get("web-rs-a-setup")!.dependsOn.includes("web-director-move-vip"));
        const trust = JSON.parse(String(byName(d.resources, "web-director-role").inputs.assumeRolePolicy)) as { Statement: { Principal: { Service: string } }[] };
        assert.equal(trust.Statement[0].Principal.Service, "ec2.amazonaws.com");
        assert.equal(byName(d.resources, "web-director").inputs.iamInstanceProfile, "web-director-profile-1a2b3c");
        assert.equal(byName(d.resources, "web-director-1").inputs.iamInstanceProfile, "web-director-profile-1a2b3c");
        assert.equal(byName(d.resources, "web-rs-a").inputs.iamInstanceProfile, undefined);
        assert.deepEqual(byName(d.resources, "web-director").inputs.secondaryPrivateIps, ["10.77.1.100"]);
        assert.equal(byName(d.resources, "web-director-1").inputs.secondaryPrivateIps, undefined);
        assert.ok(d.wired.get("web-director")!.ignoreChanges?.includes("secondaryPrivateIps"), "the VIP's move must not be undone by the next up");
    });

    it("the new master moves the VIP through the EC2 API from keepalived's notify hook", () => {
        const plan = validateClusterArgs(awsPair(), "web");
        const d = plan.directors[1];
        const conf = renderKeepalivedConfig(plan, d);
        assert.match(conf, /^ {4}notify_master "\/etc\/lvs-dr\/10\.77\.1\.100\/director-take-vip\.sh" root$/m);
        // Nothing daemon-wide: how other keepalived scripts on the host run is not ours to change.
        assert.doesNotMatch(conf, /script_user|enable_script_security/);
        assert.equal(keepalivedTest(conf), "");
        const takeover = plan.network.vipTakeover;
        assert.equal(takeover.kind, "hook");
        const takeVip = renderTakeVip(plan, d, takeover);
        assert.match(takeVip, /^take_vip '10\.77\.1\.100' 'ens5'$/m);
        assert.match(takeVip, /aws ec2 assign-private-ip-addresses .*--allow-reassignment/s);
        assert.equal(shellcheck({ takeVip }), "");
        const setup = renderDirectorSetup(plan, d);
        assert.ok(setup.includes(takeVip), "setup writes the hook");
        assert.match(setup, /^install_tool 'aws' 'awscli'$/m);
    });

    describe("the notify hook retries the EC2 API until it succeeds or this director is no longer master", () => {
        /** The rendered hook, run with stand-ins for curl, aws, ip, sleep and logger; what they saw. */
        function runHook(awsFailures: number, holdsVip: boolean): { status: number | null; log: string[]; sleeps: string[]; calls: number } {
            const plan = validateClusterArgs(awsPair(), "web");
            const takeover = plan.network.vipTakeover;
            assert.equal(takeover.kind, "hook");
            const dir = mkdtempSync(path.join(os.tmpdir(), "lvsdr-take-vip-"));
            const stub = (name: string, body: string) => writeFileSync(path.join(dir, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
            stub("curl", `case "$*" in *api/token*) echo token ;; *meta-data/mac) echo 0a:00:00:00:00:01 ;; *interface-id) echo eni-0abc ;; *region) echo eu-west-1 ;; esac`);
            stub("aws", `n=$(cat "${dir}/aws.n" 2>/dev/null || echo 0); echo $((n + 1)) > "${dir}/aws.n"; [ "$n" -ge ${awsFailures} ] || { echo "RequestLimitExceeded" >&2; exit 254; }`);
            stub("ip", holdsVip ? `echo "2: ens5    inet 10.77.1.100/32 scope global ens5"` : `echo "2: ens5    inet 10.77.1.9/24 scope global ens5"`);
            stub("sleep", `echo "$1" >> "${dir}/sleeps"`);
            stub("logger", `shift 2; echo "$*" >> "${dir}/log"`);
            const r = spawnSync("sh", ["-c", renderTakeVip(plan, plan.directors[1], takeover)], {
                encoding: "utf8", env: { ...process.env, PATH: `${dir}:${process.env.PATH ?? ""}` },
            });
            const read = (f: string) => existsSync(path.join(dir, f)) ? readFileSync(path.join(dir, f), "utf8").trim().split("\n") : [];
            const result = { status: r.status, log: read("log"), sleeps: read("sleeps"), calls: Number(read("aws.n")[0] ?? 0) };
            rmSync(dir, { recursive: true, force: true });
            return result;
        }

        it("a throttled call is tried again with backoff, each try logged, until the VIP is here", () => {
            const r = runHook(5, true);
            assert.equal(r.status, 0);
            assert.equal(r.calls, 6);
            assert.deepEqual(r.sleeps, ["1", "2", "4", "8", "16"]);
            assert.equal(r.log.length, 6);
            assert.match(r.log[0], /^VIP 10\.77\.1\.100: try 1 to move it here through the EC2 API failed \(RequestLimitExceeded\); again in 1 s$/);
            assert.match(r.log[5], /^VIP 10\.77\.1\.100 assigned to this director's interface after 6 tries/);
        });

        it("the waits stop growing at 30 s", () => {
            assert.deepEqual(runHook(7, true).sleeps, ["1", "2", "4", "8", "16", "30", "30"]);
        });

        it("it stops once keepalived has taken the VIP away (this director is no longer master)", () => {
            const r = runHook(3, false);
            assert.equal(r.status, 0);
            assert.equal(r.calls, 1);
            assert.deepEqual(r.sleeps, []);
            assert.match(r.log[0], /try 1 failed \(RequestLimitExceeded\); this director is no longer master: stopped$/);
        });

        it("succeeds at once when the API does", () => {
            const r = runHook(0, true);
            assert.deepEqual([r.calls, r.sleeps, r.log.length], [1, [], 1]);
        });
    });

    it("exposes every director's address and IPVS table", async () => {
        const d = await deploy(pairArgs(), "web");
        assert.deepEqual(await resolve(d.cluster.directorAddresses), ["192.168.77.10", "192.168.77.9"]);
        assert.deepEqual(await resolve(d.cluster.ipvsTables), [IPVS_TABLE, IPVS_TABLE]);
        assert.ok(byName(d.resources, "web-director-1-rules"));
        // The backup's keepalived starts after the first director's: the first takes the VIP.
        assert.deepEqual(d.wired.get("web-director-1-rules")!.dependsOn.sort(),
            ["web-director-1-setup", "web-director-rules", "web-rs-0-setup", "web-rs-1-setup"]);
    });
});
