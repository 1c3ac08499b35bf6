/**
 * The remote commands of a cluster, one small function per role. Each receives its parent and the
 * resources it must wait for, so the order of operations is visible in the arguments.
 */
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import {
    renderDirectorRules, renderDirectorRulesRemoval, renderDirectorSetup, renderDirectorTeardown,
} from "../core/director-script";
import type { ClusterPlan, RealServerPlan } from "../core/plan";
import { renderRealServerSetup, renderRealServerTeardown } from "../core/realserver-script";
import { remoteCommand } from "../core/shell";
import type { PlatformHost } from "../platforms/host";

/**
 * Host setup commands are replaced, never updated, when their script changes, and the old one is
 * torn down first: a changed VIP, interface or forwarding method must not leave the old VIP or
 * sysctls behind, and an in-place re-run could not remove them.
 */
const REPLACE_ON_CHANGE: pulumi.CustomResourceOptions = {
    replaceOnChanges: ["create", "delete"],
    deleteBeforeReplace: true,
};

export function realServerSetup(
    name: string, plan: ClusterPlan, rs: RealServerPlan, host: PlatformHost, parent: pulumi.Resource,
): command.remote.Command {
    return new command.remote.Command(`${name}-rs-${rs.name}-setup`, {
        connection: host.connection,
        create: remoteCommand(renderRealServerSetup(plan, rs), host.sudo),
        delete: remoteCommand(renderRealServerTeardown(plan, rs), host.sudo),
    }, { parent, dependsOn: host.dependsOn, ...REPLACE_ON_CHANGE });
}

export function directorSetup(
    name: string, plan: ClusterPlan, host: PlatformHost, parent: pulumi.Resource,
): command.remote.Command {
    return new command.remote.Command(`${name}-director-setup`, {
        connection: host.connection,
        create: remoteCommand(renderDirectorSetup(plan), host.sudo),
        delete: remoteCommand(renderDirectorTeardown(plan), host.sudo),
    }, { parent, dependsOn: host.dependsOn, ...REPLACE_ON_CHANGE });
}

/**
 * The IPVS table. It waits for the director's setup and for every real server's setup: a real
 * server must be ARP-silent with the VIP bound before the director sends it a single packet.
 * A changed table is applied in place (`update` falls back to `create`, which reconciles).
 */
export function directorRules(
    name: string, plan: ClusterPlan, host: PlatformHost, after: pulumi.Resource[], parent: pulumi.Resource,
): command.remote.Command {
    return new command.remote.Command(`${name}-director-rules`, {
        connection: host.connection,
        create: remoteCommand(renderDirectorRules(plan), host.sudo),
        delete: remoteCommand(renderDirectorRulesRemoval(plan), host.sudo),
    }, { parent, dependsOn: after });
}
