/**
 * Runs the consumer project's program (./index) under Pulumi's mocks, with the project's own
 * @pulumi/pulumi, and writes to the file named by its first argument, as one JSON document, every
 * resource it registered (type, name, parent, whether it is an instance of this SDK's
 * ComponentResource / CustomResource), the stack's outputs and where lvs-dr and this program resolve
 * @pulumi/pulumi (one SDK copy: the same file). A file, not stdout: under mocks the component's
 * log lines (its summary, its warnings) go to stdout. test/consumer/install.test.ts asserts on both.
 */
import * as fs from "fs";
import * as pulumi from "@pulumi/pulumi";

interface Registered {
    type: string;
    name: string;
    parent?: string;
    component: boolean;
    custom: boolean;
}

const registered: Registered[] = [];

void pulumi.runtime.setMocks({
    newResource: (args) => ({
        id: `${args.name}-id`,
        state: { ...(args.inputs as Record<string, unknown>), ...(args.type === "command:remote:Command" ? { stdout: "(mock)", stderr: "" } : {}) },
    }),
    call: (args) => args.inputs as Record<string, unknown>,
}, "lvsdr-consumer", "mocked", false);

/** A resource's URN once known, as "type::name" of its last segment. */
function nameOf(resource: pulumi.Resource): Promise<string> {
    return new Promise((ok) => resource.urn.apply((urn) => { ok(urn.split("::").slice(2).join("::").split("$").pop()!); return urn; }));
}

async function main(): Promise<void> {
    const target = process.argv[2];
    if (!target) {
        throw new Error("usage: node bin/mocked.js RESULT.json");
    }
    const parents: Promise<void>[] = [];
    const outputs = await pulumi.runtime.runInPulumiStack(async () => {
        pulumi.runtime.registerStackTransformation((args) => {
            const entry: Registered = {
                type: args.type,
                name: args.name,
                component: args.resource instanceof pulumi.ComponentResource,
                custom: args.resource instanceof pulumi.CustomResource,
            };
            registered.push(entry);
            if (args.opts.parent) {
                parents.push(nameOf(args.opts.parent).then((p) => { entry.parent = p; }));
            }
            return undefined;
        });
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded after the mocks, inside the stack
        return require("./index") as Record<string, unknown>;
    });
    await Promise.all(parents);
    const lvsdr = require.resolve("lvs-dr");
    fs.writeFileSync(target, JSON.stringify({
        registered,
        outputs,
        sdk: { program: require.resolve("@pulumi/pulumi"), lvsdr: require.resolve("@pulumi/pulumi", { paths: [lvsdr] }) },
    }));
}

main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.stack : e);
    process.exit(1);
});
