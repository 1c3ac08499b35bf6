/**
 * The real-server scripts on a real kernel: a network namespace stands in for the host (its
 * sysctls and addresses are the kernel's own), a mount sandbox catches every file written.
 * Requires root. TUN cannot be exercised here (this kernel has no ipip); the VM lab covers it.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import { hostPaths } from "../../src/core/names";
import type { ClusterPlan } from "../../src/core/plan";
import { realServerSysctls } from "../../src/core/scripts/kernel-parameters";
import { renderRealServerSetup, renderRealServerTeardown } from "../../src/core/scripts/realserver";
import { validateClusterArgs } from "../../src/component/validate";
import { validArgs } from "../support/fixtures";
import { requireSandboxPrerequisites, Sandbox } from "../support/sandbox";

const VIP = "192.168.77.100";
const paths = hostPaths(VIP, "realserver");

function plan(): ClusterPlan {
    return validateClusterArgs(validArgs());
}

/** Everything the scripts can change: the sysctls, lo's addresses and the files written. */
function snapshot(sb: Sandbox, iface: string): string {
    const sysctls = realServerSysctls("dr", iface).map((s) => `${s.path}=${sb.sysctl(s.path)}`);
    const files = [...sb.writtenFiles()].map(([p, c]) => `${p}\n${c}`);
    return [...sysctls, ...sb.addresses("lo"), ...sb.addresses(iface), ...files].join("\n");
}

