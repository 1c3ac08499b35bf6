/**
 * Options a user gives the component reach its children as a user expects: `dependsOn`,
 * `retainOnDelete` and `customTimeouts` are handed down by the component (child-options.ts);
 * `protect` and `providers` by Pulumi itself, checked here so that a change of either shows.
 */
import { strict as assert } from "assert";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { validArgs, validAwsArgs, validLibvirtArgs } from "../support/fixtures";
import { deploy } from "../support/mocks";

/** A resource of the program the cluster must come after (as a user's own VM or route would be). */
class Gate extends pulumi.CustomResource {
    constructor(name: string) {
        super("test:index:Gate", name, {});
    }
}

describe("component options reach the children", () => {
    it("dependsOn: every child waits for what the component depends on, besides its own order", async () => {
        const gate = new Gate("gate");
        const { wired } = await deploy(validArgs(), "web", { dependsOn: [gate] });
        const children = [...wired.values()].filter((w) => w.name !== "web");
        assert.ok(children.length >= 6);
        for (const child of children) {
            assert.ok(child.dependsOn.includes("gate"), `${child.name} does not wait for the component's dependsOn: ${child.dependsOn.join(", ")}`);
        }
        // Its own order stays: the rules after every setup.
        assert.deepEqual(wired.get("web-director-rules")!.dependsOn.filter((d) => d !== "gate").sort(),
            ["web-director-setup", "web-rs-0-setup", "web-rs-1-setup"]);
    });

    it("retainOnDelete and customTimeouts: every child of a libvirt cluster (VMs, network, commands) gets them; a gone host's commands stay retained", async () => {
        const args = validLibvirtArgs();
        args.libvirt!.realServers[1].gone = true;
        const { wired } = await deploy(args, "web", { retainOnDelete: false, customTimeouts: { create: "45m", delete: "30m" } });
        const children = [...wired.values()].filter((w) => w.name !== "web");
        assert.ok(children.some((c) => c.name.endsWith("-vm")), "no VM among the children");
        for (const child of children.filter((c) => !c.name.startsWith("web-rs-1-"))) {
            assert.equal(child.retainOnDelete, false, `${child.name}: retainOnDelete not handed down`);
            assert.deepEqual(child.customTimeouts, { create: "45m", delete: "30m" }, `${child.name}: customTimeouts not handed down`);
        }
        // A gone host's commands keep theirs: they must never run their delete. The user's timeouts
        // replaced the platform's own (the SSH wait's 20 minutes), operation by operation.
        assert.equal(wired.get("web-rs-1-setup")!.retainOnDelete, true);
        assert.deepEqual(wired.get("web-director-ssh")!.customTimeouts, { create: "45m", delete: "30m" });
        const retained = await deploy(validArgs(), "web", { retainOnDelete: true });
        assert.ok([...retained.wired.values()].every((w) => w.retainOnDelete === true), "retainOnDelete: true not on every child");
    });

    it("protect: Pulumi passes it to every child", async () => {
        const seen: pulumi.Resource[] = [];
        const { cluster } = await deploy(validArgs(), "web", {
            protect: true,
            transformations: [(a) => { seen.push(a.resource); return undefined; }],
        });
        const children = seen.filter((r) => r !== cluster);
        assert.ok(children.length >= 6);
        for (const child of children) {
            assert.equal((child as unknown as { __protect?: boolean }).__protect, true, "a child is not protected");
        }
    });

    it("providers: the AWS platform's resources use the provider given to the component", async () => {
        const east = new aws.Provider("east", { region: "us-east-1" });
        const { resources } = await deploy(validAwsArgs(), "web", { providers: { aws: east } });
        const ours = resources.filter((r) => r.type.startsWith("aws:") && r.custom);
        assert.ok(ours.length > 0, "no AWS resources");
        for (const r of ours) {
            assert.match(r.provider ?? "", /::east::/, `${r.type} ${r.name} uses ${r.provider ?? "the default provider"}`);
        }
    });
});
