/**
 * Hosts marked gone (LvsDrHostArgs.gone): a dead machine blocks no update and no destroy. Nothing
 * is run on it: its commands stay in the state as they are (every input ignored: no difference,
 * no SSH) with retainOnDelete, so removing the host later drops them without running their
 * delete; a gone real server leaves every table without a drain; a platform's machine of it is
 * deleted. The lab proves it with a VM destroyed for good (test/e2e).
 */
import { strict as assert } from "assert";
import type { LvsDrClusterArgs } from "../../src/args";
import { validateClusterArgs } from "../../src/component/validate";
import { validArgs, validAwsArgs, validLibvirtArgs } from "../support/fixtures";
import { refusal } from "../support/problems";
import { byName, deploy, type Deployment, ofType, resolve } from "../support/mocks";

const FORGOTTEN = ["connection", "create", "update", "delete", "stdin", "triggers"];

function assertForgotten(d: Deployment, name: string): void {
    const w = d.wired.get(name) ?? assert.fail(`${name} is not registered: the engine would run its delete on a gone machine`);
    assert.equal(w.retainOnDelete, true, `${name}: removing the host later must not run its delete`);
    assert.deepEqual(w.ignoreChanges, FORGOTTEN, `${name}: a difference would run it on a gone machine`);
    // Whatever the command is given, a new input included: every one is ignored.
    for (const input of Object.keys(byName(d.resources, name).inputs)) {
        assert.ok(FORGOTTEN.includes(input), `${name}: its input ${input} is not ignored`);
    }
    assert.deepEqual(w.dependsOn, [], `${name} must wait for nothing (its machine is not registered)`);
}

function assertLive(d: Deployment, name: string): void {
    const w = d.wired.get(name) ?? assert.fail(`${name} is not registered`);
    assert.equal(w.retainOnDelete, undefined, name);
    assert.ok(!(w.ignoreChanges ?? []).includes("create"), name);
}

describe("gone hosts: validation", () => {
    it("is a boolean on every host of every platform, refused otherwise with its field", () => {
        const cases: [string, (a: LvsDrClusterArgs) => void][] = [
            ["hosts.realServers[1].gone", (a) => Object.assign(a.hosts!.realServers[1], { gone: "yes" })],
            ["hosts.backupDirector.gone", (a) => (a.hosts!.backupDirector = { address: "192.168.77.9", gone: 1 as unknown as boolean })],
        ];
        for (const [field, mutate] of cases) {
            assert.ok(refusal(mutate)?.problems.some((p) => p.field === field && /must be a boolean/.test(p.problem)), field);
        }
        const vm = refusal((a) => (a.libvirt!.director = { gone: "no" as unknown as boolean }), validLibvirtArgs);
        assert.ok(vm?.problems.some((p) => p.field === "libvirt.director.gone"), vm?.message);
    });

    it("takes a gone real server out of the tables (realServers) into goneRealServers; a gone director stays the pair's peer", () => {
        const args = validArgs();
        args.hosts!.realServers[0].gone = true;
        args.hosts!.backupDirector = { address: "192.168.77.9", gone: true };
        args.vrrp = {};
        const plan = validateClusterArgs(args);
        assert.deepEqual(plan.realServers.map((rs) => rs.address), ["192.168.77.12"]);
        assert.deepEqual(plan.goneRealServers.map((rs) => [rs.address, rs.name, rs.gone]), [["192.168.77.11", "0", true]]);
        assert.deepEqual(plan.directors.map((d) => [d.address, d.gone]), [["192.168.77.10", undefined], ["192.168.77.9", true]]);
        const aws = validAwsArgs();
        aws.aws!.realServers[1].gone = true;
        assert.deepEqual(validateClusterArgs(aws).goneRealServers.map((rs) => rs.name), ["b"]);
    });
});

describe("gone hosts: the component (mocked engine)", () => {
    it("libvirt: a gone real server gets no VM and no SSH wait; its commands are forgotten; the table and the outputs leave it out", async () => {
        const args = validLibvirtArgs();
        args.libvirt!.realServers[1].gone = true;
        const d = await deploy(args, "lab");
        const vms = ofType(d.resources, "pulumi-nodejs:dynamic/lvs-dr:LibvirtVm").map((r) => r.name).sort();
        assert.deepEqual(vms, ["lab-director-vm", "lab-rs-0-vm"], "the gone VM's resource is left out: the engine deletes what is left of it");
        assert.ok(!d.resources.some((r) => r.name === "lab-rs-1-ssh"));
        assertForgotten(d, "lab-rs-1-setup");
        assertForgotten(d, "lab-rs-1-drain-director");
        for (const live of ["lab-rs-0-setup", "lab-rs-0-drain-director", "lab-director-setup", "lab-director-rules"]) {
            assertLive(d, live);
        }
        assert.deepEqual(d.wired.get("lab-director-rules")!.dependsOn.sort(), ["lab-director-setup", "lab-rs-0-setup"]);
        const rules = String(byName(d.resources, "lab-director-rules").inputs.stdin);
        assert.ok(rules.includes("without_servers '192.168.77.12'"), "the gone server is not drained");
        assert.ok(!rules.includes("192.168.77.12:80 -g"), "the gone server is in the table");
        assert.deepEqual(await resolve(d.cluster.realServerAddresses), ["192.168.77.11"]);
        assert.deepEqual(await resolve(d.cluster.libvirtDomainNames), ["lab-director", "lab-rs-0"]);
    });

    it("a gone backup director: its commands (and the real servers' hooks on it) are forgotten; nothing else changes", async () => {
        const pair = (): LvsDrClusterArgs => {
            const a = validArgs();
            a.hosts!.backupDirector = { address: "192.168.77.9" };
            a.vrrp = {};
            return a;
        };
        const before = await deploy(pair(), "web");
        const args = pair();
        args.hosts!.backupDirector!.gone = true;
        const d = await deploy(args, "web");
        for (const name of ["web-director-1-setup", "web-director-1-rules", "web-rs-0-drain-director-1", "web-rs-1-drain-director-1"]) {
            assertForgotten(d, name);
        }
        for (const r of d.resources) {
            assert.deepEqual(r.inputs, byName(before.resources, r.name).inputs, `${r.name} changed`);
            if (!/director-1/.test(r.name) && r.custom) {
                assertLive(d, r.name);
            }
        }
        assert.deepEqual(d.resources.map((r) => r.name).sort(), before.resources.map((r) => r.name).sort());
    });

    it("aws: a gone real server gets no instance and no host key", async () => {
        const args = validAwsArgs();
        args.aws!.realServers[0].gone = true;
        const d = await deploy(args, "web");
        assert.deepEqual(ofType(d.resources, "aws:ec2/instance:Instance").map((r) => r.name).sort(), ["web-director", "web-rs-b"]);
        assert.ok(!d.resources.some((r) => r.name === "web-rs-a-host-key" || r.name === "web-rs-a-ssh"));
        assertForgotten(d, "web-rs-a-setup");
        assert.deepEqual(await resolve(d.cluster.awsInstanceIds), ["web-director-id", "web-rs-b-id"]);
    });
});
