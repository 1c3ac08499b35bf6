import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import type { LvsDrClusterArgs } from "../../src/args";
import {
    desiredIpvsRules, renderDirectorRules, renderDirectorRulesRemoval, renderDirectorSetup,
    renderDirectorTeardown, renderDirectorUp,
} from "../../src/core/director-script";
import { ClusterPlan, FORWARDING_METHODS, PROTOCOLS, SCHEDULERS } from "../../src/core/plan";
import {
    realServerSysctls, renderRealServerSetup, renderRealServerTeardown, renderRealServerUp,
} from "../../src/core/realserver-script";
import { remoteCommand, shq, writeFileCommand } from "../../src/core/shell";
import { validateClusterArgs } from "../../src/core/validate";
import { validArgs, validAwsArgs, validLibvirtArgs } from "../support/fixtures";
import { shellcheck } from "../support/shellcheck";

interface Variant {
    forwarding: string;
    protocol: string;
    scheduler: string;
    persistenceSeconds: number;
}

/** Every forwarding x protocol, each scheduler at least once, persistence on and off. */
const VARIANTS: Variant[] = FORWARDING_METHODS.flatMap((forwarding) => PROTOCOLS.flatMap((protocol) =>
    SCHEDULERS.map((scheduler, i) => ({ forwarding, protocol, scheduler, persistenceSeconds: i % 2 === 0 ? 0 : 300 }))));

function planFor(v: Variant): ClusterPlan {
    const args: LvsDrClusterArgs = validArgs();
    args.forwarding = v.forwarding;
    args.services = [
        { port: 80, protocol: v.protocol, scheduler: v.scheduler, persistenceSeconds: v.persistenceSeconds },
        { port: 443, scheduler: "rr" },
    ];
    args.hosts!.realServers[1] = { address: "192.168.77.12", interface: "ens3.100", weight: 0, name: "b" };
    return validateClusterArgs(args);
}

function renderAll(plan: ClusterPlan): Record<string, string> {
    const scripts: Record<string, string> = {
        "director setup": renderDirectorSetup(plan),
        "director up": renderDirectorUp(plan),
        "director teardown": renderDirectorTeardown(plan),
        "director rules": renderDirectorRules(plan),
        "director rules removal": renderDirectorRulesRemoval(plan),
    };
    for (const rs of plan.realServers) {
        scripts[`real server ${rs.name} setup`] = renderRealServerSetup(plan, rs);
        scripts[`real server ${rs.name} up`] = renderRealServerUp(plan, rs);
        scripts[`real server ${rs.name} teardown`] = renderRealServerTeardown(plan, rs);
    }
    return scripts;
}

