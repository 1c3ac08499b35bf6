/**
 * The exact runs of each remote command on its host: the script it sends on stdin (both arms) and
 * the short loader lines of its create and delete (`render.ts`). The VM lab runs these same texts
 * over SSH, so it tests what `pulumi up` runs.
 */
import { directorRole, hostResourceName, realServerRole } from "../names";
import type { ClusterPlan, HostPlan, RealServerPlan } from "../plan";
import { renderAuthorizedKeys } from "./authorized-keys";
import { renderDirectorSetup, renderDirectorTeardown } from "./director/host";
import { renderDirectorRules, renderDirectorRulesRemoval } from "./director/rules";
import { renderHoldRealServer, renderReleaseRealServer } from "./drain-hook";
import { fixedScript } from "./library";
import { renderRealServerSetup, renderRealServerTeardown } from "./realserver";
import { hostCommand, type HostRun } from "./render";

/** A remote command's create and delete: each its loader line, with the one script both read on stdin. */
export interface CommandLines {
    create: HostRun;
    delete: HostRun;
}

/** The label a command's loader and script carry: its resource's name, as the engine shows it. */
function label(plan: ClusterPlan, role: string, step: "setup" | "rules" | `drain-${string}`): string {
    return `lvs-dr ${hostResourceName(plan.name, role, step)}`;
}

function directorRoleOf(plan: ClusterPlan, director: HostPlan): string {
    const index = plan.directors.indexOf(director);
    if (index < 0) {
        throw new Error("lvs-dr: a director that is not in the plan's directors");
    }
    return directorRole(index, director.name);
}

/**
 * The script with a last comment naming the machine it runs on (a created machine's ID): a new
 * machine makes a new create text, which the engine runs again as an in-place update. Only a
 * newline could leave the comment; anything unusual is replaced anyway.
 */
export function stampMachine(script: string, machine?: string): string {
    return machine === undefined ? script : `${script}# Runs on machine ${machine.replace(/[^\w.:@/-]/g, "_")}: a new machine runs it again.\n`;
}

export function realServerSetupCommand(plan: ClusterPlan, rs: RealServerPlan, machine?: string): CommandLines {
    return hostCommand(label(plan, realServerRole(rs.name), "setup"), {
        create: stampMachine(renderRealServerSetup(plan, rs), machine),
        delete: renderRealServerTeardown(plan, rs),
    }, rs.ssh.sudo);
}

export function directorSetupCommand(plan: ClusterPlan, director: HostPlan, machine?: string): CommandLines {
    return hostCommand(label(plan, directorRoleOf(plan, director), "setup"), {
        create: stampMachine(renderDirectorSetup(plan, director), machine),
        delete: renderDirectorTeardown(plan, director),
    }, director.ssh.sudo);
}

export function directorRulesCommand(plan: ClusterPlan, director: HostPlan, machine?: string): CommandLines {
    return hostCommand(label(plan, directorRoleOf(plan, director), "rules"), {
        create: stampMachine(renderDirectorRules(plan, director), machine),
        delete: renderDirectorRulesRemoval(plan, director),
    }, director.ssh.sudo);
}

/** A real server's drain hook on a director: create releases it, delete holds and drains it. */
export function drainHookCommand(plan: ClusterPlan, director: HostPlan, rs: RealServerPlan): CommandLines {
    return hostCommand(label(plan, realServerRole(rs.name), `drain-${directorRoleOf(plan, director)}`), {
        create: renderReleaseRealServer(plan, director, rs),
        delete: renderHoldRealServer(plan, director, rs),
    }, director.ssh.sudo);
}

/** The first command on a VM a platform created: waits for cloud-init (as the login user, no sudo). */
export function waitForBootCommand(machine?: string): HostRun {
    return hostCommand("lvs-dr wait for boot", { create: stampMachine(fixedScript("vm-boot"), machine) }, false).create;
}

/**
 * A created machine's login user's authorized keys, exactly `keys` (as that user, no sudo: the
 * file is the user's own). No delete: the account goes with the machine.
 */
export function authorizedKeysCommand(keys: string[], machine?: string): HostRun {
    return hostCommand("lvs-dr authorized keys", { create: stampMachine(renderAuthorizedKeys(keys), machine) }, false).create;
}
