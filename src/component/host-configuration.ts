/**
 * The remote commands that configure the hosts, one small function per command. Each receives its
 * parent and the resources it must wait for, so the order of operations is visible in the
 * arguments.
 */
import * as command from "@pulumi/command";
import type * as pulumi from "@pulumi/pulumi";
import { directorRole, hostResourceName, realServerRole } from "../core/names";
import type { ClusterPlan, HostPlan, RealServerPlan } from "../core/plan";
import { directorRulesCommand, directorSetupCommand, realServerSetupCommand } from "../core/scripts/command-lines";
import type { PlatformHost } from "../platforms/platform";

/**
 * A host setup is replaced only when what it put on the host would be left behind by an in-place
 * re-run: the VIP, the interface, the forwarding method (the `triggers`). The old one is then torn
 * down first. Any other change to its script (a new lvs-dr release, say) re-runs it in place: the
 * scripts are idempotent, and a replacement would unbind the VIP on every host at once.
 */
const TEARDOWN_FIRST: pulumi.CustomResourceOptions = { deleteBeforeReplace: true };

export function realServerSetup(
    plan: ClusterPlan, rs: RealServerPlan, host: PlatformHost, parent: pulumi.Resource,
): command.remote.Command {
    return new command.remote.Command(hostResourceName(plan.name, realServerRole(rs.name), "setup"), {
        connection: host.connection,
        ...realServerSetupCommand(plan, rs),
        triggers: [plan.vip, plan.forwarding, rs.interface],
    }, { parent, dependsOn: host.dependsOn, ...TEARDOWN_FIRST });
}

export function directorSetup(
    plan: ClusterPlan, index: number, director: HostPlan, host: PlatformHost, parent: pulumi.Resource,
): command.remote.Command {
    return new command.remote.Command(hostResourceName(plan.name, directorRole(index), "setup"), {
        connection: host.connection,
        ...directorSetupCommand(plan, director),
        triggers: [plan.vip, director.interface],
    }, { parent, dependsOn: host.dependsOn, ...TEARDOWN_FIRST });
}

/**
 * The IPVS table of one director. It waits for the director's setup and for every real server's
 * setup: a real server must be ARP-silent with the VIP bound before the director sends it a single
 * packet. A changed table is applied in place (`update` falls back to `create`, which reconciles).
 */
export function directorRules(
    plan: ClusterPlan, index: number, director: HostPlan, host: PlatformHost, after: pulumi.Resource[], parent: pulumi.Resource,
): command.remote.Command {
    return new command.remote.Command(hostResourceName(plan.name, directorRole(index), "rules"), {
        connection: host.connection,
        ...directorRulesCommand(plan, director),
    }, { parent, dependsOn: after });
}
