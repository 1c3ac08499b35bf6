import { strict as assert } from "assert";
import { existsSync, mkdirSync, writeFileSync } from "fs";
import * as path from "path";
import { MANIFEST, readManifest, renderedFiles, sha256 } from "../support/snapshot";

/** At most 20 names, and how many more. */
function list(names: string[]): string {
    return names.length === 0 ? "none" : `${names.length}: ${names.slice(0, 20).join(", ")}${names.length > 20 ? ", ..." : ""}`;
}

describe("rendered files snapshot", () => {
    it("every rendered script, keepalived file and VM seed is byte-identical to test/snapshots/rendered.sha256", () => {
        assert.ok(existsSync(MANIFEST), `${MANIFEST} is missing: write it with node build/test/support/snapshot.js --update`);
        const files = renderedFiles();
        const manifest = readManifest();
        const changed = [...files].filter(([name, text]) => manifest.has(name) && manifest.get(name) !== sha256(text)).map(([n]) => n);
        const added = [...files.keys()].filter((n) => !manifest.has(n));
        const removed = [...manifest.keys()].filter((n) => !files.has(n));
        if (changed.length + added.length + removed.length > 0) {
            // The texts as rendered now, to diff against a render of the commit before the change.
            const dir = path.join(__dirname, "..", "..", "snapshot");
            for (const name of [...changed, ...added]) {
                mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
                writeFileSync(path.join(dir, name), files.get(name)!);
            }
            assert.fail(`rendered files differ from the snapshot (written to ${dir}; accept on purpose with ` +
                `node build/test/support/snapshot.js --update):\nchanged: ${list(changed)}\nadded: ${list(added)}\nremoved: ${list(removed)}`);
        }
        assert.ok(files.size > 500, `the snapshot covers the whole matrix (${files.size} files)`);
    });
});
