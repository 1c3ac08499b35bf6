#!/usr/bin/env bash
# lab/libvirtd.sh — run libvirtd (system instance) inside a dedicated network namespace.
#
#   lab/libvirtd.sh up            install packages, create the namespace, start virtlogd+libvirtd in it,
#                                 ensure the lab storage pool (idempotent)
#   lab/libvirtd.sh down          remove every lvsdr-* domain and network, the pool and its volumes,
#                                 stop the daemons this script started, delete the namespace (idempotent)
#   lab/libvirtd.sh exec CMD...   run CMD inside the namespace
#   lab/libvirtd.sh status        namespace / daemon / pool state
#
# Why a namespace: there is no init system on the lab machines, and lab networks must stay isolated.
# Daemons started with `ip netns exec` create their bridges (and dnsmasq, firewall rules) inside the
# namespace, which has no uplink. The daemons' unix socket (/run/libvirt/libvirt-sock) is on the shared
# filesystem, so `virsh -c qemu:///system` works from the host namespace as well — but VM addresses
# are reachable only from inside the namespace (use `lab/libvirtd.sh exec ...`).
#
# Environment (all optional):
#   LVSDR_NETNS      network namespace name              (default lvsdr-lab)
#   LVSDR_POOL       libvirt storage pool name           (default lvsdr)
#   LVSDR_POOL_DIR   pool target directory               (default /var/lib/lvsdr-lab/pool)
#   LVSDR_STATE_DIR  PIDs of the daemons started here    (default /var/lib/lvsdr-lab/state)
#   LVSDR_LOG_DIR    daemon log files (kept after down)  (default /var/lib/lvsdr-lab/log)
#   LVSDR_WAIT       seconds to wait for libvirtd        (default 30)
#   LVSDR_KVM        hide | use                          (default hide, see start_daemon)
set -euo pipefail

# shellcheck source=lab/common.sh
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/common.sh"

NS="${LVSDR_NETNS:-lvsdr-lab}"
POOL="${LVSDR_POOL:-lvsdr}"
POOL_DIR="${LVSDR_POOL_DIR:-/var/lib/lvsdr-lab/pool}"
STATE_DIR="${LVSDR_STATE_DIR:-/var/lib/lvsdr-lab/state}"
LOG_DIR="${LVSDR_LOG_DIR:-/var/lib/lvsdr-lab/log}"
WAIT_SECS="${LVSDR_WAIT:-30}"
KVM_MODE="${LVSDR_KVM:-hide}"
PREFIX="lvsdr-"
URI="qemu:///system"

# Default pid files of the privileged daemons (libvirt: virPidFileConstructPath(privileged) →
# $runstatedir/<daemon>.pid). The daemons lock these files, so they also identify a running instance.
LIBVIRTD_PIDFILE=/run/libvirtd.pid
VIRTLOGD_PIDFILE=/run/virtlogd.pid

PACKAGES=(libvirt-daemon-system libvirt-clients libvirt-daemon-driver-qemu qemu-system-x86
  qemu-utils dnsmasq-base genisoimage)
# command → package that provides it (checked after installing, for clear errors)
REQUIRED_CMDS=(
  "libvirtd:libvirt-daemon-system"
  "virtlogd:libvirt-daemon-system"
  "virsh:libvirt-clients"
  "qemu-system-x86_64:qemu-system-x86"
  "qemu-img:qemu-utils"
  "dnsmasq:dnsmasq-base"
  "genisoimage:genisoimage"
  "ip:iproute2"
)

usage() {
  cat >&2 <<'EOF'
usage: lab/libvirtd.sh up | down | status | exec CMD [ARGS...]
EOF
  exit 2
}

virsh_() { virsh -q -c "$URI" "$@"; }

# Value of "Key: value" in the output of `virsh SUBCMD NAME` (dominfo, net-info, pool-info), or nothing.
# The output is captured first: piping virsh into `grep -q` under pipefail fails on SIGPIPE.
virsh_field() { # subcmd name key
  local out
  out="$(virsh_ "$1" "$2" 2>/dev/null)" || return 0
  awk -F': *' -v k="$3" '$1 == k {print $2}' <<<"$out"
}

# ---------------------------------------------------------------- packages

ensure_lab_packages() {
  ensure_packages "$LOG_DIR/apt.log" "${PACKAGES[@]}"
  disable_default_network_autostart
  local entry cmd pkg
  for entry in "${REQUIRED_CMDS[@]}"; do
    cmd="${entry%%:*}"
    pkg="${entry#*:}"
    command -v "$cmd" >/dev/null 2>&1 || die "$cmd not found after installing $pkg"
  done
}

