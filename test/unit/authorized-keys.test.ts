/**
 * The SSH login user's authorized keys on created machines (ssh.publicKey, ssh.authorizedKeys):
 * kept in place by one `-access` command per machine, so that a key is rotated with two
 * `pulumi up`s and no machine replaced. The rendered script runs here in a sandbox (read-only /,
 * a network namespace of its own) against a temporary HOME.
 */
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { validateClusterArgs } from "../../src/component/validate";
import { authorizedKeysCommand } from "../../src/core/scripts/command-lines";
import { renderAuthorizedKeys } from "../../src/core/scripts/authorized-keys";
import { type HostRun, shq } from "../../src/core/scripts/render";
import { diffInputs } from "../../src/platforms/libvirt/provider";
import { PUBLIC_KEY, validArgs, validAwsArgs, validLibvirtArgs } from "../support/fixtures";
import { byName, deploy, type Deployment, ofType, type Registered, reveal } from "../support/mocks";
import { requireSandboxPrerequisites, Sandbox } from "../support/sandbox";
import { shellcheck } from "../support/shellcheck";
import { awsOf, libvirtOf } from "../../lab/harness/plans";

const NEXT = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINextNextNextNextNextNextNextNextNextNext next";
const OPERATOR = "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTY= ops@example.org";

const commands = (d: Deployment) => ofType(d.resources, "command:remote:Command");
const accessCommands = (d: Deployment) => commands(d).filter((c) => c.name.endsWith("-access")).map((c) => c.name).sort();
const createOf = (r: Registered) => String(r.inputs.stdin);

/** Resources (by name) whose inputs differ between two deployments, the component excepted. */
function changed(before: Deployment, after: Deployment): string[] {
    const work = (d: Deployment) => d.resources.filter((r) => r.type !== "lvs-dr:index:LvsDrCluster");
    const old = new Map(work(before).map((r) => [r.name, JSON.stringify(reveal(r.inputs))]));
    return work(after).filter((r) => old.get(r.name) !== JSON.stringify(reveal(r.inputs))).map((r) => r.name).sort();
}

describe("authorized keys: validation", () => {
    it("the plan holds publicKey first, then authorizedKeys, a key given twice once (by its material, whatever its comment)", () => {
        for (const base of [validLibvirtArgs, validAwsArgs]) {
            const args = base();
            args.ssh.authorizedKeys = [NEXT, OPERATOR, `${PUBLIC_KEY.split(" ").slice(0, 2).join(" ")} same-key-again`, NEXT];
            const plan = validateClusterArgs(args);
            const platform = args.libvirt ? libvirtOf(plan) : awsOf(plan);
            assert.deepEqual(platform.sshAuthorizedKeys, [PUBLIC_KEY, NEXT, OPERATOR]);
            assert.equal(platform.sshPublicKey, PUBLIC_KEY, "first boot still gets the one public key");
            assert.deepEqual((base === validLibvirtArgs ? libvirtOf : awsOf)(validateClusterArgs(base())).sshAuthorizedKeys, [PUBLIC_KEY]);
        }
    });

    it("says what to fix in a key with a line break or options, each key by its place", () => {
        const args = validLibvirtArgs();
        args.ssh.authorizedKeys = [NEXT, `${NEXT}\n${OPERATOR}`, `restrict,command="uptime" ${OPERATOR}`, "ssh-ed25519 AAAA"];
        assert.throws(() => validateClusterArgs(args), (e: Error) => {
            assert.match(e.message, /ssh\.authorizedKeys\[1\] = .*: is not an OpenSSH public key: it holds a line break\. Fix: give one line of a \.pub file/);
            assert.match(e.message, /ssh\.authorizedKeys\[2\] = .*: is not an OpenSSH public key: it has options before the key type\. Fix: remove everything before the key type/);
            assert.match(e.message, /ssh\.authorizedKeys\[3\] = .*: is not an OpenSSH public key\. Fix: paste one line of a \.pub file/);
            assert.ok(!/authorizedKeys\[0\]/.test(e.message), e.message);
            return true;
        });
    });

    it("is refused on the hosts platform, like publicKey: the accounts there are not the cluster's", () => {
        const args = validArgs();
        args.ssh.authorizedKeys = [];
        assert.throws(() => validateClusterArgs(args), /ssh\.authorizedKeys = \[\]: is only used for VMs a platform creates/);
    });
});

