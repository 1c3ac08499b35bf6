import { strict as assert } from "assert";
import { readFileSync } from "fs";
import * as path from "path";
import { ESLint } from "eslint";

const REPO = path.resolve(__dirname, "..", "..", "..");

/** An import that points the wrong way, placed in a real file of the layer it starts from. */
const UPWARD: { file: string; from: string; says: RegExp }[] = [
    { file: "src/core/modes/single.ts", from: "../../platforms", says: /the core knows no platform/ },
    { file: "src/core/plan.ts", from: "../component/cluster", says: /the core does not import the component/ },
    { file: "src/platforms/hosts/hosts.ts", from: "../../component/cluster", says: /a platform does not import the component/ },
    { file: "bench/run.ts", from: "../test/support/fixtures", says: /do not import the tests/ },
    { file: "lab/harness/lab.ts", from: "../../test/support/fixtures", says: /do not import the tests/ },
];

describe("layers (npm run lint)", function () {
    // One type-checked ESLint program for every case: tens of seconds on a loaded machine.
    this.timeout(180000);

    it("refuses an import that points up a layer, and passes the files as they are", async () => {
        const eslint = new ESLint({ cwd: REPO });
        for (const { file, from, says } of UPWARD) {
            const filePath = path.join(REPO, file);
            const text = readFileSync(filePath, "utf8");
            const [clean] = await eslint.lintText(text, { filePath });
            assert.deepEqual(clean.messages.map((m) => m.message), [], `${file} as it is`);
            const [upward] = await eslint.lintText(`${text}import * as upward from "${from}";\nexport const UPWARD = upward;\n`, { filePath });
            const found = upward.messages.filter((m) => m.ruleId === "@typescript-eslint/no-restricted-imports");
            assert.equal(found.length, 1, `${file} importing ${from}: ${JSON.stringify(upward.messages.map((m) => m.message))}`);
            assert.match(found[0].message, says);
        }
    });
});