# Debian's libvirt-daemon-config-network (a hard dependency of libvirt-daemon-system) defines the
# NAT network `default` and marks it autostart. Lab networks must stay isolated: no NAT, ever.
disable_default_network_autostart() {
  local link=/etc/libvirt/qemu/networks/autostart/default.xml
  if [ -L "$link" ] || [ -e "$link" ]; then
    log "disabling autostart of libvirt's NAT network 'default' (lab networks stay isolated)"
    rm -f "$link"
  fi
}

# ---------------------------------------------------------------- namespace

ns_exists() { [ -e "/run/netns/$NS" ] && ip netns list 2>/dev/null | awk '{print $1}' | grep -qxF "$NS"; }

ns_inode() { stat -L -c %i "/run/netns/$NS" 2>/dev/null; }

ensure_netns() {
  if ns_exists; then
    log "network namespace $NS exists"
  else
    log "creating network namespace $NS"
    ip netns add "$NS" || die "ip netns add $NS failed (needs CAP_SYS_ADMIN and network namespace support)"
    : >"$STATE_DIR/netns.created"
  fi
  ip netns exec "$NS" ip link set lo up || die "cannot bring lo up in namespace $NS"
}

# ---------------------------------------------------------------- processes

# Field 22 of /proc/PID/stat (start time in clock ticks since boot): guards against PID reuse.
proc_starttime() {
  local stat
  stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
  stat="${stat##*) }" # drop "pid (comm) " — comm may contain spaces
  # shellcheck disable=SC2086
  set -- $stat
  printf '%s\n' "${20}"
}

proc_comm() { cat "/proc/$1/comm" 2>/dev/null; }

# True while PID exists and is not a zombie (daemonized processes are reaped by PID 1, sometimes late).
proc_alive() {
  local state
  state="$(awk '/^State:/ {print $2}' "/proc/$1/status" 2>/dev/null)" || return 1
  [ -n "$state" ] && [ "$state" != Z ]
}

# PID of a running daemon NAME according to its pid file, or nothing.
daemon_pid() { # name pidfile
  local pid
  [ -r "$2" ] || return 0
  pid="$(tr -dc '0-9' <"$2")"
  [ -n "$pid" ] || return 0
  [ "$(proc_comm "$pid")" = "$1" ] || return 0
  proc_alive "$pid" || return 0
  printf '%s\n' "$pid"
}

pid_in_ns() { # pid → true if the process lives in our namespace
  local want have
  want="$(ns_inode)" || return 1
  have="$(readlink "/proc/$1/ns/net" 2>/dev/null)" || return 1
  [ "$have" = "net:[$want]" ]
}

# Liveness: a round trip through libvirtd into the qemu driver. Not `virsh version`: that call looks up
# the QEMU capabilities and blocks while they are (re-)probed — over 10 s on the first call after a
# fresh install, ~4 s on every call with LVSDR_KVM=use here; `list` takes ~20 ms and fails the same
# way when the daemon is not serving.
libvirt_answers() { timeout 10 virsh -c "$URI" list --all --name >/dev/null 2>&1; }

# Before creating anything: a daemon already running outside the lab namespace owns the shared
# /run/libvirt sockets, and networks it creates would not be isolated.
check_foreign_daemon() { # name pidfile
  local pid
  pid="$(daemon_pid "$1" "$2")"
  [ -n "$pid" ] || return 0
  if ! ns_exists || ! pid_in_ns "$pid"; then
    die "$1 (pid $pid, from $2) is already running outside namespace $NS; stop it first (its networks would not be isolated)"
  fi
}

