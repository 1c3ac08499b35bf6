/**
 * The `aws` platform: EC2 instances in one subnet. `@pulumi/aws` is an optional peer dependency:
 * only this platform's hosts need it, so it is loaded when they are made, not when lvs-dr is
 * imported (a program on `hosts` or `libvirt` runs without it installed).
 */
import type { CreateHosts, Platform } from "../platform";
import type { AwsPlatformPlan } from "./plan";
import { validateAws } from "./validate";

/** `@pulumi/aws` missing: the message a user acts on (everything else that fails to load is a defect, thrown as it is). */
export const AWS_MISSING = "the aws platform needs the @pulumi/aws package (an optional peer dependency of lvs-dr): "
    + "install it in your project, e.g. `npm install @pulumi/aws@^7.48.0`";

/** The hosts half, loaded on first use (./hosts.ts imports `@pulumi/aws`). */
export function loadAwsHosts(load: (id: string) => unknown = require): CreateHosts<AwsPlatformPlan> {
    try {
        return (load("./hosts") as typeof import("./hosts")).awsHosts;
    } catch (e) {
        const err = e as NodeJS.ErrnoException;
        if (err.code === "MODULE_NOT_FOUND" && /'@pulumi\/aws'/.test(err.message)) {
            throw new Error(`lvs-dr: ${AWS_MISSING}`);
        }
        throw e;
    }
}

export const awsPlatform: Platform<AwsPlatformPlan> = {
    validate: validateAws,
    createHosts: (plan, platform, parent, known) => loadAwsHosts()(plan, platform, parent, known),
    summary: "EC2 instances",
    risks: (p) => p.adminCidrs.filter((c) => c === "0.0.0.0/0" || c === "::/0").map((c) =>
        `aws.adminCidrs has ${c}: every instance's SSH port is open to the whole internet; give the address ranges you administer from`),
};