/** The scripts a setup script writes to disk (here-documents), which run on their own later. */
function embeddedScripts(text: string): string[] {
    return [...text.matchAll(/<<'LVS_DR_EOF'\n(#!\/bin\/sh\n[\s\S]*?)LVS_DR_EOF\n/g)].map((m) => m[1]);
}

describe("host scripts", () => {
    describe(`every variant is POSIX sh, strict and shellcheck-clean (${VARIANTS.length} variants)`, () => {
        for (const v of VARIANTS) {
            const title = `${v.forwarding} ${v.protocol} ${v.scheduler} persistence ${v.persistenceSeconds}`;
            it(title, () => {
                const all: Record<string, string> = {};
                for (const [name, text] of Object.entries(renderAll(planFor(v)))) {
                    for (const [i, s] of [text, ...embeddedScripts(text)].entries()) {
                        all[i === 0 ? name : `${name} (embedded script ${i})`] = s;
                    }
                }
                // 5 director scripts + the up-script its setup writes; per real server 3 + its up-script.
                assert.equal(Object.keys(all).length, 6 + 2 * 4, "every script and the scripts setup writes are checked");
                for (const [what, s] of Object.entries(all)) {
                    assert.ok(s.startsWith("#!/bin/sh\n"), `${what}: no /bin/sh shebang`);
                    assert.match(s, /^set -eu$/m, `${what}: not set -eu`);
                    const syntax = spawnSync("sh", ["-n"], { input: s, encoding: "utf8" });
                    assert.equal(syntax.status, 0, `${what}: sh -n: ${syntax.stderr}`);
                }
                assert.equal(shellcheck(all), "");
            });
        }
    });

    it("the shellcheck helper reports findings (the check above can fail)", () => {
        assert.match(shellcheck({ bad: "#!/bin/sh\necho $1\n" }), /bad\.sh:2:6: note: Double quote/);
    });

    describe("real server", () => {
        it("silences ARP on all and on the NIC before binding the VIP /32 on lo:0 (DR)", () => {
            const plan = planFor(VARIANTS[0]);
            const up = renderRealServerUp(plan, plan.realServers[1]);
            const vipAt = up.indexOf("ip addr replace '192.168.77.100/32' dev lo label lo:0");
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
            assert.match(up, /modprobe ipip/);
            assert.match(up, /ip addr replace '192\.168\.77\.100\/32' dev tunl0$/m);
            assert.doesNotMatch(up, /dev lo/);
            assert.deepEqual(realServerSysctls("tun", "eth0").slice(4).map((s) => `${s.path}=${s.value}`),
                ["net/ipv4/conf/all/rp_filter=0", "net/ipv4/conf/tunl0/rp_filter=0"]);
        });

        it("setup refuses a default gateway through the director", () => {
            const plan = planFor(VARIANTS[0]);
            assert.match(renderRealServerSetup(plan, plan.realServers[0]), /if \[ "\$gateway" = '192\.168\.77\.10' \]; then\n {2}die/);
        });
    });

    describe("messages name the argument the user set on each platform", () => {
        const rendered = (plan: ClusterPlan): string =>
            [renderDirectorSetup(plan), ...plan.realServers.map((rs) => renderRealServerSetup(plan, rs))].join("\n");
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
            const up = renderDirectorUp(plan);
            assert.ok(up.indexOf("modprobe ip_vs") < up.indexOf("set_sysctl 'net/ipv4/vs/conn_reuse_mode' '2'"), up);
            assert.match(up, /^set_sysctl 'net\/ipv4\/vs\/expire_nodest_conn' '1'$/m);
            assert.match(up, /^set_sysctl 'net\/ipv4\/vs\/expire_quiescent_template' '1'$/m);
            const setup = renderDirectorSetup(plan);
            assert.match(setup, /remember 'net\/ipv4\/vs\/conn_reuse_mode'/);
            assert.match(setup, /^net\/ipv4\/vs\/conn_reuse_mode = 2$/m);
            assert.match(renderDirectorTeardown(plan), /restored the kernel parameters/);
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
                const rules = renderDirectorRules(planFor(v));
                assert.doesNotMatch(rules, /ipvsadm (-C|--clear)/);
                assert.match(rules, new RegExp(`modprobe ip_vs_${v.scheduler}\\b`));
                assert.match(rules, /modprobe ip_vs_rr\b/);
            }
        });
    });

    describe("shell helpers", () => {
        it("remoteCommand runs the script exactly, whatever quotes it holds", () => {
            const body = `#!/bin/sh\nset -eu\nprintf '%s|' "it's" 'a "test"' \\$HOME '$(id)'\n`;
            const r = spawnSync("sh", ["-c", remoteCommand(body, false)], { encoding: "utf8" });
            assert.equal(r.stdout, `it's|a "test"|$HOME|$(id)|`);
            assert.equal(remoteCommand("true", true), "sudo -n sh -c 'true'");
        });

        it("shq quotes one word", () => {
            assert.equal(shq("a'b"), `'a'\\''b'`);
            const hostile = "x; rm -rf / $(reboot) `id` \\";
            const r = spawnSync("sh", ["-c", `printf %s ${shq(hostile)}`], { encoding: "utf8" });
            assert.equal(r.stdout, hostile);
        });

        it("writeFileCommand refuses content that would end its here-document early", () => {
            assert.throws(() => writeFileCommand("/x", "0644", "a\nLVS_DR_EOF\nb"), /terminator/);
        });
    });
});
