/**
 * `@pulumi/aws` is an optional peer dependency: importing lvs-dr does not load it (test:consumer
 * proves that with a project that lacks it), and the aws platform names it when it is missing.
 */
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import { AWS_MISSING, loadAwsHosts } from "../../src/platforms/aws";

const missing = (id: string) => Object.assign(new Error(`Cannot find module '${id}'\nRequire stack:\n- /x/hosts.js`), { code: "MODULE_NOT_FOUND" });

describe("aws platform: @pulumi/aws is optional", () => {
    it("says which package to install when @pulumi/aws is missing", () => {
        assert.throws(() => loadAwsHosts(() => { throw missing("@pulumi/aws"); }), (e: Error) => e.message === `lvs-dr: ${AWS_MISSING}`);
        assert.match(AWS_MISSING, /npm install @pulumi\/aws@\^7\.48\.0/);
    });

    it("lets any other failure through as it is", () => {
        assert.throws(() => loadAwsHosts(() => { throw missing("./something-else"); }), /Cannot find module '\.\/something-else'/);
        assert.throws(() => loadAwsHosts(() => { throw new TypeError("boom"); }), TypeError);
    });

    it("loads the hosts half when it is installed", () => {
        assert.equal(typeof loadAwsHosts(), "function");
    });

    it("importing lvs-dr does not load @pulumi/aws", () => {
        const loaded = Object.keys(require.cache).some((k) => k.includes("/node_modules/@pulumi/aws/"));
        // Other unit tests deploy on aws in the same process: check in a fresh one.
        const r = spawnSync(process.execPath, ["-e",
            `require(${JSON.stringify(require.resolve("../../src"))}); process.stdout.write(String(Object.keys(require.cache).some((k) => k.includes("/node_modules/@pulumi/aws/"))))`],
        { encoding: "utf8" });
        assert.equal(r.stdout, "false", `${r.stderr} (in this process: ${loaded})`);
    });
});
