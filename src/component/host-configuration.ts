/**
 * The remote commands that configure the hosts, one small function per command. Each receives its
 * parent and the resources it must wait for, so the order of operations is visible in the
 * arguments.
 */
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { directorRole, hostResourceName, realServerRole } from "../core/names";
import type { BgpPeerPlan, ClusterPlan, HostPlan, RealServerPlan } from "../core/plan";
import {
    type CommandLines, directorRulesCommand, directorSetupCommand, drainHookCommand, realServerSetupCommand,
} from "../core/scripts/command-lines";
import { checkBgpPassword } from "../core/validation/bgp";
import { Checker } from "../core/validation/checker";
import type { Plan } from "../platforms";
import type { PlatformHost } from "../platforms/platform";
import { LvsDrArgsError } from "./errors";
import type { ClusterPlans } from "./plan-cluster";

/**
 * One host of the plan: as the plan made at once has it (its name, interface and role: plain
 * fields), and how to find it in the plan made with the awaited values (its addresses).
 */
export interface PlannedHost<H extends HostPlan = HostPlan> {
    shape: H;
    pick: (plan: ClusterPlan) => H;
}

/**
 * What `f` makes of the plan with the awaited values: a plain value when nothing is awaited (the
 * commands' inputs are then exactly as without awaited fields), an Output otherwise.
 */
export function fromKnown<T>(plans: ClusterPlans, f: (plan: Plan) => T): pulumi.Input<T> {
    if (!plans.awaits) {
        return f(plans.shape);
    }
    // What f makes holds no Output (texts, addresses): apply's Unwrap<T> is T.
    const made: pulumi.Output<unknown> = plans.known.apply((p) => f(p));
    return made as pulumi.Output<T>;
}

/**
 * A host setup is replaced only when what it put on the host would be left behind by an in-place
 * re-run: the VIP, the interface, the forwarding method (the `triggers`). The old one is then torn
 * down first. Any other change to its script (a new lvs-dr release, say, or a replaced machine,
 * whose ID the create text names) re-runs it in place: the scripts are idempotent, and a
 * replacement would unbind the VIP on every host at once.
 */
const TEARDOWN_FIRST: pulumi.CustomResourceOptions = { deleteBeforeReplace: true };

/**
 * The options of a command on a machine marked gone: it is forgotten, never run. Every input is
 * ignored, so the engine finds no difference and asks nothing of the machine (a command that is in
 * the state stays as it is); `retainOnDelete` is recorded with it, so removing the host later drops
 * the command from the state without running its delete.
 */
const GONE: pulumi.CustomResourceOptions = {
    retainOnDelete: true, ignoreChanges: ["connection", "create", "update", "delete", "stdin", "triggers"],
};

/** Options for a command that runs over `host`'s connection: `GONE`'s on a gone machine. */
function on(host: PlatformHost, opts: pulumi.CustomResourceOptions): pulumi.CustomResourceOptions {
    return host.gone ? { ...opts, ...GONE, dependsOn: [] } : opts;
}

/**
 * A host command's inputs: its create and delete lines (the short loader, the same whatever the
 * awaited values) and the script both read on stdin, with its machine's ID in the create arm once
 * that ID is known.
 */
function onMachine(
    plans: ClusterPlans, host: PlatformHost, lines: (plan: Plan, machine?: string) => CommandLines,
): { create: string; delete: string; stdin: pulumi.Input<string> } {
    const shape = lines(plans.shape);
    const machine = host.machine;
    const known = (p: Plan): pulumi.Input<string> => (machine ? machine.apply((m) => lines(p, m).create.stdin) : lines(p).create.stdin);
    // Nested applies, not pulumi.all over the plan: `all` would lift the Outputs the plan holds (the
    // private key) and make every script a secret.
    // Without awaited values or a machine, the script rendered above is the one to send.
    const stdin = plans.awaits ? plans.known.apply((p) => pulumi.output(known(p))) : machine ? known(plans.shape) : shape.create.stdin;
    return { create: shape.create.command, delete: shape.delete.command, stdin };
}

/**
 * The BGP peers' TCP-MD5 passwords as the arguments give them (a string, or an Output: a secret
 * from the stack's config), by peer, undefined where a peer has none; undefined when none has one.
 */
function bgpPasswords(plan: Plan): (pulumi.Input<string> | undefined)[] | undefined {
    const peers = plan.mode.kind === "bgp" ? plan.mode.peers : [];
    return peers.some((peer) => peer.password !== undefined) ? peers.map((peer) => peer.password) : undefined;
}

/**
 * `plan` with each peer's password its value in `values` (by peer), checked as a plain one is at
 * once: an Output's value is known only now, and a refusal fails the command that would write it.
 * Without `values`, the plan without passwords.
 */
export function withPasswords(plan: Plan, values?: (string | undefined)[]): Plan {
    if (plan.mode.kind !== "bgp") {
        return plan;
    }
    const c = new Checker();
    const peers = plan.mode.peers.map((peer, i): BgpPeerPlan => {
        const resolved: BgpPeerPlan = { ...peer };
        delete resolved.password;
        const value = values === undefined || peer.password === undefined ? undefined : checkBgpPassword(c, `bgp.peers[${i}].password`, values[i]);
        return value === undefined ? resolved : { ...resolved, password: value };
    });
    if (c.problems.length > 0) {
        throw new LvsDrArgsError(c.problems);
    }
    return { ...plan, mode: { ...plan.mode, peers } };
}

