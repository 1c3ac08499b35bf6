/**
 * The repository's own shell is held to shellcheck as written: the bash scripts of the lab, the
 * toolchain and CI (following what they source), and the host scripts' libraries on their own
 * (src/core/scripts/sh, POSIX sh), not only the scripts the component renders from them.
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

    const libraries = fs.readdirSync(path.join(REPO, "src/core/scripts/sh")).filter((f) => f.endsWith(".sh"))
        .map((f) => `src/core/scripts/sh/${f}`);

    it("are found", () => {
        assert.ok(scripts.includes("lab/lab.sh") && scripts.includes("lab/demo.sh") && scripts.includes("lab/common.sh"), scripts.join(" "));
        assert.ok(libraries.includes("src/core/scripts/sh/common.sh") && libraries.includes("src/core/scripts/sh/ipvs.sh"), libraries.join(" "));
    });

    const shellcheck = (args: string[]) => {
        const r = spawnSync("shellcheck", ["-f", "gcc", ...args], { cwd: REPO, encoding: "utf8" });
        assert.ifError(r.error ? new Error(`shellcheck could not be run (${r.error.message}): apt-get install shellcheck`) : null);
        assert.equal(r.status, 0, r.stdout + r.stderr);
    };

    it("the bash scripts are shellcheck-clean", () => {
        shellcheck(["-x", ...scripts]);
    });

    it("the host scripts' libraries are shellcheck-clean on their own, as POSIX sh", () => {
        shellcheck(["-s", "sh", ...libraries]);
    });
});