# Start daemon NAME inside the namespace unless it already runs there; record its PID if we started it.
ensure_daemon() { # name pidfile
  local name="$1" pidfile="$2" pid
  pid="$(daemon_pid "$name" "$pidfile")"
  if [ -n "$pid" ]; then
    pid_in_ns "$pid" ||
      die "$name (pid $pid, from $pidfile) is already running outside namespace $NS; stop it first (its bridges would not be isolated)"
    if [ -f "$STATE_DIR/$name.pid" ]; then
      log "$name already running in $NS (pid $pid, started by this script)"
    else
      log "$name already running in $NS (pid $pid, not started by this script: down will leave it running)"
    fi
    return 0
  fi
  command -v "$name" >/dev/null 2>&1 || die "$name not found (package libvirt-daemon-system)"
  log "starting $name in namespace $NS (log: $LOG_DIR/$name.log)"
  # LIBVIRT_LOG_OUTPUTS overrides the daemons' config: warnings and errors go to a file, since there
  # is no syslog/journal on the lab machines.
  local run=(env LIBVIRT_LOG_OUTPUTS="3:file:$LOG_DIR/$name.log" "$name" -d)
  if [ "$name" = libvirtd ] && [ "$KVM_MODE" = hide ] && [ -e /dev/kvm ]; then
    # /dev/kvm exists on the lab machines but guests fail under it (lab notes), and it is root-only
    # (0600, no udev). libvirt probes QEMU as root (KVM works) but checks KVM as the qemu user (KVM
    # unusable), so it finds its capability cache "outdated" on every lookup and re-probes QEMU
    # (~4 s each, ~45 s for one `virsh define`). `ip netns exec` gives the daemon a private mount
    # namespace; there (the host stays unchanged):
    #  - a root-only regular file is bind-mounted over /dev/kvm: libvirt probes TCG only, caches that
    #    once, and refuses <domain type='kvm'> with a clear error;
    #  - a copy of qemu.conf with `namespaces = []` is bind-mounted over /etc/libvirt/qemu.conf: with
    #    per-domain /dev namespaces libvirt would try to move the /dev/kvm mount into each domain's
    #    /dev and fail ("Unable to move ... mount to /dev/kvm: Invalid argument").
    # LVSDR_KVM=use skips both.
    local nokvm="$STATE_DIR/no-kvm" qconf="$STATE_DIR/qemu.conf"
    [ -f /etc/libvirt/qemu.conf ] || die "/etc/libvirt/qemu.conf not found (package libvirt-daemon-driver-qemu)"
    : >"$nokvm"
    (
      umask 077
      sed -E '/^[[:space:]]*namespaces[[:space:]]*=/d' /etc/libvirt/qemu.conf >"$qconf"
      printf '\n# lab/libvirtd.sh: /dev/kvm is hidden by a bind mount; no per-domain /dev namespace\nnamespaces = []\n' >>"$qconf"
    )
    chmod 600 "$nokvm"
    log "hiding /dev/kvm from libvirtd (software emulation only: use <domain type='qemu'>)"
    # shellcheck disable=SC2016 # $1, $2, $@ expand in the inner sh
    run=(sh -c 'mount --bind "$1" /dev/kvm && mount --bind "$2" /etc/libvirt/qemu.conf || exit 1
      shift 2; exec "$@"' sh "$nokvm" "$qconf" "${run[@]}")
  fi
  ip netns exec "$NS" "${run[@]}" || die "$name -d failed in namespace $NS (see $LOG_DIR/$name.log)"
  pid=""
  for _ in $(seq 1 50); do
    pid="$(daemon_pid "$name" "$pidfile")"
    [ -n "$pid" ] && break
    sleep 0.1
  done
  [ -n "$pid" ] || die "$name did not write $pidfile after starting (see $LOG_DIR/$name.log)"
  printf '%s %s\n' "$pid" "$(proc_starttime "$pid")" >"$STATE_DIR/$name.pid"
  log "$name running (pid $pid)"
}

wait_libvirt() {
  local deadline=$((SECONDS + WAIT_SECS))
  until libvirt_answers; do
    [ "$SECONDS" -lt "$deadline" ] ||
      die "libvirtd does not answer 'virsh -c $URI list' after ${WAIT_SECS}s (see $LOG_DIR/libvirtd.log)"
    sleep 0.5
  done
  log "libvirtd answers on $URI"
}

# wait_exit PID TENTHS: true once PID has exited, false if it is still alive after TENTHS/10 s.
wait_exit() {
  local _
  for _ in $(seq 1 "$2"); do
    proc_alive "$1" || return 0
    sleep 0.1
  done
  ! proc_alive "$1"
}

# Stop a daemon this script started (recorded PID + start time), wait for it to exit.
stop_daemon() { # name
  local name="$1" file="$STATE_DIR/$1.pid" pid start
  [ -f "$file" ] || return 0
  read -r pid start <"$file" || true
  if [ -n "${pid:-}" ] && [ "$(proc_comm "$pid")" = "$name" ] && [ "$(proc_starttime "$pid")" = "${start:-}" ]; then
    log "stopping $name (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    if ! wait_exit "$pid" 100; then
      warn "$name (pid $pid) still running after 10s; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      wait_exit "$pid" 50 || die "$name (pid $pid) did not exit"
    fi
    log "$name stopped"
  else
    log "$name (recorded pid ${pid:-?}) is no longer running"
  fi
  rm -f "$file"
}

# Processes still in the namespace after the daemons stopped (a domain or network libvirt could not
# remove, a command started with `exec`). If this script created the namespace they belong to the lab:
# stop them by PID. Otherwise only report them.
stop_leftovers() {
  local pids=() p desc=""
  mapfile -t pids < <(ip netns pids "$NS" 2>/dev/null)
  [ "${#pids[@]}" -gt 0 ] || return 0
  for p in "${pids[@]}"; do desc+=" $p($(proc_comm "$p"))"; done
  if [ ! -f "$STATE_DIR/netns.created" ]; then
    warn "processes still in namespace $NS, which this script did not create (left running):$desc"
    return 0
  fi
  log "stopping processes left in namespace $NS:$desc"
  kill -TERM "${pids[@]}" 2>/dev/null || true
  local left=()
  for _ in $(seq 1 50); do
    left=()
    for p in "${pids[@]}"; do proc_alive "$p" && left+=("$p"); done
    [ "${#left[@]}" -gt 0 ] || return 0
    sleep 0.1
  done
  warn "sending SIGKILL to ${left[*]}"
  kill -KILL "${left[@]}" 2>/dev/null || true
}

# ---------------------------------------------------------------- storage pool

pool_exists() { virsh_ pool-info "$POOL" >/dev/null 2>&1; }
pool_field() { virsh_field pool-info "$POOL" "$1"; }

ensure_pool() {
  if ! pool_exists; then
    log "defining storage pool $POOL (dir $POOL_DIR)"
    mkdir -p "$POOL_DIR"
    virsh_ pool-define-as "$POOL" dir --target "$POOL_DIR" >/dev/null ||
      die "virsh pool-define-as $POOL failed"
  else
    local target
    target="$(virsh_ pool-dumpxml "$POOL" | sed -n 's:.*<path>\(.*\)</path>.*:\1:p' | head -n1)"
    [ "$target" = "$POOL_DIR" ] ||
      die "storage pool $POOL exists with target $target, not LVSDR_POOL_DIR=$POOL_DIR"
  fi
  if [ "$(pool_field State)" != "running" ]; then
    log "starting storage pool $POOL"
    virsh_ pool-build "$POOL" >/dev/null 2>&1 || true # creates the directory; harmless if it exists
    virsh_ pool-start "$POOL" >/dev/null || die "virsh pool-start $POOL failed"
  fi
  if [ "$(pool_field Autostart)" != "yes" ]; then
    virsh_ pool-autostart "$POOL" >/dev/null || die "virsh pool-autostart $POOL failed"
  fi
  log "storage pool $POOL: $(pool_field State), autostart $(pool_field Autostart), target $POOL_DIR"
}

# virtlogd and libvirtd in the namespace (each started only if not running), answering on $URI.
start_daemons() {
  check_foreign_daemon virtlogd "$VIRTLOGD_PIDFILE"
  check_foreign_daemon libvirtd "$LIBVIRTD_PIDFILE"
  ensure_netns
  ensure_daemon virtlogd "$VIRTLOGD_PIDFILE"
  ensure_daemon libvirtd "$LIBVIRTD_PIDFILE"
  wait_libvirt
}

# ---------------------------------------------------------------- subcommands

cmd_up() {
  need_root "network namespaces, libvirt system instance"
  mkdir -p "$STATE_DIR" "$LOG_DIR"
  ensure_lab_packages
  start_daemons
  ensure_pool
  log "up: namespace $NS, $URI, pool $POOL"
}

remove_libvirt_objects() {
  remove_domains
  remove_networks
  remove_pool
}

remove_domains() {
  local d
  while IFS= read -r d; do
    case "$d" in "$PREFIX"*) ;; *) continue ;; esac
    if [ "$(virsh_ domstate "$d" 2>/dev/null)" != "shut off" ]; then
      log "destroying domain $d"
      virsh_ destroy "$d" >/dev/null 2>&1 || warn "virsh destroy $d failed"
    fi
    if [ "$(virsh_field dominfo "$d" Persistent)" = yes ]; then
      log "undefining domain $d"
      virsh_ undefine --managed-save --snapshots-metadata --checkpoints-metadata "$d" >/dev/null 2>&1 ||
        virsh_ undefine "$d" >/dev/null || warn "virsh undefine $d failed"
    fi
  done < <(virsh_ list --all --name 2>/dev/null)
}

