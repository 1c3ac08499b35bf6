# shellcheck shell=sh
# lvs-dr: functions every generated host script includes. POSIX sh; the script runs under set -eu.

# die MESSAGE...: fails the script with a message on stderr.
die() {
  printf 'lvs-dr: error: %s\n' "$*" >&2
  exit 1
}

# say MESSAGE...: a progress line on stdout.
say() {
  printf 'lvs-dr: %s\n' "$*"
}

# note MESSAGE...: a progress line on stderr (for scripts whose stdout is a result).
note() {
  printf 'lvs-dr: %s\n' "$*" >&2
}

# require_root: the scripts change kernel state and files under /etc.
require_root() {
  [ "$(id -u)" = 0 ] || die "must run as root: log in as root or set ssh.sudo (password-less sudo)"
}

# require_interface IFACE MESSAGE: dies with MESSAGE unless the network interface exists.
require_interface() {
  command -v ip >/dev/null 2>&1 || die "the ip command is missing: install iproute2"
  [ -d "/sys/class/net/$1" ] || die "$2"
}

# write_file PATH MODE < content: replaces PATH only when the content differs (atomic rename).
write_file() {
  mkdir -p "$(dirname "$1")"
  tmp="$1.lvs-dr-tmp"
  cat > "$tmp"
  chmod "$2" "$tmp"
  if cmp -s "$tmp" "$1"; then
    rm -f "$tmp"
  else
    mv -f "$tmp" "$1"
    say "wrote $1"
  fi
}

# remove_file PATH: removes a file this tool wrote; absent is fine.
remove_file() {
  if [ -e "$1" ] || [ -L "$1" ]; then
    rm -f "$1"
    say "removed $1"
  fi
}

# remove_dir PATH...: removes each directory this tool created once it is empty (another
# cluster's or the operator's files keep it).
remove_dir() {
  for dir in "$@"; do
    if [ -d "$dir" ] && [ -z "$(ls -A "$dir")" ]; then
      rmdir "$dir"
    fi
  done
}

# bind_vip ADDRESS/PREFIX DEV [LABEL]: binds the address on DEV (idempotent).
bind_vip() {
  if [ "$#" -ge 3 ]; then
    ip addr replace "$1" dev "$2" label "$3"
  else
    ip addr replace "$1" dev "$2"
  fi
}

# bind_vip6 ADDRESS/128 DEV: binds an IPv6 VIP on DEV (idempotent): no duplicate address detection
# (the VIP is on other hosts by design), deprecated so that it is never the source the host picks
# for its own connections (health checks, NDP); it still receives, and replies come from it.
bind_vip6() {
  ip -6 addr replace "$1" dev "$2" nodad preferred_lft 0
}

# unbind_vip ADDRESS/PREFIX DEV: removes the address from DEV if it is there.
unbind_vip() {
  if ip -o addr show dev "$2" 2>/dev/null | awk '{ print $4 }' | grep -qxF "$1"; then
    ip addr del "$1" dev "$2"
    say "VIP $1 removed from $2"
  fi
}

# install_tool COMMAND PACKAGE [RPM_PACKAGE]: installs PACKAGE with the host's package manager when
# COMMAND is missing (RPM_PACKAGE with dnf or yum, where the name differs).
install_tool() {
  command -v "$1" >/dev/null 2>&1 && return 0
  say "$1 is missing; installing $2"
  if command -v apt-get >/dev/null 2>&1; then
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$2" </dev/null; then
      apt-get update -q </dev/null
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$2" </dev/null
    fi
  elif command -v dnf >/dev/null 2>&1; then
    dnf install -y "${3:-$2}" </dev/null
  elif command -v yum >/dev/null 2>&1; then
    yum install -y "${3:-$2}" </dev/null
  else
    die "$1 is missing and no apt-get, dnf or yum was found: install $2 on this host"
  fi
  command -v "$1" >/dev/null 2>&1 || die "$1 is still missing after installing $2"
}
