/** What validation says of a set of arguments: the one helper every validation test uses. */
import { strict as assert } from "assert";
import type { LvsDrClusterArgs } from "../../src/args";
import { LvsDrArgsError, validateClusterArgs } from "../../src/component/validate";
import { validArgs } from "./fixtures";

/* eslint-disable @typescript-eslint/no-explicit-any -- the cases build deliberately ill-typed input */
/** Arguments as a test mutates them: any shape, on purpose. */
export type Loose = Record<string, any>;
/* eslint-enable @typescript-eslint/no-explicit-any */

/**
 * `base()` changed by `mutate`, validated (as the component named `name`): the error that refuses
 * it, or undefined when it is accepted. Any other exception fails the test.
 */
export function refusal<A extends object = LvsDrClusterArgs>(
    mutate: (args: A) => void, base: () => LvsDrClusterArgs = validArgs, name?: string,
): LvsDrArgsError | undefined {
    const args = base() as unknown as A;
    mutate(args);
    try {
        validateClusterArgs(args as LvsDrClusterArgs, name);
    } catch (e) {
        assert.ok(e instanceof LvsDrArgsError, `expected LvsDrArgsError, got ${String(e)}`);
        return e;
    }
    return undefined;
}

/** The refusal's problems as `field: problem` lines; [] when the arguments are accepted. */
export function problems<A extends object = LvsDrClusterArgs>(mutate: (args: A) => void, base: () => LvsDrClusterArgs = validArgs): string[] {
    return refusal(mutate, base)?.problems.map((p) => `${p.field}: ${p.problem}`) ?? [];
}
