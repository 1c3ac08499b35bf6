# shellcheck shell=sh
# lvs-dr: which director of a VRRP pair keeps the VIP when both believe they hold it: after the
# master was paused (a hypervisor pause, a live migration's stun) for longer than the takeover
# time, or after a partition between the directors heals. keepalived settles it by priority alone
# (vrrp_state_master_rx: the master with the lower priority becomes backup at once, whatever
# nopreempt says), so the priority says how this director came to hold the VIP. keepalived runs
# vrrp_holder every second and adds the level it writes (a track_file) times 10 to the base:
#   0  a backup whose peer answers, or holding the VIP while the peer still answers: a backup
#      that wakes from a pause takes the VIP for a moment and meets the live master; it stays
#      at 0 and loses;
#   2  the peer does not answer (ping): as a backup, about to take over from a peer that stopped
#      (paused, cut off or dead), or holding the VIP after it did. A peer that comes back still
#      holding the VIP is at 1 (or 0) and yields: the VIP stays where the connections went. A
#      backup reaches 2 before its takeover (a step a second, the takeover after three adverts),
#      so even its first advert as master outranks the peer's: a paused master wakes to read the
#      adverts that waited for it, and one with a lower priority than its own would make it
#      reassert the VIP with gratuitous ARPs (keepalived's answer to a lower-priority master)
#      before it meets the higher ones and yields; for that moment clients and routers would send
#      the new holder's connections to it, whose table lacks them;
#   1  holding the VIP and the peer has answered SETTLE times in a row: the peer is back and is a
#      backup (one still holding the VIP would have advertised within that time, and one of the
#      two would have yielded). Level 1 stays while this director holds the VIP, so that the
#      peer's next takeover (at 2) wins over it.

# vrrp_holds DEV VIP: this director holds VIP (as `ip addr` prints it, with its prefix) on DEV.
vrrp_holds() {
  ip -o addr show dev "$1" 2>/dev/null | awk '{ print $4 }' | grep -qxF "$2"
}

# vrrp_holder_write FILE VALUE: replaces FILE in one rename (keepalived reads it on the rename).
vrrp_holder_write() {
  printf '%s\n' "$2" > "$1.$$"
  mv -f "$1.$$" "$1"
}

# vrrp_holder DEV VIP PEER LEVEL_FILE STATE_FILE SETTLE: one step. LEVEL_FILE is keepalived's
# track_file; STATE_FILE counts the peer's answers in a row while this director holds the VIP.
# Both live in /run: a reboot starts at 0, as a backup. One step at a time (keepalived starts the
# next while a slow one still waits for the peer's answer).
vrrp_holder() {
  dev=$1 vip=$2 peer=$3 level_file=$4 state_file=$5 settle=$6
  exec 9>>"$state_file.lock"
  flock -n 9 || return 0
  level=$(cat "$level_file" 2>/dev/null || true)
  case $level in 0|1|2) ;; *) level=0 ;; esac
  alive=$(cat "$state_file" 2>/dev/null || true)
  case $alive in ''|*[!0-9]*) alive=0 ;; esac
  new=0
  if vrrp_holds "$dev" "$vip"; then
    if ping -n -q -c 1 -W 0.5 "$peer" >/dev/null 2>&1; then
      [ "$alive" -ge "$settle" ] || alive=$((alive + 1))
    else
      alive=0
    fi
    if [ "$level" = 1 ] || [ "$alive" -ge "$settle" ]; then
      new=1
    elif [ "$alive" -eq 0 ]; then
      new=2
    else
      new=$level
    fi
  else
    alive=0
    if ! ping -n -q -c 1 -W 0.5 "$peer" >/dev/null 2>&1; then
      new=2
    fi
  fi
  vrrp_holder_write "$state_file" "$alive"
  if [ "$new" != "$level" ] || [ ! -e "$level_file" ]; then
    vrrp_holder_write "$level_file" "$new"
    logger -t lvs-dr "VIP $vip: VRRP holder level $level -> $new (0 backup or just took over, 1 peer back as backup, 2 took over from a silent peer)" 2>/dev/null || true
  fi
}
