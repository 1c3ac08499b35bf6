/**
 * The multi-language path: a YAML, Python or Go program reaches LvsDrCluster through the provider's
 * Construct call, not through the TypeScript constructor. The provider's gRPC server
 * (@pulumi/pulumi provider/server.js) turns the engine's protobuf Struct into the component's
 * inputs with `deserializeInputs`, then the ComponentProvider calls the constructor. Both run
 * here, under the shared mocks (test/support/mocks.ts), with inputs encoded as the engine encodes
 * them; only the server's gRPC shell (configureRuntime, which would replace the mocks with an
 * engine connection) is left out.
 *
 * The engine's encoding: the resource monitor reads a remote component's inputs with
 * UpgradeToOutputValues and forwards them to Construct with KeepOutputValues (the nodejs provider
 * server answers Configure with acceptOutputs). So every secret or unknown, at whatever depth the
 * program put it, arrives as an output value { sig: outputValue, value?, secret?, dependencies? },
 * and the input-dependencies map lists per top-level key the URNs it depends on. The server turns
 * nested output values into nested Outputs, and a top-level key with dependencies into an Output.
 */
import { strict as assert } from "assert";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { ComponentProvider, getPulumiComponents } from "@pulumi/pulumi/provider/experimental/provider";
import { Struct, type JavaScriptValue } from "google-protobuf/google/protobuf/struct_pb";
import { FAKE_KEY, validArgs } from "../support/fixtures";
import { clearRegistered, isSecret, lvsdr, type Registered, resolve, reveal } from "../support/mocks";

// eslint-disable-next-line @typescript-eslint/no-require-imports -- @internal in the SDK: no declaration
const { deserializeInputs } = require("@pulumi/pulumi/provider/server") as {
    deserializeInputs: (inputs: Struct, dependencies: Map<string, { getUrnsList(): string[] }>) => Promise<Record<string, unknown>>;
};
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { forgetClusters } = require("../../src/component/cluster") as typeof import("../../src/component/cluster");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { validateClusterArgs } = require("../../src/component/validate") as typeof import("../../src/component/validate");

const { LvsDrArgsError } = lvsdr;
type ArgsError = InstanceType<typeof LvsDrArgsError>;
const REPO = path.resolve(__dirname, "../../..");
const TYPE = "lvs-dr:index:LvsDrCluster";
/** Another resource of the program (a value not known in a preview, a dependency). */
const OTHER = "urn:pulumi:unit::lvs-dr-test::random:index/randomInteger:RandomInteger::other";

/** An output value as the engine sends it: known when it has a value, secret, with dependencies. */
function outputValue(o: { value?: JavaScriptValue; secret?: true; dependencies?: string[] }): JavaScriptValue {
    return { [pulumi.runtime.specialSigKey]: pulumi.runtime.specialOutputValueSig, ...o };
}

/** What the server hands the component for these inputs, after a round trip through the wire format. */
function engineInputs(props: Record<string, unknown>, dependencies: Record<string, string[]> = {}): Promise<Record<string, unknown>> {
    const struct = Struct.deserializeBinary(Struct.fromJavaScript(props as Record<string, JavaScriptValue>).serializeBinary());
    return deserializeInputs(struct, new Map(Object.entries(dependencies).map(([k, urns]) => [k, { getUrnsList: () => urns }])));
}

/** A value is safe when it only occurs inside a secret envelope (the engine stores those encrypted). */
const plainText = (v: unknown): string => JSON.stringify(v, (_k, x: unknown) => (isSecret(x) ? "(secret)" : x));

