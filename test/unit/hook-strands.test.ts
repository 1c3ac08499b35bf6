/**
 * A director's drain hooks run at most HOOKS_AT_ONCE at a time (src/component/host-configuration.ts):
 * each waits for the one HOOKS_AT_ONCE places before it on the same director, so the engine's
 * deletes of a destroy come in that many strands, not all at once (bench part 2c: 1,000 at once do
 * not start on a small director).
 */
import { strict as assert } from "assert";
import { HOOKS_AT_ONCE } from "../../src/component/host-configuration";
import { validArgs } from "../support/fixtures";
import { deploy } from "../support/mocks";

describe("drain hooks: at most HOOKS_AT_ONCE of a director's at once", () => {
    it("each hook from the HOOKS_AT_ONCE-th on waits for the one HOOKS_AT_ONCE places before it, on its own director", async () => {
        const n = HOOKS_AT_ONCE + 8;
        const args = validArgs();
        args.hosts!.backupDirector = { address: "192.168.77.9" };
        args.hosts!.realServers = Array.from({ length: n }, (_, i) => ({ address: `192.168.77.${20 + i}` }));
        const d = await deploy(args, "big");
        for (const director of ["director", "director-1"]) {
            const hook = (i: number) => `big-rs-${i}-drain-${director}`;
            for (let i = 0; i < n; i++) {
                const deps = d.wired.get(hook(i))?.dependsOn ?? assert.fail(`${hook(i)} is not registered`);
                const hooks = deps.filter((x) => x.includes("-drain-"));
                assert.deepEqual(hooks, i >= HOOKS_AT_ONCE ? [hook(i - HOOKS_AT_ONCE)] : [], `${hook(i)} waits for ${hooks.join(", ")}`);
                assert.ok(deps.includes(`big-rs-${i}-setup`) && deps.includes(`big-${director}-rules`), `${hook(i)}: ${deps.join(", ")}`);
            }
        }
        // The longest chain of hooks, and so the engine's turns at a first apply: n / HOOKS_AT_ONCE, rounded up.
        assert.equal(Math.ceil(n / HOOKS_AT_ONCE), 2);
    });

    it("below HOOKS_AT_ONCE real servers, no hook waits for another", async () => {
        const d = await deploy(validArgs(), "small");
        for (const [name, w] of d.wired) {
            if (name.includes("-drain-")) {
                assert.deepEqual(w.dependsOn.filter((x) => x.includes("-drain-")), [], name);
            }
        }
    });
});
