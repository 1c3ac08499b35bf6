/**
 * Script fragments that the director and the real-server scripts share: the host checks, the boot
 * unit that replays a host's kernel state, and unbinding the VIP.
 */
import type { HostPaths } from "./paths";
import { script, shq, writeFileCommand } from "./shell";

export interface Sysctl {
    /** Path under /proc/sys, slash-separated so that interface names with dots stay intact. */
    path: string;
    value: string;
}

/**
 * set_sysctl PATH VALUE, for the up-scripts. A path that is not there yet at boot (an interface
 * that appears later) gets its value from sysctl.d when it appears (udev runs systemd-sysctl for
 * new interfaces); conf/all covers it meanwhile.
 */
export const SET_SYSCTL = `set_sysctl() {
  if [ -e "/proc/sys/$1" ]; then
    if [ "$(cat "/proc/sys/$1")" != "$2" ]; then
      printf '%s\\n' "$2" > "/proc/sys/$1"
    fi
  else
    printf 'lvs-dr: /proc/sys/%s is absent for now; sysctl.d sets it when it appears\\n' "$1" >&2
  fi
}`;

/** Defines remember(): records a value to restore on teardown, once (the first setup's value wins). */
export function rememberFunction(originals: string): string {
    return `ORIGINAL=${shq(originals)}

# remember KEY VALUE: records a value to restore on teardown, once (the first setup's value wins).
remember() {
  if [ -f "$ORIGINAL" ] && awk -v k="$1" '$1 == k { found = 1 } END { exit !found }' "$ORIGINAL"; then
    return 0
  fi
  mkdir -p "$(dirname "$ORIGINAL")"
  printf '%s %s\\n' "$1" "$2" >> "$ORIGINAL"
}`;
}

/** Setup lines recording the current value of each sysctl (present ones) before it is changed. */
export function rememberSysctls(sysctls: Sysctl[]): string {
    return "# Values before the first setup, restored by teardown.\n" + sysctls.map((s) =>
        `if [ -e ${shq(`/proc/sys/${s.path}`)} ]; then remember ${shq(s.path)} "$(cat ${shq(`/proc/sys/${s.path}`)})"; fi`).join("\n");
}

/** Teardown: puts back every value remember() recorded, then forgets them. */
export function restoreRemembered(originals: string): string {
    return `ORIGINAL=${shq(originals)}
if [ -f "$ORIGINAL" ]; then
  while read -r key value; do
    case "$key" in
      link:*)
        ip link set "\${key#link:}" "$value" 2>/dev/null || true ;;
      *)
        if [ -e "/proc/sys/$key" ]; then
          printf '%s\\n' "$value" > "/proc/sys/$key"
        fi ;;
    esac
  done < "$ORIGINAL"
  say "restored the kernel parameters saved in $ORIGINAL"
  remove_file "$ORIGINAL"
fi`;
}

/** The sysctl.d file of a role: the same values, applied by systemd-sysctl at boot. */
export function sysctlConf(description: string, sysctls: Sysctl[]): string {
    return `# ${description}; written by lvs-dr, removed by its teardown.\n` +
        sysctls.map((s) => `${s.path} = ${s.value}`).join("\n") + "\n";
}

/** Checks every setup makes before it changes anything. */
export function hostChecks(iface: string, address: string, fix: string): string {
    return `[ "$(id -u)" = 0 ] || die "must run as root: log in as root or set ssh.sudo (password-less sudo)"
command -v ip >/dev/null 2>&1 || die "the ip command is missing: install iproute2"
[ -d ${shq(`/sys/class/net/${iface}`)} ] || die ${shq(`interface ${iface} not found on ${address}: ${fix}`)}`;
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
