/**
 * The repository's own bash scripts (lab, toolchain, CI) are held to shellcheck too, as written
 * (bash, with their shebangs), not only the host scripts the component generates.
 */
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

const REPO = path.resolve(__dirname, "../../..");

describe("the repository's own shell scripts", function () {
    this.timeout(60000);
    const scripts = [
        ...fs.readdirSync(path.join(REPO, "lab")).filter((f) => f.endsWith(".sh")).map((f) => `lab/${f}`),
        "scripts/pulumi-toolchain",
        ".ci/run",
    ];

    it("are found", () => {
        assert.ok(scripts.includes("lab/lab.sh") && scripts.includes("lab/demo.sh"), scripts.join(" "));
    });

    it("are shellcheck-clean", () => {
        const r = spawnSync("shellcheck", ["-f", "gcc", ...scripts], { cwd: REPO, encoding: "utf8" });
        assert.ifError(r.error ? new Error(`shellcheck could not be run (${r.error.message}): apt-get install shellcheck`) : null);
        assert.equal(r.status, 0, r.stdout + r.stderr);
    });
});
