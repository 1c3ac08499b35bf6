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

# lock_host: one lvs-dr setup or teardown at a time on this host (two clusters may share it, and
# their setups share the remembered kernel parameters); util-linux's flock, released when the
# script exits.
lock_host() {
  command -v flock >/dev/null 2>&1 || die "flock (util-linux) is missing"
  exec 8>/run/lvs-dr-host.lock
  if ! flock -n 8; then
    say "another lvs-dr setup or teardown runs on this host: waiting for it"
    flock -w 900 8 || die "another lvs-dr setup or teardown kept this host locked for 15 minutes"
  fi
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

# LOCK_WAIT: seconds a package run waits for another one (unattended-upgrades right after a
# cloud image's first boot, another cluster's setup) to release the package manager's lock.
LOCK_WAIT=600

# apt_get ARGS...: apt-get, waiting up to LOCK_WAIT seconds for dpkg's lock (apt's own
# DPkg::Lock::Timeout) and for the package lists' lock (which that option does not cover: tried
# again every 5 s). A lock still held then fails the script with apt's words on who holds it.
apt_get() {
  waited=0
  while ! out=$(DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout="$LOCK_WAIT" "$@" </dev/null 2>&1); do
    # apt's last word on the lock: "E: Could not get lock FILE. It is held by process PID (NAME)".
    held=$(printf '%s\n' "$out" | grep 'Could not get lock' | tail -n 1 | sed 's/^.*Could not get lock/Could not get lock/; s/\.\.\.$//')
    if [ -z "$held" ]; then
      printf '%s\n' "$out" >&2
      return 1
    fi
    case $held in
      # apt waited for dpkg's lock itself.
      */dpkg/lock*) waited=$LOCK_WAIT ;;
    esac
    if [ "$waited" -ge "$LOCK_WAIT" ]; then
      die "the package manager stayed locked for ${LOCK_WAIT} s ($held): let that run finish, then run pulumi up again"
    fi
    say "waiting for the package manager's lock ($held)"
    sleep 5
    waited=$((waited + 5))
  done
  printf '%s\n' "$out"
}

# install_tool COMMAND PACKAGE [RPM_PACKAGE]: installs PACKAGE with the host's package manager when
# COMMAND is missing (RPM_PACKAGE with dnf or yum, where the name differs; both wait for their own
# lock).
install_tool() {
  command -v "$1" >/dev/null 2>&1 && return 0
  say "$1 is missing; installing $2"
  if command -v apt-get >/dev/null 2>&1; then
    if ! apt_get install -y -q "$2"; then
      apt_get update -q
      apt_get install -y -q "$2"
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
