/**
 * Validates the component's arguments and applies every default: the core's checks of what every
 * cluster has, the chosen platform's validator (from the registry) for its part, then the checks
 * that need both. Pure: no Pulumi at run time, no I/O. Every problem is collected; one
 * {@link LvsDrArgsError} lists them all.
 */
import type { LvsDrClusterArgs } from "../args";
import { formatCidr, formatCidr6 } from "../core/ip";
import { DEFAULTS, FORWARDING_METHODS, type Forwarding } from "../core/plan";
import { ArgsProblems, Checker, CLUSTER_NAME, eventualValueProblems, keysOf } from "../core/validation/checker";
import { checkSorryServers, checkTableFits, checkVip, validateDefaultSsh, validateVip6 } from "../core/validation/cluster";
import { checkServicesForBgp } from "../core/validation/bgp";
import { validateDirectorMode } from "../core/validation/director-mode";
import { checkFamilies } from "../core/validation/hosts";
import { validateServices } from "../core/validation/services";
import { type Plan, PLATFORM_KINDS, PLATFORMS, type PlatformKind, type PlatformPlan, platformOf } from "../platforms";
import type { PlatformValidation } from "../platforms/validation";

import { LvsDrArgsError } from "./errors";

export { LvsDrArgsError } from "./errors";
export type { ArgsProblem } from "../core/validation/checker";

/** The args' members: the cluster's own, then one per registered platform, which the args must declare. */
const CLUSTER_KEYS = [
    ...keysOf<Omit<LvsDrClusterArgs, PlatformKind>>({
        vip: true, vip6: true, services: true, forwarding: true, ssh: true, vrrp: true, bgp: true, drainSeconds: true,
    }),
    ...(PLATFORM_KINDS satisfies (keyof LvsDrClusterArgs)[]),
];

/**
 * @param clusterName the component's name; child resources, VMs and networks are named after it.
 * @throws LvsDrArgsError listing every problem.
 */
export function validateClusterArgs(args: LvsDrClusterArgs, clusterName = "lvs"): Plan {
    try {
        return validate(args, clusterName);
    } catch (e) {
        throw e instanceof ArgsProblems ? new LvsDrArgsError(e.problems) : e;
    }
}

function validate(args: LvsDrClusterArgs, clusterName: string): Plan {
    const c = new Checker();
    const raw: unknown = args;
    if (!c.isObject("args", raw, `pass an object with vip, services, ssh and one platform (${PLATFORM_KINDS.join(", ").replace(/, (\w+)$/, " or $1")})`)) {
        throw new ArgsProblems(c.problems);
    }
    c.knownKeys("", raw, CLUSTER_KEYS);
    // An Output where a plain value is needed: said by its field, before any check reads it.
    const before = c.problems.length;
    eventualValueProblems(c, raw);
    if (c.problems.length > before) {
        throw new ArgsProblems(c.problems);
    }
    if (!CLUSTER_NAME.test(clusterName)) {
        c.add("name", clusterName, "(the LvsDrCluster's first argument) cannot name the cluster's resources, VMs, networks and tags",
            "name the cluster with 1-40 letters, digits, '_', '.' or '-', starting with a letter or digit");
    }
    const vip = c.hostAddress("vip", raw.vip, "192.168.77.100", [4, 6]);
    const vip6 = validateVip6(c, raw.vip6, vip);
    const forwarding: Forwarding = c.oneOf("forwarding", raw.forwarding, FORWARDING_METHODS, DEFAULTS.forwarding);
    const services = validateServices(c, raw.services, vip, vip6 !== undefined);
    const ssh = validateDefaultSsh(c, raw.ssh);
    const kind = choosePlatform(c, raw);

    const hosts: PlatformValidation<PlatformPlan> | undefined = kind && ssh
        ? platformOf(kind).validate(c, raw[kind], { ssh, vip, ...(vip6 ? { vip6 } : {}), cluster: clusterName }) : undefined;
    if (vip !== undefined && hosts) {
        const vips = vip6 ? [vip, vip6] : [vip];
        vips.forEach((v, i) => checkVip(c, i === 0 ? "vip" : "vip6", v, hosts, raw.bgp !== undefined));
        checkSorryServers(c, services, vips, hosts, forwarding);
        if (hosts.familyFix !== undefined && (raw.vip6 === undefined || vip6 !== undefined)) {
            checkFamilies(c, [
                ...hosts.directors.map((host, i) => ({
                    field: hosts.directorList ? `${hosts.directorList}[${i}]` : `${kind}.${i === 0 ? "director" : "backupDirector"}`, host,
                })),
                ...hosts.realServers.map((host, i) => ({ field: `${kind}.realServers[${i}]`, host })),
            ], vips, hosts.familyFix);
        }
    }
    const mode = validateDirectorMode(c, { vrrp: raw.vrrp, bgp: raw.bgp }, vip, {
        count: hosts?.directors.length ?? 0,
        ...(hosts?.directorList ? { listField: hosts.directorList } : {}),
        backupField: kind === undefined ? "the platform's backupDirector" : `${kind}.backupDirector`,
        ...(hosts ? { network: hosts.network } : {}),
    });
    if (mode?.kind === "bgp" || (raw.bgp !== undefined && mode === undefined)) {
        checkServicesForBgp(c, services, vip, vip6);
    }
    const drainSeconds = c.optionalInteger("drainSeconds", raw.drainSeconds, 0, 3600, DEFAULTS.drainSeconds,
        "give whole seconds to wait for a leaving server's connections, or 0 to delete it at once");
    const ok = c.finish({ vip, hosts, platform: hosts?.platform, mode, drainSeconds });
    const plan: Plan = {
        name: clusterName,
        vip: ok.vip,
        ...(vip6 ? { vip6 } : {}),
        forwarding,
        services,
        directors: ok.hosts.directors,
        mode: ok.mode,
        network: ok.hosts.network,
        drainSeconds: ok.drainSeconds,
        realServers: ok.hosts.realServers.filter((rs) => !rs.gone),
        goneRealServers: ok.hosts.realServers.filter((rs) => rs.gone),
        ...(ok.hosts.subnet ? { subnet: formatCidr(ok.hosts.subnet) } : {}),
        ...(ok.hosts.subnet6 ? { subnet6: formatCidr6(ok.hosts.subnet6) } : {}),
        platform: ok.platform,
    };
    checkTableFits(c, plan, `${plan.platform.kind}.realServers`);
    c.finish({});
    return plan;
}

function choosePlatform(c: Checker, raw: Record<string, unknown>): PlatformKind | undefined {
    const chosen = PLATFORM_KINDS.filter((p) => raw[p] !== undefined);
    if (chosen.length !== 1) {
        c.add(chosen.length === 0 ? "hosts" : chosen.join(" + "), chosen.length === 0 ? undefined : "(several set)",
            `exactly one platform must be set, found ${chosen.length}`,
            `set exactly one of: ${PLATFORM_KINDS.map((k) => `${k} (${PLATFORMS[k].summary})`).join(", ")}`);
        return undefined;
    }
    return chosen[0];
}
