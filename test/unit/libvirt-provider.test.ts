/**
 * The libvirt dynamic providers, called directly (no engine), against a stand-in virsh; and the
 * serialization the engine will apply to them. The same providers run against a real libvirtd in
 * test/libvirt.
 */
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { directorRole } from "../../src/core/names";
import { libvirtNames } from "../../src/platforms/libvirt/names";
import { validateClusterArgs } from "../../src/component/validate";
import { networkInputs, vmInputs } from "../../src/platforms/libvirt/inputs";
import { diffInputs, networkProvider, type NetworkInputs, type VmInputs, vmProvider } from "../../src/platforms/libvirt/provider";
import { installFakeVirsh, type FakeVirsh } from "../support/fake-virsh";
import type { LvsDrClusterArgs } from "../../src/args";
import { withoutAuthorizedKeys } from "../../src/platforms/vm/cloud-init";
import { validLibvirtArgs } from "../support/fixtures";
import { libvirtOf } from "../../lab/harness/plans";

function inputs(): { network: NetworkInputs; vm: VmInputs } {
    const args = validLibvirtArgs();
    Object.assign(args.libvirt!, { pool: "lvsdr", baseImage: "base.qcow2" });
    const plan = validateClusterArgs(args, "t");
    const l = libvirtOf(plan);
    const network = networkInputs(l) ?? assert.fail("the plan creates no network");
    return { network, vm: vmInputs(l, libvirtNames.domain(plan.name, directorRole(0)), plan.directors[0]) };
}

