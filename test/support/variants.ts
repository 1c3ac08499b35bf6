/**
 * The variant matrix of the host scripts: every forwarding x protocol, each scheduler, persistence,
 * single director and pair, every check kind and failure action, drain, IPv6 and dual stack,
 * firewall-mark services. The script checks (test/unit/scripts.test.ts) and the rendered-files
 * snapshot (test/unit/snapshot.test.ts) walk the same list.
 */
import type { LvsDrClusterArgs } from "../../src/args";
import type { FailureAction, Forwarding, HealthCheckKind, Protocol, Scheduler } from "../../src/args";
import { type ClusterPlan, FAILURE_ACTIONS, FORWARDING_METHODS, HEALTH_CHECK_KINDS, PROTOCOLS, SCHEDULERS } from "../../src/core/plan";
import { type CommandLines, directorRulesCommand, directorSetupCommand, drainHookCommand, realServerSetupCommand } from "../../src/core/scripts/command-lines";
import { renderHoldRealServer, renderReleaseRealServer } from "../../src/core/scripts/drain-hook";
import {
    renderDirectorRules, renderDirectorRulesRemoval, renderDirectorSetup, renderDirectorTeardown, renderDirectorUp,
} from "../../src/core/scripts/director";
import { renderRealServerSetup, renderRealServerTeardown, renderRealServerUp } from "../../src/core/scripts/realserver";
import { validateClusterArgs } from "../../src/component/validate";
import { validArgs } from "./fixtures";

export interface Variant {
    forwarding: Forwarding;
    protocol: Protocol;
    scheduler: Scheduler;
    persistenceSeconds: number;
    /** A director pair (VRRP, sync) rather than one director. */
    pair?: boolean;
    /** The check of the second (TCP) service. */
    check?: HealthCheckKind;
    failureAction?: FailureAction;
    drainSeconds?: number;
    /** The VIPs: IPv4 (default), IPv6 only, or dual stack (an IPv4 and an IPv6 VIP). */
    family?: "6" | "dual";
    /** The first service is a firewall-mark service (ports 80 and 8080). */
    fwmark?: boolean;
    /** Three active-active directors announced over BGP (every service `mh`). */
    bgp?: boolean;
    /** With `bgp`: the second router has a password (TCP-MD5). */
    bgpPassword?: boolean;
}

/** The checks a TCP service takes (the second service of every variant is TCP). */
export const TCP_CHECK_KINDS = HEALTH_CHECK_KINDS.filter((k) => k !== "udp");

/**
 * Every forwarding x protocol, each scheduler at least once, persistence on and off, single and
 * paired directors, every check kind and failure action, drain on and off.
 */
export const VARIANTS: Variant[] = FORWARDING_METHODS.flatMap((forwarding) => PROTOCOLS.flatMap((protocol) =>
    SCHEDULERS.map((scheduler, i): Variant => ({
        forwarding, protocol, scheduler, persistenceSeconds: i % 2 === 0 ? 0 : 300, pair: i % 3 !== 0,
        check: TCP_CHECK_KINDS[i % TCP_CHECK_KINDS.length], failureAction: FAILURE_ACTIONS[i % 2],
        drainSeconds: i === 4 ? 0 : undefined,
    })))).concat(FORWARDING_METHODS.flatMap((forwarding) => (["6", "dual"] as const).flatMap((family) => [false, true].map((pair, i): Variant => ({
        forwarding, protocol: "tcp", scheduler: "rr", persistenceSeconds: i * 300, pair, family,
        check: TCP_CHECK_KINDS[i + 1], failureAction: FAILURE_ACTIONS[i],
    }))))).concat([
        // Firewall-mark services: each family, single and pair, both forwarding methods, a UDP one.
        { forwarding: "dr", protocol: "tcp", scheduler: "rr", persistenceSeconds: 300, pair: true, check: "tcp", fwmark: true },
        { forwarding: "tun", protocol: "udp", scheduler: "sh", persistenceSeconds: 0, family: "dual", check: "http", fwmark: true },
        { forwarding: "dr", protocol: "tcp", scheduler: "wlc", persistenceSeconds: 60, pair: true, family: "dual", check: "https", fwmark: true },
        { forwarding: "tun", protocol: "tcp", scheduler: "lc", persistenceSeconds: 0, family: "6", check: "none", fwmark: true, drainSeconds: 0 },
        // Active-active directors: each forwarding method, a firewall-mark service, an HTTP check.
        { forwarding: "dr", protocol: "tcp", scheduler: "mh", persistenceSeconds: 0, bgp: true, check: "tcp", failureAction: "weight0" },
        { forwarding: "tun", protocol: "tcp", scheduler: "mh", persistenceSeconds: 0, bgp: true, check: "http", fwmark: true, drainSeconds: 0 },
        // A router with a password: what a shell or BIRD might read in it stays inert.
        { forwarding: "dr", protocol: "tcp", scheduler: "mh", persistenceSeconds: 0, bgp: true, bgpPassword: true, check: "none" },
    ]);

/** A variant's name in test titles and snapshot file names. */
export function variantTitle(v: Variant): string {
    return `${v.fwmark ? "fwmark " : ""}${v.family === "6" ? "IPv6 " : v.family === "dual" ? "dual stack " : ""}${v.forwarding} ${v.protocol} ${v.scheduler} persistence ${v.persistenceSeconds}`
        + `${v.pair ? " pair" : ""}${v.bgp ? " bgp" : ""}${v.bgpPassword ? " password" : ""} check ${v.check} ${v.failureAction}${v.drainSeconds === 0 ? " no drain" : ""}`;
}

