import * as command from "@pulumi/command";
import type * as pulumi from "@pulumi/pulumi";
import { renderWaitForBoot } from "../core/host-steps";
import { remoteCommand } from "../core/shell";
import type { PlatformHost } from "./host";

/** How long a new VM may take to answer SSH and finish cloud-init (software emulation is slow). */
export const BOOT_TIMEOUT = "20m";

/**
 * The first command on a VM the platform created: dials until SSH answers (no error limit, the
 * create timeout bounds it), then waits for cloud-init. Every host script depends on it.
 */
export function waitForSsh(
    name: string, connection: PlatformHost["connection"], vm: pulumi.Resource, parent: pulumi.Resource,
): command.remote.Command {
    return new command.remote.Command(name, {
        connection: { ...connection, dialErrorLimit: -1, perDialTimeout: 10 },
        create: remoteCommand(renderWaitForBoot(), false),
    }, { parent, dependsOn: [vm], customTimeouts: { create: BOOT_TIMEOUT } });
}
