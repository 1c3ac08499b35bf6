/** A machine a platform has just created, as a host: its SSH connection once it has booted. */
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { hostResourceName } from "../../core/names";
import type { ClusterPlan, HostPlan } from "../../core/plan";
import { waitForBootCommand } from "../../core/scripts/command-lines";
import { connectionOf, type PlatformHost } from "../platform";
import { SshBanner } from "./ssh-banner-resource";

/** How long a new VM may take to answer SSH, and then to finish cloud-init (software emulation is slow). */
export const BOOT_TIMEOUT_SECONDS = 20 * 60;
export const BOOT_TIMEOUT = `${BOOT_TIMEOUT_SECONDS / 60}m`;

/**
 * The login on a machine that already answers SSH (`<cluster>-<role>-ssh`, after its SshBanner):
 * dials allowed to fail before the command fails. A refused login (wrong `ssh.user` or key) is then
 * told within about a minute, not retried for the boot timeout.
 *
 * pulumi-command 1.2.1 (provider/pkg/provider/remote/connection.go, dialWithRetry) dials through
 * the Pulumi SDK's retry.Until with its defaults: a pause of 100 ms after the first failure, times
 * 1.5 after each, at most 5 s; it fails on the dial that makes the failures exceed dialErrorLimit,
 * with that dial's error ("after 13 failed attempts: ssh: handshake failed: ssh: unable to
 * authenticate, attempted methods [none publickey], no supported methods remain"). An
 * authentication refusal is a dial error like any other. With 13: 14 dials and 13 pauses,
 * 0.1 + 0.15 + 0.225 + 0.34 + 0.51 + 0.76 + 1.14 + 1.71 + 2.56 + 3.84 (= 11.3 s) + 3 × 5 s = 26.3 s;
 * a refused dial takes 0.05 s on a local network (≲ 2 s on a software-emulated VM): 27-54 s.
 *
 * Why dials may still fail once SSH answers, hence the grace of 13 rather than 0: cloud-init's
 * init stage (the `users-groups` and `ssh` modules: the user, its key and the pinned host key) runs
 * in cloud-init(-network).service, ordered `Before=sshd.service` and, on Debian and Ubuntu,
 * `Before=sysinit.target`, which every service and socket with default dependencies (ssh.service,
 * ssh.socket) comes after (canonical/cloud-init systemd/cloud-init-network.service.tmpl); so the
 * login works from the first identification line on. But the config stage may restart sshd once
 * (`set-passwords` applying `ssh_pwauth: false`): a refused or reset dial for a moment, which the
 * pauses above outlast.
 *
 * And why 13 rather than fewer: OpenSSH 9.8 and later (Debian 13, Ubuntu 24.10) penalise a source
 * whose logins fail (PerSourcePenalties: 5 s per failure, enforced past 15 s), so from the 4th
 * refusal in a row the server drops this machine's connections at once for up to 20 s (dials then
 * fail with "handshake failed: EOF"). The pauses from the 4th dial on (26.3 - 0.5 = 25.8 s) outlast
 * that, so the last dial reaches authentication again and the error says what is wrong.
 */
export const LOGIN_DIAL_ERROR_LIMIT = 13;
/** Seconds for each dial's TCP connection (x/crypto/ssh ClientConfig.Timeout; the handshake is not bounded by it). */
export const LOGIN_PER_DIAL_TIMEOUT = 10;

/**
 * A machine the platform just created (`machine`, told from the one before it by `instance`),
 * reached at `sshHost`, whose SSH host key the platform gave it (`hostKey`; undefined for a
 * machine created before lvs-dr did, which is then reached unverified, with a warning). First
 * `<cluster>-<role>-ssh-banner` waits until its SSH port answers (a slow boot: up to the boot
 * timeout, no login); then its first command (`<cluster>-<role>-ssh`) logs in, with a few dials of
 * grace (a refused login fails within about a minute: LOGIN_DIAL_ERROR_LIMIT), and waits for
 * cloud-init; every host script depends on it.
 */
export function createdHost(
    plan: ClusterPlan, role: string, host: HostPlan, machine: pulumi.CustomResource, instance: pulumi.Output<string | undefined>,
    sshHost: pulumi.Input<string>, hostKey: pulumi.Output<string | undefined>, parent: pulumi.Resource,
): PlatformHost {
    const pinned = hostKey.apply((key) => {
        if (key === undefined && !pulumi.runtime.isDryRun()) {
            void pulumi.log.warn(unpinnedWarning(hostResourceName(plan.name, role, "vm")), parent);
        }
        return key;
    });
    // An undefined host key leaves the connection unpinned (the property is dropped).
    const connection = { ...connectionOf(host.ssh, sshHost), hostKey: pinned as pulumi.Output<string> };
    // Named after the step it precedes (core/names.ts has no step for it).
    const banner = new SshBanner(`${hostResourceName(plan.name, role, "ssh")}-banner`, {
        host: sshHost, port: host.ssh.port, timeoutSeconds: BOOT_TIMEOUT_SECONDS, machine: instance,
    }, { parent, dependsOn: [machine] });
    const ready = new command.remote.Command(hostResourceName(plan.name, role, "ssh"), {
        connection: { ...connection, dialErrorLimit: LOGIN_DIAL_ERROR_LIMIT, perDialTimeout: LOGIN_PER_DIAL_TIMEOUT },
        create: waitForBootCommand().command,
        stdin: instance.apply((id) => waitForBootCommand(id).stdin),
    }, { parent, dependsOn: [machine, banner], customTimeouts: { create: BOOT_TIMEOUT } });
    return { connection, dependsOn: [ready], machine: instance };
}

/** Said on every `pulumi up` for a created machine whose host key lvs-dr does not know. */
export function unpinnedWarning(machine: string): string {
    return `${machine} was created before lvs-dr pinned SSH host keys: its host key is not verified. `
        + "Replace the machine (pulumi up --replace, one at a time) to have it made with a pinned key.";
}
