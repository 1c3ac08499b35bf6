/**
 * `<cluster>-<role>-ssh-banner`: waits, in the provider process on the machine that runs Pulumi,
 * until a machine the platform just created answers on its SSH port (ssh-banner.ts). It carries no
 * key and logs nothing in: its inputs are where to knock, for how long, and the machine's ID (a
 * new machine behind the same address is waited for again).
 */
import * as pulumi from "@pulumi/pulumi";
import { waitForSshBanner } from "./ssh-banner";

export interface SshBannerInputs {
    host: string;
    port: number;
    /** Gives up after this long. */
    timeoutSeconds: number;
    /** The machine's ID: a change (a replaced machine) waits again. */
    machine?: string;
}

/** What changes the knock: anything but the timeout. */
const WAITED_ON = ["host", "port", "machine"] as const;

export const sshBannerProvider: pulumi.dynamic.ResourceProvider = {
    async create(inputs: SshBannerInputs) {
        const identification = await waitForSshBanner({ host: inputs.host, port: inputs.port, timeoutMs: inputs.timeoutSeconds * 1000 });
        return { id: `${inputs.host}:${inputs.port}`, outs: { ...inputs, identification } };
    },
    async diff(_id: string, olds: SshBannerInputs, news: SshBannerInputs) {
        const changes = [...WAITED_ON, "timeoutSeconds" as const].some((k) => olds[k] !== news[k]);
        return { changes, replaces: [], deleteBeforeReplace: false };
    },
    async update(_id: string, olds: SshBannerInputs & { identification?: string }, news: SshBannerInputs) {
        const again = WAITED_ON.some((k) => olds[k] !== news[k]);
        const identification = again
            ? await waitForSshBanner({ host: news.host, port: news.port, timeoutMs: news.timeoutSeconds * 1000 })
            : olds.identification;
        return { outs: { ...news, identification } };
    },
    // Nothing to undo: the knock changed nothing on the machine.
};

export class SshBanner extends pulumi.dynamic.Resource {
    /** What the server sent first, e.g. `SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3`. */
    declare readonly identification: pulumi.Output<string>;

    constructor(name: string, args: { [K in keyof SshBannerInputs]: pulumi.Input<SshBannerInputs[K]> }, opts?: pulumi.CustomResourceOptions) {
        super(sshBannerProvider, name, { ...args, identification: undefined }, opts, "lvs-dr", "SshBanner");
    }
}
