/** Narrowing a plan to its platform's member, failing the test when it is another platform. */
import { strict as assert } from "assert";
import type { ClusterPlan } from "../../src/core/plan";
import type { AwsPlatformPlan, LibvirtNetworkPlan, LibvirtPlatformPlan, PlatformPlan } from "../../src/platforms";

export function libvirtOf(plan: ClusterPlan): LibvirtPlatformPlan {
    const p = plan.platform as PlatformPlan;
    return p.kind === "libvirt" ? p : assert.fail(`platform ${p.kind}, expected libvirt`);
}

export function awsOf(plan: ClusterPlan): AwsPlatformPlan {
    const p = plan.platform as PlatformPlan;
    return p.kind === "aws" ? p : assert.fail(`platform ${p.kind}, expected aws`);
}

/** The network the libvirt platform creates. */
export function createdNetworkOf(l: LibvirtPlatformPlan): Extract<LibvirtNetworkPlan, { kind: "create" }> {
    const n = l.network;
    return n.kind === "create" ? n : assert.fail(`network ${n.kind}, expected one the platform creates`);
}
