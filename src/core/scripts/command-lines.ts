/**
 * The exact command lines each remote command runs on its host (its create and its delete), with
 * the `sh -c` / `sudo -n` wrapper. The VM lab runs these same texts over SSH, so it tests what
 * `pulumi up` runs.
 */
import type { ClusterPlan, HostPlan, RealServerPlan } from "../plan";
import { renderAuthorizedKeys } from "./authorized-keys";
import { renderDirectorSetup, renderDirectorTeardown } from "./director/host";
import { renderDirectorRules, renderDirectorRulesRemoval } from "./director/rules";
import { renderHoldRealServer, renderReleaseRealServer } from "./drain-hook";
import { fixedScript } from "./library";
import { renderRealServerSetup, renderRealServerTeardown } from "./realserver";
import { remoteCommand } from "./render";

export interface CommandLines {
    create: string;
    delete: string;
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
    return {
        create: remoteCommand(stampMachine(renderRealServerSetup(plan, rs), machine), rs.ssh.sudo),
        delete: remoteCommand(renderRealServerTeardown(plan, rs), rs.ssh.sudo),
    };
}

export function directorSetupCommand(plan: ClusterPlan, director: HostPlan, machine?: string): CommandLines {
    return {
        create: remoteCommand(stampMachine(renderDirectorSetup(plan, director), machine), director.ssh.sudo),
        delete: remoteCommand(renderDirectorTeardown(plan, director), director.ssh.sudo),
    };
}

export function directorRulesCommand(plan: ClusterPlan, director: HostPlan, machine?: string): CommandLines {
    return {
        create: remoteCommand(stampMachine(renderDirectorRules(plan, director), machine), director.ssh.sudo),
        delete: remoteCommand(renderDirectorRulesRemoval(plan, director), director.ssh.sudo),
    };
}

/** A real server's drain hook on a director: create releases it, delete holds and drains it. */
export function drainHookCommand(plan: ClusterPlan, director: HostPlan, rs: RealServerPlan): CommandLines {
    return {
        create: remoteCommand(renderReleaseRealServer(plan, director, rs), director.ssh.sudo),
        delete: remoteCommand(renderHoldRealServer(plan, director, rs), director.ssh.sudo),
    };
}

/** The first command on a VM a platform created: waits for cloud-init (as the login user, no sudo). */
export function waitForBootCommand(machine?: string): string {
    return remoteCommand(stampMachine(fixedScript("vm-boot"), machine), false);
}

/**
 * A created machine's login user's authorized keys, exactly `keys` (as that user, no sudo: the
 * file is the user's own). No delete: the account goes with the machine.
 */
export function authorizedKeysCommand(keys: string[], machine?: string): string {
    return remoteCommand(stampMachine(renderAuthorizedKeys(keys), machine), false);
}
