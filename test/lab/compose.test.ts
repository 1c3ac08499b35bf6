/**
 * A cluster on existing machines that another resource of the program makes, through the real
 * engine: the root project's `composed` mode gives the `hosts` platform each host's address as a
 * resource's output (program/machine.ts), unknown until that resource is created. On the shared
 * lab's VMs (clean after the lab checks): the director and real servers a, b, c.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import { requestsTo, sharedLab, VIP } from "../../lab/harness/lab";
import { changes, requireToolchain, Stack } from "../../lab/harness/stack";

const CLUSTER = "lvsdr-compose";
const REAL_SERVERS = ["a", "b", "c"];

describe("VM lab: existing machines made by other resources, their addresses Outputs, through the engine", function () {
    const stack = new Stack("compose");

    after(async () => {
        await stack.reset();
        stack.cleanup();
    });

    it("a first preview plans every resource with the addresses unknown; up serves the VIP from every real server; destroy leaves the hosts as they were", async () => {
        requireToolchain();
        const lab = await sharedLab();
        await stack.reset();
        await stack.must(["stack", "init"], false);
        await stack.must(["config", "set", "--secret", "sshPrivateKey"], false, fs.readFileSync(lab.key, "utf8"));
        const config: [string, string][] = [
            ["clusterName", CLUSTER], ["vip", VIP], ["scheduler", "rr"], ["composed", "true"],
            ["hosts.subnet", "192.168.77.0/24"], ["hosts.director.address", lab.address("director")],
            ...REAL_SERVERS.flatMap((rs, i): [string, string][] => [
                [`hosts.realServers[${i}].name`, rs], [`hosts.realServers[${i}].address`, lab.address(rs)],
            ]),
        ];
        for (const [k, v] of config) {
            await stack.must(["config", "set", "--path", k, v], false);
        }
        const before = REAL_SERVERS.map((rs) => lab.mustSsh(rs, "ip -o addr show dev lo; sysctl -n net.ipv4.conf.all.arp_ignore"));

        const planned = changes(await stack.preview());
        const commands = ["director-setup", "director-rules", ...REAL_SERVERS.flatMap((rs) => [`rs-${rs}-setup`, `rs-${rs}-drain-director`])];
        const machines = ["director", ...REAL_SERVERS.map((rs) => `rs-${rs}`)].map((m) => `${CLUSTER}-${m}-machine`);
        // Left out: the stack and the default providers (named "default…").
        assert.deepEqual(planned.filter((c) => !/ (lvs-dr-compose|default.*)$/.test(c)), [
            `create ${CLUSTER}`, ...machines.map((m) => `create ${m}`), ...commands.map((c) => `create ${CLUSTER}-${c}`),
        ].sort());

        await stack.apply("up");
        assert.deepEqual(await stack.output("realServerAddresses"), REAL_SERVERS.map((rs) => lab.address(rs)));
        const answers = requestsTo(VIP, 12);
        assert.deepEqual([...new Set(answers)].sort(), REAL_SERVERS.map((rs) => `lvsdr-lab-rs-${rs}`), `answers: ${answers.join(" ")}`);
        const again = changes(await stack.preview());
        assert.deepEqual(again, [], "a second preview plans changes");

        await stack.apply("destroy");
        assert.doesNotMatch(lab.mustSsh("director", "ip -o addr show"), new RegExp(` ${VIP.replace(/\./g, "\\.")}/`), "the VIP is still on the director");
        assert.deepEqual(REAL_SERVERS.map((rs) => lab.mustSsh(rs, "ip -o addr show dev lo; sysctl -n net.ipv4.conf.all.arp_ignore")), before,
            "a real server is not as it was before the cluster");
    });
});
