/**
 * The exact command lines each remote command runs on its host (its create and its delete), with
 * the `sh -c` / `sudo -n` wrapper. The VM lab runs these same texts over SSH, so it tests what
 * `pulumi up` runs.
 */
import type { ClusterPlan, HostPlan, RealServerPlan } from "../plan";
import {
    renderDirectorRules, renderDirectorRulesRemoval, renderDirectorSetup, renderDirectorTeardown,
} from "./director";
import { fixedScript } from "./library";
import { renderRealServerSetup, renderRealServerTeardown } from "./realserver";
import { remoteCommand } from "./render";

export interface CommandLines {
    create: string;
    delete: string;
}

export function realServerSetupCommand(plan: ClusterPlan, rs: RealServerPlan): CommandLines {
    return {
        create: remoteCommand(renderRealServerSetup(plan, rs), rs.ssh.sudo),
        delete: remoteCommand(renderRealServerTeardown(plan, rs), rs.ssh.sudo),
    };
}

export function directorSetupCommand(plan: ClusterPlan, director: HostPlan): CommandLines {
    return {
        create: remoteCommand(renderDirectorSetup(plan, director), director.ssh.sudo),
        delete: remoteCommand(renderDirectorTeardown(plan, director), director.ssh.sudo),
    };
}

export function directorRulesCommand(plan: ClusterPlan, director: HostPlan): CommandLines {
    return {
        create: remoteCommand(renderDirectorRules(plan, director), director.ssh.sudo),
        delete: remoteCommand(renderDirectorRulesRemoval(plan, director), director.ssh.sudo),
    };
}

/** The first command on a VM a platform created: waits for cloud-init (as the login user, no sudo). */
export function waitForBootCommand(): string {
    return remoteCommand(fixedScript("vm-boot"), false);
}
