/**
 * Script fragments that the director and the real-server scripts share: the host checks, the boot
 * unit that replays a host's kernel state, and unbinding the VIP.
 */
import type { HostPaths } from "./paths";
import { script, shq, writeFileCommand } from "./shell";

/** Checks every setup makes before it changes anything. */
export function hostChecks(iface: string, address: string, field: string, facing: string): string {
    return `[ "$(id -u)" = 0 ] || die "must run as root: log in as root or set ssh.sudo (password-less sudo)"
command -v ip >/dev/null 2>&1 || die "the ip command is missing: install iproute2"
[ -d ${shq(`/sys/class/net/${iface}`)} ] || die ${shq(`interface ${iface} not found on ${address}: set ${field} to the NIC that faces ${facing}`)}`;
}

export interface BootUnit {
    description: string;
    /** [Unit] lines that place it in the boot sequence. */
    ordering: string[];
}

/** Writes the up-script and a oneshot unit running it, and enables the unit by its wants link. */
export function installBootUnit(p: HostPaths, unit: BootUnit, upScript: string): string[] {
    const unitText = `[Unit]
Description=${unit.description}
${unit.ordering.join("\n")}

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/sh ${p.upScript}

[Install]
WantedBy=multi-user.target
`;
    return [
        writeFileCommand(p.upScript, "0755", upScript),
        writeFileCommand(p.unitFile, "0644", unitText),
        `if [ "$(readlink ${shq(p.unitWantsLink)} 2>/dev/null || true)" != ${shq(`../${p.unitName}`)} ]; then
  mkdir -p ${shq(p.unitWantsLink.replace(/\/[^/]*$/, ""))}
  ln -sfn ${shq(`../${p.unitName}`)} ${shq(p.unitWantsLink)}
  say ${shq(`enabled ${p.unitName}`)}
  systemd_reload
fi`,
    ];
}

/** Stops (where systemd runs) and removes the unit, its wants link and the up-script. */
export function removeBootUnit(p: HostPaths): string {
    return `if [ -d /run/systemd/system ] && systemctl is-active --quiet ${shq(p.unitName)}; then
  systemctl stop ${shq(p.unitName)}
fi
remove_file ${shq(p.unitWantsLink)}
remove_file ${shq(p.unitFile)}
systemd_reload
remove_file ${shq(p.upScript)}`;
}

/** Removes VIP/32 from a device if it is there. */
export function unbindVip(vip: string, dev: string): string {
    return `if ip -4 -o addr show dev ${shq(dev)} 2>/dev/null | awk '{ print $4 }' | grep -qxF ${shq(`${vip}/32`)}; then
  ip addr del ${shq(`${vip}/32`)} dev ${shq(dev)}
  say ${shq(`VIP ${vip} removed from ${dev}`)}
fi`;
}

/**
 * Run on a VM the platform just created, once SSH answers: waits for cloud-init to finish (the
 * user, key and address it sets up are what the host scripts rely on). Fails only when cloud-init
 * reports a critical error (status 1); recoverable warnings (status 2) are shown, not fatal.
 */
export function renderWaitForBoot(): string {
    return script("Waits until a freshly created VM has finished booting.", `if command -v cloud-init >/dev/null 2>&1; then
  status=0
  cloud-init status --wait >/dev/null 2>&1 || status=$?
  if [ "$status" = 1 ]; then
    cloud-init status --long >&2 || true
    printf 'lvs-dr: cloud-init failed on %s\\n' "$(hostname)" >&2
    exit 1
  fi
  if [ "$status" = 2 ]; then
    printf 'lvs-dr: cloud-init finished with recoverable errors on %s\\n' "$(hostname)" >&2
  fi
fi
printf 'lvs-dr: %s is up\\n' "$(hostname)"`);
}
