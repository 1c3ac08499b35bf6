// Copies every .sh file under src/ to the same place under the build's output folder (the
// compiled modules read their shell libraries from beside themselves). Node, not `cp --parents`:
// the build runs wherever npm does. Usage: node scripts/copy-shell.mjs OUTDIR
import { cpSync, readdirSync } from "node:fs";
import { join } from "node:path";

const out = process.argv[2];
if (!out) {
    console.error("usage: node scripts/copy-shell.mjs OUTDIR");
    process.exit(2);
}
for (const entry of readdirSync("src", { recursive: true, withFileTypes: true })) {
    if (entry.isFile() && entry.name.endsWith(".sh")) {
        const from = join(entry.parentPath ?? entry.path, entry.name);
        const to = join(out, from.slice("src/".length));
        cpSync(from, to, { force: true });
    }
}
