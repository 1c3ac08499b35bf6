import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { ClusterPlan } from "../../src/core/plan";
import { renderKeepalivedConfig } from "../../src/core/scripts/keepalived/config";
import { directorRulesCommand } from "../../src/core/scripts/command-lines";
import { desiredIpvsRules, renderDirectorRules, renderDirectorSetup, renderDirectorTeardown, renderDirectorUp } from "../../src/core/scripts/director";
import { realServerSysctls } from "../../src/core/scripts/kernel-parameters";
import { renderRealServerSetup, renderRealServerTeardown, renderRealServerUp } from "../../src/core/scripts/realserver";
import { library } from "../../src/core/scripts/library";
import { hostCommand, hostScript, loaderLine, shq, writeFile } from "../../src/core/scripts/render";
import { LvsDrArgsError, validateClusterArgs } from "../../src/component/validate";
import { validArgs, validAwsArgs, validLibvirtArgs } from "../support/fixtures";
import { keepalivedTestAsync } from "../support/keepalived";
import { shellcheck, shellcheckAsync } from "../support/shellcheck";
import { pool } from "../../lab/harness/spawn";
import { commandLines, planFor, renderAll, type Variant, variantTitle, VARIANTS } from "../support/variants";

/** A plan's loader lines (each command's create and delete), without the scripts they read on stdin. */
function loaderLines(plan: ClusterPlan): Record<string, string> {
    return Object.fromEntries(Object.entries(commandLines(plan)).filter(([k]) => !k.endsWith(" stdin")));
}

