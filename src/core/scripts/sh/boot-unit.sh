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
enable_unit() {
  if [ "$(readlink "$2" 2>/dev/null || true)" != "../$1" ]; then
    mkdir -p "$(dirname "$2")"
    ln -sfn "../$1" "$2"
    say "enabled $1"
    systemd_reload
  fi
}

# remove_unit UNIT UNIT_FILE WANTS_LINK: stops UNIT where systemd runs, removes it and its link.
remove_unit() {
  if [ -d /run/systemd/system ] && systemctl is-active --quiet "$1"; then
    systemctl stop "$1"
  fi
  remove_file "$3"
  remove_file "$2"
  systemd_reload
}
