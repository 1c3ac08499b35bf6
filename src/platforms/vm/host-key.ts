/**
 * SSH host keys for machines a platform creates: made by the component before the machine boots,
 * handed to it through cloud-init (`ssh_keys`), and pinned in every SSH connection to it, so a
 * machine in the middle never receives a root script. ed25519 only: cloud-init deletes the image's
 * keys and generates none; a pin restricts the client to the pinned key's type (pulumi-command sets
 * HostKeyAlgorithms to it), so keys of other types that an image's sshd unit may make at boot
 * (RHEL's sshd-keygen) never authenticate a connection.
 *
 * `newHostKey` runs inside dynamic providers, which the engine serializes and runs in another
 * process: it uses nothing but `require`d Node built-ins.
 */

/** A host key pair in OpenSSH's formats. */
export interface HostKeyPair {
    /** `ssh-ed25519 AAAA…`: what the connection pins (known_hosts' key part). */
    publicKey: string;
    /** `-----BEGIN OPENSSH PRIVATE KEY-----…`: what sshd reads; goes only into the machine's first-boot data. */
    privateKey: string;
}

/** A new ed25519 host key pair (Node's crypto, written in OpenSSH's `openssh-key-v1` format, unencrypted). */
export function newHostKey(comment = "lvs-dr host key"): HostKeyPair {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const crypto = require("crypto") as typeof import("crypto");
    const { publicKey, privateKey } = crypto.generateKeyPairSync("ed25519");
    const jwk = privateKey.export({ format: "jwk" });
    const pub = Buffer.from(publicKey.export({ format: "jwk" }).x ?? "", "base64url");
    const seed = Buffer.from(jwk.d ?? "", "base64url");
    if (pub.length !== 32 || seed.length !== 32) {
        throw new Error("lvs-dr: Node's crypto returned an ed25519 key of an unexpected size");
    }
    const u32 = (n: number) => {
        const b = Buffer.alloc(4);
        b.writeUInt32BE(n);
        return b;
    };
    const str = (b: Buffer | string) => {
        const bytes = typeof b === "string" ? Buffer.from(b) : b;
        return Buffer.concat([u32(bytes.length), bytes]);
    };
    const type = "ssh-ed25519";
    const publicBlob = Buffer.concat([str(type), str(pub)]);
    const check = crypto.randomBytes(4);
    let secret = Buffer.concat([check, check, str(type), str(pub), str(Buffer.concat([seed, pub])), str(comment)]);
    // Padded with 1, 2, 3, … to the cipher's block size (8 for "none").
    const pad = (8 - (secret.length % 8)) % 8;
    secret = Buffer.concat([secret, Buffer.from(Array.from({ length: pad }, (_, i) => i + 1))]);
    const body = Buffer.concat([
        Buffer.from("openssh-key-v1\0"), str("none"), str("none"), str(""), u32(1), str(publicBlob), str(secret),
    ]).toString("base64");
    const lines = body.match(/.{1,70}/g) ?? [];
    return {
        publicKey: `${type} ${publicBlob.toString("base64")}`,
        privateKey: ["-----BEGIN OPENSSH PRIVATE KEY-----", ...lines, "-----END OPENSSH PRIVATE KEY-----", ""].join("\n"),
    };
}

/**
 * The cloud-config lines that make `key` the machine's only host key: cloud-init deletes the
 * image's keys and, given `ssh_keys`, generates none. Top-level keys: appended to a cloud-config.
 * Values JSON-quoted (JSON is YAML).
 */
export function hostKeyCloudConfig(key: HostKeyPair): string {
    return [
        "ssh_deletekeys: true",
        "ssh_genkeytypes: []",
        "ssh_keys:",
        `  ed25519_private: ${JSON.stringify(key.privateKey)}`,
        `  ed25519_public: ${JSON.stringify(key.publicKey)}`,
        "",
    ].join("\n");
}
