/**
 * The machine guard (src/platforms/vm/machine-guard.ts): a change of the machine settings that
 * would replace or restart both directors, or every real server, in one update is refused at
 * preview with the way to roll it (`keepMachine`), and a kept machine keeps its settings.
 */
import { strict as assert } from "assert";
import { guardedMachines, type GuardedMachine, replacementProblems } from "../../src/platforms/vm/machine-guard";
import { replacingInputs, replacingSpec } from "../../src/platforms/libvirt/provider";
import { machineGuardProvider } from "../../src/platforms/vm/machine-guard-resource";
import { vmInputs } from "../../src/platforms/libvirt/inputs";
import { validateClusterArgs } from "../../src/component/validate";
import type { LibvirtPlatformPlan } from "../../src/platforms/libvirt/plan";
import { validAwsArgs, validLibvirtArgs, PUBLIC_KEY } from "../support/fixtures";
import { refusal } from "../support/problems";
import { byName, deploy } from "../support/mocks";

const m = (role: string, spec: string, keep = false): GuardedMachine =>
    ({ role, group: role.startsWith("rs-") ? "realServers" : "directors", spec, keep });

const OLD = [m("director", "a"), m("director-1", "a"), m("rs-0", "a"), m("rs-1", "a"), m("rs-2", "a")];

