/**
 * The exact command lines the component runs on each host (create and delete of each remote
 * command). The VM lab runs these same texts over SSH, so it tests what `pulumi up` runs.
 */
import {
    renderDirectorRules, renderDirectorRulesRemoval, renderDirectorSetup, renderDirectorTeardown,
} from "./director-script";
import type { ClusterPlan, RealServerPlan } from "./plan";
import { renderRealServerSetup, renderRealServerTeardown } from "./realserver-script";
import { remoteCommand } from "./shell";

export interface CommandTexts {
    create: string;
    delete: string;
}

export function realServerSetupCommand(plan: ClusterPlan, rs: RealServerPlan, sudo: boolean): CommandTexts {
    return {
        create: remoteCommand(renderRealServerSetup(plan, rs), sudo),
        delete: remoteCommand(renderRealServerTeardown(plan, rs), sudo),
    };
}

export function directorSetupCommand(plan: ClusterPlan, sudo: boolean): CommandTexts {
    return {
        create: remoteCommand(renderDirectorSetup(plan), sudo),
        delete: remoteCommand(renderDirectorTeardown(plan), sudo),
    };
}

export function directorRulesCommand(plan: ClusterPlan, sudo: boolean): CommandTexts {
    return {
        create: remoteCommand(renderDirectorRules(plan), sudo),
        delete: remoteCommand(renderDirectorRulesRemoval(plan), sudo),
    };
}
