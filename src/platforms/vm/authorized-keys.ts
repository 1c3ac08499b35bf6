/**
 * The SSH login user's authorized keys on a machine a platform created, kept in place. The public
 * key reaches a new machine as first-boot data (cloud-init's user on libvirt, the key pair on AWS),
 * which a machine keeps: a new key never replaces one (libvirt's diff and the instances'
 * `ignoreChanges` see to it). What logs in from then on is this command's: it writes the user's
 * `~/.ssh/authorized_keys` to exactly the cluster's keys on every `pulumi up` that changes them, so
 * a key is rotated with two in-place updates (args.ts, `ssh.publicKey`), no machine replaced.
 */
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { hostResourceName } from "../../core/names";
import type { ClusterPlan } from "../../core/plan";
import { authorizedKeysCommand } from "../../core/scripts/command-lines";
import type { PlatformHost } from "../platform";

/**
 * `host` with one more command before its setup, `<cluster>-<role>-access`: after what the host's
 * first command waits for (its boot), it makes the login user's authorized_keys hold exactly
 * `keys`. Its script (on stdin) names the keys and the machine: a changed list, or a new machine, runs
 * it again (an update runs create; the script is idempotent). It has no delete: the account and
 * its file go with the machine, and a machine marked gone gets no command at all.
 */
export function withAuthorizedKeys(
    plan: ClusterPlan, role: string, host: PlatformHost, keys: pulumi.Input<string[]>, parent: pulumi.Resource,
): PlatformHost {
    // The command line names no key: only the script (stdin) does.
    const stdin = Array.isArray(keys) && !host.machine
        ? authorizedKeysCommand(keys).stdin
        : pulumi.all([keys, host.machine]).apply(([k, m]) => authorizedKeysCommand(k, m).stdin);
    const access = new command.remote.Command(hostResourceName(plan.name, role, "access"), {
        connection: host.connection,
        create: authorizedKeysCommand([]).command,
        stdin,
    }, { parent, dependsOn: [...host.dependsOn] });
    return { ...host, dependsOn: [...host.dependsOn, access] };
}