describe("real-server scripts in a network namespace (real kernel)", function () {
    let sb: Sandbox;

    before(requireSandboxPrerequisites);
    beforeEach(() => {
        sb = new Sandbox();
        sb.addNic("eth0", "192.168.77.11/24");
    });
    afterEach(() => sb.destroy());

    it("setup makes the host ARP-silent, binds the VIP /32 on lo:0 and persists both", () => {
        const p = plan();
        const rs = p.realServers[0];
        sb.mustRun(renderRealServerSetup(p, rs));

        assert.equal(sb.sysctl("net/ipv4/conf/all/arp_ignore"), "1");
        assert.equal(sb.sysctl("net/ipv4/conf/all/arp_announce"), "2");
        assert.equal(sb.sysctl("net/ipv4/conf/eth0/arp_ignore"), "1");
        assert.equal(sb.sysctl("net/ipv4/conf/eth0/arp_announce"), "2");
        assert.equal(sb.sysctl("net/ipv4/conf/eth0/rp_filter"), "2");
        assert.ok(sb.addresses("lo").includes(`${VIP}/32 lo:0`), sb.addresses("lo").join(", "));
        assert.ok(!sb.addresses("eth0").some((a) => a.startsWith(`${VIP}/`)), "the VIP must not be on the NIC");

        const files = sb.writtenFiles();
        assert.deepEqual([...files.keys()].filter((f) => !f.endsWith("/")).sort(), [
            paths.upScript, paths.sysctlConf, paths.unitFile, paths.unitWantsLink, paths.originalSysctls,
        ].sort());
        const conf = files.get(paths.sysctlConf)!;
        for (const line of ["net/ipv4/conf/all/arp_ignore = 1", "net/ipv4/conf/all/arp_announce = 2",
            "net/ipv4/conf/eth0/arp_ignore = 1", "net/ipv4/conf/eth0/arp_announce = 2", "net/ipv4/conf/eth0/rp_filter = 2"]) {
            assert.ok(conf.includes(`${line}\n`), `sysctl.d lacks "${line}":\n${conf}`);
        }
        assert.match(files.get(paths.unitFile)!, new RegExp(`^ExecStart=/bin/sh ${paths.upScript}$`, "m"));
        assert.equal(files.get(paths.unitWantsLink), `-> ../${paths.unitName}`);
    });

    it("is idempotent: a second setup leaves kernel state and files byte-identical", () => {
        const p = plan();
        const rs = p.realServers[0];
        sb.mustRun(renderRealServerSetup(p, rs));
        const first = snapshot(sb, "eth0");
        const again = sb.mustRun(renderRealServerSetup(p, rs));
        assert.equal(snapshot(sb, "eth0"), first);
        assert.ok(!again.stdout.includes("wrote "), `second run rewrote files:\n${again.stdout}`);
    });

    it("restores the configuration after a reboot from what it persisted alone", () => {
        const p = plan();
        sb.mustRun(renderRealServerSetup(p, p.realServers[0]));
        const configured = snapshot(sb, "eth0");

        // A reboot: kernel state gone, files kept. Then what boot does: systemd-sysctl applies
        // sysctl.d, and the enabled unit runs its ExecStart.
        sb.ip("addr", "del", `${VIP}/32`, "dev", "lo");
        for (const s of realServerSysctls("dr", "eth0")) {
            sb.setSysctl(s.path, "0");
        }
        const unit = sb.writtenFiles().get(paths.unitFile)!;
        const execStart = /^ExecStart=(.*)$/m.exec(unit)![1];
        sb.mustRun(`set -eu
sed -n 's/^\\([^#][^=]*[^ ]\\) *= *\\(.*\\)$/\\1 \\2/p' ${paths.sysctlConf} | while read -r key value; do
  printf '%s\\n' "$value" > "/proc/sys/$key"
done
[ -L ${paths.unitWantsLink} ]
${execStart}`);
        assert.equal(snapshot(sb, "eth0"), configured);
    });

    it("teardown restores the previous values, unbinds the VIP and removes every file it wrote", () => {
        const p = plan();
        const rs = p.realServers[0];
        // Non-default starting values prove teardown restores what was there, not kernel defaults.
        sb.setSysctl("net/ipv4/conf/eth0/rp_filter", "1");
        sb.setSysctl("net/ipv4/conf/all/arp_announce", "1");
        const before = snapshot(sb, "eth0");

        sb.mustRun(renderRealServerSetup(p, rs));
        sb.mustRun(renderRealServerSetup(p, rs));
        assert.notEqual(snapshot(sb, "eth0"), before);
        sb.mustRun(renderRealServerTeardown(p, rs));
        assert.equal(snapshot(sb, "eth0"), before);
        assert.deepEqual([...sb.writtenFiles().keys()], [], "teardown left files behind");

        // Teardown of something already gone is a no-op, not an error.
        sb.mustRun(renderRealServerTeardown(p, rs));
        assert.equal(snapshot(sb, "eth0"), before);
    });

    it("two clusters on one real server: tearing one down keeps what the other needs; the last restores all", () => {
        const a = plan();
        const argsB = validArgs();
        argsB.vip = "192.168.77.101";
        const b = validateClusterArgs(argsB);
        sb.setSysctl("net/ipv4/conf/eth0/rp_filter", "1");
        sb.setSysctl("net/ipv4/conf/all/arp_announce", "1");
        const before = snapshot(sb, "eth0");

        sb.mustRun(renderRealServerSetup(a, a.realServers[0]));
        sb.mustRun(renderRealServerSetup(b, b.realServers[0]));
        sb.mustRun(renderRealServerTeardown(a, a.realServers[0]));
        // Cluster b's VIP is still bound, so the host must still be ARP-silent for it.
        for (const s of realServerSysctls("dr", "eth0")) {
            assert.equal(sb.sysctl(s.path), s.value, `${s.path} after the other cluster's teardown`);
        }
        assert.deepEqual(sb.addresses("lo").filter((x) => x.includes("/32")), ["192.168.77.101/32 lo:0"]);

        sb.mustRun(renderRealServerTeardown(b, b.realServers[0]));
        assert.equal(snapshot(sb, "eth0"), before);
        assert.deepEqual([...sb.writtenFiles().keys()], [], "teardown left files behind");
    });

    it("adopts the values lvs-dr 0.1.0 remembered per cluster: an upgraded host is restored to what it had", () => {
        const p = plan();
        const before = snapshot(sb, "eth0");
        // A host set up by 0.1.0: its kernel configured, the values from before kept in the per-cluster file.
        const legacy = realServerSysctls("dr", "eth0").map((s) => `${s.path} ${sb.sysctl(s.path)}`).join("\n");
        for (const s of realServerSysctls("dr", "eth0")) {
            sb.setSysctl(s.path, s.value);
        }
        sb.mustRun(`mkdir -p /var/lib/lvs-dr/${VIP} && printf '%s\\n' '${legacy.split("\n").join("' '")}' > ${paths.legacyOriginalSysctls}`);

        sb.mustRun(renderRealServerSetup(p, p.realServers[0]));
        assert.ok(!sb.writtenFiles().has(paths.legacyOriginalSysctls), "the 0.1.0 file is still there");
        sb.mustRun(renderRealServerTeardown(p, p.realServers[0]));
        assert.equal(snapshot(sb, "eth0"), before);
        assert.deepEqual([...sb.writtenFiles().keys()], [], "teardown left files behind");
    });

    it("refuses, changing nothing, when the default gateway is the director", () => {
        const p = plan();
        sb.ip("route", "add", "default", "via", p.directors[0].address);
        const before = snapshot(sb, "eth0");
        const r = sb.run(renderRealServerSetup(p, p.realServers[0]));
        assert.notEqual(r.status, 0);
        assert.match(r.stderr, /default gateway of 192\.168\.77\.11 is the director \(192\.168\.77\.10\)/);
        assert.equal(snapshot(sb, "eth0"), before);
    });

    it("refuses, changing nothing, when the interface does not exist", () => {
        const args = validArgs();
        args.hosts!.realServers[0].interface = "eth9";
        const p = validateClusterArgs(args);
        const before = snapshot(sb, "eth0");
        const r = sb.run(renderRealServerSetup(p, p.realServers[0]));
        assert.notEqual(r.status, 0);
        assert.match(r.stderr, /interface eth9 not found on 192\.168\.77\.11/);
        assert.equal(snapshot(sb, "eth0"), before);
    });

    it("the sandbox itself is sound: / is read-only and writes under /etc stay in the overlay", () => {
        const r = sb.run("touch /usr/lvs-dr-sandbox-probe");
        assert.notEqual(r.status, 0, "a step could write to /usr");
        sb.mustRun("echo probe > /etc/lvs-dr-sandbox-probe");
        assert.equal(sb.writtenFiles().get("/etc/lvs-dr-sandbox-probe"), "probe\n");
        assert.ok(!fs.existsSync("/etc/lvs-dr-sandbox-probe"), "the write reached the host's /etc");
    });
});
