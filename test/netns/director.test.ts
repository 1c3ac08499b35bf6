/**
 * The director scripts in a network namespace. The VIP binding, the files, the boot unit and
 * keepalived's configuration test are real; IPVS is not in this kernel, so ipvsadm, modprobe and
 * the systemctl that reloads keepalived are stand-ins that keep the table in a file and log every
 * change. This checks the scripts' flow operation by operation; the VM lab checks it against the
 * real keepalived, ipvsadm and kernel.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { hostPaths, keepalivedPaths } from "../../src/core/names";
import type { ClusterPlan } from "../../src/core/plan";
import * as director from "../../src/core/scripts/director";
import * as hooks from "../../src/core/scripts/drain-hook";
import { desiredIpvsRules } from "../../src/core/scripts/director";
import { renderKeepalivedConfig } from "../../src/core/scripts/keepalived/config";
import { library } from "../../src/core/scripts/library";
import { validateClusterArgs } from "../../src/component/validate";
import { fakeIpvsadm } from "../support/fake-ipvsadm";
import { validArgs } from "../support/fixtures";
import { directorSandbox } from "../support/director-sandbox";
import { requireSandboxPrerequisites, type Sandbox } from "../support/sandbox";
import { startTcpdump } from "../support/tcpdump";

const VIP = "192.168.77.100";
const paths = hostPaths(VIP, "director");
const k = keepalivedPaths(VIP);
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
    /** The systemctl calls made since the last call. */
    const systemctl = (): string[] => {
        const file = path.join(sb.rw, "systemctl.log");
        const lines = fs.existsSync(file) ? fs.readFileSync(file, "utf8").split("\n").filter(Boolean) : [];
        fs.rmSync(file, { force: true });
        return lines;
    };
    /** The ipvsadm changes made since the last call. */
    const changes = (): string[] => {
        const file = path.join(sb.rw, "ipvsadm.log");
        const lines = fs.existsSync(file) ? fs.readFileSync(file, "utf8").split("\n").filter(Boolean) : [];
        fs.rmSync(file, { force: true });
        return lines;
    };

    before(requireSandboxPrerequisites);
    beforeEach(() => {
        sb = directorSandbox();
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

    it("setup announces the VIP: two gratuitous ARPs from the NIC (iputils' arping, real), sender and target the VIP", async () => {
        const capture = await startTcpdump(sb.netns, ["-e", "-i", "eth0-peer", "arp"], 5000);
        const r = sb.mustRun(renderDirectorSetup(plan()));
        await new Promise((ok) => setTimeout(ok, 500));
        const out = await capture.stop();
        const mac = sb.ip("-o", "link", "show", "eth0").match(/link\/ether (\S+)/)![1];
        const garps = out.split("\n").filter((l) => l.includes(`Request who-has ${VIP} (ff:ff:ff:ff:ff:ff) tell ${VIP}`));
        assert.equal(garps.length, 2, `ARP seen on the wire:\n${out}\nsetup said:\n${r.stdout}${r.stderr}`);
        assert.ok(garps.every((l) => l.includes(` ${mac} > ff:ff:ff:ff:ff:ff`)), garps.join("\n"));
        assert.doesNotMatch(r.stderr, /gratuitous ARP/);
    });

    it("announce_vip speaks Thomas Habets' arping too, whose exit 1 (no answer) is no failure; a real failure is reported, never fatal", () => {
        const log = path.join(sb.rw, "arping.log");
        const habets = (exit: number, says = "") => `#!/bin/sh
[ "$1" = -V ] && { echo "arping: option requires an argument -- 'V'" >&2; exit 1; }
printf '%s\n' "$*" >> ${log}
${says ? `echo '${says}' >&2` : ""}
exit ${exit}
`;
        const announce = `${library("common")}\n${library("announce")}\nannounce_vip ${VIP} eth0\necho done\n`;
        sb.addTool("arping", habets(1));
        const quiet = sb.mustRun(announce);
        assert.equal(fs.readFileSync(log, "utf8"), `-q -U -c 2 -i eth0 -S ${VIP} ${VIP}\n`);
        assert.equal(quiet.stderr, "");
        sb.addTool("arping", habets(2, "arping: libnet_init(): no such device"));
        const failed = sb.mustRun(announce);
        assert.match(failed.stderr, new RegExp(`gratuitous ARP for ${VIP.replace(/\./g, "\\.")} on eth0 failed: arping: libnet_init\\(\\): no such device`));
        assert.match(failed.stdout, /^done$/m);
        const setup = renderDirectorSetup(plan());
        assert.match(setup, /^install_tool 'arping' 'iputils-arping' 'iputils'$/m);
        assert.match(setup, new RegExp(`^announce_vip '${VIP.replace(/\./g, "\\.")}' 'eth0'$`, "m"));
    });

    it("install_tool installs a missing tool with the package manager; setup installs ipvsadm and keepalived so", () => {
        sb.addTool("apt-get", `#!/bin/sh
printf '%s\\n' "$*" >> ${sb.rw}/apt-get.log
printf '#!/bin/sh\\n' > ${sb.rw}/bin/lvsdr-fake-tool
chmod 755 ${sb.rw}/bin/lvsdr-fake-tool
`);
        const r = sb.mustRun(`${library("common")}\ninstall_tool lvsdr-fake-tool lvsdr-fake-pkg\ninstall_tool lvsdr-fake-tool lvsdr-fake-pkg\n`);
        assert.match(r.stdout, /lvsdr-fake-tool is missing; installing lvsdr-fake-pkg/);
        assert.equal(fs.readFileSync(path.join(sb.rw, "apt-get.log"), "utf8"), "-o DPkg::Lock::Timeout=600 install -y -q lvsdr-fake-pkg\n", "installed once");
        const setup = renderDirectorSetup(plan());
        assert.match(setup, /^install_tool 'ipvsadm' 'ipvsadm'$/m);
        assert.match(setup, /^install_tool 'keepalived' 'keepalived'$/m);
    });

    it("install_tool waits for dpkg's lock (the real apt-get, the lock held by another process), then says who kept it", () => {
        // apt-get honours DPkg::Lock::Timeout for dpkg's lock: the install waits for it instead of
        // failing at once (as right after a cloud image's first boot, under unattended-upgrades).
        const holder = "import fcntl, sys, time\nf = open('/var/lib/dpkg/lock-frontend', 'w')\nfcntl.lockf(f, fcntl.LOCK_EX)\ntime.sleep(float(sys.argv[1]))";
        fs.writeFileSync(path.join(sb.rw, "hold.py"), holder);
        const started = Date.now();
        const r = sb.run(`${library("common")}\nLOCK_WAIT=4\npython3 ${sb.rw}/hold.py 30 & sleep 1\ninstall_tool lvsdr-fake-tool lvsdr-fake-pkg\n`);
        const took = (Date.now() - started) / 1000;
        assert.equal(r.status, 1, r.stdout + r.stderr);
        assert.match(r.stderr, /lvs-dr: error: the package manager stayed locked for 4 s \(Could not get lock \/var\/lib\/dpkg\/lock-frontend\. It is held by process \d+ \(python3\)\): let that run finish, then run pulumi up again/);
        assert.ok(took >= 4, `apt-get waited for the lock (${took} s)`);
    });

    it("install_tool waits for the package lists' lock, which apt-get does not wait for itself", () => {
        // A stand-in apt-get: the lists stay locked for two tries of update; install finds nothing before the update.
        sb.addTool("apt-get", `#!/bin/sh
printf '%s\\n' "$*" >> ${sb.rw}/apt-get.log
case "$*" in
  *update*) n=$(cat ${sb.rw}/updates 2>/dev/null || echo 0); echo $((n + 1)) > ${sb.rw}/updates
    if [ "$n" -lt 2 ] || [ -e ${sb.rw}/locked ]; then echo 'E: Could not get lock /var/lib/apt/lists/lock. It is held by process 42 (apt-get)' >&2; exit 100; fi
    touch ${sb.rw}/updated ;;
  *install*) [ -e ${sb.rw}/updated ] || { echo 'E: Unable to locate package lvsdr-fake-pkg' >&2; exit 100; }
    printf '#!/bin/sh\\n' > ${sb.rw}/bin/lvsdr-fake-tool; chmod 755 ${sb.rw}/bin/lvsdr-fake-tool ;;
esac
`);
        sb.addTool("sleep", `#!/bin/sh\necho "$1" >> ${sb.rw}/sleeps\n`);
        const r = sb.mustRun(`${library("common")}\ninstall_tool lvsdr-fake-tool lvsdr-fake-pkg\n`);
        assert.equal((r.stdout.match(/waiting for the package manager's lock \(Could not get lock \/var\/lib\/apt\/lists\/lock\. It is held by process 42 \(apt-get\)\)/g) ?? []).length, 2, r.stdout);
        assert.equal(fs.readFileSync(path.join(sb.rw, "sleeps"), "utf8"), "5\n5\n");
        assert.equal(fs.readFileSync(path.join(sb.rw, "updates"), "utf8").trim(), "3");
        // A lock that stays: refused after LOCK_WAIT with who holds it.
        fs.writeFileSync(path.join(sb.rw, "locked"), "");
        fs.rmSync(path.join(sb.rw, "updated"));
        fs.rmSync(path.join(sb.rw, "bin", "lvsdr-fake-tool"));
        const stuck = sb.run(`${library("common")}\nLOCK_WAIT=15\ninstall_tool lvsdr-fake-tool lvsdr-fake-pkg\n`);
        assert.equal(stuck.status, 1);
        assert.equal(fs.readFileSync(path.join(sb.rw, "sleeps"), "utf8"), "5\n5\n5\n5\n5\n", "three more waits of 5 s, then refused");
        assert.match(stuck.stderr, /the package manager stayed locked for 15 s \(Could not get lock \/var\/lib\/apt\/lists\/lock\. It is held by process 42 \(apt-get\)\)/);
    });

    it("rules write the cluster's keepalived file, keepalived builds the table, the table is printed; a second run changes nothing", () => {
        const p = plan();
        sb.mustRun(renderDirectorSetup(p));
        const r = sb.mustRun(renderDirectorRules(p));
        assert.deepEqual(state(), desiredIpvsRules(p));
        assert.ok(r.stdout.includes("-a -t 192.168.77.100:80 -r 192.168.77.12:80 -g -w 3"), r.stdout);
        assert.ok(!r.stdout.includes("lvs-dr:"), `stdout is the table alone:\n${r.stdout}`);
        const files = sb.writtenFiles();
        assert.equal(files.get(k.clusterConf), renderKeepalivedConfig(p, p.directors[0]));
        assert.equal(files.get(k.mainConf)!.split("\n")[1], k.includeLine);
        assert.deepEqual(systemctl(), ["is-active keepalived", "is-enabled keepalived", "enable keepalived", "start keepalived"]);
        const modules = new Set(fs.readFileSync(path.join(sb.rw, "modprobe.log"), "utf8").split("\n").filter(Boolean));
        assert.deepEqual([...modules].sort(), ["ip_vs", "ip_vs_wlc", "ip_vs_wrr"]);

        changes();
        sb.mustRun(renderDirectorRules(p));
        assert.deepEqual(changes(), [], "the second run changed the table");
        assert.deepEqual(systemctl(), ["is-active keepalived", "reload keepalived"], "reloads, never restarts");
    });

    it("an operator's keepalived.conf only gets the include line; removal takes only that line back", () => {
        const p = plan();
        const own = "global_defs {\n    router_id ops\n}\n";
        sb.mustRun(`mkdir -p /etc/keepalived && printf '%s' '${own}' > ${k.mainConf}`);
        sb.mustRun(renderDirectorSetup(p));
        sb.mustRun(renderDirectorRules(p));
        assert.equal(sb.writtenFiles().get(k.mainConf), `${own}${k.includeLine}\n`);
        sb.mustRun(renderDirectorRulesRemoval(p));
        assert.equal(sb.writtenFiles().get(k.mainConf), own);
        assert.deepEqual(state(), []);
    });

    it("the package's sample main file (RHEL's) is set aside for lvs-dr's own, whose whole configuration keepalived accepts; removal puts it back, keepalived stopped", () => {
        // What the keepalived RPM installs as /etc/keepalived/keepalived.conf: keepalived's sample, a
        // MASTER claiming 192.168.200.16-18 (keepalived 2.2 itself refuses its vrrp_garp_interval 0).
        const sample = fs.readFileSync(path.join(__dirname, "..", "..", "..", "test", "netns", "data", "keepalived.conf.sample"), "utf8");
        fs.writeFileSync(path.join(sb.rw, "sample.conf"), sample);
        sb.mustRun(`mkdir -p /etc/keepalived && cp ${sb.rw}/sample.conf ${k.mainConf}`);
        const p = plan();
        sb.mustRun(renderDirectorSetup(p));
        const r = sb.mustRun(renderDirectorRules(p));
        assert.match(r.stderr, /set the package's sample configuration aside as \/etc\/keepalived\/keepalived\.conf\.lvs-dr-sample/);
        const files = sb.writtenFiles();
        assert.equal(files.get(k.mainConf), `# Written by lvs-dr, which removes it with its last cluster: it includes one file per lvs-dr cluster.\n${k.includeLine}\n`);
        assert.equal(files.get(k.sampleConf), sample);
        assert.deepEqual(state(), desiredIpvsRules(p));
        sb.mustRun(renderDirectorRulesRemoval(p));
        assert.equal(sb.writtenFiles().get(k.mainConf), sample);
        assert.ok(!sb.writtenFiles().has(k.sampleConf));
        assert.ok(systemctl().includes("stop keepalived"));
    });

    it("an operator's main file without a final newline gets the include on a line of its own; removal keeps its link, mode and owner", () => {
        const own = "global_defs {\n    router_id ops\n}";
        sb.mustRun(`mkdir -p /etc/keepalived && printf '%s' '${own}' > /etc/keepalived/ops.conf.real && chmod 0600 /etc/keepalived/ops.conf.real ` +
            `&& chown 1234:1234 /etc/keepalived/ops.conf.real && ln -s ops.conf.real ${k.mainConf}`);
        const p = plan();
        sb.mustRun(renderDirectorSetup(p));
        sb.mustRun(renderDirectorRules(p));
        const real = "/etc/keepalived/ops.conf.real";
        assert.equal(sb.writtenFiles().get(real), `${own}\n${k.includeLine}\n`);
        sb.mustRun(renderDirectorRulesRemoval(p));
        assert.equal(sb.writtenFiles().get(real), `${own}\n`);
        const stat = sb.mustRun(`stat -c '%F %a %u:%g' ${k.mainConf} ${real}`).stdout.trim().split("\n");
        assert.deepEqual(stat, ["symbolic link 777 0:0", "regular file 600 1234:1234"]);
    });

    it("a main file lvs-dr wrote that the operator added to is theirs: removal takes only lvs-dr's lines, keepalived keeps running", () => {
        const p = plan();
        sb.mustRun(renderDirectorSetup(p));
        sb.mustRun(renderDirectorRules(p));
        const added = "vrrp_instance ops {\n    interface eth0\n    virtual_router_id 7\n    priority 100\n    virtual_ipaddress {\n        192.168.77.250/32\n    }\n}\n";
        fs.writeFileSync(path.join(sb.rw, "added.conf"), added);
        sb.mustRun(`cat ${sb.rw}/added.conf >> ${k.mainConf}`);
        systemctl();
        sb.mustRun(renderDirectorRulesRemoval(p));
        assert.equal(sb.writtenFiles().get(k.mainConf), added);
        const calls = systemctl();
        assert.ok(!calls.includes("stop keepalived"), calls.join(", "));
    });

    it("the whole configuration keepalived would load is checked first: refused with the operator's file, nothing changes (no firewall mark, no reload)", () => {
        sb.mustRun(`mkdir -p /etc/keepalived && printf 'global_defs {\n    lvs_bogus_global 1\n}\n' > ${k.mainConf}`);
        const args = validArgs();
        args.services = [{ ports: [80, 443] }];
        const p = validateClusterArgs(args);
        sb.mustRun(renderDirectorSetup(p));
        systemctl();
        const r = sb.run(renderDirectorRules(p));
        assert.equal(r.status, 1, r.stdout + r.stderr);
        assert.match(r.stderr, /keepalived refuses the configuration it would load \(\/etc\/keepalived\/keepalived\.conf with every include, this cluster's new file among them\), nothing was applied: .*lvs_bogus_global/s);
        assert.deepEqual(systemctl(), [], "keepalived was not reloaded");
        assert.deepEqual(state(), []);
        const files = sb.writtenFiles();
        assert.ok(!files.has(k.clusterConf) && !files.has(k.nextConf) && !files.has(`${k.mainConf}.lvs-dr-check`), [...files.keys()].join(", "));
        assert.ok(!files.has(paths.marksNft), "the firewall marks were not loaded");
        assert.equal(sb.mustRun("nft list tables").stdout.trim(), "");
    });

    it("setup and teardown wait while another lvs-dr setup or teardown runs on the host (the shared remembered parameters)", () => {
        const p = plan();
        fs.writeFileSync(path.join(sb.rw, "setup.sh"), renderDirectorSetup(p));
        fs.writeFileSync(path.join(sb.rw, "teardown.sh"), renderDirectorTeardown(p));
        const hold = "(exec 8>/run/lvs-dr-host.lock; flock 8; sleep 3) & sleep 0.5";
        for (const step of ["setup", "teardown"]) {
            const started = Date.now();
            const r = sb.mustRun(`${hold}\nsh ${sb.rw}/${step}.sh\n`);
            const took = (Date.now() - started) / 1000;
            assert.match(r.stdout, /another lvs-dr setup or teardown runs on this host: waiting for it/, step);
            assert.ok(took >= 2.9, `${step} waited for the lock (${took} s)`);
        }
        assert.deepEqual([...sb.writtenFiles().keys()], []);
    });

    it("two clusters on one director: a VRRP router id or a firewall mark the other cluster uses is refused there, before anything changes", () => {
        const cluster = (vip: string, mutate: (a: ReturnType<typeof validArgs>) => void): ClusterPlan => {
            const args = validArgs();
            args.vip = vip;
            args.hosts!.backupDirector = { address: "192.168.77.9" };
            mutate(args);
            return validateClusterArgs(args);
        };
        const a = cluster(VIP, (x) => { x.vrrp = { virtualRouterId: 7 }; });
        sb.mustRun(renderDirectorSetup(a));
        sb.mustRun(renderDirectorRules(a));
        // A firewall-mark service of the first cluster, as its rules list it (the stand-in ipvsadm
        // has no fwmark services; test:unit runs set_marks on the real nft).
        sb.mustRun(`echo 4242 > ${k.marksList}`);
        const before = sb.writtenFiles();
        systemctl();
        const sameVrid = cluster("192.168.77.101", (x) => { x.vrrp = { virtualRouterId: 7 }; });
        sb.mustRun(renderDirectorSetup(sameVrid));
        const r = sb.run(renderDirectorRules(sameVrid));
        assert.equal(r.status, 1, r.stdout + r.stderr);
        assert.match(r.stderr, /keepalived refuses the configuration it would load .*duplicate VRID conflict/s);
        const sameMark = cluster("192.168.77.102", (x) => { x.vrrp = { virtualRouterId: 8 }; x.services = [{ ports: [8080, 8443], fwmark: 4242 }]; });
        sb.mustRun(renderDirectorSetup(sameMark));
        const m = sb.run(renderDirectorRules(sameMark));
        assert.equal(m.status, 1, m.stdout + m.stderr);
        assert.match(m.stderr, /firewall mark 4242 is also the mark of a firewall-mark service of the cluster of VIP 192\.168\.77\.100 on this director/);
        // Neither changed the first cluster's files, nor reloaded keepalived.
        for (const file of [k.clusterConf, k.marksList, k.mainConf]) {
            assert.equal(sb.writtenFiles().get(file), before.get(file), file);
        }
        assert.deepEqual(systemctl(), []);
    });

    it("a configuration keepalived refuses fails the rules with keepalived's message and changes nothing", () => {
        const p = plan();
        sb.mustRun(renderDirectorSetup(p));
        sb.mustRun(renderDirectorRules(p));
        changes();
        systemctl();
        const before = sb.writtenFiles().get(k.clusterConf);
        // A keyword keepalived does not know, as a newer or broken renderer could write.
        const bad = renderDirectorRules(p).replace("    lvs_sched wrr\n", "    lvs_sched wrr\n    lvs_bogus_keyword 1\n");
        assert.notEqual(bad, renderDirectorRules(p));
        const r = sb.run(bad);
        assert.equal(r.status, 1, r.stdout + r.stderr);
        assert.match(r.stderr, /keepalived refuses the configuration, nothing was applied: .*Unknown keyword 'lvs_bogus_keyword'/s);
        assert.equal(sb.writtenFiles().get(k.clusterConf), before);
        assert.deepEqual(changes(), []);
        assert.deepEqual(systemctl(), [], "keepalived was not reloaded");
    });

    it("TUN: keepalived gets lvs_method TUN and the table uses -i", () => {
        const args = validArgs();
        args.forwarding = "tun";
        const p = validateClusterArgs(args);
        sb.mustRun(renderDirectorSetup(p));
        sb.mustRun(renderDirectorRules(p));
        assert.match(sb.writtenFiles().get(k.clusterConf)!, /^ {4}lvs_method TUN$/m);
        assert.deepEqual(state(), [
            "-A -t 192.168.77.100:80 -s wlc",
            "-a -t 192.168.77.100:80 -r 192.168.77.11:80 -i -w 1 --tun-type ipip",
            "-a -t 192.168.77.100:80 -r 192.168.77.12:80 -i -w 1 --tun-type ipip",
        ]);
        changes();
        sb.mustRun(renderDirectorRules(p));
        assert.deepEqual(changes(), []);
    });

    it("a table lvs-dr 0.1 wrote with ipvsadm is handed to keepalived once; other VIPs are never touched", () => {
        const p = plan();
        setState([...FOREIGN, "-A -t 192.168.77.100:80 -s rr", "-a -t 192.168.77.100:80 -r 192.168.77.11:80 -g -w 1"]);
        sb.mustRun(`mkdir -p ${paths.configDir} && echo '-A -t 192.168.77.100:80 -s rr' > ${paths.rulesFile}`);
        sb.mustRun(renderDirectorSetup(p));
        sb.mustRun(renderDirectorRules(p));
        assert.deepEqual(state().filter((l) => !FOREIGN.includes(l)), desiredIpvsRules(p));
        assert.deepEqual(state().filter((l) => FOREIGN.includes(l)), FOREIGN);
        assert.ok(!sb.writtenFiles().has(paths.rulesFile), "the 0.1 table file is still there");
    });

    it("scaling in drains the leaving server (weight 0 first), then deletes it; scaling out adds only the new entries", () => {
        const p = plan();
        sb.mustRun(renderDirectorSetup(p));
        sb.mustRun(renderDirectorRules(p));
        changes();
        const args = validArgs();
        args.services = [{ port: 80, scheduler: "wrr" }, { port: 53, protocol: "udp", persistenceSeconds: 60 }];
        args.hosts!.realServers[1].weight = 3;
        args.hosts!.realServers.push({ address: "192.168.77.13" });
        const three = validateClusterArgs(args);
        sb.mustRun(renderDirectorRules(three));
        assert.deepEqual(changes(), [
            "-a -t 192.168.77.100:80 -r 192.168.77.13:80 -g -w 1",
            "-a -u 192.168.77.100:53 -r 192.168.77.13:53 -g -w 1",
        ]);
        const r = sb.mustRun(renderDirectorRules(p));
        assert.deepEqual(changes(), [
            "-e -t 192.168.77.100:80 -r 192.168.77.13:80 -g -w 0",
            "-e -u 192.168.77.100:53 -r 192.168.77.13:53 -g -w 0",
            "-d -t 192.168.77.100:80 -r 192.168.77.13:80",
            "-d -u 192.168.77.100:53 -r 192.168.77.13:53",
        ]);
        assert.match(r.stderr, /drained: no active connection left after [0-9]+ s/);
        assert.deepEqual(state(), desiredIpvsRules(p));
    });

    /**
     * The stand-in table counts no connection: this puts an ipvsadm in front of it whose `-Ln`
     * lists the given real-server rows of VIP:80 (the director's view of active connections, which
     * in DR never sees them close) and, with `conns`, whose `-Lnc` lists those entries.
     */
    const ipvsadmShowing = (rows: string[], conns: string[] = []): void => {
        sb.addTool("ipvsadm-table", fakeIpvsadm(path.join(sb.rw, "ipvs.state"), path.join(sb.rw, "ipvsadm.log")));
        const q = (l: string) => `'${l}'`;
        sb.addTool("ipvsadm", `#!/bin/sh
case "$*" in
  -Ln) printf '%s\\n' 'IP Virtual Server version 1.2.1 (size=4096)' 'Prot LocalAddress:Port Scheduler Flags' \\
    '  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn' \\
    'TCP  192.168.77.100:80 wrr' ${rows.map(q).join(" ")} ;;
${conns.length ? `  -Lnc) printf '%s\\n' 'IPVS connection entries' 'pro expire state       source             virtual            destination' \\
    ${conns.map(q).join(" ")} ;;
` : ""}  *) exec ipvsadm-table "$@" ;;
esac
`);
    };

    it("a drain that runs out of time says so and lists the leaving server's connections still open in the journal, not in the output (the state)", () => {
        const p = plan();
        sb.mustRun(renderDirectorSetup(p));
        // c has two active connections, and -Lnc lists the director's entries.
        ipvsadmShowing(["  -> 192.168.77.11:80             Route   1      5          0", "  -> 192.168.77.13:80             Route   0      2          1"], [
            "TCP 14:59  ESTABLISHED 192.168.77.1:40001 192.168.77.100:80  192.168.77.13:80",
            "TCP 01:12  FIN_WAIT    192.168.77.1:40002 192.168.77.100:80  192.168.77.13:80",
            "TCP 14:58  ESTABLISHED 192.168.77.1:40003 192.168.77.100:80  192.168.77.11:80",
            "TCP 14:57  ESTABLISHED 192.168.77.1:40004 192.168.77.100:80  192.168.77.13:80",
        ]);
        const args = validArgs();
        args.drainSeconds = 1;
        args.services = [{ port: 80, scheduler: "wrr" }];
        args.hosts!.realServers.push({ address: "192.168.77.13" });
        const three = validateClusterArgs(args);
        sb.mustRun(renderDirectorRules(three));
        args.hosts!.realServers.pop();
        sb.addTool("logger", `#!/bin/sh\nshift 2\necho "$*" >> ${path.join(sb.rw, "journal")}\n`);
        const r = sb.mustRun(renderDirectorRules(validateClusterArgs(args)));
        const said = r.stderr.split("\n").filter((l) => /drain|still open| {2}TCP/.test(l));
        assert.deepEqual(said, [
            "lvs-dr: drain time (1 s) is up with 2 active connections: removing anyway; the ones still open are listed in this director's journal (journalctl -t lvs-dr)",
        ], r.stderr);
        // The clients' addresses stay out of the command's output, which Pulumi keeps in the state.
        assert.doesNotMatch(r.stdout + r.stderr, /192\.168\.77\.1:4000/);
        assert.deepEqual(fs.readFileSync(path.join(sb.rw, "journal"), "utf8").split("\n").filter(Boolean), [
            "drain of VIP 192.168.77.100 timed out; still open: TCP 14:59  ESTABLISHED 192.168.77.1:40001 192.168.77.100:80  192.168.77.13:80",
            "drain of VIP 192.168.77.100 timed out; still open: TCP 14:57  ESTABLISHED 192.168.77.1:40004 192.168.77.100:80  192.168.77.13:80",
        ]);
        assert.ok(!state().some((l) => l.includes("192.168.77.13")), "c was not removed after the drain time");
    });

    it("the rules let keepalived's lock go while leaving servers drain: a drain hook runs meanwhile, and its reload keeps the leaving server at weight 0", () => {
        const p = plan();
        sb.mustRun(renderDirectorSetup(p));
        // .13 keeps two active connections: the rules' drain waits its whole time (6 s).
        ipvsadmShowing(["  -> 192.168.77.13:80             Route   0      2          0"]);
        const args = validArgs();
        args.drainSeconds = 6;
        args.services = [{ port: 80, scheduler: "wrr" }];
        args.hosts!.realServers.push({ address: "192.168.77.13" });
        sb.mustRun(renderDirectorRules(validateClusterArgs(args)));
        args.hosts!.realServers.pop();
        const two = validateClusterArgs(args);
        fs.writeFileSync(path.join(sb.rw, "rules.sh"), renderDirectorRules(two));
        fs.writeFileSync(path.join(sb.rw, "hold.sh"), hooks.renderHoldRealServer(two, two.directors[0], two.realServers[1]));
        changes();
        const r = sb.mustRun(`set -eu
sh ${sb.rw}/rules.sh > ${sb.rw}/rules.out 2>&1 &
rules=$!
sleep 2
sh ${sb.rw}/hold.sh > ${sb.rw}/hold.out 2>&1
echo "hold done $(date +%s%3N)"
ipvsadm-table -Sn
wait $rules
echo "rules done $(date +%s%3N)"
`);
        const at = (what: string) => Number(new RegExp(`${what} done (\\d+)`).exec(r.stdout)?.[1]);
        assert.ok(at("rules") - at("hold") >= 2000, `the hook waited for the rules' drain:\n${r.stdout}\n${fs.readFileSync(path.join(sb.rw, "hold.out"), "utf8")}`);
        const during = r.stdout.split("\n").filter((l) => l.startsWith("-a -t"));
        assert.ok(during.includes("-a -t 192.168.77.100:80 -r 192.168.77.13:80 -g -w 0"), `the hook's reload removed the leaving server early:\n${during.join("\n")}`);
        assert.ok(during.includes("-a -t 192.168.77.100:80 -r 192.168.77.12:80 -g -w 0"), `the hook did not hold .12:\n${during.join("\n")}`);
        assert.match(fs.readFileSync(path.join(sb.rw, "rules.out"), "utf8"), /drain time \(6 s\) is up/);
        // After the drain: .13 gone, .12 still held.
        assert.deepEqual(state().filter((l) => l.startsWith("-a -t")).sort(), [
            "-a -t 192.168.77.100:80 -r 192.168.77.11:80 -g -w 1", "-a -t 192.168.77.100:80 -r 192.168.77.12:80 -g -w 0",
        ]);
    });

    it("a real server marked gone leaves the table at once, without a drain, though the director still counts its connections", () => {
        const p = plan();
        sb.mustRun(renderDirectorSetup(p));
        // .13 has two active connections the director will never see close (it is dead).
        ipvsadmShowing(["  -> 192.168.77.11:80             Route   1      5          0", "  -> 192.168.77.13:80             Route   1      2          1"]);
        const args = validArgs();
        args.drainSeconds = 60;
        args.services = [{ port: 80, scheduler: "wrr" }];
        args.hosts!.realServers.push({ address: "192.168.77.13" });
        sb.mustRun(renderDirectorRules(validateClusterArgs(args)));
        changes();
        args.hosts!.realServers[2].gone = true;
        const gone = validateClusterArgs(args);
        assert.deepEqual(gone.goneRealServers.map((rs) => rs.address), ["192.168.77.13"]);
        const started = Date.now();
        const r = sb.mustRun(renderDirectorRules(gone));
        assert.ok(Date.now() - started < 20000, `the rules waited ${Date.now() - started} ms for a gone server's connections`);
        assert.doesNotMatch(r.stderr, /drain/, r.stderr);
        assert.deepEqual(changes(), ["-d -t 192.168.77.100:80 -r 192.168.77.13:80"], "removed at once, not put at weight 0 first");
        assert.deepEqual(state(), desiredIpvsRules(gone));
    });

    it("a real server's drain hook holds it at weight 0 across rules runs until released; nothing to do once it left", () => {
        const p = plan();
        const rs = p.realServers[1];
        const hold = hooks.renderHoldRealServer(p, p.directors[0], rs);
        const release = hooks.renderReleaseRealServer(p, p.directors[0], rs);
        sb.mustRun(renderDirectorSetup(p));
        sb.mustRun(renderDirectorRules(p));
        assert.match(sb.mustRun(release).stdout, /192\.168\.77\.12 is not held: nothing to release/);
        changes();
        const held = sb.mustRun(hold);
        assert.deepEqual(changes(), [
            "-e -t 192.168.77.100:80 -r 192.168.77.12:80 -g -w 0",
            "-e -u 192.168.77.100:53 -r 192.168.77.12:53 -g -w 0",
        ]);
        assert.match(held.stderr, /drained: no active connection left after [0-9]+ s/);
        assert.equal(sb.writtenFiles().get(k.heldList), "192.168.77.12\n");
        // The rules keep it held (a weight change elsewhere, say); holding again changes nothing.
        sb.mustRun(renderDirectorRules(p));
        sb.mustRun(hold);
        assert.deepEqual(changes(), []);
        assert.match(sb.writtenFiles().get(k.desiredConf)!, /real_server 192\.168\.77\.12 80 \{\n {8}weight 3$/m);
        sb.mustRun(release);
        assert.deepEqual(changes(), [
            "-e -t 192.168.77.100:80 -r 192.168.77.12:80 -g -w 3",
            "-e -u 192.168.77.100:53 -r 192.168.77.12:53 -g -w 3",
        ]);
        assert.ok(!sb.writtenFiles().has(k.heldList));
        assert.deepEqual(state(), desiredIpvsRules(p));
        // Held, then removed from the cluster: the rules forget it, and its hook has nothing to do.
        sb.mustRun(hold);
        const args = validArgs();
        args.services = [{ port: 80, scheduler: "wrr" }, { port: 53, protocol: "udp", persistenceSeconds: 60 }];
        args.hosts!.realServers.pop();
        const one = validateClusterArgs(args);
        sb.mustRun(renderDirectorRules(one));
        assert.ok(!sb.writtenFiles().has(k.heldList), "the rules kept a real server that left as held");
        changes();
        assert.match(sb.mustRun(hold).stdout, /192\.168\.77\.12 is in no service of VIP 192\.168\.77\.100 here: nothing to drain/);
        assert.deepEqual(changes(), []);
        // The cluster's removal leaves neither the held list nor the rendered configuration.
        sb.mustRun(renderDirectorRulesRemoval(one));
        assert.match(sb.mustRun(hold).stdout, /nothing to drain/);
        assert.deepEqual([...sb.writtenFiles().keys()].filter((f) => f.startsWith(k.clusterDir)), []);
    });

    it("a destroy's drain hooks, started at once, are applied with one reload; each still waits for its own server", () => {
        const args = validArgs();
        args.services = [{ port: 80, scheduler: "wrr" }];
        for (let i = 13; i <= 18; i++) {
            args.hosts!.realServers.push({ address: `192.168.77.${i}` });
        }
        const p = validateClusterArgs(args);
        sb.mustRun(renderDirectorSetup(p));
        sb.mustRun(renderDirectorRules(p));
        changes();
        systemctl();
        p.realServers.forEach((rs, i) => fs.writeFileSync(path.join(sb.rw, `hold-${i}.sh`), hooks.renderHoldRealServer(p, p.directors[0], rs)));
        // The hooks start while another lvs-dr script holds keepalived's lock (as in a destroy,
        // where they queue behind the rules' removal or each other): each requests its hold first.
        const n = p.realServers.length;
        const r = sb.mustRun(`set -eu
exec 9>/run/lvs-dr-keepalived.lock
flock 9
for i in $(seq 0 ${n - 1}); do sh ${sb.rw}/hold-$i.sh > ${sb.rw}/hold-$i.out 2>&1 & done
i=0; until [ "$(wc -l < ${k.heldList}.requests 2>/dev/null || echo 0)" -ge ${n} ]; do i=$((i+1)); [ $i -lt 300 ] || exit 9; sleep 0.1; done
flock -u 9
exec 9>&-
wait
`);
        assert.equal(r.status, 0);
        const reloads = systemctl().filter((c) => c === "reload keepalived");
        assert.deepEqual(reloads, ["reload keepalived"], `${n} holds took ${reloads.length} reloads`);
        assert.deepEqual(changes().sort(), p.realServers.map((rs) => `-e -t 192.168.77.100:80 -r ${rs.address}:80 -g -w 0`).sort());
        for (let i = 0; i < n; i++) {
            assert.match(fs.readFileSync(path.join(sb.rw, `hold-${i}.out`), "utf8"), /drained: no active connection left after [0-9]+ s/, `hook ${i}`);
        }
        assert.equal(sb.writtenFiles().get(k.heldList)!.split("\n").filter(Boolean).length, n);
        assert.ok(!sb.writtenFiles().has(`${k.heldList}.requests`), "requests left behind");
    });

    it("after a reboot the boot unit restores the VIP and the IPVS parameters, ordered before keepalived", () => {
        const p = plan();
        sb.mustRun(renderDirectorSetup(p));
        sb.ip("addr", "del", `${VIP}/32`, "dev", "eth0");
        const unit = sb.writtenFiles().get(paths.unitFile)!;
        assert.match(unit, /^Before=keepalived.service$/m);
        sb.mustRun(/^ExecStart=(.*)$/m.exec(unit)![1]);
        assert.ok(sb.addresses("eth0").includes(`${VIP}/32 eth0`));
        assert.deepEqual(changes(), [], "the table is keepalived's: the boot unit never writes it");
    });

    it("a director pair: the VIP is keepalived's (not bound by setup), backup_only is 0 and sloppy_tcp 1", () => {
        const args = validArgs();
        args.hosts!.backupDirector = { address: "192.168.77.9" };
        const p = validateClusterArgs(args);
        sb.mustRun(renderDirectorSetup(p));
        assert.ok(!sb.addresses("eth0").includes(`${VIP}/32 eth0`), sb.addresses("eth0").join(", "));
        assert.deepEqual(sb.writtenFiles().get(paths.sysctlConf)!.split("\n").filter((l) => l && !l.startsWith("#")), [
            "net/ipv4/vs/conn_reuse_mode = 2", "net/ipv4/vs/expire_nodest_conn = 1", "net/ipv4/vs/expire_quiescent_template = 1",
            "net/ipv4/vs/backup_only = 0", "net/ipv4/vs/sloppy_tcp = 1",
        ]);
        sb.mustRun(renderDirectorRules(p));
        assert.match(sb.writtenFiles().get(k.clusterConf)!, /^ {4}unicast_peer \{\n {8}192\.168\.77\.9\n {4}\}$/m);
    });

    it("rules removal drains, deletes only this VIP's services; with teardown nothing is left", () => {
        const p = plan();
        setState(FOREIGN);
        sb.mustRun(renderDirectorSetup(p));
        sb.mustRun(renderDirectorRules(p));
        sb.mustRun(renderDirectorRulesRemoval(p));
        assert.deepEqual(state(), FOREIGN);
        assert.ok(systemctl().includes("stop keepalived"), "keepalived had only lvs-dr's file: it stops");
        sb.mustRun(renderDirectorTeardown(p));
        assert.deepEqual([...sb.writtenFiles().keys()], []);
        // Both are safe to repeat.
        sb.mustRun(renderDirectorRulesRemoval(p));
        sb.mustRun(renderDirectorTeardown(p));
        assert.deepEqual(state(), FOREIGN);
    });
});
