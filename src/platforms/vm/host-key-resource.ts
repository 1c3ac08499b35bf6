/**
 * A host key the component makes for a machine whose first-boot data it writes before the
 * machine exists (an EC2 instance's user data). The private half is a secret output: it is in
 * the state (encrypted) so that a preview of an unchanged stack changes nothing.
 */
import * as pulumi from "@pulumi/pulumi";
import { newHostKey } from "./host-key";

/** The key's SHA-256 fingerprint as `ssh-keygen -l` prints it (`SHA256:…`). */
export function hostKeyFingerprint(publicKey: string): string {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { createHash } = require("crypto") as typeof import("crypto");
    const blob = Buffer.from(publicKey.trim().split(/\s+/)[1] ?? "", "base64");
    return `SHA256:${createHash("sha256").update(blob).digest("base64").replace(/=+$/, "")}`;
}

const hostKeyProvider: pulumi.dynamic.ResourceProvider = {
    async create() {
        const key = newHostKey();
        return { id: hostKeyFingerprint(key.publicKey), outs: key };
    },
    // No inputs: a host key never changes once made (replace the resource to rotate it).
    async diff() {
        return { changes: false };
    },
};

export class HostKey extends pulumi.dynamic.Resource {
    /** `ssh-ed25519 AAAA…` */
    declare readonly publicKey: pulumi.Output<string>;
    /** OpenSSH's private key format; a secret. */
    declare readonly privateKey: pulumi.Output<string>;

    constructor(name: string, opts?: pulumi.CustomResourceOptions) {
        super(hostKeyProvider, name, { publicKey: undefined, privateKey: undefined },
            { ...opts, additionalSecretOutputs: ["privateKey"] }, "lvs-dr", "HostKey");
    }
}
