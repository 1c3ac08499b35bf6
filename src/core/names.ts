/** Deterministic names and MAC addresses for what the libvirt platform creates. */

/** 32-bit FNV-1a: stable across runs and machines, no crypto needed for naming. */
export function fnv1a(text: string): number {
    let hash = 0x811c9dc5;
    for (const byte of Buffer.from(text, "utf8")) {
        hash ^= byte;
        hash = Math.imul(hash, 0x01000193) >>> 0;
    }
    return hash;
}

/** A Linux bridge name (at most 15 characters) unique to a cluster's network. */
export function bridgeName(networkName: string): string {
    return `lvsdr${fnv1a(networkName).toString(16).padStart(8, "0")}`;
}

/** A locally administered MAC in QEMU's 52:54:00 range, derived from the VM's name. */
export function macAddress(domainName: string): string {
    const hash = fnv1a(domainName);
    const bytes = [0x52, 0x54, 0x00, (hash >>> 16) & 0xff, (hash >>> 8) & 0xff, hash & 0xff];
    return bytes.map((b) => b.toString(16).padStart(2, "0")).join(":");
}
