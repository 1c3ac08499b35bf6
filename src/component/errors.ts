/**
 * How the component refuses its arguments: as Pulumi's input-property error, one entry per
 * problem with its property path, which the engine shows per property in every language (a
 * program in YAML or Python reaches the component through the provider's `construct`, whose server
 * turns this error into the engine's per-property report). In a TypeScript program the same error
 * is thrown from the constructor; its message lists every problem, and it carries no stack: the
 * frames would be lvs-dr's own validators, and the message already names each field and its fix.
 */
import * as pulumi from "@pulumi/pulumi";
import { type ArgsProblem, describeProblem, describeProblems } from "../core/validation/checker";

/**
 * Thrown by the constructor (and by `validateClusterArgs`) for invalid arguments, before any
 * resource is registered. Lists every problem found, not only the first, so one `pulumi preview`
 * shows everything to fix. A `pulumi.InputPropertiesError`: `errors` has one `{ propertyPath,
 * reason }` per problem; `problems` has them as fields, values, problems and fixes.
 */
export class LvsDrArgsError extends pulumi.InputPropertiesError {
    declare readonly problems: ArgsProblem[];

    constructor(problems: ArgsProblem[]) {
        super({
            message: describeProblems(problems),
            errors: problems.map((p) => ({ propertyPath: p.field, reason: describeProblem(p) })),
        });
        this.name = "LvsDrArgsError";
        // Not enumerable: whatever prints the error shows its message, not a dump of the list.
        Object.defineProperty(this, "problems", { value: problems, enumerable: false });
        Object.defineProperty(this, "errors", { value: this.errors, enumerable: false });
        this.stack = undefined;
    }
}
