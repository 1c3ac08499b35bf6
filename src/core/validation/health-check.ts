/**
 * Validation of a service's health check: its kind, what that kind needs, its timing and what a
 * failed real server gets. Each kind is one case of the plan's `HealthCheckPlan`. Pure.
 */
import type { LvsDrHealthCheckArgs } from "../../args";
import { DEFAULTS, FAILURE_ACTIONS, HEALTH_CHECK_KINDS, type HealthCheckKind, type HealthCheckPlan, type Protocol } from "../plan";
import { type Checker, keysOf } from "./checker";

const HEALTH_CHECK_KEYS = keysOf<LvsDrHealthCheckArgs>({
    kind: true, path: true, expectStatus: true, intervalSeconds: true, timeoutSeconds: true, retries: true, failureAction: true,
    payload: true, requireReply: true,
});

/** A UDP check's datagram: hexadecimal digits, an even count, at most 512 bytes. */
export const HEX_PAYLOAD = /^(?:[0-9A-Fa-f]{2}){0,512}$/;

/** An HTTP path keepalived can hold in its configuration: printable, no space, quote, brace or `#!`. */
export const HTTP_PATH = /^\/[A-Za-z0-9._~%/?&=+:@,;*()-]{0,255}$/;

/** The health check of `services[i]`, with its defaults: tcp for TCP services, none for UDP (whose failed servers are removed). */
export function validateHealthCheck(c: Checker, field: string, value: unknown, protocol: Protocol): HealthCheckPlan | undefined {
    const fallback: HealthCheckKind = protocol === "udp" ? "none" : "tcp";
    const raw = value === undefined ? {} : value;
    if (!c.isObject(field, raw, "give { kind?, path?, expectStatus?, intervalSeconds?, timeoutSeconds?, retries?, failureAction? }")) {
        return undefined;
    }
    c.knownKeys(field, raw, HEALTH_CHECK_KEYS);
    const kind = c.oneOf(`${field}.kind`, raw.kind, HEALTH_CHECK_KINDS, fallback);
    if (protocol === "udp" && kind !== "none" && kind !== "udp") {
        c.add(`${field}.kind`, kind, "cannot check a UDP service (tcp, http and https checks connect over TCP)",
            'use kind "udp" (or "none") for UDP services');
    }
    if (protocol === "tcp" && kind === "udp") {
        c.add(`${field}.kind`, kind, "cannot check a TCP service", 'use kind "tcp", "http", "https" or "none" for TCP services');
    }
    for (const key of ["payload", "requireReply"] as const) {
        if (kind !== "udp" && raw[key] !== undefined) {
            c.add(`${field}.${key}`, raw[key], `is only used by udp checks, not ${kind}`, `remove it, or set ${field}.kind to "udp"`);
        }
    }
    const payload = raw.payload === undefined ? "" : c.matches(`${field}.payload`, raw.payload, HEX_PAYLOAD, "hexadecimal bytes",
        "give the datagram as an even number of hexadecimal digits (at most 1,024), e.g. 6c76732d6472");
    const requireReply = c.boolean(`${field}.requireReply`, raw.requireReply, true);
    const d = DEFAULTS.healthCheck;
    const web = kind === "http" || kind === "https";
    for (const key of ["path", "expectStatus"] as const) {
        if (!web && raw[key] !== undefined) {
            c.add(`${field}.${key}`, raw[key], `is only used by http and https checks, not ${kind}`,
                `remove it, or set ${field}.kind to "http" or "https"`);
        }
    }
    const path = raw.path === undefined ? d.path
        : c.matches(`${field}.path`, raw.path, HTTP_PATH, "an HTTP path",
            "start with / and use letters, digits and ._~%/?&=+:@,;*()- (percent-encode anything else)");
    const expectStatus = c.optionalInteger(`${field}.expectStatus`, raw.expectStatus, 100, 599, d.expectStatus,
        "give the HTTP status a healthy server answers, e.g. 200");
    const intervalSeconds = c.optionalInteger(`${field}.intervalSeconds`, raw.intervalSeconds, 1, 3600, d.intervalSeconds,
        "give whole seconds between checks, e.g. 1");
    const timeoutSeconds = c.optionalInteger(`${field}.timeoutSeconds`, raw.timeoutSeconds, 1, 3600, d.timeoutSeconds,
        "give whole seconds a check may take, e.g. 1");
    const retries = c.optionalInteger(`${field}.retries`, raw.retries, 0, 100, d.retries,
        "give the number of further attempts before a server is failed, e.g. 2");
    const failureAction = c.oneOf(`${field}.failureAction`, raw.failureAction, FAILURE_ACTIONS, protocol === "udp" ? "remove" : d.failureAction);
    if (kind === "udp" && failureAction === "weight0") {
        c.add(`${field}.failureAction`, failureAction, "would keep a UDP client pinned to its failed real server: IPVS keeps a UDP flow " +
            "on its server while the client keeps sending, whatever the weight", 'use "remove" (the default for UDP services)');
    }
    if (path === undefined || expectStatus === undefined || intervalSeconds === undefined || timeoutSeconds === undefined
        || retries === undefined || payload === undefined) {
        return undefined;
    }
    const timing = { intervalSeconds, timeoutSeconds, retries, failureAction };
    switch (kind) {
        case "none":
        case "tcp":
            return { kind, ...timing };
        case "http":
        case "https":
            return { kind, path, expectStatus, ...timing };
        case "udp":
            return { kind, payload: payload.toLowerCase(), requireReply, ...timing };
    }
}
