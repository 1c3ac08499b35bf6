/**
 * The director scripts in a network namespace. The VIP binding, the files and the boot unit are
 * real; IPVS is not in this kernel, so ipvsadm and modprobe are stand-ins that keep the table in a
 * file and log every change. This checks the reconcile logic operation by operation; the VM lab
 * checks it against the real ipvsadm and kernel.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { hostPaths } from "../../src/core/names";
import type { ClusterPlan } from "../../src/core/plan";
import * as director from "../../src/core/scripts/director";
import { desiredIpvsRules } from "../../src/core/scripts/director";
import { validateClusterArgs } from "../../src/core/validate";
import { fakeIpvsadm, fakeModprobe } from "../support/fake-ipvsadm";
import { validArgs } from "../support/fixtures";
import { requireSandboxPrerequisites, Sandbox } from "../support/sandbox";

const VIP = "192.168.77.100";
const paths = hostPaths(VIP, "director");
const FOREIGN = ["-A -t 192.168.77.200:443 -s rr", "-a -t 192.168.77.200:443 -r 192.168.77.50:443 -g -w 1"];

const renderDirectorSetup = (p: ClusterPlan) => director.renderDirectorSetup(p, p.directors[0]);
const renderDirectorTeardown = (p: ClusterPlan) => director.renderDirectorTeardown(p, p.directors[0]);
const renderDirectorRules = (p: ClusterPlan) => director.renderDirectorRules(p, p.directors[0]);
const renderDirectorRulesRemoval = (p: ClusterPlan) => director.renderDirectorRulesRemoval(p, p.directors[0]);

function plan(): ClusterPlan {
    const args = validArgs();
    args.services = [{ port: 80, scheduler: "wrr" }, { port: 53, protocol: "udp", persistenceSeconds: 60 }];
    args.hosts!.realServers[1].weight = 3;
    return validateClusterArgs(args);
}

describe("director scripts in a network namespace (real kernel, stand-in ipvsadm)", function () {
    let sb: Sandbox;
    const state = (): string[] => {
        const file = path.join(sb.rw, "ipvs.state");
        return fs.existsSync(file) ? fs.readFileSync(file, "utf8").split("\n").filter(Boolean) : [];
    };
    const setState = (lines: string[]): void => fs.writeFileSync(path.join(sb.rw, "ipvs.state"), lines.map((l) => `${l}\n`).join(""));
    /** The ipvsadm changes made since the last call. */
    const changes = (): string[] => {
        const file = path.join(sb.rw, "ipvsadm.log");
        const lines = fs.existsSync(file) ? fs.readFileSync(file, "utf8").split("\n").filter(Boolean) : [];
        fs.rmSync(file, { force: true });
        return lines;
    };

    before(requireSandboxPrerequisites);
    beforeEach(() => {
        sb = new Sandbox();
        sb.addNic("eth0", "192.168.77.10/24");
        sb.addTool("ipvsadm", fakeIpvsadm(path.join(sb.rw, "ipvs.state"), path.join(sb.rw, "ipvsadm.log")));
        sb.addTool("modprobe", fakeModprobe(path.join(sb.rw, "modprobe.log")));
    });
    afterEach(() => sb.destroy());

    it("setup binds the VIP /32 on the NIC, persists a boot unit, is idempotent; teardown removes it all", () => {
        const p = plan();
        sb.mustRun(renderDirectorSetup(p));
        assert.ok(sb.addresses("eth0").includes(`${VIP}/32 eth0`), sb.addresses("eth0").join(", "));
        const files = sb.writtenFiles();
        assert.deepEqual([...files.keys()].filter((f) => !f.endsWith("/")).sort(),
            [paths.upScript, paths.unitFile, paths.unitWantsLink, paths.sysctlConf, paths.modulesLoadConf].sort());
        assert.match(files.get(paths.unitFile)!, /^After=network-online.target$/m);
        // The IPVS sysctls a DR director needs, persisted (this kernel has no net/ipv4/vs to set).
        assert.deepEqual(files.get(paths.sysctlConf)!.split("\n").filter((l) => l && !l.startsWith("#")), [
            "net/ipv4/vs/conn_reuse_mode = 2", "net/ipv4/vs/expire_nodest_conn = 1", "net/ipv4/vs/expire_quiescent_template = 1",
        ]);
        assert.match(files.get(paths.modulesLoadConf)!, /^ip_vs$/m);
        assert.equal(fs.readFileSync(path.join(sb.rw, "modprobe.log"), "utf8").split("\n")[0], "ip_vs");

        const again = sb.mustRun(renderDirectorSetup(p));
        assert.ok(!again.stdout.includes("wrote "), again.stdout);
        assert.deepEqual(sb.addresses("eth0"), ["192.168.77.10/24 eth0", `${VIP}/32 eth0`]);

        sb.mustRun(renderDirectorTeardown(p));
        assert.deepEqual(sb.addresses("eth0"), ["192.168.77.10/24 eth0"]);
        assert.deepEqual([...sb.writtenFiles().keys()], []);
        assert.deepEqual(changes(), [], "setup and teardown must not touch the IPVS table");
    });

    it("setup installs ipvsadm with the package manager when it is missing", () => {
        fs.rmSync(path.join(sb.dir, "bin", "ipvsadm"));
        const ipvsadm = fakeIpvsadm(path.join(sb.rw, "ipvs.state"), path.join(sb.rw, "ipvsadm.log"));
        const installed = path.join(sb.rw, "bin", "ipvsadm");
        sb.addTool("apt-get", `#!/bin/sh
printf '%s\\n' "$*" >> ${sb.rw}/apt-get.log
cat > ${installed} <<'EOF'
${ipvsadm}EOF
chmod 755 ${installed}
`);
        const r = sb.mustRun(renderDirectorSetup(plan()));
        assert.match(r.stdout, /ipvsadm is missing; installing it/);
        assert.equal(fs.readFileSync(path.join(sb.rw, "apt-get.log"), "utf8"), "install -y -q ipvsadm\n");
    });

    it("rules build the table from empty, print it, save it; a second run changes nothing", () => {
        const p = plan();
        sb.mustRun(renderDirectorSetup(p));
        const r = sb.mustRun(renderDirectorRules(p));
        assert.deepEqual(state(), desiredIpvsRules(p));
        assert.deepEqual(changes(), desiredIpvsRules(p));
        assert.deepEqual(sb.writtenFiles().get(paths.rulesFile)!.split("\n").filter(Boolean), desiredIpvsRules(p));
        assert.ok(r.stdout.includes("-a -t 192.168.77.100:80 -r 192.168.77.12:80 -g -w 3"), r.stdout);
        const modules = new Set(fs.readFileSync(path.join(sb.rw, "modprobe.log"), "utf8").split("\n").filter(Boolean));
        assert.deepEqual([...modules].sort(), ["ip_vs", "ip_vs_wlc", "ip_vs_wrr"]);

        sb.mustRun(renderDirectorRules(p));
        assert.deepEqual(changes(), [], "the second run changed the table");
    });

    it("TUN: rules use -i, and ipvsadm's --tun-type suffix does not make an unchanged entry look changed", () => {
        const args = validArgs();
        args.forwarding = "tun";
        const p = validateClusterArgs(args);
        sb.mustRun(renderDirectorSetup(p));
        sb.mustRun(renderDirectorRules(p));
        assert.deepEqual(state(), [
            "-A -t 192.168.77.100:80 -s wlc",
            "-a -t 192.168.77.100:80 -r 192.168.77.11:80 -i -w 1 --tun-type ipip",
            "-a -t 192.168.77.100:80 -r 192.168.77.12:80 -i -w 1 --tun-type ipip",
        ]);
        changes();
        sb.mustRun(renderDirectorRules(p));
        assert.deepEqual(changes(), []);
    });

    it("rules reconcile a drifted table entry by entry, never flushing, never touching another VIP", () => {
        const p = plan();
        setState([
            ...FOREIGN,
            "-A -t 192.168.77.100:80 -s rr", // wrong scheduler: edited in place
            "-a -t 192.168.77.100:80 -r 192.168.77.11:80 -g -w 1", // as wanted: untouched
            "-a -t 192.168.77.100:80 -r 192.168.77.12:80 -g -w 1", // wrong weight: edited
            "-a -t 192.168.77.100:80 -r 192.168.77.13:80 -g -w 1", // not wanted: deleted
            "-A -t 192.168.77.100:8080 -s wlc", // not wanted: deleted with its real server
            "-a -t 192.168.77.100:8080 -r 192.168.77.11:8080 -g -w 1",
        ]);
        sb.mustRun(renderDirectorSetup(p));
        sb.mustRun(renderDirectorRules(p));
        assert.deepEqual(changes(), [
            "-E -t 192.168.77.100:80 -s wrr",
            "-e -t 192.168.77.100:80 -r 192.168.77.12:80 -g -w 3",
            "-A -u 192.168.77.100:53 -s wlc -p 60",
            "-a -u 192.168.77.100:53 -r 192.168.77.11:53 -g -w 1",
            "-a -u 192.168.77.100:53 -r 192.168.77.12:53 -g -w 3",
            "-d -t 192.168.77.100:80 -r 192.168.77.13:80",
            "-d -t 192.168.77.100:8080 -r 192.168.77.11:8080",
            "-D -t 192.168.77.100:8080",
        ]);
        assert.deepEqual(state().filter((l) => !FOREIGN.includes(l)).sort(), desiredIpvsRules(p).sort());
        assert.deepEqual(state().filter((l) => FOREIGN.includes(l)), FOREIGN);
        assert.ok(!sb.writtenFiles().get(paths.rulesFile)!.includes("192.168.77.200"), "saved another VIP's rules");
    });

    it("a scaled cluster changes only the affected entries", () => {
        const p = plan();
        sb.mustRun(renderDirectorSetup(p));
        sb.mustRun(renderDirectorRules(p));
        changes();
        const args = validArgs();
        args.services = [{ port: 80, scheduler: "wrr" }, { port: 53, protocol: "udp", persistenceSeconds: 60 }];
        args.hosts!.realServers[1].weight = 3;
        args.hosts!.realServers.push({ address: "192.168.77.13" });
        sb.mustRun(renderDirectorRules(validateClusterArgs(args)));
        assert.deepEqual(changes(), [
            "-a -t 192.168.77.100:80 -r 192.168.77.13:80 -g -w 1",
            "-a -u 192.168.77.100:53 -r 192.168.77.13:53 -g -w 1",
        ]);
    });

    it("after a reboot the boot unit alone restores the VIP and the table", () => {
        const p = plan();
        sb.mustRun(renderDirectorSetup(p));
        sb.mustRun(renderDirectorRules(p));
        setState(FOREIGN); // kernel state lost (the foreign entry stands for another tool's restore)
        sb.ip("addr", "del", `${VIP}/32`, "dev", "eth0");
        changes();

        const execStart = /^ExecStart=(.*)$/m.exec(sb.writtenFiles().get(paths.unitFile)!)![1];
        sb.mustRun(execStart);
        assert.ok(sb.addresses("eth0").includes(`${VIP}/32 eth0`));
        assert.deepEqual(state().filter((l) => !FOREIGN.includes(l)), desiredIpvsRules(p));
        // Re-running the unit (or setup) over a live table must not restore on top of it.
        sb.mustRun(execStart);
        assert.equal(changes().length, desiredIpvsRules(p).length);
    });

    it("rules removal deletes only this VIP's services; with teardown nothing is left", () => {
        const p = plan();
        setState(FOREIGN);
        sb.mustRun(renderDirectorSetup(p));
        sb.mustRun(renderDirectorRules(p));
        sb.mustRun(renderDirectorRulesRemoval(p));
        assert.deepEqual(state(), FOREIGN);
        sb.mustRun(renderDirectorTeardown(p));
        assert.deepEqual([...sb.writtenFiles().keys()], []);
        // Both are safe to repeat.
        sb.mustRun(renderDirectorRulesRemoval(p));
        sb.mustRun(renderDirectorTeardown(p));
        assert.deepEqual(state(), FOREIGN);
    });
});
