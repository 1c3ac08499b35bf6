// Removes a build's output folder before the build, so that what `npm pack` ships (dist/) holds
// only what the current sources compile to: no module left from a file since renamed or removed.
// Node, not `rm -rf`: the build runs wherever npm does. Usage: node scripts/clean.mjs OUTDIR
import { rmSync } from "node:fs";

const out = process.argv[2];
if (!out) {
    console.error("usage: node scripts/clean.mjs OUTDIR");
    process.exit(2);
}
rmSync(out, { recursive: true, force: true });
