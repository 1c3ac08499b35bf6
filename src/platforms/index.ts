/**
 * The platforms, by the args member that selects each: a platform is one folder and one entry
 * here. The plan's platform union is derived from this registry, so an entry is all it takes for
 * the component, the validation and the compiler to know a new platform.
 */
import type { ClusterPlan } from "../core/plan";
import { awsPlatform } from "./aws";
import { hostsPlatform } from "./hosts";
import { libvirtPlatform } from "./libvirt";
import type { Platform } from "./platform";

export const PLATFORMS = {
    hosts: hostsPlatform,
    libvirt: libvirtPlatform,
    aws: awsPlatform,
};

export type PlatformKind = keyof typeof PLATFORMS;
export const PLATFORM_KINDS = Object.keys(PLATFORMS) as PlatformKind[];

type PlanOf<T> = T extends Platform<infer P> ? P : never;
/** Each platform's part of the plan, discriminated by `kind`. */
export type PlatformPlan = PlanOf<(typeof PLATFORMS)[PlatformKind]>;
/** A plan as the component gets it: with its platform's part. */
export type Plan = ClusterPlan<PlatformPlan>;

/** The registry entry of `kind`, typed for its plan. */
export function platformOf<K extends PlatformKind>(kind: K): Platform<Extract<PlatformPlan, { kind: K }>> {
    return PLATFORMS[kind] as unknown as Platform<Extract<PlatformPlan, { kind: K }>>;
}

export type { AwsNetworkPlan, AwsPlatformPlan } from "./aws/plan";
export type { HostsPlatformPlan } from "./hosts/plan";
export type { LibvirtNetworkPlan, LibvirtPlatformPlan } from "./libvirt/plan";
