/**
 * cloud-init's NoCloud documents for a VM a platform creates: the user with its key, and the NIC's
 * static addresses. Pure text; every value was validated, and is JSON-quoted anyway.
 */

/** YAML scalars are written as JSON strings: JSON is YAML, and nothing in them can break out. */
const q = JSON.stringify;

/** The line of {@link renderUserData} that opens the user's key list, and how each key's line starts. */
const KEYS_LINE = "    ssh_authorized_keys:";
const KEY_ENTRY = "      - ";

export function renderUserData(hostname: string, user: string, publicKey: string): string {
    const account = user === "root"
        ? [`disable_root: false`, `users:`, `  - name: root`, `    lock_passwd: true`]
        : [`users:`, `  - name: ${q(user)}`, `    sudo: ${q("ALL=(ALL) NOPASSWD:ALL")}`, `    shell: /bin/sh`, `    lock_passwd: true`];
    return [
        "#cloud-config",
        `hostname: ${q(hostname)}`,
        "manage_etc_hosts: true",
        "ssh_pwauth: false",
        ...account,
        KEYS_LINE,
        `${KEY_ENTRY}${q(publicKey)}`,
        "",
    ].join("\n");
}

/**
 * User data with the user's keys taken out: what tells two VMs' first boots apart other than the
 * key. The key is first-boot data a VM keeps (its authorized_keys is kept in place afterwards), so
 * the libvirt diff compares user data this way, and a new key alone never replaces a VM. It reads
 * what {@link renderUserData} writes now and wrote before (the state of older stacks); any other
 * text is returned as it is. The libvirt provider, serialized into the state, calls it (with the
 * two constants above, captured by value).
 */
export function withoutAuthorizedKeys(userData: string): string {
    const lines = userData.split("\n");
    return lines.filter((line, i) => {
        if (!line.startsWith(KEY_ENTRY)) {
            return true;
        }
        // A key line: one of the list's entries right below KEYS_LINE.
        let j = i - 1;
        while (j >= 0 && lines[j].startsWith(KEY_ENTRY)) {
            j--;
        }
        return j < 0 || lines[j] !== KEYS_LINE;
    }).join("\n");
}

/** The VM's NIC: static addresses (IPv6 too when given, router advertisements ignored), optional default route. */
export function renderNetworkConfig(
    mac: string, address: string, prefixLength: number, gateway: string | undefined, ipv6?: { address: string; prefixLength: number },
): string {
    return [
        "version: 2",
        "ethernets:",
        "  eth0:",
        "    match:",
        `      macaddress: ${q(mac)}`,
        "    set-name: eth0",
        ...(ipv6 ? ["    accept-ra: false"] : []),
        "    addresses:",
        `      - ${q(`${address}/${prefixLength}`)}`,
        ...(ipv6 ? [`      - ${q(`${ipv6.address}/${ipv6.prefixLength}`)}`] : []),
        ...(gateway ? ["    routes:", `      - to: ${q("0.0.0.0/0")}`, `        via: ${q(gateway)}`] : []),
        "",
    ].join("\n");
}