describe("LvsDrCluster through the provider's construct (inputs as the engine sends them)", function () {
    // The ComponentProvider reads the TypeScript sources for the schema on its first construct.
    this.timeout(120000);
    let provider: ComponentProvider;

    before(async () => {
        provider = new ComponentProvider({ name: "lvs-dr", dirname: REPO, components: getPulumiComponents(lvsdr) });
        await provider.getSchema();
    });

    /** Constructs as the server does and waits for the registrations (each call a program of its own). */
    async function construct(name: string, inputs: Record<string, unknown>): Promise<Registered[]> {
        const registered = clearRegistered();
        forgetClusters();
        const result = await provider.construct(name, TYPE, inputs, {});
        await resolve(pulumi.output(result.state));
        await new Promise((ok) => setTimeout(ok, 100));
        return [...registered];
    }

    /** The refusal the server turns into the engine's per-property report, with nothing registered. */
    async function refused(name: string, inputs: Record<string, unknown>): Promise<ArgsError> {
        try {
            await construct(name, inputs);
        } catch (e) {
            // The server's construct reports an error per property when InputPropertiesError.isInstance
            // holds, from its message and errors (propertyPath, reason): the engine prints those.
            assert.ok(pulumi.InputPropertiesError.isInstance(e), `not an input-property error: ${String(e)}`);
            assert.ok(e instanceof LvsDrArgsError);
            assert.equal(clearRegistered().length, 0, "a refused cluster registers nothing");
            return e;
        }
        return assert.fail("construct accepted the inputs");
    }

    const PLAIN_NEEDED = /^\(an Output or a promise\): is a Pulumi Output \(or a promise\), which this field cannot wait for.*Fix: give a plain value known when the program runs/;

    it("takes plain nested objects with ssh.privateKey a nested secret (YAML `privateKey: ${secretConfig}`); every connection keeps it secret", async () => {
        const args = validArgs() as unknown as Record<string, unknown>;
        args.ssh = { user: "root", privateKey: outputValue({ value: FAKE_KEY, secret: true }) };
        const inputs = await engineInputs(args);
        const ssh = inputs.ssh as Record<string, unknown>;
        assert.ok(pulumi.Output.isInstance(ssh.privateKey), "the server makes the nested secret an Output");
        const resources = await construct("yml", inputs);
        assert.deepEqual(resources.map((r) => `${r.type} ${r.name}`).sort(), [
            "command:remote:Command yml-director-rules",
            "command:remote:Command yml-director-setup",
            "command:remote:Command yml-rs-0-drain-director",
            "command:remote:Command yml-rs-0-setup",
            "command:remote:Command yml-rs-1-drain-director",
            "command:remote:Command yml-rs-1-setup",
            "lvs-dr:index:LvsDrCluster yml",
        ]);
        // The mock monitor hands newResource the RegisterResource request as the SDK sent it,
        // deserialized: a secret stays in its envelope (lifted to the top-level input, here
        // `connection`), which is what the engine stores encrypted. So the envelope is the proof.
        for (const r of resources.filter((x) => x.custom)) {
            assert.ok(isSecret(r.inputs.connection), `${r.name}: connection is not a secret`);
            assert.equal((reveal(r.inputs.connection) as Record<string, unknown>).privateKey, FAKE_KEY, r.name);
            assert.ok(!plainText(r.inputs).includes("do-not-leak"), `${r.name}: the key is in plain text: ${plainText(r.inputs)}`);
        }
    });

    it("refuses ssh given entirely as a secret (a Python secret dict), naming ssh, asking for a plain value, not printing the key", async () => {
        const args = validArgs() as unknown as Record<string, unknown>;
        args.ssh = outputValue({ value: { user: "root", privateKey: FAKE_KEY }, secret: true });
        const e = await refused("py", await engineInputs(args));
        assert.deepEqual(e.errors.map((x) => x.propertyPath), ["ssh"]);
        assert.match(e.errors[0].reason, PLAIN_NEEDED);
        // The fix names the field that does take a secret.
        assert.match(e.errors[0].reason, /the fields that take an Output are ssh\.privateKey/);
        assert.ok(!`${e.message}${JSON.stringify(e.errors)}`.includes("do-not-leak"), e.message);
    });

    // In a preview a value of a resource not created yet is unknown: an output value without a value
    // (whatever the mocks' preview flag: only the bare unknown sentinel, which the engine no longer
    // forwards, depends on it), with its dependency.
    it("refuses values unknown in a preview where a plain value is needed, one error per field (vip, services[0].port)", async () => {
        const args = validArgs() as unknown as Record<string, unknown>;
        args.vip = outputValue({ dependencies: [OTHER] });
        args.services = [{ port: outputValue({ dependencies: [OTHER] }) }];
        const e = await refused("prev", await engineInputs(args, { vip: [OTHER], services: [OTHER] }));
        // In the Struct's key order (sorted), as the engine's map has no order.
        assert.deepEqual(e.errors.map((x) => x.propertyPath), ["services[0].port", "vip"]);
        for (const x of e.errors) {
            assert.match(x.reason, PLAIN_NEEDED, x.propertyPath);
        }
    });

    // A YAML `drainSeconds: ${other.value}` is an Output in the program, sent with its dependency on
    // `other` (today as an output value, and by an SDK without output values as a plain value with an
    // input-dependencies entry). Either way the server hands the component an Output, which it cannot
    // read while it decides what the drain hooks' scripts say: the user sees the engine's "property
    // drainSeconds has a problem" with the fix, instead of a cluster built from a value it never waited for.
    it("refuses a plain-valued field given with a dependency on another resource (drainSeconds from another resource's output)", async () => {
        for (const drainSeconds of [outputValue({ value: 30, dependencies: [OTHER] }), 30]) {
            const args = { ...(validArgs() as unknown as Record<string, unknown>), drainSeconds };
            const inputs = await engineInputs(args, { drainSeconds: [OTHER] });
            assert.ok(pulumi.Output.isInstance(inputs.drainSeconds), "the server makes a value with dependencies an Output");
            assert.equal(await resolve(inputs.drainSeconds as pulumi.Output<number>), 30);
            const e = await refused("dep", inputs);
            assert.deepEqual(e.errors.map((x) => x.propertyPath), ["drainSeconds"]);
            assert.match(e.errors[0].reason, PLAIN_NEEDED);
        }
    });

    it("refuses an invalid argument with the TypeScript constructor's message and an error for the property vip", async () => {
        const args = { ...validArgs(), vip: "nope" };
        const e = await refused("bad", await engineInputs(args));
        let direct: unknown;
        try {
            validateClusterArgs(args, "bad");
        } catch (x) {
            direct = x;
        }
        assert.ok(direct instanceof LvsDrArgsError, "the TypeScript path accepted the arguments");
        assert.equal(e.message, direct.message);
        assert.deepEqual(e.errors, direct.errors);
        assert.deepEqual(e.errors.map((x) => x.propertyPath), ["vip"]);
        assert.match(e.message, /vip = "nope"/);
    });
});
