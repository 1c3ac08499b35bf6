/**
 * Active-active directors on the libvirt platform (`libvirt.directors` with `bgp`): the plan (names,
 * roles, planned addresses, VM names, a director's XML and cloud-init seed), the refusals, the
 * machine guard over a list, and the component under Pulumi mocks.
 */
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as yaml from "js-yaml";
import type { LvsDrClusterArgs } from "../../src/args";
import { planSummary } from "../../src/component/summary";
import { validateClusterArgs } from "../../src/component/validate";
import { hostResourceName, roleOf } from "../../src/core/names";
import { vmInputs } from "../../src/platforms/libvirt/inputs";
import { libvirtNames } from "../../src/platforms/libvirt/names";
import type { LibvirtPlatformPlan } from "../../src/platforms/libvirt/plan";
import { type GuardedMachine, replacementProblems } from "../../src/platforms/vm/machine-guard";
import { validLibvirtArgs } from "../support/fixtures";
import { byName, deploy, ofType, resolve } from "../support/mocks";
import { problems, refusal } from "../support/problems";

/** Three named directors announcing to a router on an existing network, every service `mh`. */
function activeLibvirtArgs(): LvsDrClusterArgs {
    const args = validLibvirtArgs();
    args.services = [{ port: 80, scheduler: "mh" }];
    args.libvirt!.directors = [{ name: "a" }, { name: "b" }, { name: "c" }];
    args.bgp = { asn: 65010, peers: [{ address: "192.168.77.1", asn: 65000 }] };
    return args;
}

function xmllint(xml: string): void {
    const r = spawnSync("xmllint", ["--noout", "-"], { input: xml, encoding: "utf8" });
    if (r.error) {
        throw new Error(`xmllint could not be run (${r.error.message}): install libxml2-utils`);
    }
    assert.equal(r.status, 0, `xmllint: ${r.stderr}\n${xml}`);
}

