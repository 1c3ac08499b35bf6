/**
 * Values other resources of the program make: existing machines' addresses, SSH targets and host
 * keys; what a platform makes its machines of (public key, image, kernel, AMI, address ranges). The cluster must run exactly the commands it runs with the same values
 * given plain, refuse a bad value once it is known with the message a plain one gets, and plan
 * every resource while a preview does not know the values yet.
 */
import { strict as assert } from "assert";
import * as pulumi from "@pulumi/pulumi";
import type { LvsDrClusterArgs } from "../../src/args";
import { findAwaited, standIns } from "../../src/core/validation/awaited";
import { PUBLIC_KEY, validArgs, validAwsArgs, validLibvirtArgs } from "../support/fixtures";
import { clearRegistered, deploy, isSecret, lvsdr, resolve, reveal } from "../support/mocks";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { planCluster } = require("../../src/component/plan-cluster") as typeof import("../../src/component/plan-cluster");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { LvsDrArgsError, validateClusterArgs } = require("../../src/component/validate") as typeof import("../../src/component/validate");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { forgetClusters } = require("../../src/component/cluster") as typeof import("../../src/component/cluster");
const { LvsDrCluster } = lvsdr;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { unknown } = require("@pulumi/pulumi/output") as { unknown: unknown };

const HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHJlYWwtaG9zdC1rZXktb2YtcnMtMQ";

/** The fixture with a pinned host key and an SSH target of its own on real server 1. */
function plainArgs(): LvsDrClusterArgs {
    const args = validArgs();
    args.hosts!.realServers[1].ssh = { host: "rs-1.example.net", hostKey: HOST_KEY };
    return args;
}

/** The same arguments, with every awaited field an Output (as another resource's outputs are). */
function awaitedArgs(wrap: (v: string) => pulumi.Input<string> = (v) => pulumi.output(v)): LvsDrClusterArgs {
    const args = plainArgs();
    const hosts = args.hosts!;
    hosts.director!.address = wrap(hosts.director!.address as string);
    for (const rs of hosts.realServers) {
        rs.address = wrap(rs.address as string);
    }
    hosts.realServers[1].ssh = { host: wrap("rs-1.example.net"), hostKey: wrap(HOST_KEY) };
    return args;
}

/** What each command of a deployment runs, where, and what replaces it. */
async function commandsOf(args: LvsDrClusterArgs): Promise<Map<string, unknown>> {
    const { resources } = await deploy(args);
    return new Map(resources.filter((r) => r.type === "command:remote:Command").map((r) => {
        const c = r.inputs.connection as Record<string, unknown>;
        return [r.name, { create: r.inputs.create, delete: r.inputs.delete, stdin: r.inputs.stdin, triggers: r.inputs.triggers,
            connection: { ...c, privateKey: reveal(c.privateKey) } }];
    }));
}