describe("authorized keys: the access command (mocked engine)", () => {
    for (const [platform, base, machine, roles] of [
        ["libvirt", validLibvirtArgs, (role: string) => `c-${role}-vm`, ["director", "rs-0", "rs-1"]],
        ["aws", validAwsArgs, (role: string) => `c-${role}`, ["director", "rs-a", "rs-b"]],
    ] as const) {
        it(`${platform}: one per machine, after its boot wait and before its setup, on the setup's connection, as the login user`, async () => {
            const args = base();
            args.ssh.user = "debian";
            args.ssh.authorizedKeys = [OPERATOR];
            const d = await deploy(args, "c");
            assert.deepEqual(accessCommands(d), roles.map((r) => `c-${r}-access`).sort());
            for (const role of roles) {
                const access = byName(d.resources, `c-${role}-access`);
                assert.equal(d.wired.get(access.name)?.parent, "c");
                assert.deepEqual(d.wired.get(access.name)?.dependsOn, [`c-${role}-ssh`]);
                assert.ok(d.wired.get(`c-${role}-setup`)?.dependsOn.includes(access.name), `c-${role}-setup must wait for ${access.name}`);
                assert.deepEqual(reveal(access.inputs.connection), reveal(byName(d.resources, `c-${role}-setup`).inputs.connection));
                const create = createOf(access);
                assert.ok(String(access.inputs.create).startsWith("sh -c 'f=$(mktemp)"), "the user's own file: no sudo");
                assert.ok(create.includes(`write_authorized_keys '${PUBLIC_KEY}' '${OPERATOR}'`), create);
                assert.ok(create.includes(`# Runs on machine ${machine(role)}`), "a new machine runs it again");
                assert.equal(access.inputs.delete, undefined, "the account goes with the machine");
                assert.equal(access.inputs.update, undefined, "an update runs create");
            }
        });

        it(`${platform}: rotation is two updates of the access commands alone, no machine replaced`, async () => {
            const before = await deploy(base(), "c");
            // (a) The new key beside the old one: only the access commands' texts change.
            const stepA = base();
            stepA.ssh.authorizedKeys = [NEXT];
            const a = await deploy(stepA, "c");
            assert.deepEqual(changed(before, a), roles.map((r) => `c-${r}-access`).sort());
            for (const role of roles) {
                assert.ok(createOf(byName(a.resources, `c-${role}-access`)).includes(`'${PUBLIC_KEY}' '${NEXT}'`));
            }
            // (b) The new pair, the old key dropped.
            const stepB = base();
            stepB.ssh.publicKey = NEXT;
            stepB.ssh.privateKey = "-----BEGIN OPENSSH PRIVATE KEY-----\nnext\n-----END OPENSSH PRIVATE KEY-----\n";
            const b = await deploy(stepB, "c");
            for (const role of roles) {
                const create = createOf(byName(b.resources, `c-${role}-access`));
                assert.ok(create.includes(`write_authorized_keys '${NEXT}'\n`) && !create.includes(PUBLIC_KEY), create);
            }
            if (platform === "libvirt") {
                // The VMs' inputs differ in their user data's key only, which the provider's diff ignores.
                for (const role of roles) {
                    const [old, now] = [a, b].map((d) => reveal(byName(d.resources, `c-${role}-vm`).inputs) as Record<string, unknown>);
                    assert.notEqual(now.userData, old.userData);
                    assert.deepEqual(diffInputs(old, now), { changes: false, replaces: [], deleteBeforeReplace: false }, role);
                }
            } else {
                // The key pair is replaced (made before the old one goes: no deleteBeforeReplace); the
                // instances ignore its new name.
                assert.equal(byName(b.resources, "c-key").inputs.publicKey, NEXT);
                assert.equal(b.wired.get("c-key")?.deleteBeforeReplace, undefined);
                for (const role of roles) {
                    assert.ok(b.wired.get(`c-${role}`)?.ignoreChanges?.includes("keyName"), `c-${role} must ignore a new key pair`);
                }
            }
        });
    }

    it("hosts: no access command, ever (the accounts are the operators')", async () => {
        const d = await deploy(validArgs(), "c");
        assert.deepEqual(accessCommands(d), []);
        assert.ok(commands(d).length > 0);
    });

    it("a gone machine gets none (nothing may run on it)", async () => {
        const args = validLibvirtArgs();
        args.libvirt!.realServers[1].gone = true;
        const d = await deploy(args, "c");
        assert.deepEqual(accessCommands(d), ["c-director-access", "c-rs-0-access"]);
    });
});