describe("active-active directors on libvirt: the plan", () => {
    it("plans three named directors: roles, VM names, addresses from the 10th down, real servers where they were", () => {
        const plan = validateClusterArgs(activeLibvirtArgs(), "lab");
        assert.equal(plan.mode.kind, "bgp");
        assert.deepEqual(plan.directors.map((d) => d.name), ["a", "b", "c"]);
        assert.deepEqual(plan.directors.map((d) => roleOf(plan, d)), ["director-a", "director-b", "director-c"]);
        assert.deepEqual(plan.directors.map((d) => libvirtNames.domain(plan.name, roleOf(plan, d))), ["lab-director-a", "lab-director-b", "lab-director-c"]);
        assert.deepEqual(plan.directors.map((d) => hostResourceName(plan.name, roleOf(plan, d), "vm")), ["lab-director-a-vm", "lab-director-b-vm", "lab-director-c-vm"]);
        assert.deepEqual(plan.directors.map((d) => d.address), ["192.168.77.10", "192.168.77.9", "192.168.77.8"]);
        assert.deepEqual(plan.directors.map((d) => d.ssh.host), ["192.168.77.10", "192.168.77.9", "192.168.77.8"]);
        // The real servers are planned as with one director: a director more or less never moves them.
        assert.deepEqual(plan.realServers.map((rs) => rs.address), ["192.168.77.11", "192.168.77.12"]);
        assert.deepEqual(validateClusterArgs(validLibvirtArgs(), "lab").realServers.map((rs) => rs.address), ["192.168.77.11", "192.168.77.12"]);
        const two = activeLibvirtArgs();
        two.libvirt!.directors!.pop();
        assert.deepEqual(validateClusterArgs(two, "lab").directors.map((d) => d.address), ["192.168.77.10", "192.168.77.9"]);
        // The MACs differ (derived from the VM names).
        assert.equal(new Set(plan.directors.map((d) => libvirtNames.mac(libvirtNames.domain("lab", roleOf(plan, d))))).size, 3);
    });

    it("takes given addresses, plans the others around them (and the VIP), and IPv6 addresses at the same offsets", () => {
        const args = activeLibvirtArgs();
        args.vip = "192.168.77.9";
        args.libvirt!.directors![2].address = "192.168.77.50";
        args.libvirt!.directors!.push({ name: "d" });
        args.libvirt!.subnet6 = "fd77::/64";
        const plan = validateClusterArgs(args, "lab");
        // b's place (the 9th) is the VIP's: it takes the next free one down, and d the one below it.
        assert.deepEqual(plan.directors.map((d) => d.address), ["192.168.77.10", "192.168.77.8", "192.168.77.50", "192.168.77.7"]);
        assert.deepEqual(plan.directors.map((d) => d.address6), ["fd77::a", "fd77::8", "fd77::32", "fd77::7"]);
        assert.deepEqual(plan.realServers.map((rs) => rs.address), ["192.168.77.11", "192.168.77.12"]);
        // Eight directors fit below the first one's place in a /28 (the created network's side is the 1st).
        const small = activeLibvirtArgs();
        small.libvirt!.subnet = "192.168.77.0/28";
        small.vip = "192.168.77.14";
        small.libvirt!.directors = Array.from({ length: 8 }, (_, i) => ({ name: `d${i}` }));
        small.libvirt!.realServers = [{ address: "192.168.77.13" }];
        assert.deepEqual(validateClusterArgs(small, "lab").directors.map((d) => d.address), [10, 9, 8, 7, 6, 5, 4, 3].map((o) => `192.168.77.${o}`));
    });

    it("a director's VM: its name, MAC, planned address and hostname in the domain XML and the cloud-init seed", () => {
        const args = activeLibvirtArgs();
        args.ssh.user = "debian";
        const plan = validateClusterArgs(args, "lab");
        const b = plan.directors[1];
        const vm = vmInputs(plan.platform as LibvirtPlatformPlan, libvirtNames.domain(plan.name, roleOf(plan, b)), b);
        assert.equal(vm.name, "lab-director-b");
        assert.equal(vm.diskVolume, "lab-director-b-disk.qcow2");
        assert.equal(vm.seedVolume, "lab-director-b-seed.iso");
        xmllint(vm.domainXml);
        assert.match(vm.domainXml, /<name>lab-director-b<\/name>/);
        assert.match(vm.domainXml, new RegExp(`<mac address='${libvirtNames.mac("lab-director-b")}'/>`));
        assert.match(vm.domainXml, /<source network='lab-net'\/>/);
        assert.deepEqual(yaml.load(vm.networkConfig), {
            version: 2,
            ethernets: { eth0: {
                match: { macaddress: libvirtNames.mac("lab-director-b") }, "set-name": "eth0", addresses: ["192.168.77.9/24"],
                routes: [{ to: "0.0.0.0/0", via: "192.168.77.1" }],
            } },
        });
        const meta = yaml.load(vm.metaData) as Record<string, string>;
        assert.equal(meta["local-hostname"], "lab-director-b");
        assert.match(meta["instance-id"], /^lab-director-b-[0-9a-f]+$/);
        const user = yaml.load(vm.userData) as { hostname: string; users: { name: string }[] };
        assert.equal(user.hostname, "lab-director-b");
        assert.deepEqual(user.users.map((u) => u.name), ["debian"]);
    });
});

