/**
 * The component's wiring under Pulumi mocks: which resources it registers, their parents, the
 * order they depend on, the exact command texts, and what happens to the SSH key.
 */
import { strict as assert } from "assert";
import { FAKE_KEY, validArgs } from "../support/fixtures";
import {
    byName, clearRegistered, deploy, IPVS_TABLE, isSecret, lvsdr, resolve, reveal,
} from "../support/mocks";

const { LvsDrCluster, LvsDrArgsError } = lvsdr;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const scripts = require("../../src/core/scripts/realserver") as typeof import("../../src/core/scripts/realserver");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const director = require("../../src/core/scripts/director") as typeof import("../../src/core/scripts/director");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { hostScript, loaderLine } = require("../../src/core/scripts/render") as typeof import("../../src/core/scripts/render");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const hooks = require("../../src/core/scripts/drain-hook") as typeof import("../../src/core/scripts/drain-hook");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { validateClusterArgs } = require("../../src/component/validate") as typeof import("../../src/component/validate");

describe("LvsDrCluster (mocked engine)", () => {
    it("registers the component and one command per role, named <cluster>-<role>", async () => {
        const { resources } = await deploy(validArgs());
        assert.deepEqual(resources.map((r) => `${r.type} ${r.name}`).sort(), [
            "command:remote:Command web-director-rules",
            "command:remote:Command web-director-setup",
            "command:remote:Command web-rs-0-drain-director",
            "command:remote:Command web-rs-0-setup",
            "command:remote:Command web-rs-1-drain-director",
            "command:remote:Command web-rs-1-setup",
            "lvs-dr:index:LvsDrCluster web",
        ]);
        assert.equal(byName(resources, "web").custom, false);
    });

    it("parents every child on the component and orders rules after every setup", async () => {
        const { wired } = await deploy(validArgs());
        for (const name of ["web-rs-0-setup", "web-rs-1-setup", "web-director-setup", "web-director-rules", "web-rs-0-drain-director"]) {
            assert.equal(wired.get(name)?.parent, "web", `${name} is not parented on the component`);
        }
        assert.deepEqual(wired.get("web-director-rules")!.dependsOn.sort(),
            ["web-director-setup", "web-rs-0-setup", "web-rs-1-setup"]);
        assert.deepEqual(wired.get("web-rs-0-setup")!.dependsOn, []);
        // A drain hook edits the director's table: after the rules, and deleted before its real
        // server's setup (the engine deletes dependents first).
        assert.deepEqual(wired.get("web-rs-1-drain-director")!.dependsOn.sort(), ["web-director-rules", "web-rs-1-setup"]);
        // Host setups and drain hooks are undone before being done again, and replaced only through
        // triggers (the provider replaces on triggers[*]); a changed script alone re-runs in place.
        for (const name of ["web-rs-0-setup", "web-director-setup", "web-rs-0-drain-director"]) {
            assert.equal(wired.get(name)!.deleteBeforeReplace, true, name);
            assert.deepEqual(wired.get(name)!.replaceOnChanges, ["triggers[*]"], name);
        }
        assert.equal(wired.get("web-director-rules")!.deleteBeforeReplace, undefined, "rules are updated in place");
    });

    it("runs exactly the rendered scripts, through sudo for a non-root user", async () => {
        const args = validArgs();
        args.ssh.user = "debian";
        const plan = validateClusterArgs(args, "web");
        const d = plan.directors[0];
        const { resources } = await deploy(args);
        const cmd = (name: string) => byName(resources, name).inputs;
        // Each command: the loader lines with sudo, and on stdin both rendered scripts, exactly.
        const runs = (name: string, label: string, create: string, del: string) => {
            assert.equal(cmd(name).create, loaderLine(label, "create", true), name);
            assert.equal(cmd(name).delete, loaderLine(label, "delete", true), name);
            assert.equal(cmd(name).stdin, hostScript(label, { create, delete: del }), name);
        };
        runs("web-rs-1-setup", "lvs-dr web-rs-1-setup",
            scripts.renderRealServerSetup(plan, plan.realServers[1]), scripts.renderRealServerTeardown(plan, plan.realServers[1]));
        runs("web-director-setup", "lvs-dr web-director-setup", director.renderDirectorSetup(plan, d), director.renderDirectorTeardown(plan, d));
        runs("web-director-rules", "lvs-dr web-director-rules", director.renderDirectorRules(plan, d), director.renderDirectorRulesRemoval(plan, d));
        runs("web-rs-1-drain-director", "lvs-dr web-rs-1-drain-director",
            hooks.renderReleaseRealServer(plan, d, plan.realServers[1]), hooks.renderHoldRealServer(plan, d, plan.realServers[1]));
        assert.ok(String(cmd("web-director-rules").create).startsWith("sudo -n sh -c 'f=$(mktemp)"));
        assert.ok(String(cmd("web-director-rules").create).length < 300, "the command line is short: the script is on stdin");
    });

    it("replaces a host setup only when the VIP, interface or forwarding changes; a drain hook also when its real server does", async () => {
        const { resources } = await deploy(validArgs());
        assert.deepEqual(byName(resources, "web-rs-1-setup").inputs.triggers, ["192.168.77.100", "dr", "eth0"]);
        assert.deepEqual(byName(resources, "web-director-setup").inputs.triggers, ["192.168.77.100", "eth0"]);
        assert.equal(byName(resources, "web-director-rules").inputs.triggers, undefined);
        // Existing hosts: no machine ID (see the platforms' tests for created machines).
        assert.deepEqual(byName(resources, "web-rs-1-drain-director").inputs.triggers, ["192.168.77.100", "dr", "eth0", "192.168.77.12"]);
    });

    it("connects to each host with its own settings", async () => {
        const args = validArgs();
        args.hosts!.realServers[1].ssh = {
            host: "rs1.mgmt.example.org", port: 2201, user: "admin",
            hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB", privateKey: "other-key",
        };
        const { resources } = await deploy(args);
        const conn = (name: string) => reveal(byName(resources, name).inputs.connection) as Record<string, unknown>;
        assert.deepEqual(conn("web-rs-0-setup"), {
            host: "192.168.77.11", port: 22, user: "root", privateKey: FAKE_KEY, dialErrorLimit: 10, perDialTimeout: 15,
        });
        assert.equal(conn("web-rs-1-setup").privateKey, "other-key");
        assert.equal(conn("web-rs-1-setup").host, "rs1.mgmt.example.org");
        assert.equal(conn("web-rs-1-setup").port, 2201);
        assert.equal(conn("web-rs-1-setup").user, "admin");
        assert.equal(conn("web-rs-1-setup").hostKey, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB");
        assert.equal(conn("web-director-rules").host, "192.168.77.10");
        assert.equal(conn("web-rs-1-drain-director").host, "192.168.77.10", "a drain hook runs on its director");
    });

    it("keeps the SSH key secret in every connection; the component records no inputs (no diff, no key copy)", async () => {
        const { resources } = await deploy(validArgs());
        // A value is safe when it only occurs inside a secret envelope (stored encrypted).
        const plainText = (v: unknown): string => JSON.stringify(v, (_k, x: unknown) => (isSecret(x) ? "(secret)" : x));
        assert.equal(resources.length, 7);
        const component = resources.filter((r) => !r.custom);
        assert.deepEqual(component.map((r) => [r.type, r.inputs]), [["lvs-dr:index:LvsDrCluster", {}]]);
        for (const r of resources.filter((x) => x.custom)) {
            assert.ok(JSON.stringify(reveal(r.inputs)).includes("do-not-leak"), `${r.name}: the key should be in the inputs`);
            assert.ok(!plainText(r.inputs).includes("do-not-leak"), `${r.name}: the key is stored in plain text: ${plainText(r.inputs)}`);
        }
    });

    it("exposes the VIP, the addresses and the director's IPVS table", async () => {
        const { cluster } = await deploy(validArgs());
        assert.equal(await resolve(cluster.vip), "192.168.77.100");
        assert.equal(await resolve(cluster.directorAddress), "192.168.77.10");
        assert.deepEqual(await resolve(cluster.realServerAddresses), ["192.168.77.11", "192.168.77.12"]);
        assert.equal(await resolve(cluster.ipvsTable), IPVS_TABLE);
    });

    it("refuses bad arguments before registering anything", () => {
        const registered = clearRegistered();
        const args = validArgs();
        args.hosts!.realServers[0].interface = "eth0; reboot";
        assert.throws(() => new LvsDrCluster("bad", args), LvsDrArgsError);
        assert.deepEqual(registered, []);
    });

    it("refuses a director's table over what its scripts can pass before registering anything (1,500 real servers x 2 services)", () => {
        const registered = clearRegistered();
        const args = validArgs();
        args.services = [{ port: 80 }, { port: 443 }];
        args.hosts!.subnet = "10.20.0.0/16";
        args.vip = "10.20.255.100";
        args.hosts!.director = { address: "10.20.255.10" };
        args.hosts!.realServers = Array.from({ length: 1500 }, (_, i) => ({ address: `10.20.${Math.floor(i / 250)}.${(i % 250) + 1}`, name: `rs${i}` }));
        assert.throws(() => new LvsDrCluster("big", args), (e: unknown) => e instanceof LvsDrArgsError && /hosts\.realServers = .*make a director's table/.test(e.message));
        assert.deepEqual(registered, []);
    });

    it("keeps unchanged servers' commands identical when a server is added or a weight changes", async () => {
        const base = validArgs();
        const before = (await deploy(base)).resources;
        const scaled = validArgs();
        scaled.hosts!.realServers.push({ address: "192.168.77.13" });
        scaled.hosts!.realServers[1].weight = 5;
        const after = (await deploy(scaled)).resources;
        for (const name of ["web-rs-0-setup", "web-rs-1-setup", "web-director-setup", "web-rs-0-drain-director", "web-rs-1-drain-director"]) {
            assert.equal(byName(after, name).inputs.create, byName(before, name).inputs.create, `${name} changed`);
            assert.equal(byName(after, name).inputs.delete, byName(before, name).inputs.delete, `${name} changed`);
            assert.equal(byName(after, name).inputs.stdin, byName(before, name).inputs.stdin, `${name} changed`);
        }
        assert.notEqual(byName(after, "web-director-rules").inputs.stdin, byName(before, "web-director-rules").inputs.stdin);
        assert.ok(byName(after, "web-rs-2-setup"));
    });
});