describe("machine guard", () => {
    it("refuses a change of both directors' machines, naming them and keepMachine", () => {
        const news = [m("director", "b"), m("director-1", "b"), m("rs-0", "a"), m("rs-1", "a"), m("rs-2", "a")];
        const problems = replacementProblems({ machines: OLD }, { machines: news });
        assert.equal(problems.length, 1, problems.join("\n"));
        assert.match(problems[0], /both directors at once \(director, director-1/);
        assert.match(problems[0], /the VIP would have no director/);
        assert.match(problems[0], /keepMachine: true on one director \(e\.g\. director-1\)/);
    });

    it("refuses a change of every real server's machine, and both groups at once", () => {
        const news = OLD.map((o) => ({ ...o, spec: "b" }));
        const problems = replacementProblems({ machines: OLD }, { machines: news });
        assert.equal(problems.length, 2, problems.join("\n"));
        assert.match(problems[1], /all 3 real servers at once \(rs-0, rs-1, rs-2/);
    });

    it("does not count a spec a preview does not know (a value another resource gives): the update's check does", () => {
        // The engine hands a dynamic provider an unknown value as this string (the SDK's runtime.unknownValue).
        const unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
        const previewed = OLD.map((o) => ({ ...o, spec: unknown }));
        assert.deepEqual(replacementProblems({ machines: OLD }, { machines: previewed }), []);
        const known = OLD.map((o) => ({ ...o, spec: "b" }));
        assert.equal(replacementProblems({ machines: OLD }, { machines: known }).length, 2);
    });

    it("lets a roll through: a kept machine in each group, or one machine at a time", () => {
        const rolled = [m("director", "b"), m("director-1", "b", true), m("rs-0", "b"), m("rs-1", "b"), m("rs-2", "b", true)];
        assert.deepEqual(replacementProblems({ machines: OLD }, { machines: rolled }), []);
        const one = [m("director", "a"), m("director-1", "b"), ...OLD.slice(2)];
        assert.deepEqual(replacementProblems({ machines: OLD }, { machines: one }), []);
    });

    it("a kept machine keeps its old settings in the record, so the next update sees its change", () => {
        const rolled = [m("director", "b"), m("director-1", "b", true)];
        const recorded = guardedMachines({ machines: OLD }, { machines: rolled });
        assert.deepEqual(recorded.map((r) => r.spec), ["b", "a"]);
        // Next update, keepMachine removed: only the kept one changes now, which is allowed.
        const next = [m("director", "b"), m("director-1", "b")];
        assert.deepEqual(replacementProblems({ machines: recorded }, { machines: next }), []);
    });

    it("counts only machines that exist: a new stack, new machines, a lone director or real server", () => {
        assert.deepEqual(replacementProblems(undefined, { machines: OLD }), []);
        assert.deepEqual(replacementProblems({ machines: [m("director", "a")] }, { machines: [m("director", "b"), m("director-1", "b")] }), []);
        assert.deepEqual(replacementProblems({ machines: [m("director", "a"), m("rs-0", "a")] },
            { machines: [m("director", "b"), m("rs-0", "b")] }), []);
    });
});

describe("machine guard: the provider's check", () => {
    it("fails the preview with the problem on `machines`, and records a kept machine's old spec", async () => {
        const news = [m("director", "b"), m("director-1", "b"), m("rs-0", "b"), m("rs-1", "a")];
        const refused = await machineGuardProvider.check!({ machines: OLD }, { machines: news });
        assert.equal(refused.failures?.length, 1);
        assert.equal(refused.failures?.[0].property, "machines");
        assert.match(refused.failures?.[0].reason ?? "", /both directors at once/);
        const rolled = [m("director", "b"), m("director-1", "b", true), ...news.slice(2)];
        const ok = await machineGuardProvider.check!({ machines: OLD }, { machines: rolled });
        assert.deepEqual(ok.failures, []);
        assert.deepEqual(((ok.inputs as { machines: GuardedMachine[] }).machines).map((x) => x.spec), ["b", "a", "b", "a"]);
    });
});

describe("machine guard: the provider's diff", () => {
    it("is a change only when a machine's settings change: adding or removing one is none", async () => {
        const diff = (news: GuardedMachine[]) => machineGuardProvider.diff!("machines", { machines: OLD }, { machines: news });
        assert.equal((await diff([...OLD, m("rs-3", "a")])).changes, false);
        assert.equal((await diff(OLD.slice(0, 4))).changes, false);
        assert.equal((await diff([...OLD.slice(0, 4), m("rs-2", "b")])).changes, true);
        assert.equal((await diff(OLD.map((o) => o.role === "rs-2" ? { ...o, keep: true } : o))).changes, false);
    });
});

describe("machine guard: wiring", () => {
    it("libvirt: one guard per cluster, every VM after it, a kept VM ignoring what would replace it", async () => {
        const args = validLibvirtArgs();
        args.libvirt!.backupDirector = { keepMachine: true };
        const d = await deploy(args, "lab");
        const guard = byName(d.resources, "lab-machines");
        const machines = guard.inputs.machines as GuardedMachine[];
        assert.deepEqual(machines.map((m) => [m.role, m.group, m.keep]),
            [["director", "directors", false], ["director-1", "directors", true], ["rs-0", "realServers", false], ["rs-1", "realServers", false]]);
        for (const vm of ["lab-director-vm", "lab-director-1-vm", "lab-rs-0-vm", "lab-rs-1-vm"]) {
            assert.ok(d.wired.get(vm)?.dependsOn.includes("lab-machines"), `${vm} does not wait for the guard`);
        }
        assert.equal(d.wired.get("lab-director-vm")?.ignoreChanges, undefined);
        const kept = d.wired.get("lab-director-1-vm")?.ignoreChanges ?? [];
        for (const k of ["baseImage", "domainXml", "userData", "diskBytes"]) {
            assert.ok(kept.includes(k), `a kept VM must ignore ${k}: ${kept.join(", ")}`);
        }
        assert.ok(!kept.includes("autostart"));
    });

    it("libvirt: a new base image or memory changes the spec; a new key alone does not", () => {
        const spec = (mutate: (a: ReturnType<typeof validLibvirtArgs>) => void) => {
            const args = validLibvirtArgs();
            mutate(args);
            const plan = validateClusterArgs(args, "lab");
            return replacingSpec(vmInputs(plan.platform as LibvirtPlatformPlan, "lvsdr-lab-director", plan.directors[0]));
        };
        const base = spec(() => undefined);
        assert.notEqual(spec((a) => (a.libvirt!.baseImage = "/var/lib/lvsdr-lab/images/new.qcow2")), base);
        assert.notEqual(spec((a) => (a.libvirt!.memoryMiB = 2048)), base);
        assert.equal(spec((a) => (a.ssh.publicKey = PUBLIC_KEY.replace("lvs-dr-test", "rotated").replace("FakeFake", "KeyKey"))), base);
        const plan = validateClusterArgs(validLibvirtArgs(), "lab");
        assert.ok(!replacingInputs(vmInputs(plan.platform as LibvirtPlatformPlan, "x", plan.directors[0])).includes("autostart"));
    });

    it("aws: the instances wait for the guard; a kept one ignores its AMI and instance type", async () => {
        const args = validAwsArgs();
        args.aws!.ami = "ami-0123456789abcdef0";
        args.aws!.realServers[1].keepMachine = true;
        const d = await deploy(args, "web");
        const machines = byName(d.resources, "web-machines").inputs.machines as GuardedMachine[];
        assert.deepEqual(machines.map((m) => m.role), ["director", "rs-a", "rs-b"]);
        assert.match(machines[0].spec, /ami-0123456789abcdef0/);
        const kept = [...d.wired.values()].find((w) => w.name.includes("rs-b") && (w.ignoreChanges ?? []).includes("instanceType"));
        assert.ok(kept, "the kept instance does not ignore its instance type");
        assert.ok(kept.ignoreChanges!.includes("ami"));
        assert.ok(kept.dependsOn.includes("web-machines"));
    });

    it("keepMachine is a boolean of a created machine, refused on hosts", () => {
        const bad = refusal((a) => (a.libvirt!.realServers[0] = { keepMachine: "yes" as unknown as boolean }), validLibvirtArgs);
        assert.ok(bad?.problems.some((p) => p.field === "libvirt.realServers[0].keepMachine" && /boolean/.test(p.problem)), bad?.message);
        const onHosts = refusal((a) => Object.assign(a.hosts!.realServers[0], { keepMachine: true }));
        assert.ok(onHosts?.problems.some((p) => p.field === "hosts.realServers[0].keepMachine"), onHosts?.message);
    });
});