remove_networks() {
  local n
  while IFS= read -r n; do
    case "$n" in "$PREFIX"*) ;; *) continue ;; esac
    if [ "$(virsh_field net-info "$n" Active)" = yes ]; then
      log "destroying network $n"
      virsh_ net-destroy "$n" >/dev/null || warn "virsh net-destroy $n failed"
    fi
    if [ "$(virsh_field net-info "$n" Persistent)" = yes ]; then
      log "undefining network $n"
      virsh_ net-undefine "$n" >/dev/null || warn "virsh net-undefine $n failed"
    fi
  done < <(virsh_ net-list --all --name 2>/dev/null)
}

remove_pool() {
  pool_exists || return 0
  local v
  if [ "$(pool_field State)" = "running" ]; then
    virsh_ pool-refresh "$POOL" >/dev/null 2>&1 || true
    while IFS= read -r v; do
      [ -n "$v" ] || continue
      log "deleting volume $POOL/$v"
      virsh_ vol-delete --pool "$POOL" "$v" >/dev/null || warn "virsh vol-delete --pool $POOL $v failed"
    done < <(virsh_ vol-list "$POOL" 2>/dev/null | awk 'NF {print $1}')
    log "destroying storage pool $POOL"
    virsh_ pool-destroy "$POOL" >/dev/null || warn "virsh pool-destroy $POOL failed"
  fi
  log "undefining storage pool $POOL"
  virsh_ pool-undefine "$POOL" >/dev/null || warn "virsh pool-undefine $POOL failed"
  rmdir "$POOL_DIR" 2>/dev/null || true
}