describe("awaited fields: existing machines another resource makes", () => {
    it("finds each Output at an awaited field, and only there", () => {
        const args = awaitedArgs();
        assert.deepEqual(findAwaited(args).map((a) => a.field), [
            "hosts.director.address", "hosts.realServers[0].address", "hosts.realServers[1].address",
            "hosts.realServers[1].ssh.host", "hosts.realServers[1].ssh.hostKey",
        ]);
        // A private key given as an Output is passed through, not awaited.
        assert.ok(!findAwaited(args).some((a) => a.field.endsWith("privateKey")));
    });

    it("plans at once with stand-ins from the top of the subnet that no given address uses", () => {
        const args = validArgs();
        const rs = args.hosts!.realServers;
        rs[0].address = pulumi.output("192.168.77.11");
        rs[1].address = pulumi.output("192.168.77.12");
        args.hosts!.subnet = "192.168.77.0/24";
        args.vip = "192.168.77.254";
        assert.deepEqual(standIns(args, findAwaited(args)), ["192.168.77.253", "192.168.77.252"]);
        const v6 = validArgs();
        v6.vip = "fd77::100";
        v6.hosts!.subnet = "fd77::/64";
        v6.hosts!.director!.address = "fd77::a";
        v6.hosts!.realServers.forEach((r, i) => { r.address = i === 0 ? pulumi.output("fd77::b") : `fd77::${i + 11}`; });
        assert.deepEqual(standIns(v6, findAwaited(v6)), ["fd77::ffff:ffff:ffff:fffe"]);
    });

    it("keeps the scripts out of secrecy: only the connection's key is secret, as with plain values", async () => {
        // The key as a program gives it (config.requireSecret): a secret Output inside the plan.
        const args = awaitedArgs();
        args.ssh.privateKey = pulumi.secret(args.ssh.privateKey);
        const { resources } = await deploy(args);
        const commands = resources.filter((r) => r.type === "command:remote:Command");
        assert.ok(commands.length > 0);
        for (const c of commands) {
            assert.ok(!isSecret(c.inputs.create) && !isSecret(c.inputs.delete) && !isSecret(c.inputs.stdin), `${c.name}: its script is a secret`);
            assert.ok(isSecret(c.inputs.connection), `${c.name}: its connection (the key) is not secret`);
        }
    });

    it("runs exactly the commands of the same cluster given plain values; the outputs are the known addresses", async () => {
        const plain = await commandsOf(plainArgs());
        const awaited = await commandsOf(awaitedArgs());
        assert.deepEqual([...awaited.keys()].sort(), [...plain.keys()].sort());
        for (const [name, command] of plain) {
            assert.deepEqual(awaited.get(name), command, `${name} differs`);
        }
        const { cluster } = await deploy(awaitedArgs());
        assert.deepEqual(await resolve(cluster.realServerAddresses), plainArgs().hosts!.realServers.map((r) => r.address));
        assert.equal(await resolve(cluster.directorAddress), plainArgs().hosts!.director!.address);
    });

    it("refuses a bad awaited value once it is known, with the message a plain one gets", async () => {
        const bad = plainArgs();
        bad.hosts!.realServers[0].address = "10.9.9.9";
        let plainError = "";
        try {
            validateClusterArgs(bad, "web");
        } catch (e) {
            plainError = (e as Error).message;
        }
        assert.match(plainError, /hosts\.realServers\[0\]\.address = "10\.9\.9\.9"/);
        const args = awaitedArgs();
        args.hosts!.realServers[0].address = pulumi.output("10.9.9.9");
        const plans = planCluster(args, "web");
        const refused = await new Promise<unknown>((ok) => {
            (plans.known as unknown as { promise: () => Promise<unknown> }).promise().then(() => ok(undefined), ok);
        });
        assert.ok(refused instanceof LvsDrArgsError, `not refused: ${String(refused)}`);
        assert.equal(refused.message, plainError);
    });

    it("plans every resource while a preview does not know the values", async () => {
        const args = awaitedArgs(() => pulumi.output(unknown));
        const plans = planCluster(args, "web");
        assert.equal(plans.shape.realServers.length, plainArgs().hosts!.realServers.length);
        const expected = [...(await commandsOf(plainArgs())).keys()].sort();
        // Not deploy(): it awaits the address outputs, which a preview leaves unknown.
        forgetClusters();
        const registered = clearRegistered();
        const cluster = new LvsDrCluster("web", args);
        await resolve(cluster.ipvsTable);
        await new Promise((ok) => setTimeout(ok, 100));
        const commands = registered.filter((r) => r.type === "command:remote:Command");
        assert.deepEqual(commands.map((r) => r.name).sort(), expected);
        const rules = commands.find((r) => r.name === "web-director-rules")!;
        assert.equal(rules.inputs.stdin, undefined, "the rules' text is known: the stand-ins reached a command");
    });
});

/** Every resource's registered inputs by name (secrets as the engine records them). */
async function inputsOf(args: LvsDrClusterArgs): Promise<Map<string, string>> {
    const { resources } = await deploy(args);
    return new Map(resources.map((r) => [`${r.type} ${r.name}`, JSON.stringify(r.inputs)]));
}

/** Registers the cluster without awaiting its outputs (a preview leaves them unknown). */
async function registeredOf(args: LvsDrClusterArgs): Promise<{ type: string; name: string; inputs: Record<string, unknown> }[]> {
    forgetClusters();
    const registered = clearRegistered();
    new LvsDrCluster("web", args);
    await new Promise((ok) => setTimeout(ok, 300));
    return [...registered];
}

async function refusal(args: LvsDrClusterArgs): Promise<unknown> {
    const plans = planCluster(args, "web");
    return new Promise<unknown>((ok) => {
        (plans.known as unknown as { promise: () => Promise<unknown> }).promise().then(() => ok(undefined), ok);
    });
}

