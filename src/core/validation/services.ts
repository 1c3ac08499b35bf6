/** Validation of the services: ports, firewall-mark services, schedulers, persistence, checks, sorry servers. Pure. */
import type { LvsDrServiceArgs } from "../../args";
import { derivedFwmark } from "../names";
import { DEFAULTS, PROTOCOLS, type Protocol, SCHEDULERS, type Scheduler, type ServicePlan } from "../plan";
import { type Checker, keysOf } from "./checker";
import { validateHealthCheck } from "./health-check";

/** keepalived's limit for `persistence_timeout` (keepalived -t refuses more): 31 days. */
const MAX_PERSISTENCE_SECONDS = 31 * 86400;

const SERVICE_KEYS = keysOf<LvsDrServiceArgs>({
    port: true, ports: true, fwmark: true, protocol: true, scheduler: true, persistenceSeconds: true, healthCheck: true, sorryServer: true,
});

export function validateServices(c: Checker, value: unknown, vip: string | undefined, dualStack: boolean): ServicePlan[] {
    if (!Array.isArray(value) || value.length === 0) {
        c.add("services", value, "must be a non-empty list",
            'give at least one service, e.g. [{ port: 80 }] (protocol defaults to "tcp")');
        return [];
    }
    const services: ServicePlan[] = [];
    const seen = new Map<string, number>();
    const marks = new Map<number, number>();
    value.forEach((entry: unknown, i: number) => {
        const field = `services[${i}]`;
        if (!c.isObject(field, entry, "use { port, protocol?, scheduler?, persistenceSeconds? } or { ports: [80, 443], ... }")) {
            return;
        }
        c.knownKeys(field, entry, SERVICE_KEYS);
        const protocol: Protocol = c.oneOf(`${field}.protocol`, entry.protocol, PROTOCOLS, DEFAULTS.protocol);
        const ports = validatePorts(c, field, entry);
        const scheduler: Scheduler = c.oneOf(`${field}.scheduler`, entry.scheduler, SCHEDULERS, DEFAULTS.scheduler);
        // keepalived refuses a persistence_timeout over 31 days (2,678,400 s).
        const persistenceSeconds = c.optionalInteger(`${field}.persistenceSeconds`, entry.persistenceSeconds, 0, MAX_PERSISTENCE_SECONDS, 0,
            "give whole seconds up to 2678400 (31 days, keepalived's limit), or 0 / leave unset for no persistence") ?? 0;
        const healthCheck = validateHealthCheck(c, `${field}.healthCheck`, entry.healthCheck, protocol);
        const sorryServer = entry.sorryServer === undefined ? undefined
            : c.hostAddress(`${field}.sorryServer`, entry.sorryServer, "192.168.77.200", [4, 6]);
        if (entry.sorryServer !== undefined && entry.ports !== undefined) {
            c.add(`${field}.sorryServer`, entry.sorryServer, "is not offered for a firewall-mark service (ports)",
                "remove sorryServer, or split the ports into services of one port each");
        }
        const fwmark = entry.ports === undefined ? undefined : validateMark(c, field, entry.fwmark, vip, protocol, ports);
        if (entry.fwmark !== undefined && entry.ports === undefined) {
            c.add(`${field}.fwmark`, entry.fwmark, "is only for a firewall-mark service",
                "give the service's ports as ports: [80, 443], or remove fwmark");
        }
        if (ports === undefined || healthCheck === undefined || (entry.sorryServer !== undefined && sorryServer === undefined)
            || (entry.ports !== undefined && fwmark === undefined)) {
            return;
        }
        for (const port of ports) {
            const key = `${protocol}/${port}`;
            const first = seen.get(key);
            if (first !== undefined) {
                c.add(`${field}.${entry.ports === undefined ? "port" : "ports"}`, entry.ports ?? port, `duplicates services[${first}] (${key})`,
                    "list each protocol+port in one service only; use one service with a scheduler instead of two");
                return;
            }
        }
        ports.forEach((port) => seen.set(`${protocol}/${port}`, i));
        if (fwmark !== undefined) {
            const own = dualStack ? [fwmark, fwmark + 1] : [fwmark];
            const clash = own.find((m) => marks.has(m));
            if (clash !== undefined) {
                c.add(`${field}.fwmark`, entry.fwmark ?? `(derived ${fwmark})`, `uses mark ${clash}, which services[${marks.get(clash)}] uses${dualStack ? " (in dual stack each service takes fwmark and fwmark + 1)" : ""}`,
                    `give this service an fwmark of its own${dualStack ? ", at least 2 away from the other's" : ""}`);
                return;
            }
            own.forEach((m) => marks.set(m, i));
        }
        services.push({
            protocol, port: ports[0], scheduler, persistenceSeconds, healthCheck,
            ...(fwmark !== undefined ? { fwmark: { ports, mark: fwmark } } : {}),
            ...(sorryServer ? { sorryServer } : {}),
        });
    });
    return services;
}

/** `port`, or a firewall-mark service's `ports` (2-16 distinct): the service's ports, in the order given. */
function validatePorts(c: Checker, field: string, entry: Record<string, unknown>): number[] | undefined {
    const why = "use the port the real servers listen on (DR cannot map ports)";
    if (entry.ports === undefined) {
        const port = c.integer(`${field}.port`, entry.port, 1, 65535, why);
        return port === undefined ? undefined : [port];
    }
    if (entry.port !== undefined) {
        c.add(`${field}.port`, entry.port, "is set beside ports", "give port (one port) or ports (a firewall-mark service), not both");
        return undefined;
    }
    if (!Array.isArray(entry.ports) || entry.ports.length < 2 || entry.ports.length > 16) {
        c.add(`${field}.ports`, entry.ports, "must be a list of 2-16 ports", "list the ports balanced together, e.g. [80, 443]; one port is a port service");
        return undefined;
    }
    const ports: number[] = [];
    (entry.ports as unknown[]).forEach((p, j) => {
        const port = c.integer(`${field}.ports[${j}]`, p, 1, 65535, why);
        if (port !== undefined && ports.includes(port)) {
            c.add(`${field}.ports[${j}]`, p, "is listed twice", "list each port once");
        } else if (port !== undefined) {
            ports.push(port);
        }
    });
    return ports.length === entry.ports.length ? ports : undefined;
}

/** A firewall-mark service's mark: given, or derived from the VIP, the protocol and the ports. */
function validateMark(c: Checker, field: string, value: unknown, vip: string | undefined, protocol: Protocol,
    ports: number[] | undefined): number | undefined {
    if (value !== undefined) {
        return c.integer(`${field}.fwmark`, value, 1, 0xfffffffe, "give a firewall mark not used on the directors, or leave it unset to derive one");
    }
    return vip === undefined || ports === undefined ? undefined : derivedFwmark(vip, protocol, ports);
}
