/**
 * The component from another language, through the real engine: `pulumi package get-schema` asks
 * the package's plugin for its schema, and a YAML program deploys a cluster on the shared lab's
 * VMs (the `hosts` platform: the director and real servers a and b, clean after the checks before
 * it). The engine runs the YAML language host, which asks the `lvs-dr` plugin to construct the
 * component (its `construct`); the component registers its children as in a TypeScript program.
 * scripts/pulumi-toolchain provides the YAML language host and the plugin's launcher
 * (lab/component-provider), which stands in for what the nodejs language host does for a source
 * package with a normal Pulumi install.
 */
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ComponentProvider, getPulumiComponents } from "@pulumi/pulumi/provider/experimental/provider";
import { requestsTo, sharedLab, VIP } from "../../lab/harness/lab";
import { changes, requireToolchain, Stack } from "../../lab/harness/stack";
import * as lvsdr from "../../src";

const REPO = path.resolve(__dirname, "../../..");
const CLUSTER = "lvsdr-yaml";
const REAL_SERVERS = ["a", "b"];

/** The YAML program: the component on the lab's existing VMs, its key from the stack's secret config. */
function program(addresses: { director: string; realServers: string[] }): string {
    return [
        `name: ${CLUSTER}`,
        "runtime: yaml",
        "config:",
        "  sshPrivateKey:",
        "    type: string",
        "    secret: true",
        "resources:",
        "  cluster:",
        "    type: lvs-dr:index:LvsDrCluster",
        "    properties:",
        `      vip: ${VIP}`,
        "      services:",
        "        - port: 80",
        "          scheduler: rr",
        "      ssh:",
        "        user: root",
        "        privateKey: ${sshPrivateKey}",
        "      hosts:",
        "        subnet: 192.168.77.0/24",
        "        director:",
        `          address: ${addresses.director}`,
        "        realServers:",
        ...REAL_SERVERS.flatMap((rs, i) => [`          - name: ${rs}`, `            address: ${addresses.realServers[i]}`]),
        "outputs:",
        "  ipvsTable: ${cluster.ipvsTable}",
        "  realServerAddresses: ${cluster.realServerAddresses}",
        "",
    ].join("\n");
}

describe("VM lab: the component from a YAML program, through the engine", function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lvsdr-yaml-"));
    const stack = new Stack("yaml", dir);

    after(async () => {
        if (fs.existsSync(path.join(dir, "Pulumi.yaml"))) {
            await stack.reset();
        }
        stack.cleanup();
        fs.rmSync(dir, { recursive: true, force: true });
    });

    it("pulumi package get-schema <the plugin>: the engine gets from the package's plugin the schema the package describes", async () => {
        requireToolchain();
        // The plugin by its path (a name alone would be looked up in Pulumi's registry first); run
        // outside the repository, whose root is both a project and a plugin.
        const plugin = path.join(process.env.LVSDR_TOOLS_DIR ?? path.join(REPO, ".tools"), "bin", "pulumi-resource-lvs-dr");
        const r = spawnSync("node", [path.join(REPO, "build/lab/pulumi.js"), "package", "get-schema", plugin, "--cwd", dir],
            { cwd: REPO, encoding: "utf8", maxBuffer: 64 << 20 });
        assert.equal(r.status, 0, `pulumi package get-schema ${plugin} failed:\n${r.stderr}`);
        const fromEngine = JSON.parse(r.stdout) as { resources: Record<string, { isComponent?: boolean }>; types: unknown };
        const own = JSON.parse(await new ComponentProvider({ name: "lvs-dr", dirname: REPO, components: getPulumiComponents(lvsdr) }).getSchema()) as typeof fromEngine;
        assert.equal(fromEngine.resources["lvs-dr:index:LvsDrCluster"]?.isComponent, true, "the engine's schema has no LvsDrCluster component");
        // The engine writes the schema back in its own form: without the analyzer's `optional`
        // (required lists say it) and without empty `required` lists.
        const normal = (s: typeof own): unknown => JSON.parse(JSON.stringify({ resources: s.resources, types: s.types },
            (k, v: unknown) => (k === "optional" || (k === "required" && Array.isArray(v) && v.length === 0) ? undefined : v)));
        assert.deepEqual(normal(fromEngine), normal(own), "the schema the engine got differs from the package's own");
    });

    it("a YAML program deploys the cluster: up serves the VIP from every real server, a second preview plans nothing, destroy leaves the hosts as they were", async () => {
        requireToolchain();
        const lab = await sharedLab();
        fs.writeFileSync(path.join(dir, "Pulumi.yaml"), program({ director: lab.address("director"), realServers: REAL_SERVERS.map((rs) => lab.address(rs)) }));
        await stack.reset();
        await stack.must(["stack", "init"], false);
        await stack.must(["config", "set", "--secret", "sshPrivateKey"], false, fs.readFileSync(lab.key, "utf8"));
        const before = REAL_SERVERS.map((rs) => lab.mustSsh(rs, "ip -o addr show dev lo; sysctl -n net.ipv4.conf.all.arp_ignore"));

        await stack.apply("up");
        assert.deepEqual(await stack.output("realServerAddresses"), REAL_SERVERS.map((rs) => lab.address(rs)));
        assert.match(String(await stack.output("ipvsTable")), new RegExp(`TCP +${VIP.replace(/\./g, "\\.")}:80 rr`));
        const answers = requestsTo(VIP, 8);
        assert.deepEqual([...new Set(answers)].sort(), REAL_SERVERS.map((rs) => `lvsdr-lab-rs-${rs}`), `answers: ${answers.join(" ")}`);
        assert.deepEqual(changes(await stack.preview()), [], "a second preview plans changes");

        await stack.apply("destroy");
        assert.doesNotMatch(lab.mustSsh("director", "ip -o addr show; ipvsadm -Sn"), new RegExp(`${VIP.replace(/\./g, "\\.")}`), "the VIP is still on the director");
        assert.deepEqual(REAL_SERVERS.map((rs) => lab.mustSsh(rs, "ip -o addr show dev lo; sysctl -n net.ipv4.conf.all.arp_ignore")), before,
            "a real server is not as it was before the cluster");
    });
});
