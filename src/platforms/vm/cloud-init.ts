/**
 * cloud-init's NoCloud documents for a VM a platform creates: the user with its key, and the NIC's
 * static addresses. Pure text; every value was validated, and is JSON-quoted anyway.
 */

/** YAML scalars are written as JSON strings: JSON is YAML, and nothing in them can break out. */
const q = JSON.stringify;

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
        "    ssh_authorized_keys:",
        `      - ${q(publicKey)}`,
        "",
    ].join("\n");
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
