/**
 * Which machine changes one update may make. A change of a platform's machine settings (the base
 * image, the size, the AMI, the instance type) applies to every machine at once: the engine
 * replaces each one (deleted before its replacement is made: names and addresses are fixed) or
 * stops and starts it, all in the same update. Applied to both directors of a pair (or every
 * director of an active-active list), or to every real server, that is an outage caused by lvs-dr's
 * own change, so the guard (its resource is ./machine-guard-resource.ts) refuses it before anything
 * runs and says how to roll it instead: `keepMachine` on some of the hosts for one update, then on
 * none.
 *
 * Pure, and written for a dynamic provider: these functions use nothing but each other.
 */

/** How the engine hands a dynamic provider a value a preview does not know (the SDK's runtime.unknownValue). */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** One machine as the guard sees it: what of its settings would replace or restart it. */
export interface GuardedMachine {
    /** The host's role (`director`, `director-1`, `director-<name>`, `rs-<name>`), as in resource names. */
    role: string;
    group: "directors" | "realServers";
    /** The settings that replace (or restart) the machine when they change, as JSON. */
    spec: string;
    /** `keepMachine`: the machine keeps its settings through this update. */
    keep: boolean;
}

export interface MachineGuardInputs {
    machines: GuardedMachine[];
}

/** The recorded machines by role (none for a guard that recorded nothing yet). */
function byRole(olds: Partial<MachineGuardInputs> | undefined): Map<string, GuardedMachine> {
    return new Map((olds?.machines ?? []).map((m) => [m.role, m]));
}

/**
 * The machines as this update leaves them: a kept machine keeps the settings it has (the old
 * spec: the engine ignores the change on it too), so the next update, without `keepMachine`,
 * sees its change.
 */
export function guardedMachines(olds: Partial<MachineGuardInputs> | undefined, news: MachineGuardInputs): GuardedMachine[] {
    const before = byRole(olds);
    return news.machines.map((m) => {
        const old = before.get(m.role);
        return m.keep && old ? { ...m, spec: old.spec } : m;
    });
}

/**
 * What this update would take down in one go: for each group of two or more machines that exist
 * already, a problem when every one of them changes. New machines do not count (nothing runs on
 * them yet), nor do removed ones. A lone director or real server can only be changed down.
 */
export function replacementProblems(olds: Partial<MachineGuardInputs> | undefined, news: MachineGuardInputs): string[] {
    const before = byRole(olds);
    const problems: string[] = [];
    for (const group of ["directors", "realServers"] as const) {
        const existing = news.machines.filter((m) => m.group === group && before.has(m.role));
        // A spec a preview does not know yet (made of a value another resource gives) is not
        // counted: the update's check knows it, and refuses then, before any machine changes.
        const changed = existing.filter((m) => !m.keep && m.spec !== UNKNOWN && before.get(m.role)?.spec !== m.spec);
        if (existing.length < 2 || changed.length < existing.length) {
            continue;
        }
        const roles = changed.map((m) => m.role);
        const what = group === "realServers" ? `all ${roles.length} real servers` : roles.length === 2 ? "both directors" : `all ${roles.length} directors`;
        const down = group === "directors" ? "the VIP would have no director" : "no real server would be left to serve";
        problems.push(`this update would replace or restart the machines of ${what} at once (${roles.join(", ")}: `
            + `their machine settings changed), and ${down} until they are back. Roll it instead: set `
            + `keepMachine: true on ${group === "directors" ? "one director" : "some of them"} (e.g. ${roles[roles.length - 1]}), `
            + "run pulumi up, then remove keepMachine and run pulumi up again");
    }
    return problems;
}

/** The machines of both updates whose settings differ (kept ones carry their old settings). */
export function changedMachines(olds: Partial<MachineGuardInputs> | undefined, news: MachineGuardInputs): string[] {
    const before = byRole(olds);
    return news.machines.filter((m) => before.has(m.role) && before.get(m.role)?.spec !== m.spec).map((m) => m.role);
}