describe("awaited fields: what a platform makes its machines of", () => {
    const libvirtAwaited = (wrap: (v: string) => pulumi.Input<string> = (v) => pulumi.output(v)): LvsDrClusterArgs => {
        const args = validLibvirtArgs();
        args.ssh.publicKey = wrap(PUBLIC_KEY);
        args.libvirt!.baseImage = wrap("/var/lib/lvsdr-lab/images/base.qcow2");
        args.libvirt!.kernel = wrap("/var/lib/lvsdr-lab/images/vmlinuz");
        args.libvirt!.initrd = wrap("/var/lib/lvsdr-lab/images/initrd.img");
        return args;
    };
    const libvirtPlain = (): LvsDrClusterArgs => {
        const args = validLibvirtArgs();
        args.libvirt!.kernel = "/var/lib/lvsdr-lab/images/vmlinuz";
        args.libvirt!.initrd = "/var/lib/lvsdr-lab/images/initrd.img";
        return args;
    };
    const awsAwaited = (): LvsDrClusterArgs => {
        const args = validAwsArgs();
        args.ssh.publicKey = pulumi.output(PUBLIC_KEY);
        args.aws!.ami = pulumi.output("ami-0123456789abcdef0");
        args.aws!.adminCidrs = pulumi.output(["203.0.113.7/32"]);
        args.aws!.allowedCidrs = ["10.77.0.0/16", pulumi.output("10.99.0.0/16")];
        return args;
    };
    const awsPlain = (): LvsDrClusterArgs => {
        const args = validAwsArgs();
        args.aws!.ami = "ami-0123456789abcdef0";
        args.aws!.allowedCidrs = ["10.77.0.0/16", "10.99.0.0/16"];
        return args;
    };

    it("finds each of them, a list whole or one entry", () => {
        assert.deepEqual(findAwaited(libvirtAwaited()).map((a) => a.field), ["ssh.publicKey", "libvirt.baseImage", "libvirt.kernel", "libvirt.initrd"]);
        assert.deepEqual(findAwaited(awsAwaited()).map((a) => a.field), ["ssh.publicKey", "aws.adminCidrs", "aws.ami", "aws.allowedCidrs[1]"]);
    });

    for (const [platform, awaited, plain] of [["libvirt", libvirtAwaited, libvirtPlain], ["aws", awsAwaited, awsPlain]] as const) {
        it(`${platform}: every resource is registered with exactly the inputs the same values give plain`, async () => {
            const want = await inputsOf(plain());
            const got = await inputsOf(awaited());
            assert.deepEqual([...got.keys()].sort(), [...want.keys()].sort());
            for (const [name, inputs] of want) {
                assert.equal(got.get(name), inputs, `${name} differs`);
            }
        });
    }

    it("refuses a bad value once it is known, with the message a plain one gets", async () => {
        const plain = awsPlain();
        plain.aws!.ami = "ami-zz";
        const plainError = (() => {
            try {
                validateClusterArgs(plain, "web");
                return "";
            } catch (e) {
                return (e as Error).message;
            }
        })();
        assert.match(plainError, /aws\.ami = "ami-zz"/);
        const args = awsAwaited();
        args.aws!.ami = pulumi.output("ami-zz");
        const refused = await refusal(args);
        assert.ok(refused instanceof LvsDrArgsError, `not refused: ${String(refused)}`);
        assert.equal(refused.message, plainError);
        const cidrs = awsAwaited();
        cidrs.aws!.adminCidrs = pulumi.output([]);
        assert.match(String(await refusal(cidrs)), /aws\.adminCidrs/);
    });

    it("plans every resource while a preview does not know them; the VMs' inputs wait for them", async () => {
        const want = [...(await inputsOf(libvirtPlain())).keys()].sort();
        const registered = await registeredOf(libvirtAwaited(() => pulumi.output(unknown)));
        assert.deepEqual(registered.map((r) => `${r.type} ${r.name}`).sort(), want);
        const vm = registered.find((r) => r.name === "web-director-vm")!;
        assert.equal(vm.inputs.baseImage, undefined, "the VM was given a stand-in image");
        assert.equal(vm.inputs.userData, undefined, "the VM was given a stand-in public key");
    });

    it("warns of admin SSH from anywhere once an awaited list says so", async () => {
        const said: string[] = [];
        const { warn } = pulumi.log;
        pulumi.log.warn = (text: string) => { said.push(text); return Promise.resolve(); };
        try {
            const args = awsAwaited();
            args.aws!.adminCidrs = pulumi.output(["0.0.0.0/0"]);
            await deploy(args, "web");
        } finally {
            pulumi.log.warn = warn;
        }
        assert.ok(said.some((s) => /aws\.adminCidrs has 0\.0\.0\.0\/0/.test(s)), JSON.stringify(said));
    });
});
