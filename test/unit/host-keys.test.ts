/**
 * SSH host keys: made by the component for the machines a platform creates, handed over in their
 * first-boot data and pinned in every connection; warned about where the user has not pinned them.
 * The lab proves the VMs offer exactly the pinned key (test/e2e).
 */
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { validateClusterArgs } from "../../src/component/validate";
import { unpinnedHostsWarning } from "../../src/platforms/hosts/hosts";
import { hostKeyCloudConfig, newHostKey } from "../../src/platforms/vm/host-key";
import { hostKeyFingerprint } from "../../src/platforms/vm/host-key-resource";
import { validArgs, validAwsArgs, validLibvirtArgs } from "../support/fixtures";
import { byName, deploy, isSecret, mockHostKey, ofType, resolve, reveal } from "../support/mocks";

const connectionOf = (r: { inputs: Record<string, unknown> }) => reveal(r.inputs.connection) as Record<string, unknown>;

describe("host keys: the key pair", () => {
    it("is an ed25519 pair in OpenSSH's formats that ssh-keygen reads back to the same public key", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lvsdr-hostkey-"));
        try {
            const key = newHostKey("t (lvs-dr)");
            assert.match(key.publicKey, /^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI[A-Za-z0-9+/]{43}$/);
            fs.writeFileSync(path.join(dir, "k"), key.privateKey, { mode: 0o600 });
            const back = spawnSync("ssh-keygen", ["-y", "-f", path.join(dir, "k")], { encoding: "utf8" });
            assert.equal(back.status, 0, `ssh-keygen (openssh-client) must read the key: ${back.stderr}`);
            assert.equal(back.stdout.trim().split(" ").slice(0, 2).join(" "), key.publicKey);
            const print = spawnSync("ssh-keygen", ["-l", "-f", path.join(dir, "k")], { encoding: "utf8" });
            assert.equal(print.stdout.split(" ")[1], hostKeyFingerprint(key.publicKey), "the fingerprint is ssh-keygen's");
            assert.notEqual(newHostKey().publicKey, key.publicKey, "each key is new");
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("is handed to cloud-init as the only host key (the image's deleted, none generated)", () => {
        const key = newHostKey();
        const yaml = hostKeyCloudConfig(key);
        const parsed = spawnSync("python3", ["-c", "import sys, json, yaml; print(json.dumps(yaml.safe_load(sys.stdin)))"], { input: yaml, encoding: "utf8" });
        assert.equal(parsed.status, 0, `python3-yaml must parse it: ${parsed.stderr}`);
        assert.deepEqual(JSON.parse(parsed.stdout), {
            ssh_deletekeys: true, ssh_genkeytypes: [], ssh_keys: { ed25519_private: key.privateKey, ed25519_public: key.publicKey },
        });
    });
});

describe("host keys: created machines are pinned (mocked engine)", () => {
    it("libvirt: every command on a VM, its SSH wait included, pins the key its VM was made with", async () => {
        const d = await deploy(validLibvirtArgs(), "lab");
        const commands = ofType(d.resources, "command:remote:Command");
        assert.ok(commands.length >= 8);
        for (const c of commands) {
            const role = c.name.replace(/^lab-/, "").replace(/-(ssh|access|setup|rules|drain-director(-1)?)$/, "");
            // Drain hooks run on the director.
            const on = /-drain-director$/.test(c.name) ? "director" : role;
            assert.equal(connectionOf(c).hostKey, mockHostKey(`lab-${on}-vm`), c.name);
        }
    });

    it("libvirt: a VM made before lvs-dr pinned keys is reached unpinned (and warned about), not refused", async () => {
        const d = await deploy(validLibvirtArgs(), "x-legacy-");
        const setup = byName(d.resources, "x-legacy--director-setup");
        assert.equal(connectionOf(setup).hostKey, undefined);
    });

    it("aws: each instance's user data carries its own host key (a secret), tagged with its fingerprint; connections pin it", async () => {
        const d = await deploy(validAwsArgs(), "web");
        const keys = ofType(d.resources, "pulumi-nodejs:dynamic/lvs-dr:HostKey").map((k) => k.name).sort();
        assert.deepEqual(keys, ["web-director-host-key", "web-rs-a-host-key", "web-rs-b-host-key"]);
        assert.deepEqual(d.wired.get("web-rs-a-host-key")?.parent, "web");
        for (const role of ["director", "rs-a", "rs-b"]) {
            const instance = byName(d.resources, `web-${role}`);
            const userData = instance.inputs.userData;
            assert.ok(isSecret(userData), `web-${role}'s user data (a private host key) must be a secret`);
            const text = String(reveal(userData));
            assert.ok(text.startsWith("#cloud-config\n"), text);
            assert.ok(text.includes(`ed25519_public: ${JSON.stringify(mockHostKey(`web-${role}-host-key`))}`), text);
            assert.ok(text.includes("BEGIN OPENSSH PRIVATE KEY"), text);
            assert.equal((reveal(instance.inputs.tags) as Record<string, string>)["lvs-dr:host-key"], `web-${role}-host-key-id`);
            assert.equal(connectionOf(byName(d.resources, `web-${role}-setup`)).hostKey, mockHostKey(`web-${role}-host-key`));
            assert.equal(connectionOf(byName(d.resources, `web-${role}-ssh`)).hostKey, mockHostKey(`web-${role}-host-key`));
        }
    });

    it("hosts: a pinned host key is pinned; the others are named in a warning that says how to pin them", async () => {
        const args = validArgs();
        args.hosts!.director!.ssh = { hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB" };
        const plan = validateClusterArgs(args, "web");
        const warning = unpinnedHostsWarning(plan) ?? assert.fail("no warning");
        for (const rs of plan.realServers) {
            assert.ok(warning.includes(rs.ssh.host), warning);
        }
        assert.ok(!warning.includes(plan.directors[0].ssh.host), warning);
        assert.match(warning, /hosts\.\*\.ssh\.hostKey/);
        plan.realServers.forEach((rs) => (rs.ssh.hostKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB"));
        assert.equal(unpinnedHostsWarning(plan), undefined, "all pinned: nothing to say");
        const d = await deploy(args, "web");
        assert.equal(connectionOf(byName(d.resources, "web-director-setup")).hostKey, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB");
        assert.equal(await resolve(d.cluster.vip), plan.vip);
    });
});