export function planFor(v: Variant): ClusterPlan {
    const args: LvsDrClusterArgs = validArgs();
    args.forwarding = v.forwarding;
    // A UDP first service gets a UDP check every other scheduler (with and without payload and reply).
    const udpCheck = v.protocol === "udp" && SCHEDULERS.indexOf(v.scheduler) % 2 === 0
        ? { healthCheck: { kind: "udp" as const, ...(SCHEDULERS.indexOf(v.scheduler) % 4 === 0 ? { payload: "6C76732d6472" } : { requireReply: false }) } } : {};
    args.services = [
        { ...(v.fwmark ? { ports: [80, 8080] } : { port: 80 }), protocol: v.protocol, scheduler: v.scheduler, persistenceSeconds: v.persistenceSeconds, ...udpCheck },
        { port: 443, scheduler: v.bgp ? "mh" : "rr", healthCheck: { kind: v.check, failureAction: v.failureAction }, ...(v.pair ? { sorryServer: "192.168.77.200" } : {}) },
    ];
    args.hosts!.realServers[1] = { address: "192.168.77.12", interface: "ens3.100", weight: 0, name: "b" };
    if (v.pair) {
        args.hosts!.backupDirector = { address: "192.168.77.9" };
    }
    if (v.bgp) {
        args.hosts!.directors = [args.hosts!.director!, { address: "192.168.77.9", name: "b" }, { address: "192.168.77.8", interface: "ens3.100" }];
        delete args.hosts!.director;
        args.bgp = { asn: 65010, peers: [{ address: "192.168.77.1", asn: 65000 }, { address: "192.168.77.2", asn: 65010 }] };
        if (v.bgpPassword) {
            args.bgp.peers[1].password = "lvs-dr's $ecret `#1` (x)";
        }
    }
    if (v.drainSeconds !== undefined) {
        args.drainSeconds = v.drainSeconds;
    }
    const hosts = args.hosts!;
    const all = [...(hosts.director ? [hosts.director] : []), ...(hosts.backupDirector ? [hosts.backupDirector] : []), ...(hosts.directors ?? []),
        ...hosts.realServers];
    const six = (h: { address: unknown }) => `fd77::${String(h.address).split(".")[3]}`;
    if (v.family === "6") {
        args.vip = "fd77::100";
        hosts.subnet = "fd77::/64";
        all.forEach((h) => (h.address = six(h)));
        args.services[1].sorryServer = v.pair ? "fd77::200" : undefined;
    } else if (v.family === "dual") {
        args.vip6 = "fd77::100";
        hosts.subnet6 = "fd77::/64";
        all.forEach((h) => (h.address6 = six(h)));
        args.services[v.fwmark ? 1 : 0].sorryServer = "fd77::200";
    }
    return validateClusterArgs(args);
}

/** Every script of a plan: what the commands run, and the up-scripts their setups write to disk. */
export function renderAll(plan: ClusterPlan): Record<string, string> {
    const scripts: Record<string, string> = {};
    plan.directors.forEach((d, i) => {
        scripts[`director ${i} setup`] = renderDirectorSetup(plan, d);
        scripts[`director ${i} up`] = renderDirectorUp(plan, d);
        scripts[`director ${i} teardown`] = renderDirectorTeardown(plan, d);
        scripts[`director ${i} rules`] = renderDirectorRules(plan, d);
        scripts[`director ${i} rules removal`] = renderDirectorRulesRemoval(plan, d);
        for (const rs of plan.realServers) {
            scripts[`director ${i} hold ${rs.name}`] = renderHoldRealServer(plan, d, rs);
            scripts[`director ${i} release ${rs.name}`] = renderReleaseRealServer(plan, d, rs);
        }
    });
    for (const rs of plan.realServers) {
        scripts[`real server ${rs.name} setup`] = renderRealServerSetup(plan, rs);
        scripts[`real server ${rs.name} up`] = renderRealServerUp(plan, rs);
        scripts[`real server ${rs.name} teardown`] = renderRealServerTeardown(plan, rs);
    }
    return scripts;
}

/** What each remote command of a plan receives: its create and delete lines (the loader, sudo) and the script on stdin. */
export function commandLines(plan: ClusterPlan): Record<string, string> {
    const lines: Record<string, string> = {};
    const add = (what: string, c: CommandLines) => {
        lines[`${what} create`] = `#!/bin/sh\n${c.create.command}\n`;
        lines[`${what} delete`] = `#!/bin/sh\n${c.delete.command}\n`;
        lines[`${what} stdin`] = c.create.stdin;
    };
    plan.directors.forEach((d, i) => {
        add(`director ${i} setup`, directorSetupCommand(plan, d));
        add(`director ${i} rules`, directorRulesCommand(plan, d));
        for (const rs of plan.realServers) {
            add(`director ${i} drain hook ${rs.name}`, drainHookCommand(plan, d, rs));
        }
    });
    for (const rs of plan.realServers) {
        add(`real server ${rs.name} setup`, realServerSetupCommand(plan, rs));
    }
    return lines;
}
