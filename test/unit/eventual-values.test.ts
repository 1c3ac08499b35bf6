/**
 * An Output (or a promise) given to a field that needs a plain value is refused with its own
 * message naming the field, not with the SDK's "Calling [toJSON] on an [Output<T>]" text or a
 * wrong-type message; the fields that take Outputs still do.
 */
import { strict as assert } from "assert";
import * as pulumi from "@pulumi/pulumi";
import { validateClusterArgs } from "../../src/component/validate";
import { LvsDrArgsError } from "../../src/component/errors";
import { validArgs, validAwsArgs } from "../support/fixtures";

function refusedWith(args: unknown): LvsDrArgsError {
    try {
        validateClusterArgs(args as Parameters<typeof validateClusterArgs>[0]);
    } catch (e) {
        if (e instanceof LvsDrArgsError) {
            return e;
        }
        throw e;
    }
    return assert.fail("the arguments were accepted");
}

describe("Outputs where plain values are needed", () => {
    it("names each field given an Output or a promise, and never prints the SDK's toJSON text", () => {
        const args = validArgs() as unknown as Record<string, unknown>;
        args.vip = pulumi.output("192.168.77.100");
        (args.hosts as { realServers: Record<string, unknown>[] }).realServers[1].interface = Promise.resolve("eth0");
        const e = refusedWith(args);
        assert.deepEqual(e.problems.map((p) => p.field), ["vip", "hosts.realServers[1].interface"]);
        assert.match(e.message, /vip = \(an Output or a promise\): is a Pulumi Output \(or a promise\), which this field cannot wait for/);
        assert.match(e.message, /give a plain value known when the program runs/);
        assert.doesNotMatch(e.message, /toJSON/);
    });

    it("still takes an Output where one is allowed: ssh.privateKey, a host's, aws.subnetId", () => {
        const args = validArgs();
        args.ssh.privateKey = pulumi.secret(args.ssh.privateKey as string);
        args.hosts!.realServers[0].ssh = { privateKey: pulumi.output("k") };
        validateClusterArgs(args);
        const aws = validAwsArgs();
        aws.aws!.subnetId = pulumi.output("subnet-0123");
        aws.aws!.subnetCidr = "10.77.1.0/24";
        validateClusterArgs(aws);
    });
});
