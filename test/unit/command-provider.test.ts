/**
 * The lab's stand-in for pulumi-resource-command (lab/command-provider): the decisions it makes
 * without a host. Its SSH path runs against real VMs in test/e2e.
 */
import { strict as assert } from "assert";
import { provider } from "../../lab/command-provider/provider";

const URN = "urn:pulumi:e2e::lvs-dr::lvs-dr:index:LvsDrCluster$command:remote:Command::web-rs-0-setup";
const SIG = "4dabf18193072939515e22adb298388d";
const secret = (value: unknown) => ({ [SIG]: "1b47061264138c4ac30d75fd1eb44270", value });
// Port 1 on loopback refuses at once: a dial that fails without leaving the machine.
const closed = { host: "127.0.0.1", port: 1, user: "root", privateKey: "k", perDialTimeout: 2 };

describe("lab command provider (stand-in for pulumi-resource-command)", function () {
    this.timeout(30000);
    const inputs = { connection: secret(closed), create: "echo hi", delete: "echo bye", triggers: ["192.168.77.100"] };

    it("implements only command:remote:Command", async () => {
        await assert.rejects(provider.check!(URN.replace("remote", "local"), {}, inputs), /only command:remote:Command/);
        assert.deepEqual(await provider.check!(URN, {}, inputs), { inputs });
    });

    it("diffs: nothing when only the secret wrapping differs, an update for a command, a replacement for triggers", async () => {
        const state = { ...inputs, stdout: "hi", stderr: "" };
        assert.deepEqual(await provider.diff!("id", URN, state, { ...inputs, connection: closed }), { changes: false, replaces: [] });
        assert.deepEqual(await provider.diff!("id", URN, state, { ...inputs, create: "echo other" }), { changes: true, replaces: [] });
        assert.deepEqual(await provider.diff!("id", URN, state, { ...inputs, triggers: ["192.168.77.101"] }), { changes: true, replaces: ["triggers"] });
    });

    it("creates without a create command: no SSH, empty outputs, the connection kept secret", async () => {
        const r = await provider.create!(URN, { connection: closed, delete: "x" });
        assert.match(r.id, /^web-rs-0-setup[0-9a-f]{8}$/);
        assert.deepEqual(r.outs, { connection: secret(closed), delete: "x", stdout: "", stderr: "" });
    });

    it("refuses what it does not implement, before dialing", async () => {
        await assert.rejects(provider.create!(URN, { ...inputs, connection: { ...closed, password: "p" } }), /connection\.password/);
        await assert.rejects(provider.create!(URN, { ...inputs, environment: { A: "1" } }), /does not support environment/);
    });

    it("retries a failing dial dialErrorLimit times, then fails naming the host", async () => {
        const started = Date.now();
        await assert.rejects(provider.create!(URN, { ...inputs, connection: { ...closed, dialErrorLimit: 1 } }), /Dial root@127\.0\.0\.1:1 failed 2 times/);
        assert.ok(Date.now() - started >= 1000, "the retry should wait before dialing again");
        await assert.rejects(provider.delete!("id", URN, { ...inputs, connection: { ...closed, dialErrorLimit: 0 } }), /failed 1 times/);
    });
});