/**
 * A director setup's inputs. Where a BGP peer has a password, which BIRD's configuration holds,
 * the script is rendered once the passwords are known, with them, and is a secret however they
 * were given (a private key is wrapped the same way); the loader lines hold no script.
 */
function directorSetupInputs(
    plans: ClusterPlans, host: PlatformHost, lines: (plan: Plan, machine?: string) => CommandLines,
): { create: string; delete: string; stdin: pulumi.Input<string> } {
    const passwords = bgpPasswords(plans.shape);
    if (passwords === undefined) {
        return onMachine(plans, host, lines);
    }
    const loader = lines(withPasswords(plans.shape));
    const stdin = pulumi.all(passwords).apply((values) => pulumi.output(onMachine(plans, host, (p, m) => lines(withPasswords(p, values), m)).stdin));
    return { create: loader.create.command, delete: loader.delete.command, stdin: pulumi.secret(stdin) };
}

export function realServerSetup(
    plans: ClusterPlans, rs: PlannedHost<RealServerPlan>, host: PlatformHost, parent: pulumi.Resource,
): command.remote.Command {
    const plan = plans.shape;
    return new command.remote.Command(hostResourceName(plan.name, realServerRole(rs.shape.name), "setup"), {
        connection: host.connection,
        ...onMachine(plans, host, (p, m) => realServerSetupCommand(p, rs.pick(p), m)),
        triggers: [plan.vip, plan.forwarding, rs.shape.interface],
    }, on(host, { parent, dependsOn: host.dependsOn, ...TEARDOWN_FIRST }));
}

export function directorSetup(
    plans: ClusterPlans, index: number, director: PlannedHost, host: PlatformHost, parent: pulumi.Resource,
): command.remote.Command {
    const plan = plans.shape;
    return new command.remote.Command(hostResourceName(plan.name, directorRole(index, director.shape.name), "setup"), {
        connection: host.connection,
        ...directorSetupInputs(plans, host, (p, m) => directorSetupCommand(p, director.pick(p), m)),
        triggers: [plan.vip, director.shape.interface],
    }, on(host, { parent, dependsOn: host.dependsOn, ...TEARDOWN_FIRST }));
}

/**
 * The IPVS table of one director. It waits for the director's setup and for every real server's
 * setup: a real server must be ARP-silent with the VIP bound before the director sends it a single
 * packet. A changed table is applied in place (`update` falls back to `create`, which reconciles),
 * and so is the table of a replaced director machine.
 */
export function directorRules(
    plans: ClusterPlans, index: number, director: PlannedHost, host: PlatformHost, after: pulumi.Resource[], parent: pulumi.Resource,
): command.remote.Command {
    return new command.remote.Command(hostResourceName(plans.shape.name, directorRole(index, director.shape.name), "rules"), {
        connection: host.connection,
        ...onMachine(plans, host, (p, m) => directorRulesCommand(p, director.pick(p), m)),
    }, on(host, { parent, dependsOn: after }));
}

/**
 * How many of one director's drain hooks the engine may run at once. A destroy or scale-in of N
 * real servers deletes N hooks per director, each an SSH session and a few processes on the
 * director waiting its turn at the cluster's lock; 1,000 at once do not start on a small director
 * (its SSH sessions' process limit: bench part 2c). Chained in HOOKS_AT_ONCE strands, each hook
 * after the one HOOKS_AT_ONCE places before it, a first apply of N hooks takes N / HOOKS_AT_ONCE
 * of them in a row; below HOOKS_AT_ONCE real servers nothing changes.
 */
export const HOOKS_AT_ONCE = 32;

/**
 * A real server's drain hook on one director (see core/scripts/drain-hook.ts). A gone real
 * server's hooks are forgotten like its setup: the rules drop it without a drain. Its triggers are the
 * real server's setup's and its machine's ID: the engine deletes it (hold at weight 0, drain)
 * before the real server's setup is torn down or its machine deleted (a machine's dependents whose
 * inputs come from it are replaced first), and creates it (release) after the new setup; it comes
 * after the director's rules, which it edits.
 */
export function realServerDrainHook(
    plans: ClusterPlans, rs: PlannedHost<RealServerPlan>, rsHost: PlatformHost, index: number, director: PlannedHost, directorHost: PlatformHost,
    after: pulumi.Resource[], parent: pulumi.Resource,
): command.remote.Command {
    const plan = plans.shape;
    const lines = (p: Plan): CommandLines => drainHookCommand(p, director.pick(p), rs.pick(p));
    const now = lines(plan);
    return new command.remote.Command(hostResourceName(plan.name, realServerRole(rs.shape.name), `drain-${directorRole(index, director.shape.name)}`), {
        connection: directorHost.connection,
        create: now.create.command,
        delete: now.delete.command,
        stdin: fromKnown(plans, (p) => lines(p).create.stdin),
        triggers: [plan.vip, plan.forwarding, rs.shape.interface, fromKnown(plans, (p) => rs.pick(p).address),
            ...(rsHost.machine ? [rsHost.machine.apply((m) => m ?? "")] : [])],
    }, on(rsHost.gone ? rsHost : directorHost, { parent, dependsOn: after, ...TEARDOWN_FIRST }));
}
