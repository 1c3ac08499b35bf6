# shellcheck shell=sh
# lvs-dr: the systemd unit that replays a host's kernel state at every boot.

# systemd_reload: only where systemd is the running init; elsewhere the enable symlink suffices.
systemd_reload() {
  if [ -d /run/systemd/system ]; then
    systemctl daemon-reload
  fi
}

# enable_unit UNIT WANTS_LINK: enables UNIT by its multi-user.target.wants link, as
# `systemctl enable` would; this also works where systemd is not running (images, chroots).
# No daemon-reload: the unit is only ever started by the next boot, which reads the link and the
# file from disk (setup applies the state itself); a reload re-runs every generator, 10 s of CPU
# on a small emulated VM and more under load (measured), for nothing.
enable_unit() {
  if [ "$(readlink "$2" 2>/dev/null || true)" != "../$1" ]; then
    mkdir -p "$(dirname "$2")"
    ln -sfn "../$1" "$2"
    say "enabled $1"
  fi
}

# remove_unit UNIT UNIT_FILE WANTS_LINK: stops UNIT where systemd runs, removes it and its link;
# the reload then drops the unit from systemd's memory (no stale unit is left listed).
remove_unit() {
  if [ -d /run/systemd/system ] && systemctl is-active --quiet "$1"; then
    systemctl stop "$1"
  fi
  remove_file "$3"
  remove_file "$2"
  systemd_reload
}