describe("active-active directors on libvirt: refusals", () => {
    it("refuses what a directors list cannot be, each with the fix", () => {
        const cases: [(a: LvsDrClusterArgs) => void, RegExp][] = [
            [(a) => (a.libvirt!.directors = [{ name: "a" }]), /^libvirt\.directors: must list at least 2 directors for active-active$/],
            [(a) => (a.libvirt!.directors = Array.from({ length: 9 }, (_, i) => ({ name: `d${i}` }))), /^libvirt\.directors: must be a list of 2 to 8 directors$/],
            [(a) => (a.libvirt!.directors = []), /^libvirt\.directors: must be a list of 2 to 8 directors$/],
            [(a) => (a.libvirt!.directors![2].name = "a"), /^libvirt\.directors\[2\]\.name: is also the name of directors\[0\]$/],
            [(a) => delete (a.libvirt!.directors![1] as { name?: string }).name, /^libvirt\.directors\[1\]\.name: is required: it names the director's VM/],
            [(a) => (a.libvirt!.directors![0].name = "East"), /^libvirt\.directors\[0\]\.name: is not a valid name$/],
            [(a) => (a.libvirt!.director = {}), /^libvirt\.director: is given beside libvirt\.directors$/],
            [(a) => (a.libvirt!.backupDirector = {}), /^libvirt\.backupDirector: is given beside libvirt\.directors$/],
            [(a) => Object.assign(a.libvirt!.directors![0], { weight: 2 }), /^libvirt\.directors\[0\]\.weight: /],
            [(a) => delete a.bgp, /^bgp: is required with libvirt\.directors: active-active directors announce the VIP over BGP$/],
            [(a) => { a.libvirt!.directors![0].address = "192.168.77.20"; a.libvirt!.directors![1].address = "192.168.77.20"; }, /^libvirt\.directors\[1\]\.address: /],
            [(a) => (a.libvirt!.directors![1].address = "10.0.0.9"), /^libvirt\.directors\[1\]\.address: /],
        ];
        for (const [mutate, expected] of cases) {
            const found = problems(mutate, activeLibvirtArgs);
            assert.ok(found.some((p) => expected.test(p)), `expected ${expected} among:\n${found.join("\n")}`);
        }
        // A director's VM name is a hostname: the cluster's name, the role and the director's name.
        const long = refusal((a) => (a.libvirt!.directors![0].name = "d".repeat(40)), activeLibvirtArgs, "web-frontend-cluster");
        const hostname = long?.problems.find((p) => p.field === "name");
        assert.match(hostname?.problem ?? "", /^makes the VM hostname web-frontend-cluster-director-d{40} \(70 characters, at most 63\)$/, long?.message);
        assert.match(hostname?.fix ?? "", /or the directors' names/);
    });

    it("names the fix: a name for each director, one list or the other, bgp with the list and the list with bgp", () => {
        const fixOf = (mutate: (a: LvsDrClusterArgs) => void, field: string, base = activeLibvirtArgs) =>
            refusal(mutate, base)?.problems.find((p) => p.field === field)?.fix ?? "";
        assert.match(fixOf((a) => delete (a.libvirt!.directors![0] as { name?: string }).name, "libvirt.directors[0].name"), /unique name/);
        assert.doesNotMatch(fixOf((a) => (a.libvirt!.directors![1].name = "a"), "libvirt.directors[1].name"), /default/, "libvirt's names have no default");
        assert.match(fixOf((a) => (a.libvirt!.director = {}), "libvirt.director"), /list every director in libvirt\.directors \(active-active\), or use director and backupDirector without it/);
        assert.match(fixOf((a) => delete a.bgp, "bgp"), /give bgp: \{ asn, peers/);
        const single = () => {
            const a = validLibvirtArgs();
            a.services = [{ port: 80, scheduler: "mh" }];
            a.bgp = { asn: 65010, peers: [{ address: "192.168.77.1", asn: 65000 }] };
            return a;
        };
        assert.ok(problems(() => undefined, single).some((p) => /^bgp: is for active-active directors, given as a directors list/.test(p)));
        assert.match(fixOf(() => undefined, "bgp", single), /list the directors in the platform's directors \(2 to 8\)/);
        const pair = () => Object.assign(single(), { libvirt: { ...single().libvirt!, backupDirector: {} } });
        assert.ok(problems(() => undefined, pair).some((p) => /^bgp: is for active-active directors/.test(p)));
    });

    it("says nothing of the list's size when other problems kept the platform from planning its VMs", () => {
        const found = problems((a) => (a.libvirt!.baseImage = "relative/image.qcow2"), activeLibvirtArgs);
        assert.ok(found.some((p) => /^libvirt\.baseImage/.test(p)), found.join("\n"));
        assert.ok(!found.some((p) => /must list at least 2 directors/.test(p)), found.join("\n"));
        const address = problems((a) => (a.libvirt!.realServers[0].address = "10.0.0.5"), activeLibvirtArgs);
        assert.ok(address.some((p) => /^libvirt\.realServers\[0\]\.address/.test(p)) && !address.some((p) => /at least 2/.test(p)), address.join("\n"));
    });

    it("a directors list is the libvirt platform's: aws has none", () => {
        const found = problems((a) => Object.assign(a.aws!, { directors: [{ name: "a" }, { name: "b" }] }),
            () => Object.assign(activeLibvirtArgs(), { libvirt: undefined, aws: { adminCidrs: ["203.0.113.7/32"], realServers: [{}] } }));
        assert.ok(found.some((p) => /^aws\.directors: /.test(p)), found.join("\n"));
    });
});

describe("active-active directors on libvirt: the machine guard", () => {
    const m = (role: string, spec: string, keep = false): GuardedMachine =>
        ({ role, group: role.startsWith("rs-") ? "realServers" : "directors", spec, keep });
    const OLD = [m("director-a", "x"), m("director-b", "x"), m("director-c", "x"), m("rs-0", "x"), m("rs-1", "x")];

    it("refuses replacing every director of the list at once, and lets all but one through", () => {
        const all = [m("director-a", "y"), m("director-b", "y"), m("director-c", "y"), ...OLD.slice(3)];
        const refused = replacementProblems({ machines: OLD }, { machines: all });
        assert.equal(refused.length, 1, refused.join("\n"));
        assert.match(refused[0], /the machines of all 3 directors at once \(director-a, director-b, director-c: /);
        assert.match(refused[0], /keepMachine: true on one director \(e\.g\. director-c\)/);
        const rolled = [m("director-a", "y"), m("director-b", "y"), m("director-c", "y", true), ...OLD.slice(3)];
        assert.deepEqual(replacementProblems({ machines: OLD }, { machines: rolled }), []);
        // A director added in the same update is new: it does not count, the others do.
        const grown = [...all.slice(0, 3), m("director-d", "y"), ...OLD.slice(3)];
        assert.equal(replacementProblems({ machines: OLD }, { machines: grown }).length, 1);
    });
});

describe("active-active directors on libvirt: the component (mocked engine)", () => {
    it("creates a VM per director named after it, guarded, each with its setup and rules, and a drain hook per real server and director", async () => {
        const args = activeLibvirtArgs();
        args.libvirt!.directors![1].keepMachine = true;
        const d = await deploy(args, "lab");
        const vms = ofType(d.resources, "pulumi-nodejs:dynamic/lvs-dr:LibvirtVm").map((r) => r.name).sort();
        assert.deepEqual(vms, ["lab-director-a-vm", "lab-director-b-vm", "lab-director-c-vm", "lab-rs-0-vm", "lab-rs-1-vm"]);
        for (const name of ["a", "b", "c"]) {
            const role = `director-${name}`;
            const vm = byName(d.resources, `lab-${role}-vm`).inputs;
            assert.equal(vm.name, `lab-${role}`);
            assert.equal(d.wired.get(`lab-${role}-vm`)?.deleteBeforeReplace, true);
            assert.deepEqual(d.wired.get(`lab-${role}-vm`)?.dependsOn.sort(), ["lab-machines", "lab-network"]);
            for (const step of ["ssh-banner", "ssh", "access", "setup", "rules"]) {
                byName(d.resources, `lab-${role}-${step}`);
            }
            for (const rs of ["rs-0", "rs-1"]) {
                byName(d.resources, `lab-${rs}-drain-${role}`);
            }
        }
        assert.match(String(byName(d.resources, "lab-director-b-vm").inputs.networkConfig), /"192\.168\.77\.9\/24"/);
        assert.equal(d.wired.get("lab-director-a-vm")?.ignoreChanges, undefined);
        assert.ok((d.wired.get("lab-director-b-vm")?.ignoreChanges ?? []).includes("baseImage"), "a kept director keeps its VM");
        const machines = byName(d.resources, "lab-machines").inputs.machines as GuardedMachine[];
        assert.deepEqual(machines.map((x) => [x.role, x.group, x.keep]), [
            ["director-a", "directors", false], ["director-b", "directors", true], ["director-c", "directors", false],
            ["rs-0", "realServers", false], ["rs-1", "realServers", false],
        ]);
        assert.match(String(byName(d.resources, "lab-director-c-setup").inputs.stdin), /bird/i);
        assert.deepEqual(await resolve(d.cluster.libvirtDomainNames), ["lab-director-a", "lab-director-b", "lab-director-c", "lab-rs-0", "lab-rs-1"]);
        assert.deepEqual(await resolve(d.cluster.directorAddresses), ["192.168.77.10", "192.168.77.9", "192.168.77.8"]);
        assert.ok(!d.resources.some((r) => r.name === "lab-director-vm" || r.name === "lab-director-1-vm"));
        assert.equal(planSummary(validateClusterArgs(args, "lab"), "VMs on a hypervisor"),
            "lvs-dr lab: libvirt (VMs on a hypervisor), 3 active-active directors (BGP, AS 65010), VIP 192.168.77.100, 2 real servers, DR, tcp/80 mh");
    });

    it("a director marked gone: its VM goes (its commands are forgotten, not run), the others' VMs stay as they were", async () => {
        const before = await deploy(activeLibvirtArgs(), "lab");
        const args = activeLibvirtArgs();
        args.libvirt!.directors![0].gone = true;
        const after = await deploy(args, "lab");
        assert.ok(!after.resources.some((r) => r.name === "lab-director-a-vm"));
        assert.deepEqual(await resolve(after.cluster.libvirtDomainNames), ["lab-director-b", "lab-director-c", "lab-rs-0", "lab-rs-1"]);
        for (const name of ["lab-director-b-vm", "lab-director-c-vm"]) {
            assert.deepEqual(byName(after.resources, name).inputs, byName(before.resources, name).inputs, name);
        }
    });
});
