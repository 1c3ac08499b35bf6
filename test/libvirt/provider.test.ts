/**
 * The libvirt providers against a real libvirtd (started by `bash lab/libvirtd.sh up` in its own
 * network namespace): a network, a VM with overlay disk and cloud-init seed, an in-place update,
 * deletion, and nothing left behind. The VM has no operating system (a blank base image): what is
 * checked here is what libvirt holds; booting real images is the lab's job.
 */
import { strict as assert } from "assert";
import { execFileSync, spawnSync } from "child_process";
import { directorRole } from "../../src/core/names";
import { libvirtNames } from "../../src/platforms/libvirt/names";
import { validateClusterArgs } from "../../src/component/validate";
import { networkInputs, vmInputs } from "../../src/platforms/libvirt/inputs";
import { networkProvider, type NetworkInputs, type VmInputs, vmProvider } from "../../src/platforms/libvirt/provider";
import { validLibvirtArgs } from "../support/fixtures";
import { libvirtOf } from "../../lab/harness/plans";

const URI = "qemu:///system";
const POOL = process.env.LVSDR_POOL ?? "lvsdr";
const NETNS = process.env.LVSDR_NETNS ?? "lvsdr-lab";
const BASE = "lvsdr-test-base.qcow2";

function virsh(...args: string[]): string {
    return execFileSync("virsh", ["-c", URI, ...args], { encoding: "utf8" });
}

function virshOk(...args: string[]): boolean {
    return spawnSync("virsh", ["-c", URI, ...args], { encoding: "utf8" }).status === 0;
}

function requireLibvirtd(): void {
    const r = spawnSync("virsh", ["-c", URI, "pool-info", POOL], { encoding: "utf8" });
    if (r.error || r.status !== 0) {
        throw new Error(`libvirtd with the storage pool "${POOL}" is not available (${r.error?.message ?? r.stderr.trim()}): ` +
            "run `bash lab/lab.sh up` as root first (it installs libvirt and starts it in a network namespace)");
    }
}

function inputs(): { network: NetworkInputs; vm: VmInputs } {
    const args = validLibvirtArgs();
    Object.assign(args.libvirt!, { subnet: "192.168.78.0/24", pool: POOL, domainType: "qemu", memoryMiB: 128, baseImage: BASE, diskGiB: 1 });
    args.vip = "192.168.78.100";
    const plan = validateClusterArgs(args, "lvsdr-test");
    const l = libvirtOf(plan);
    const network = networkInputs(l) ?? assert.fail("the plan creates no network");
    return { network, vm: vmInputs(l, libvirtNames.domain(plan.name, directorRole(0)), plan.directors[0]) };
}

describe("libvirt providers against a real libvirtd", function () {
    const { network, vm } = inputs();

    before(async () => {
        requireLibvirtd();
        // Leftovers of an interrupted run would make create fail for the wrong reason.
        await vmProvider.delete!(vm.name, vm);
        await networkProvider.delete!(network.name, network);
        if (!virshOk("vol-info", "--pool", POOL, BASE)) {
            virsh("vol-create-as", POOL, BASE, "64M", "--format", "qcow2");
        }
    });

    after(() => {
        spawnSync("virsh", ["-c", URI, "vol-delete", "--pool", POOL, BASE]);
    });

    it("creates an isolated network whose bridge lives in the lab namespace", async () => {
        await networkProvider.create(network);
        const info = virsh("net-info", network.name);
        assert.match(info, /Active:\s+yes/);
        assert.match(info, /Autostart:\s+yes/);
        assert.doesNotMatch(virsh("net-dumpxml", network.name), /<forward/);
        const bridge = /Bridge:\s+(\S+)/.exec(info)![1];
        assert.equal(spawnSync("ip", ["netns", "exec", NETNS, "ip", "link", "show", bridge]).status, 0, "bridge not in the lab namespace");
        assert.notEqual(spawnSync("ip", ["link", "show", bridge]).status, 0, "bridge leaked into the host namespace");
    });

    it("creates a running VM on an overlay of the base image, with the cloud-init seed attached", async () => {
        await vmProvider.create(vm);
        assert.equal(virsh("domstate", vm.name).trim(), "running");
        const disk = virsh("vol-dumpxml", "--pool", POOL, vm.diskVolume);
        assert.match(disk, /<backingStore>[\s\S]*lvsdr-test-base\.qcow2/);
        assert.match(disk, /<capacity unit='bytes'>1073741824<\/capacity>/);
        const seed = virsh("vol-info", "--pool", POOL, vm.seedVolume, "--bytes");
        assert.ok(Number(/Capacity:\s+(\d+)/.exec(seed)![1]) > 0);
        const live = virsh("dumpxml", vm.name);
        assert.match(live, /<mac address='52:54:00:/);
        assert.match(live, new RegExp(`<source network='${network.name}'`));
        assert.match(virsh("domblklist", vm.name), /vdb\s+\S*lvsdr-test-director-seed\.iso/);
    });

    it("diffs without side effects and updates autostart in place", async () => {
        assert.deepEqual(await vmProvider.diff!(vm.name, vm, { ...vm, memoryMiB: 1 }),
            { changes: true, replaces: ["memoryMiB"], deleteBeforeReplace: true });
        await vmProvider.update!(vm.name, vm, { ...vm, autostart: false });
        assert.match(virsh("dominfo", vm.name), /Autostart:\s+disable/);
        assert.equal(virsh("domstate", vm.name).trim(), "running");
    });

    it("deletes domain, disk, seed and network, leaving nothing; deleting again is fine", async () => {
        await vmProvider.delete!(vm.name, vm);
        await networkProvider.delete!(network.name, network);
        assert.ok(!virshOk("dominfo", vm.name), "domain left");
        assert.ok(!virshOk("vol-info", "--pool", POOL, vm.diskVolume), "disk left");
        assert.ok(!virshOk("vol-info", "--pool", POOL, vm.seedVolume), "seed left");
        assert.ok(!virshOk("net-info", network.name), "network left");
        await vmProvider.delete!(vm.name, vm);
        await networkProvider.delete!(network.name, network);
    });
});