describe("authorized keys: the script", function () {
    this.timeout(60000);
    let sandbox: Sandbox;
    let home: string;
    const keysFile = () => path.join(home, ".ssh", "authorized_keys");
    /** Runs a command's exact line in the sandbox, `prefix` before it, its script on stdin (a file, as SSH feeds it). */
    const runCommand = (prefix: string, c: HostRun) => {
        const input = path.join(sandbox.rw, "stdin");
        fs.writeFileSync(input, c.stdin);
        // The loader's temporary file: the sandbox's /tmp is read-only, a host's is not.
        const tmp = path.join(sandbox.rw, "tmp");
        fs.mkdirSync(tmp, { recursive: true, mode: 0o1777 });
        fs.chmodSync(tmp, 0o1777);
        return sandbox.run(`TMPDIR=${shq(tmp)}\nexport TMPDIR\n${prefix}${c.command} < ${shq(input)}\n`);
    };
    /** Runs the access command in the sandbox, as `uid` (default root), with HOME=home. */
    const run = (keys: string[], uid?: number) => {
        const as = uid === undefined ? "" : `setpriv --reuid=${uid} --regid=${uid} --clear-groups `;
        return runCommand(`HOME=${shq(home)}\nexport HOME\n${as}`, authorizedKeysCommand(keys, "i-0123456789abcdef0"));
    };
    const state = () => {
        const st = fs.statSync(keysFile());
        return { text: fs.readFileSync(keysFile(), "utf8"), mode: st.mode & 0o777, uid: st.uid, ino: st.ino, mtime: st.mtimeMs };
    };
    const leftovers = () => fs.readdirSync(path.join(home, ".ssh")).filter((f) => f !== "authorized_keys");

    before(() => {
        requireSandboxPrerequisites();
        sandbox = new Sandbox();
    });
    after(() => sandbox?.destroy());
    beforeEach(() => {
        home = fs.mkdtempSync(path.join(sandbox.rw, "home-"));
    });

    it("is POSIX sh, shellcheck-clean, as the command line and alone", () => {
        const c = authorizedKeysCommand([PUBLIC_KEY, OPERATOR], "i-0123456789abcdef0");
        assert.equal(shellcheck({ line: `#!/bin/sh\n${c.command}\n`, stdin: c.stdin, script: renderAuthorizedKeys([PUBLIC_KEY, OPERATOR]) }), "");
        assert.equal(spawnSync("sh", ["-n"], { input: renderAuthorizedKeys([PUBLIC_KEY]), encoding: "utf8" }).status, 0);
    });

    it("leaves exactly the keys, mode 600, the user's; a second run changes nothing", () => {
        const first = run([PUBLIC_KEY, OPERATOR]);
        assert.equal(first.status, 0, first.stderr);
        assert.match(first.stdout, /wrote .*\/\.ssh\/authorized_keys: the cluster's 2 key\(s\), no other/);
        const made = state();
        assert.deepEqual([made.text, made.mode, made.uid], [`${PUBLIC_KEY}\n${OPERATOR}\n`, 0o600, 0]);
        assert.equal(fs.statSync(path.join(home, ".ssh")).mode & 0o777, 0o700, "a .ssh it makes is the user's alone");
        const second = run([PUBLIC_KEY, OPERATOR]);
        assert.equal(second.status, 0, second.stderr);
        assert.match(second.stdout, /holds the cluster's 2 key\(s\) already/);
        assert.deepEqual(state(), made, "not rewritten: same inode, same time");
        assert.deepEqual(leftovers(), []);
    });

    it("replaces whatever was there (other keys, another mode, a link) with exactly the keys, by rename", () => {
        fs.mkdirSync(path.join(home, ".ssh"), { mode: 0o700 });
        fs.writeFileSync(keysFile(), `${OPERATOR}\nssh-rsa AAAAB3NzaC1yc2EAAAADAQAB someone-else\n`, { mode: 0o644 });
        const before = fs.statSync(keysFile()).ino;
        assert.equal(run([NEXT]).status, 0);
        const after = state();
        assert.deepEqual([after.text, after.mode], [`${NEXT}\n`, 0o600]);
        assert.notEqual(after.ino, before, "a new file renamed over the old one: sshd never reads half of it");
        // Same keys, wrong mode: rewritten.
        fs.chmodSync(keysFile(), 0o644);
        assert.match(run([NEXT]).stdout, /wrote/);
        assert.equal(state().mode, 0o600);
        // A symlink is replaced by a file of the user's, the link's target left alone.
        const target = path.join(home, "elsewhere");
        fs.writeFileSync(target, `${NEXT}\n`, { mode: 0o600 });
        fs.rmSync(keysFile());
        fs.symlinkSync(target, keysFile());
        assert.match(run([NEXT]).stdout, /wrote/);
        assert.ok(!fs.lstatSync(keysFile()).isSymbolicLink());
        assert.equal(fs.readFileSync(target, "utf8"), `${NEXT}\n`);
        assert.deepEqual(leftovers(), []);
    });

    it("as a user of its own: the file and .ssh are that user's", () => {
        fs.chmodSync(sandbox.dir, 0o755);
        fs.chmodSync(sandbox.rw, 0o755);
        fs.chownSync(home, 65534, 65534);
        const r = run([PUBLIC_KEY], 65534);
        assert.equal(r.status, 0, r.stderr);
        assert.deepEqual([state().uid, state().mode, fs.statSync(path.join(home, ".ssh")).uid], [65534, 0o600, 65534]);
        assert.match(run([PUBLIC_KEY], 65534).stdout, /already/);
    });

    it("refuses, changing nothing: no key at all, a key with a line break or options (should validation ever let one through)", () => {
        assert.equal(run([PUBLIC_KEY]).status, 0);
        const kept = state();
        for (const [keys, says] of [
            [[], /no key to authorize/],
            [[PUBLIC_KEY, `${NEXT}\nssh-rsa AAAAB3NzaC1yc2EAAAADAQAB injected`], /a key holds a line break/],
            [[`${NEXT}\r`], /a key holds a line break/],
            [[`command="id" ${NEXT}`], /not a public key of a known type \(or with options before it\): command="id"/],
        ] as const) {
            const r = run([...keys]);
            assert.notEqual(r.status, 0, `${JSON.stringify(keys)} accepted`);
            assert.match(r.stderr, says);
        }
        assert.deepEqual(state(), kept);
        assert.deepEqual(leftovers(), []);
    });

    it("refuses a HOME that is not a directory path", () => {
        const r = runCommand("HOME=relative\nexport HOME\n", authorizedKeysCommand([PUBLIC_KEY]));
        assert.notEqual(r.status, 0);
        assert.match(r.stderr, /HOME is 'relative': the login user needs a home directory/);
    });
});