describe("libvirt providers (stand-in virsh)", () => {
    let virsh: FakeVirsh;
    beforeEach(() => {
        virsh = installFakeVirsh();
        virsh.addVolume("lvsdr", "base.qcow2");
    });
    const ownVolumes = () => Object.keys(virsh.state().volumes).filter((v) => v !== "lvsdr/base.qcow2");
    afterEach(() => {
        delete process.env.LVSDR_FAKE_VIRSH_FAIL;
        virsh.restore();
    });

    it("network: create defines, starts and autostarts it; delete removes it; delete again is fine", async () => {
        const { network } = inputs();
        const created = await networkProvider.create(network);
        assert.equal(created.id, "t-net");
        assert.deepEqual(virsh.calls(), ["net-define <file>", "net-start t-net", "net-autostart t-net"]);
        assert.equal(virsh.state().networks["t-net"].xml, network.xml);
        assert.ok(virsh.state().networks["t-net"].active);

        await networkProvider.delete!("t-net", network);
        assert.deepEqual(virsh.calls(), ["net-destroy t-net", "net-undefine t-net"]);
        assert.deepEqual(virsh.state().networks, {});
        await networkProvider.delete!("t-net", network);
    });

    it("vm: create makes an overlay on the base, uploads a cidata ISO seed, defines and starts the domain", async () => {
        const { vm } = inputs();
        await vmProvider.create(vm);
        assert.deepEqual(virsh.calls(), [
            "vol-path --pool lvsdr base.qcow2", "vol-create --pool lvsdr <file>", "vol-create --pool lvsdr <file>",
            "vol-upload --pool lvsdr t-director-seed.iso <file>", "define <file>", "start t-director", "autostart t-director",
        ]);
        const s = virsh.state();
        assert.match(s.volumes["lvsdr/t-director-disk.qcow2"].xml, /<backingStore><path>\/var\/lib\/libvirt\/images\/base\.qcow2<\/path><format type='qcow2'\/>/);
        assert.match(s.volumes["lvsdr/t-director-disk.qcow2"].xml, /<capacity unit='bytes'>8589934592<\/capacity>/);
        assert.equal(s.volumes["lvsdr/t-director-seed.iso"].volid, "cidata");
        assert.equal(s.domains["t-director"].xml, vm.domainXml);
        assert.ok(s.domains["t-director"].active && s.domains["t-director"].autostart);
    });

    it("vm: the seed gives the VM a host key made for it, the only one it offers; its public half is an output, never an input difference", async () => {
        const { vm } = inputs();
        const first = (await vmProvider.create(vm)).outs as Record<string, unknown>;
        const iso = virsh.state().volumes["lvsdr/t-director-seed.iso"].file ?? assert.fail("no seed uploaded");
        const read = spawnSync("isoinfo", ["-R", "-i", iso, "-x", "/user-data"], { encoding: "utf8" });
        assert.equal(read.status, 0, `isoinfo (genisoimage) must read the seed: ${read.stderr}`);
        assert.ok(read.stdout.startsWith(vm.userData), "the planned user data comes first, unchanged");
        assert.ok(read.stdout.includes(`  ed25519_public: ${JSON.stringify(first.hostKey)}\n`), read.stdout);
        assert.match(read.stdout, /\nssh_deletekeys: true\nssh_genkeytypes: \[\]\nssh_keys:\n {2}ed25519_private: "-----BEGIN OPENSSH PRIVATE KEY-----\\n/);
        assert.match(String(first.hostKey), /^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI/);
        assert.ok(!JSON.stringify(first).includes("PRIVATE KEY"), "the private half never reaches the state");
        assert.deepEqual(diffInputs(first, { ...vm }), { changes: false, replaces: [], deleteBeforeReplace: false });
        const updated = (await vmProvider.update!("t-director", first, { ...vm, autostart: false })).outs as Record<string, unknown>;
        assert.equal(updated.hostKey, first.hostKey, "an update keeps the machine's host key");
        await vmProvider.delete!("t-director", first);
        const second = (await vmProvider.create(vm)).outs as Record<string, unknown>;
        assert.notEqual(second.hostKey, first.hostKey, "a new machine gets a new key");
    });

    it("vm: a base image given as a path is used as is", async () => {
        const { vm } = inputs();
        await vmProvider.create({ ...vm, baseImage: "/srv/images/base.qcow2" });
        assert.equal(virsh.calls()[0], "vol-create --pool lvsdr <file>");
        assert.match(virsh.state().volumes["lvsdr/t-director-disk.qcow2"].xml, /<path>\/srv\/images\/base\.qcow2<\/path>/);
    });

    it("vm: a failed create undoes its partial work and says so", async () => {
        const { vm } = inputs();
        process.env.LVSDR_FAKE_VIRSH_FAIL = "start";
        await assert.rejects(vmProvider.create(vm), /creating VM t-director failed \(partial work undone\): virsh start t-director failed: error: injected failure/);
        assert.deepEqual([Object.keys(virsh.state().domains), ownVolumes()], [[], []]);
    });

    it("vm: delete removes domain, disk and seed; deleting what is gone is not an error", async () => {
        const { vm } = inputs();
        await vmProvider.create(vm);
        virsh.calls();
        await vmProvider.delete!("t-director", vm);
        assert.deepEqual(virsh.calls(), [
            "destroy t-director", "undefine t-director",
            "vol-delete --pool lvsdr t-director-disk.qcow2", "vol-delete --pool lvsdr t-director-seed.iso",
        ]);
        assert.deepEqual([Object.keys(virsh.state().domains), ownVolumes()], [[], []]);
        await vmProvider.delete!("t-director", vm);
    });

    it("vm: update changes autostart in place", async () => {
        const { vm } = inputs();
        const created = (await vmProvider.create(vm)).outs as Record<string, unknown>;
        virsh.calls();
        const updated = (await vmProvider.update!("t-director", created, { ...vm, autostart: false })).outs as Record<string, unknown>;
        assert.deepEqual(virsh.calls(), ["autostart --disable t-director"]);
        assert.equal(virsh.state().domains["t-director"].autostart, false);
        assert.equal(updated.instanceId, created.instanceId, "an update keeps the VM's instanceId");
    });

    it("vm: every VM created gets a new instanceId (a replacement keeps name, MAC and address)", async () => {
        const { vm } = inputs();
        const first = await vmProvider.create(vm);
        const firstOuts = first.outs as Record<string, unknown>;
        await vmProvider.delete!("t-director", firstOuts);
        const second = await vmProvider.create(vm);
        const secondOuts = second.outs as Record<string, unknown>;
        assert.match(String(firstOuts.instanceId), /^[0-9a-f-]{36}$/);
        assert.notEqual(secondOuts.instanceId, firstOuts.instanceId);
        assert.equal(second.id, first.id);
        // It is an output: never a difference between the state and the program.
        assert.deepEqual(diffInputs(secondOuts, { ...vm }), { changes: false, replaces: [], deleteBeforeReplace: false });
    });

    it("names a missing virsh", async () => {
        const saved = process.env.PATH;
        process.env.PATH = "/nonexistent";
        try {
            await assert.rejects(networkProvider.create(inputs().network), /virsh not found: install libvirt-clients/);
        } finally {
            process.env.PATH = saved;
        }
    });
});

describe("libvirt providers: diff", () => {
    it("replaces on any change but autostart, deleting first; no change is no change", () => {
        const { vm } = inputs();
        assert.deepEqual(diffInputs({ ...vm }, { ...vm }), { changes: false, replaces: [], deleteBeforeReplace: false });
        assert.deepEqual(diffInputs({ ...vm }, { ...vm, autostart: false }), { changes: true, replaces: [], deleteBeforeReplace: false });
        assert.deepEqual(diffInputs({ ...vm }, { ...vm, domainXml: "<x/>", diskBytes: 1 }),
            { changes: true, replaces: ["diskBytes", "domainXml"], deleteBeforeReplace: true });
    });

    const NEW_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINewNewNewNewNewNewNewNewNewNewNewNewNewNew next";
    /** The director VM's inputs for the fixture's arguments changed by `mutate`. */
    const vmWith = (mutate: (args: LvsDrClusterArgs) => void): VmInputs => {
        const args = validLibvirtArgs();
        Object.assign(args.libvirt!, { pool: "lvsdr", baseImage: "base.qcow2" });
        mutate(args);
        const plan = validateClusterArgs(args, "t");
        return vmInputs(libvirtOf(plan), libvirtNames.domain(plan.name, directorRole(0)), plan.directors[0]);
    };
    const NO_CHANGE = { changes: false, replaces: [], deleteBeforeReplace: false };

    it("a new ssh.publicKey alone is no change: the key is first-boot data, the access command keeps the VM's keys", () => {
        const { vm } = inputs();
        const rotated = vmWith((a) => (a.ssh.publicKey = NEW_KEY));
        assert.notEqual(rotated.userData, vm.userData, "the new key is in the new user data (for a VM created from now on)");
        assert.ok(rotated.userData.includes(JSON.stringify(NEW_KEY)));
        // The seed's instance id (a hash of the user data) differs too; nothing else does.
        assert.notEqual(rotated.metaData, vm.metaData);
        assert.deepEqual({ ...rotated, userData: "", metaData: "" }, { ...vm, userData: "", metaData: "" }, "nothing else differs");
        assert.deepEqual(diffInputs({ ...vm }, { ...rotated }), NO_CHANGE);
        // Further keys never reach the VM's inputs at all: the access command writes them.
        assert.deepEqual(vmWith((a) => (a.ssh.authorizedKeys = [NEW_KEY])), vm);
    });

    it("an earlier lvs-dr's state of a VM (its user data with the key it was made with, no new field) is not replaced for a new key", () => {
        const { vm } = inputs();
        // What the provider recorded then: the inputs, and what create added.
        const recorded = { ...vm, instanceId: "0b1c8a5e-2f1e-4c2a-9a53-7f6d0e1c2b3a", hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHost" };
        assert.deepEqual(diffInputs(recorded, { ...vmWith((a) => (a.ssh.publicKey = NEW_KEY)) }), NO_CHANGE);
        // And one recorded before lvs-dr pinned host keys.
        const older: Record<string, unknown> = { ...recorded };
        delete older.hostKey;
        assert.deepEqual(diffInputs(older, { ...vmWith((a) => (a.ssh.publicKey = NEW_KEY)) }), NO_CHANGE);
    });

    it("what else is in the user data still replaces (the user, the hostname), and so do memory and the base image", () => {
        const { vm } = inputs();
        assert.deepEqual(diffInputs({ ...vm }, { ...vmWith((a) => (a.ssh.user = "debian")) }),
            { changes: true, replaces: ["userData"], deleteBeforeReplace: true });
        assert.deepEqual(diffInputs({ ...vm }, { ...vmWith((a) => { a.ssh.user = "debian"; a.ssh.publicKey = NEW_KEY; }) }),
            { changes: true, replaces: ["userData"], deleteBeforeReplace: true });
        // The seed's other documents: a new address changes the network config (and the instance id, not compared).
        assert.ok(diffInputs({ ...vm }, { ...vmWith((a) => (a.libvirt!.director = { address: "192.168.77.50" })) }).replaces?.includes("networkConfig"));
        // And the meta-data's other line (the hostname): a difference.
        assert.deepEqual(diffInputs({ ...vm }, { ...vm, metaData: vm.metaData.replace("local-hostname: \"t-director\"", "local-hostname: \"x\"") }).replaces,
            ["metaData"]);
        assert.deepEqual(diffInputs({ ...vm }, { ...vmWith((a) => { a.libvirt!.memoryMiB = 1024; a.ssh.publicKey = NEW_KEY; }) }),
            { changes: true, replaces: ["domainXml"], deleteBeforeReplace: true });
        assert.deepEqual(diffInputs({ ...vm }, { ...vmWith((a) => (a.libvirt!.baseImage = "other.qcow2")) }),
            { changes: true, replaces: ["baseImage"], deleteBeforeReplace: true });
    });

    it("user data is compared without the key list only: a key-like line elsewhere is a difference", () => {
        const { vm } = inputs();
        const moved = vm.userData.replace("ssh_pwauth: false\n", `ssh_pwauth: false\n      - ${JSON.stringify(NEW_KEY)}\n`);
        assert.deepEqual(diffInputs({ ...vm }, { ...vm, userData: moved }).replaces, ["userData"]);
        assert.equal(withoutAuthorizedKeys(vm.userData), vm.userData.replace(/^ {6}- "ssh-ed25519 [^\n]*\n/m, ""));
    });

    it("an update keeps the user data the VM first booted with", async () => {
        const virsh = installFakeVirsh();
        try {
            virsh.addVolume("lvsdr", "base.qcow2");
            const { vm } = inputs();
            const created = (await vmProvider.create(vm)).outs as Record<string, unknown>;
            const rotated = vmWith((a) => (a.ssh.publicKey = NEW_KEY));
            const updated = (await vmProvider.update!("t-director", created, { ...rotated, autostart: false })).outs as Record<string, unknown>;
            assert.deepEqual([updated.userData, updated.metaData], [vm.userData, vm.metaData]);
            assert.equal(updated.autostart, false);
        } finally {
            virsh.restore();
        }
    });
});

describe("libvirt providers: serialization (what the engine stores and runs)", function () {
    this.timeout(30000);

    for (const [kind, provider] of [["network", networkProvider], ["vm", vmProvider]] as const) {
        it(`${kind} provider serializes and runs diff, create, update and delete in a fresh process`, async () => {
            const serialized = await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: false });
            assert.doesNotMatch(serialized.text, /lvs-dr-test-key-do-not-leak/);
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lvsdr-serialized-"));
            const virsh = installFakeVirsh();
            try {
                virsh.addVolume("lvsdr", "base.qcow2");
                fs.writeFileSync(path.join(dir, "provider.js"), serialized.text);
                const given = kind === "vm" ? inputs().vm : inputs().network;
                const program = `const p = require(${JSON.stringify(path.join(dir, "provider.js"))}).${serialized.exportName}();
const given = ${JSON.stringify(given)};
(async () => {
    const diff = await p.diff("x", given, { ...given, uri: "qemu+ssh://h/system" });
    const { id, outs } = await p.create(given);
    if ("userData" in given && !/^ssh-ed25519 /.test(outs.hostKey)) throw new Error("no host key made: " + outs.hostKey);
    await p.update(id, given, { ...given, autostart: false });
    await p.delete(id, given);
    console.log(JSON.stringify({ diff, id }));
})().catch((e) => { console.error(e); process.exit(1); });`;
                // No access to this repository's modules: the serialized text must stand alone.
                const r = spawnSync(process.execPath, ["-e", program], { cwd: dir, encoding: "utf8", env: {
                    PATH: process.env.PATH, LVSDR_FAKE_VIRSH_STATE: process.env.LVSDR_FAKE_VIRSH_STATE, LVSDR_FAKE_VIRSH_LOG: process.env.LVSDR_FAKE_VIRSH_LOG,
                } });
                assert.equal(r.status, 0, r.stderr);
                assert.deepEqual(JSON.parse(r.stdout), { diff: { changes: true, replaces: ["uri"], deleteBeforeReplace: true }, id: given.name });
                const calls = virsh.calls();
                assert.ok(calls.includes(kind === "vm" ? `start ${given.name}` : `net-start ${given.name}`), calls.join("\n"));
                assert.ok(calls.includes(kind === "vm" ? `autostart ${given.name}` : `net-autostart ${given.name}`), calls.join("\n"));
                const left = virsh.state();
                assert.deepEqual([Object.keys(left.domains), Object.keys(left.networks), Object.keys(left.volumes)], [[], [], ["lvsdr/base.qcow2"]]);
            } finally {
                virsh.restore();
                fs.rmSync(dir, { recursive: true, force: true });
            }
        });
    }
});