describe("host scripts", () => {
    describe(`every variant is POSIX sh, strict and shellcheck-clean (${VARIANTS.length} variants)`, () => {
        // shellcheck and keepalived -t of every variant take minutes of CPU: they all start here,
        // one per core, and each variant's check awaits its own results.
        const external = new Map<Variant, Promise<{ shellcheck: string; keepalived: string[] }>>();
        before(() => {
            const queue = pool();
            for (const v of VARIANTS) {
                const plan = planFor(v);
                const checks = queue(async () => ({
                    // The scripts on stdin are these scripts in a case (checked below, and by sh -n):
                    // shellcheck sees each script once, and the loader lines.
                    shellcheck: await shellcheckAsync({ ...renderAll(plan), ...loaderLines(plan) }),
                    // keepalived accepts what the rules write: the cluster file, and the drain step's.
                    keepalived: await Promise.all(plan.directors.flatMap((d) => [
                        keepalivedTestAsync(renderKeepalivedConfig(plan, d)),
                        keepalivedTestAsync(renderKeepalivedConfig(plan, d, { allWeightsZero: true })),
                    ])),
                }));
                checks.catch(() => undefined); // awaited (and reported) by the variant's own check
                external.set(v, checks);
            }
        });
        for (const v of VARIANTS) {
            it(variantTitle(v), async () => {
                const plan = planFor(v);
                const all = renderAll(plan);
                // 5 per director (with the up-script its setup writes) and 2 per real server on each
                // (its drain hook); per real server 3 (the same).
                assert.equal(Object.keys(all).length, (5 + 2 * 2) * plan.directors.length + 2 * 3, "every script and the scripts setup writes are checked");
                // What setup writes to disk is exactly the up-script checked here.
                plan.directors.forEach((_, i) => assert.ok(all[`director ${i} setup`].includes(all[`director ${i} up`]), "director setup writes the director up-script"));
                for (const rs of plan.realServers) {
                    assert.ok(all[`real server ${rs.name} setup`].includes(all[`real server ${rs.name} up`]));
                }
                for (const [what, s] of Object.entries(all)) {
                    assert.ok(s.startsWith("#!/bin/sh\n"), `${what}: no /bin/sh shebang`);
                    assert.match(s, /^set -eu$/m, `${what}: not set -eu`);
                    const syntax = spawnSync("sh", ["-n"], { input: s, encoding: "utf8" });
                    assert.equal(syntax.status, 0, `${what}: sh -n: ${syntax.stderr}`);
                }
                // What each command sends on stdin: its two scripts above, whole, as its arms.
                const arms: Record<string, [string, string]> = {};
                plan.directors.forEach((_, i) => {
                    arms[`director ${i} setup`] = [`director ${i} setup`, `director ${i} teardown`];
                    arms[`director ${i} rules`] = [`director ${i} rules`, `director ${i} rules removal`];
                    for (const rs of plan.realServers) {
                        arms[`director ${i} drain hook ${rs.name}`] = [`director ${i} release ${rs.name}`, `director ${i} hold ${rs.name}`];
                    }
                });
                for (const rs of plan.realServers) {
                    arms[`real server ${rs.name} setup`] = [`real server ${rs.name} setup`, `real server ${rs.name} teardown`];
                }
                const stdins = Object.entries(commandLines(plan)).filter(([k]) => k.endsWith(" stdin"));
                assert.equal(stdins.length, Object.keys(arms).length);
                for (const [key, stdin] of stdins) {
                    const [create, del] = arms[key.slice(0, -" stdin".length)];
                    assert.ok(stdin.includes(`\ncreate)\n${all[create]};;\ndelete)\n${all[del]};;\n*)\n`), `${key}: not its two scripts as they are`);
                    const syntax = spawnSync("sh", ["-n"], { input: stdin, encoding: "utf8" });
                    assert.equal(syntax.status, 0, `${key}: sh -n: ${syntax.stderr}`);
                }
                const checked = await external.get(v)!;
                assert.equal(checked.shellcheck, "");
                assert.deepEqual(checked.keepalived, plan.directors.flatMap(() => ["", ""]));
            });
        }
    });

    it("the loader lines run through sudo for a non-root user, and shellcheck sees them and the scripts on stdin", () => {
        const args = validArgs();
        args.ssh.user = "debian";
        const lines = commandLines(validateClusterArgs(args));
        const [loaders, scripts] = [Object.entries(lines).filter(([k]) => !k.endsWith(" stdin")), Object.entries(lines).filter(([k]) => k.endsWith(" stdin"))];
        assert.ok(loaders.length > 0 && loaders.every(([, l]) => l.startsWith("#!/bin/sh\nsudo -n sh -c 'f=$(mktemp)")), loaders.map(([k]) => k).join(", "));
        assert.ok(scripts.length * 2 === loaders.length && scripts.every(([, l]) => l.startsWith("#!/bin/sh\n# lvs-dr ")));
        assert.equal(shellcheck(lines), "");
    });

    it("the shellcheck and keepalived helpers report findings (the checks above can fail)", async () => {
        assert.match(shellcheck({ bad: "#!/bin/sh\necho $1\n" }), /bad\.sh:2:6: note: Double quote/);
        assert.match(await shellcheckAsync({ ok: "#!/bin/sh\necho ok\n", bad: "#!/bin/sh\necho $1\n" }), /^1-bad\.sh:2:6: note: Double quote/);
        assert.match(await keepalivedTestAsync("virtual_server 192.0.2.1 80 {\n    lvs_bogus_keyword 1\n}\n"), /Unknown keyword 'lvs_bogus_keyword'/);
    });

    describe("real server", () => {
        it("silences ARP on all and on the NIC before binding the VIP /32 on lo:0 (DR)", () => {
            const plan = planFor(VARIANTS[0]);
            const up = renderRealServerUp(plan, plan.realServers[1]);
            const vipAt = up.indexOf("bind_vip '192.168.77.100/32' 'lo' 'lo:0'");
            assert.ok(vipAt > 0, up);
            for (const key of ["all/arp_ignore' '1'", "all/arp_announce' '2'", "ens3.100/arp_ignore' '1'", "ens3.100/arp_announce' '2'"]) {
                const at = up.indexOf(`set_sysctl 'net/ipv4/conf/${key}`);
                assert.ok(at > 0 && at < vipAt, `${key} must be set before the VIP is bound`);
            }
            assert.deepEqual(realServerSysctls("dr", "eth0").map((s) => `${s.path}=${s.value}`), [
                "net/ipv4/conf/all/arp_ignore=1", "net/ipv4/conf/all/arp_announce=2",
                "net/ipv4/conf/eth0/arp_ignore=1", "net/ipv4/conf/eth0/arp_announce=2", "net/ipv4/conf/eth0/rp_filter=2",
            ]);
        });

        it("TUN loads ipip, binds the VIP on tunl0 and turns rp_filter off on all and tunl0", () => {
            const plan = planFor(VARIANTS.find((v) => v.forwarding === "tun")!);
            const up = renderRealServerUp(plan, plan.realServers[0]);
            assert.match(up, /^tunl0_up$/m);
            assert.match(up, /^bind_vip '192\.168\.77\.100\/32' 'tunl0'$/m);
            assert.doesNotMatch(up, /^bind_vip .* 'lo'/m);
            assert.deepEqual(realServerSysctls("tun", "eth0").slice(4).map((s) => `${s.path}=${s.value}`),
                ["net/ipv4/conf/all/rp_filter=0", "net/ipv4/conf/tunl0/rp_filter=0"]);
        });

        it("IPv6: the VIP /128 on lo (DR) or ip6tnl0 (TUN), nodad and deprecated, after the ARP sysctls of the IPv4 VIP", () => {
            const dual = planFor(VARIANTS.find((v) => v.family === "dual" && v.forwarding === "dr")!);
            const up = renderRealServerUp(dual, dual.realServers[0]);
            assert.match(up, /^bind_vip '192\.168\.77\.100\/32' 'lo' 'lo:0'\nbind_vip6 'fd77::100\/128' 'lo'$/m);
            assert.match(library("common"), /ip -6 addr replace "\$1" dev "\$2" nodad preferred_lft 0/);
            assert.match(renderRealServerTeardown(dual, dual.realServers[0]), /^unbind_vip 'fd77::100\/128' 'lo'$/m);
            assert.match(renderRealServerSetup(dual, dual.realServers[0]), /^refuse_gateway6 'fd77::10' /m);
            const tun6 = planFor(VARIANTS.find((v) => v.family === "6" && v.forwarding === "tun")!);
            const tunUp = renderRealServerUp(tun6, tun6.realServers[0]);
            assert.match(tunUp, /^ip6tnl0_up$/m);
            assert.match(tunUp, /^bind_vip6 'fd77::100\/128' 'ip6tnl0'$/m);
            assert.doesNotMatch(tunUp, /^tunl0_up$|^bind_vip '/m);
            assert.match(renderRealServerSetup(tun6, tun6.realServers[0]), /^prepare_ip6tnl0 /m);
        });

        it("setup refuses a default gateway through the director", () => {
            const plan = planFor(VARIANTS[0]);
            assert.match(renderRealServerSetup(plan, plan.realServers[0]), /^refuse_gateway '192\.168\.77\.10' 'the default gateway of 192\.168\.77\.11 is the director/m);
        });
    });

    describe("messages name the argument the user set on each platform", () => {
        const rendered = (plan: ClusterPlan): string =>
            [renderDirectorSetup(plan, plan.directors[0]), ...plan.realServers.map((rs) => renderRealServerSetup(plan, rs))].join("\n");
        it("hosts: the host's own interface field", () => {
            const text = rendered(validateClusterArgs(validArgs()));
            assert.match(text, /interface eth0 not found on 192\.168\.77\.10: set hosts\.director\.interface to the NIC that faces the real servers/);
            assert.match(text, /interface eth0 not found on 192\.168\.77\.12: set hosts\.realServers\[1\]\.interface to the NIC that faces the director/);
        });
        it("aws: aws.interface, never a hosts field", () => {
            const text = rendered(validateClusterArgs(validAwsArgs()));
            assert.match(text, /interface ens5 not found on 10\.77\.1\.11: set aws\.interface/);
            assert.doesNotMatch(text, /hosts\./);
        });
        it("libvirt: the base image whose cloud-init names the NIC, never a hosts field", () => {
            const text = rendered(validateClusterArgs(validLibvirtArgs()));
            assert.match(text, /interface eth0 not found on 192\.168\.77\.11: the NIC of a libvirt VM is named eth0 by cloud-init .* libvirt\.baseImage/);
            assert.doesNotMatch(text, /hosts\./);
        });
    });

    describe("director", () => {
        it("sets, persists and restores the IPVS sysctls a DR director needs", () => {
            const plan = planFor(VARIANTS[0]);
            const d = plan.directors[0];
            const up = renderDirectorUp(plan, d);
            assert.ok(up.lastIndexOf("\nload_ipvs\n") < up.indexOf("set_sysctl 'net/ipv4/vs/conn_reuse_mode' '2'"), up);
            assert.match(up, /^set_sysctl 'net\/ipv4\/vs\/expire_nodest_conn' '1'$/m);
            assert.match(up, /^set_sysctl 'net\/ipv4\/vs\/expire_quiescent_template' '1'$/m);
            const setup = renderDirectorSetup(plan, d);
            assert.match(setup, /^remember_sysctl '\/var\/lib\/lvs-dr\/director-sysctl\.orig' 'net\/ipv4\/vs\/conn_reuse_mode'$/m);
            assert.match(setup, /^net\/ipv4\/vs\/conn_reuse_mode = 2$/m);
            assert.match(renderDirectorTeardown(plan, d), /^restore_remembered '\/var\/lib\/lvs-dr\/director-sysctl\.orig' /m);
        });

        it("a single director announces each IPv4 VIP right after binding it (arping installed); a pair (keepalived's) and AWS (the VPC's ARP) do not", () => {
            const dual = planFor(VARIANTS.find((v) => v.family === "dual" && !v.pair)!);
            const up = renderDirectorUp(dual, dual.directors[0]);
            assert.match(up, /^bind_vip '192\.168\.77\.100\/32' 'eth0'\nannounce_vip '192\.168\.77\.100' 'eth0'\nbind_vip6 'fd77::100\/128' 'eth0'$/m);
            assert.ok(up.includes(library("announce")), "the up script carries announce_vip");
            assert.match(renderDirectorSetup(dual, dual.directors[0]), /^install_tool 'arping' 'iputils-arping' 'iputils'$/m);
            const pairPlan = planFor(VARIANTS.find((v) => v.pair)!);
            const aws = validateClusterArgs(validAwsArgs());
            for (const [what, p] of [["pair", pairPlan], ["aws", aws]] as const) {
                const all = p.directors.map((d) => renderDirectorUp(p, d) + renderDirectorSetup(p, d)).join("\n");
                assert.doesNotMatch(all, /announce_vip|arping/, `${what}: announces`);
            }
        });

        it("desired table: -g for DR, -i for TUN, weights, persistence, same port on real servers", () => {
            const dr = planFor({ forwarding: "dr", protocol: "udp", scheduler: "sh", persistenceSeconds: 300 });
            assert.deepEqual(desiredIpvsRules(dr), [
                "-A -u 192.168.77.100:80 -s sh -p 300",
                "-a -u 192.168.77.100:80 -r 192.168.77.11:80 -g -w 1",
                "-a -u 192.168.77.100:80 -r 192.168.77.12:80 -g -w 0",
                "-A -t 192.168.77.100:443 -s rr",
                "-a -t 192.168.77.100:443 -r 192.168.77.11:443 -g -w 1",
                "-a -t 192.168.77.100:443 -r 192.168.77.12:443 -g -w 0",
            ]);
            const tun = planFor({ forwarding: "tun", protocol: "tcp", scheduler: "rr", persistenceSeconds: 0 });
            assert.ok(desiredIpvsRules(tun).filter((l) => l.startsWith("-a ")).every((l) => l.includes(" -i -w ")));
        });

        it("rules never flush the table and load every scheduler module used", () => {
            for (const v of VARIANTS) {
                const plan = planFor(v);
                const rules = renderDirectorRules(plan, plan.directors[0]);
                assert.doesNotMatch(rules, /ipvsadm (-C|--clear)/);
                assert.match(rules, new RegExp(`^load_scheduler '${v.scheduler}'$`, "m"));
                // The second service's scheduler: rr, mh with active-active directors.
                assert.match(rules, new RegExp(`^load_scheduler '${v.bgp ? "mh" : "rr"}'$`, "m"));
            }
        });
    });

    describe("shell helpers", () => {
        describe("a host command: a short loader line, the script on stdin", () => {
            /** Runs a loader line with `stdin` as sh would over SSH, its temporary file in `tmp`. */
            const runLoader = (command: string, stdin: string, tmp: string) =>
                spawnSync("sh", ["-c", command], { encoding: "utf8", input: stdin, env: { ...process.env, TMPDIR: tmp }, maxBuffer: 1 << 26 });
            const withTmp = <T>(f: (tmp: string) => T): T => {
                const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "lvsdr-loader-"));
                try {
                    return f(tmp);
                } finally {
                    fs.rmSync(tmp, { recursive: true, force: true });
                }
            };

            it("runs either arm exactly, whatever quotes it holds, with its exit status, and leaves no file behind", () => withTmp((tmp) => {
                const create = `#!/bin/sh\nset -eu\nprintf '%s|' "it's" 'a "test"' \\$HOME '$(id)' "$1"\n`;
                const c = hostCommand("lvs-dr test", { create, delete: "#!/bin/sh\nset -eu\necho removed; exit 7\n" }, false);
                const made = runLoader(c.create.command, c.create.stdin, tmp);
                assert.equal(made.status, 0, made.stderr);
                assert.equal(made.stdout, `it's|a "test"|$HOME|$(id)|create|`);
                const removed = runLoader(c.delete.command, c.delete.stdin, tmp);
                assert.equal(removed.status, 7, removed.stderr);
                assert.equal(removed.stdout, "removed\n");
                assert.deepEqual(fs.readdirSync(tmp), [], "the loader removes its copy of the script");
                assert.equal(hostCommand("lvs-dr test", { create: "true\n" }, true).create.command.slice(0, 14), "sudo -n sh -c ");
                const clean = hostCommand("lvs-dr test", { create: "#!/bin/sh\nset -eu\necho made\n", delete: "#!/bin/sh\nset -eu\necho removed\n" }, true);
                assert.equal(shellcheck({ "loader": `#!/bin/sh\n${clean.create.command}\n`, "script": clean.create.stdin }), "");
            }));

            it("an empty stdin (a provider that does not send it) fails with what is wrong, not a silent success", () => withTmp((tmp) => {
                const r = runLoader(loaderLine("lvs-dr test", "create", false), "", tmp);
                assert.equal(r.status, 1);
                assert.match(r.stderr, /^lvs-dr: error: no script on standard input/);
                const other = runLoader(loaderLine("lvs-dr test", "create", false), hostScript("lvs-dr test", { create: "echo hi\n" }).replace('"${1-}"', "nope"), tmp);
                assert.equal(other.status, 2);
                assert.match(other.stderr, /run as: sh FILE create$/m);
            }));

            it("the script's commands read nothing of it: stdin is closed for them", () => withTmp((tmp) => {
                const c = hostCommand("lvs-dr test", { create: "#!/bin/sh\nset -eu\nprintf '[%s]' \"$(cat)\"\necho after\n" }, false);
                const r = runLoader(c.create.command, c.create.stdin, tmp);
                assert.equal(r.status, 0, r.stderr);
                assert.equal(r.stdout, "[]after\n");
            }));

            it("a failure reads as the short line and the script's last words, not the script (as the command provider prints it)", () => withTmp((tmp) => {
                const plan = validateClusterArgs(validArgs(), "web");
                const rules = directorRulesCommand(plan, plan.directors[0]);
                assert.ok(rules.create.command.length < 300, rules.create.command);
                assert.equal(rules.create.command, loaderLine("lvs-dr web-director-rules", "create", false));
                // The same loader with a script that dies as the host scripts do.
                const c = hostCommand("lvs-dr web-director-rules", { create: `${library("common")}\nsay working\ndie "keepalived refuses the configuration: fix the service"\n` }, false);
                const r = runLoader(c.create.command, c.create.stdin, tmp);
                assert.equal(r.status, 1);
                const message = `Process exited with status ${r.status}: running ${JSON.stringify(c.create.command)}:\n${r.stdout}${r.stderr}`;
                assert.ok(message.length < 500, message);
                assert.match(message, /lvs-dr: error: keepalived refuses the configuration: fix the service\n$/);
            }));

            describe("a script larger than one argument may be (a director's rules with hundreds of real servers)", () => {
                /** A director with `n` real servers x 2 services on the existing-hosts platform. */
                const large = (n: number, user = "root"): ClusterPlan => validateClusterArgs({
                    vip: "198.18.0.100", services: [{ port: 80 }, { port: 443 }], ssh: { user, privateKey: "k" },
                    hosts: {
                        director: { address: "198.18.0.10" },
                        realServers: Array.from({ length: n }, (_, i) => ({ address: `198.18.${1 + Math.floor(i / 250)}.${1 + (i % 250)}` })),
                    },
                }, "big");

                it("travels whole on stdin and runs exactly: 1,200 real servers' rules", () => withTmp((tmp) => {
                    const plan = large(1200);
                    const script = renderDirectorRules(plan, plan.directors[0]);
                    assert.ok(script.length > 256 * 1024, `the script is only ${script.length} bytes`);
                    const rules = directorRulesCommand(plan, plan.directors[0]);
                    assert.ok(rules.create.stdin.includes(script));
                    // The loader hands the arm exactly this script: run it with a stub in place of the body.
                    const c = hostCommand("lvs-dr big", { create: `#!/bin/sh\nset -eu\n${"# padding\n".repeat(30000)}echo "$1"; exit 5\n` }, false);
                    const r = runLoader(c.create.command, c.create.stdin, tmp);
                    assert.equal(r.status, 5, r.stderr);
                    assert.equal(r.stdout, "create\n");
                }));

                it("a table too large for the scripts' awk (its environment: 128 KiB a string) is refused by validation with what to do", () => {
                    assert.throws(() => large(1300), (e: unknown) => e instanceof LvsDrArgsError && /^ {2}- hosts\.realServers = "\(1300 real servers\)": make a director's table for VIP 198\.18\.0\.100 of 1300 real servers x 2 services, \d+ bytes as ipvsadm lines: over what its scripts can pass to a command \(122880 bytes\)\. Fix: split the cluster \(fewer real servers or services per VIP\)\.$/m.test(e.message));
                    const plan = large(1200);
                    assert.doesNotThrow(() => directorRulesCommand(plan, plan.directors[0]));
                });
            });
        });

        it("leaving_servers: the table's real servers that the desired rules and the sorry servers do not hold, in one pass", () => {
            const table = ["-A -t V:80 -s rr", "-a -t V:80 -r 1.1.1.1:80 -g -w 1", "-a -t V:80 -r 1.1.1.2:80 -g -w 0",
                "-a -t V:80 -r 9.9.9.9:80 -g -w 0", "-A -u V:53 -s rr", "-a -u V:53 -r 1.1.1.1:53 -g -w 1", "-a -t V:80 -r 1.1.1.10:80 -g -w 1"];
            const desired = ["-A -t V:80 -s rr", "-a -t V:80 -r 1.1.1.1:80 -g -w 1", "-A -u V:53 -s rr"];
            const run = (want: string[]): string => {
                const body = [library("common"), library("ipvs"), library("keepalived"), library("table"), library("held"), library("drain"),
                    `own_rules() { printf '%s\\n' ${table.map(shq).join(" ")}; }`, "VIP=V", `SORRY=${shq("-t V:80 9.9.9.9:80")}`,
                    `leaving_servers ${shq(want.join("\n"))}`].join("\n");
                const r = spawnSync("sh", ["-c", body], { encoding: "utf8" });
                assert.equal(r.status, 0, r.stderr);
                return r.stdout;
            };
            // 1.1.1.10 is not 1.1.1.1 (a prefix of it): entries are compared whole.
            assert.equal(run(desired), "-t V:80 1.1.1.2:80\n-u V:53 1.1.1.1:53\n-t V:80 1.1.1.10:80\n");
            assert.equal(run([]), "-t V:80 1.1.1.1:80\n-t V:80 1.1.1.2:80\n-u V:53 1.1.1.1:53\n-t V:80 1.1.1.10:80\n");
        });

        it("dual stack: the table's readers take both VIPs' entries, IPv6 as [address]:port, and nobody else's", () => {
            const table = ["-A -t 10.0.0.100:80 -s rr", "-a -t 10.0.0.100:80 -r 10.0.0.11:80 -g -w 1",
                "-A -t [fd77::100]:80 -s rr", "-a -t [fd77::100]:80 -r [fd77::b]:80 -g -w 1", "-a -t [fd77::100]:80 -r [fd77::bb]:80 -g -w 1",
                "-A -t 10.0.0.101:80 -s rr", "-a -t 10.0.0.101:80 -r 10.0.0.11:80 -g -w 1",
                "-A -t [fd77::1000]:80 -s rr", "-a -t [fd77::1000]:80 -r [fd77::b]:80 -g -w 1"];
            const run = (calls: string): string => {
                const body = [library("common"), library("ipvs"), library("keepalived"), library("table"), library("held"), library("drain"),
                    `ipvsadm() { printf '%s\n' ${table.map(shq).join(" ")}; }`, "VIP=10.0.0.100", "VIP6=fd77::100", "SORRY=''", "TMPDIR=$(mktemp -d)", calls, "rm -rf \"$TMPDIR\""].join("\n");
                const r = spawnSync("sh", ["-c", body], { encoding: "utf8" });
                assert.equal(r.status, 0, r.stderr);
                return r.stdout;
            };
            // 10.0.0.101 and fd77::1000 start like the cluster's VIPs: compared up to the port, they are not.
            assert.equal(run("cluster_rules"), table.slice(0, 5).join("\n") + "\n");
            assert.equal(run("servers_at fd77::b"), "-t [fd77::100]:80 [fd77::b]:80\n");
            const drained = run(`printf '%s\\n' '    # lvs-dr drain tcp [fd77::100]:80' > "$TMPDIR/f"; with_draining "$TMPDIR/f" '-t [fd77::100]:80 [fd77::bb]:80'`);
            assert.equal(drained, "    # lvs-dr drain tcp [fd77::100]:80\n    real_server fd77::bb 80 {\n        weight 0\n    }\n");
            assert.equal(run(`HELD="$TMPDIR/held"; printf 'fd77::b\\nfd77::c\\n' > "$HELD"; prune_held '-a -t [fd77::100]:80 -r [fd77::b]:80 -g -w 1'; cat "$HELD"`), "fd77::b\n");
        });

        it("shq quotes one word", () => {
            assert.equal(shq("a'b"), `'a'\\''b'`);
            const hostile = "x; rm -rf / $(reboot) `id` \\";
            const r = spawnSync("sh", ["-c", `printf %s ${shq(hostile)}`], { encoding: "utf8" });
            assert.equal(r.stdout, hostile);
        });

        it("writeFile refuses content that would end its here-document early", () => {
            assert.throws(() => writeFile("/x", "0644", "a\nLVS_DR_EOF\nb"), /terminator/);
        });
    });
});