# Persistent lab definitions in libvirt's configuration directory (there even when no daemon runs).
leftover_definitions() {
  compgen -G "/etc/libvirt/qemu/$PREFIX*.xml" || true
  compgen -G "/etc/libvirt/qemu/networks/$PREFIX*.xml" || true
  [ ! -f "/etc/libvirt/storage/$POOL.xml" ] || echo "/etc/libvirt/storage/$POOL.xml"
}

cmd_down() {
  need_root "network namespaces, libvirt system instance"
  if command -v virsh >/dev/null 2>&1 && libvirt_answers; then
    remove_libvirt_objects
  else
    local defs
    defs="$(leftover_definitions | tr '\n' ' ')"
    if [ -n "$defs" ] && command -v libvirtd >/dev/null 2>&1; then
      # e.g. libvirtd crashed or was killed: start it (in the namespace) only to remove what it owns;
      # it reattaches to domains and networks still running there and destroys them properly.
      log "libvirtd does not answer; lab definitions left: $defs- starting libvirtd to remove them"
      mkdir -p "$STATE_DIR" "$LOG_DIR"
      start_daemons
      remove_libvirt_objects
    fi
  fi
  stop_daemon libvirtd
  stop_daemon virtlogd
  if ns_exists; then
    stop_leftovers
    log "deleting network namespace $NS"
    ip netns delete "$NS" || die "ip netns delete $NS failed"
  fi
  rm -rf "$STATE_DIR"
  log "down"
}

cmd_status() {
  local rc=0
  if ns_exists; then
    log "namespace $NS: present"
  else
    log "namespace $NS: absent"
    rc=1
  fi
  local name pidfile pid where
  for name in virtlogd libvirtd; do
    if [ "$name" = libvirtd ]; then pidfile="$LIBVIRTD_PIDFILE"; else pidfile="$VIRTLOGD_PIDFILE"; fi
    pid="$(daemon_pid "$name" "$pidfile")"
    if [ -z "$pid" ]; then
      log "$name: not running"
      continue
    fi
    if pid_in_ns "$pid"; then where="in $NS"; else where="OUTSIDE $NS"; fi
    if [ -f "$STATE_DIR/$name.pid" ]; then where+=", started by this script"; fi
    log "$name: running (pid $pid, $where)"
  done
  if command -v virsh >/dev/null 2>&1 && libvirt_answers; then
    log "libvirtd: answers on $URI"
    if pool_exists; then
      log "pool $POOL: $(pool_field State), autostart $(pool_field Autostart), target $POOL_DIR"
    else
      log "pool $POOL: not defined"
      rc=1
    fi
  else
    log "libvirtd: does not answer on $URI"
    rc=1
  fi
  return "$rc"
}

cmd_exec() {
  need_root "network namespaces, libvirt system instance"
  [ "$#" -gt 0 ] || usage
  ns_exists || die "network namespace $NS does not exist (run: lab/libvirtd.sh up)"
  exec ip netns exec "$NS" "$@"
}

main() {
  [ "$#" -gt 0 ] || usage
  local sub="$1"
  shift
  case "$sub" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  exec) cmd_exec "$@" ;;
  -h | --help | help) usage ;;
  *) usage ;;
  esac
}

main "$@"
