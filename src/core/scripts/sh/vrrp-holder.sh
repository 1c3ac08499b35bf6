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

# Timing: keepalived takes over three adverts after the peer's last, which may come up to an
# advert before the peer stopped: about 2.1 s after it at the earliest. A backup must be at 2 by
# then. With one probe a step (each second, half a second to time out) it was up to two seconds
# behind under load, and on the lab's emulated VMs sometimes later than the takeover. So a backup
# probes three times a step, a quarter of a second apart, and writes its level after each answer
# or miss (`ping -O` says of a probe still unanswered when it sends the next): it knows within
# about half a second. A miss that was only a slow answer costs nothing: a backup at 2 does not
# preempt (nopreempt), and its next answer brings it back to 0. A step runs three processes
# besides its probes (flock, ip, and ping's pipe): files are read with the shell's own read and
# written only when their value changes.

# vrrp_holds DEV VIP: this director holds VIP (as `ip addr` prints it, with its prefix) on DEV.
vrrp_holds() {
  case " $(ip -o addr show dev "$1" to "$2" 2>/dev/null) " in
    *" $2 "*) return 0 ;;
  esac
  return 1
}

# vrrp_holder_write FILE VALUE: replaces FILE in one rename (keepalived reads it on the rename).
vrrp_holder_write() {
  printf '%s\n' "$2" > "$1.$$"
  mv -f "$1.$$" "$1"
}

# vrrp_holder_level FILE VIP OLD NEW: writes level NEW to FILE unless it holds it already.
vrrp_holder_level() {
  if [ "$4" != "$3" ] || [ ! -f "$1" ]; then
    vrrp_holder_write "$1" "$4"
    logger -t lvs-dr "VIP $2: VRRP holder level $3 -> $4 (0 backup or just took over, 1 peer back as backup, 2 took over from a silent peer)" 2>/dev/null || true
  fi
}

# vrrp_holder DEV VIP PEER LEVEL_FILE STATE_FILE SETTLE: one step. LEVEL_FILE is keepalived's
# track_file; STATE_FILE counts the peer's answers in a row while this director holds the VIP.
# Both live in /run: a reboot starts at 0, as a backup. One step at a time (keepalived starts the
# next while a slow one still waits for the peer's answer).
vrrp_holder() {
  dev=$1 vip=$2 peer=$3 level_file=$4 state_file=$5 settle=$6
  exec 9>>"$state_file.lock"
  flock -n 9 || return 0
  level=
  if [ -f "$level_file" ]; then read -r level < "$level_file" || level=; fi
  case $level in 0|1|2) ;; *) level=0 ;; esac
  was=
  if [ -f "$state_file" ]; then read -r was < "$state_file" || was=; fi
  case $was in ''|*[!0-9]*) was=0 ;; esac
  alive=$was
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
    vrrp_holder_level "$level_file" "$vip" "$level" "$new"
  else
    alive=0
    ping -n -O -c 3 -i 0.25 -W 0.25 "$peer" 2>/dev/null | {
      while read -r line; do
        case $line in
          *" bytes from "*) new=0 ;;
          "no answer yet "*) new=2 ;;
          *) continue ;;
        esac
        vrrp_holder_level "$level_file" "$vip" "$level" "$new"
        level=$new
      done
    }
    # keepalived reads a missing file as 0; the file says so from the first step on.
    [ -f "$level_file" ] || vrrp_holder_write "$level_file" 0
  fi
  if [ "$alive" != "$was" ] || [ ! -f "$state_file" ]; then
    vrrp_holder_write "$state_file" "$alive"
  fi
}
