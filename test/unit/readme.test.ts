/**
 * The README is for a user: its first screen gets them running, and its arguments reference is
 * generated from the package schema (test/support/args-reference.ts), not kept by hand. This holds
 * the generated texts (the README's block and docs/arguments.md) to what the schema says now, and
 * the README to its size.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { ARGUMENTS_DOC, argumentsReference, README, readmeBlock, REGENERATE, REPO } from "../support/args-reference";

describe("README", function () {
    // The schema comes from the SDK's analyzer, which type-checks the package: seconds, not milliseconds.
    this.timeout(120000);
    const readme = fs.readFileSync(README, "utf8");
    let generated: { document: string; readmeBlock: string };

    before(async () => {
        generated = await argumentsReference();
    });

    it("is at most 400 lines, with ## Install in the first 60", () => {
        const lines = readme.split("\n");
        assert.ok(lines.length <= 400, `README.md has ${lines.length} lines: history belongs in CHANGELOG.md, detail in DEVELOPMENT.md or docs/`);
        const install = lines.findIndex((l) => l.trim() === "## Install");
        assert.ok(install >= 0 && install < 60, `"## Install" is at line ${install + 1} of README.md, not within the first 60`);
    });

    it("carries the arguments summary generated from the package schema", () => {
        const block = readmeBlock(readme);
        assert.ok(block !== undefined, "README.md has no <!-- args:begin --> ... <!-- args:end --> block");
        assert.ok(block === generated.readmeBlock,
            `README.md's arguments block differs from the package schema: run ${REGENERATE}`);
    });

    it("links docs/arguments.md, which is the reference generated from the package schema", () => {
        assert.ok(readme.includes("](docs/arguments.md)"), "README.md does not link docs/arguments.md");
        const rel = path.relative(REPO, ARGUMENTS_DOC);
        assert.ok(fs.existsSync(ARGUMENTS_DOC), `${rel} is missing: run ${REGENERATE}`);
        assert.ok(fs.readFileSync(ARGUMENTS_DOC, "utf8") === generated.document,
            `${rel} differs from the package schema: run ${REGENERATE}`);
    });

    it("documents every input of the component, at every level", () => {
        for (const field of ["vip", "vip6", "services", "forwarding", "ssh", "vrrp", "drainSeconds", "hosts", "libvirt", "aws",
            "healthCheck", "failureAction", "requireReply", "fwmark", "backupDirector", "address6", "subnetId", "adminCidrs"]) {
            assert.ok(generated.document.includes(`| \`${field}\` |`), `docs/arguments.md has no row for ${field}`);
        }
        assert.ok(!/\[object Object\]|undocumented/.test(generated.document), "a description is missing or garbled in docs/arguments.md");
    });
});
