# shellcheck shell=sh
# lvs-dr: active-active directors. Each director runs a BIRD instance of the cluster's (a unit of
# its own, beside any `bird` service the host has) that announces the VIP to the routers while the
# director's health gate holds the VIP's route in the cluster's gate table; keepalived's quorum
# hooks open and close the gate, a planned removal closes it for good first.
#
# The calling script sets: VIP, GATE_TABLE (the cluster's routing table), GATE_DIR (the gate's
# state, under /run: a reboot starts closed until keepalived's checks pass), BIRD_SOCKET.

# The gate's state, under GATE_DIR: a file per service of the VIP in up/ that says `up` or `down`
# (an empty one, as earlier versions left, is `up`); `withdrawn` while a planned removal is on;
# `open` (yes or no) as the gate last applied it; `generation`, counted up by every event.
# keepalived runs the gate when a director's checks fail, when a busy or small host is slowest to
# start programs: the state is read and written with the shell's own redirections, and closing
# starts only flock and ip.
#
# The calling script also sets HOLD_SECONDS: the gate opens only once it has wanted to open for
# that long with no event between (a check interval and timeout: every live real server has
# passed its check again by then). A director that comes back opens with its whole table, not with
# the first server that passed: the others' connections the routers move to it would otherwise be
# sent to that server (mh-fallback) and reset. Closing is at once.

# bgp_gate_any_up: a service of the VIP has a live real server.
bgp_gate_any_up() {
  for f in "$GATE_DIR"/up/*; do
    [ -f "$f" ] || continue
    state=""
    read -r state <"$f" || true
    [ "$state" = down ] || return 0
  done
  return 1
}

# bgp_gate_read FILE: FILE's first line, or nothing, in `line` (no subshell: keepalived's hot path).
bgp_gate_read() {
  line=""
  [ ! -f "$1" ] || read -r line <"$1" || true
}

# bgp_gate_apply [now]: the VIP's route in the gate table while no withdrawal is on and a service of
# the VIP has a live real server; none otherwise. A closed gate opens HOLD_SECONDS later, through
# `bgp_gate settle` in the background, unless `now` (the hold is over) or no hold is set. The route
# is a blackhole: the BGP speaker only reads it (the VIP itself is bound on lo, where IPVS takes
# its packets).
bgp_gate_apply() {
  if [ ! -e "$GATE_DIR/withdrawn" ] && bgp_gate_any_up; then
    bgp_gate_read "$GATE_DIR/open"
    if [ "$line" = yes ]; then
      return 0
    fi
    if [ "${1:-}" = now ] || [ "${HOLD_SECONDS:-0}" -eq 0 ]; then
      ip route replace blackhole "$VIP/32" table "$GATE_TABLE"
      echo yes >"$GATE_DIR/open"
    else
      bgp_gate_read "$GATE_DIR/generation"
      # The settle holds none of the caller's descriptors while it waits: not the gate's lock (7),
      # the host's (8) or keepalived's (9), nor the rules' report (3) an SSH session waits on.
      (
        exec 3>&- 7>&- 8>&- 9>&-
        sleep "$HOLD_SECONDS"
        bgp_gate settle "$line"
      ) </dev/null >/dev/null 2>&1 &
    fi
  else
    ip route flush table "$GATE_TABLE"
    echo no >"$GATE_DIR/open"
  fi
}

# bgp_gate EVENT [KEY]: `up KEY` and `down KEY` (keepalived's quorum hooks of service KEY),
# `flush` (keepalived stopped: no service is up), `withdraw` (a planned removal: closed whatever
# the checks say), `release` (the rules applied again: the checks decide), `settle GENERATION`
# (a hold is over: the gate opens if nothing happened since). keepalived may run several hooks at
# once: one at a time, under the gate's lock.
bgp_gate() {
  # A hold that outlived the gate (the director's teardown removed it): nothing to open.
  if [ "$1" = settle ] && [ ! -d "$GATE_DIR/up" ]; then
    return 0
  fi
  [ -d "$GATE_DIR/up" ] || mkdir -p "$GATE_DIR/up"
  exec 7>"$GATE_DIR/lock"
  flock 7
  bgp_gate_read "$GATE_DIR/generation"
  generation=$line
  case $generation in
    '' | *[!0-9]*) generation=0 ;;
  esac
  if [ "$1" = settle ]; then
    if [ "$2" = "$generation" ]; then
      bgp_gate_apply now
    fi
    exec 7>&-
    return 0
  fi
  echo $((generation + 1)) >"$GATE_DIR/generation"
  case $1 in
    up) echo up >"$GATE_DIR/up/$2" ;;
    down) echo down >"$GATE_DIR/up/$2" ;;
    flush)
      for f in "$GATE_DIR"/up/*; do
        [ ! -f "$f" ] || echo down >"$f"
      done
      ;;
    withdraw) : >"$GATE_DIR/withdrawn" ;;
    release) rm -f "$GATE_DIR/withdrawn" ;;
    *) die "bgp_gate: unknown event $1" ;;
  esac
  bgp_gate_apply
  exec 7>&-
}

# bgp_gate_open: the VIP's route is in the gate table.
bgp_gate_open() {
  [ -n "$(ip route show table "$GATE_TABLE" 2>/dev/null)" ]
}

# bgp_write_conf PATH < content: the cluster's BIRD configuration, which holds the routers' BGP
# passwords where they have them: readable by root and BIRD's group (0640 root:bird), or by root
# alone where BIRD runs as root; written under a private umask, so no copy is ever readable by others.
bgp_write_conf() {
  mkdir -p "$(dirname "$1")"
  (umask 077; write_file "$1" 0600)
  if id bird >/dev/null 2>&1; then
    chgrp bird "$1"
    chmod 0640 "$1"
  else
    chmod 0600 "$1"
  fi
}

# bgp_install_unit UNIT UNIT_FILE WANTS_LINK CONF SOCKET_DIR DESCRIPTION: the cluster's BIRD unit,
# enabled. BIRD runs as the `bird` user its package made, with the capabilities BGP and BFD need;
# as root where no such user exists.
bgp_install_unit() {
  bird=$(command -v bird) || die "bird is not installed"
  birdc=$(command -v birdc) || die "birdc is not installed"
  user=""
  if id bird >/dev/null 2>&1; then
    user="User=bird
Group=bird
AmbientCapabilities=CAP_NET_ADMIN CAP_NET_BIND_SERVICE CAP_NET_RAW
CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_BIND_SERVICE CAP_NET_RAW"
  fi
  write_file "$2" 0644 <<EOF
[Unit]
Description=$6
Wants=network-online.target
After=network-online.target

[Service]
$user
RuntimeDirectory=$(basename "$5")
ExecStart=$bird -f -c $4 -s $5/bird.ctl
ExecReload=$birdc -s $5/bird.ctl configure
Restart=on-failure
RestartSec=1

[Install]
WantedBy=multi-user.target
EOF
  enable_unit "$1" "$3"
}

# bgp_start UNIT CONF: starts the BIRD unit, or has a running one read CONF again (sessions whose
# settings did not change stay up). Only where systemd runs.
bgp_start() {
  [ -d /run/systemd/system ] || return 0
  bird -p -c "$2" || die "BIRD refuses $2"
  # A reload only when a unit file changed (the speaker's, or keepalived's drop-in): it re-runs
  # every generator, seconds of CPU on a small machine.
  for unit in "$1" keepalived.service; do
    if [ "$(systemctl show -p NeedDaemonReload --value "$unit")" = yes ]; then
      systemctl daemon-reload
      break
    fi
  done
  if systemctl is-active --quiet "$1"; then
    birdc -s "$BIRD_SOCKET" configure >/dev/null || die "BIRD could not load $2"
  else
    systemctl start "$1"
    say "started $1"
  fi
}

# bgp_keepalived_dropin FILE GATE_SCRIPT: keepalived's drop-in that closes the gate whenever
# keepalived stops or dies (its checks no longer run: this director must not attract traffic).
bgp_keepalived_dropin() {
  write_file "$1" 0644 <<EOF
# lvs-dr: VIP $VIP is announced only while keepalived checks its real servers.
[Service]
ExecStopPost=-/bin/sh $2 flush
EOF
}

# bgp_in_packets: packets IPVS took in for the VIP's services and the cluster's firewall marks
# (MARKS_T, space-separated), summed.
bgp_in_packets() {
  ipvsadm -Ln --stats --exact | awk -v vip="$VIP:" -v marks=" ${MARKS_T:-} " '
    ($1 == "TCP" || $1 == "UDP") && index($2, vip) == 1 { sum += $4 }
    $1 == "FWM" && index(marks, " " $2 " ") > 0 { sum += $4 }
    END { print sum + 0 }'
}

# bgp_withdraw SECONDS: a planned removal's first step. The gate closes (the routers drop this
# director's path; with Maglev hashing and sloppy_tcp the other directors carry its connections on
# to the same real servers), then the director waits until no packet for the VIP has arrived for
# QUIET_SECONDS (the routers have moved the traffic), at most SECONDS of wall-clock time. IPVS
# adds its per-CPU packet counters into the totals it shows every 2 s (its estimator): a quiet
# spell must outlast that period to mean no packet came, hence 3 s; and each poll costs time on a
# slow host, hence the clock rather than a count of polls.
QUIET_SECONDS=3
bgp_withdraw() {
  bgp_gate withdraw
  say "VIP $VIP withdrawn from the routers: waiting for its traffic to leave this director"
  start=$(date +%s)
  last=$(bgp_in_packets)
  last_change=$start
  now=$start
  while [ $((now - last_change)) -lt "$QUIET_SECONDS" ] && [ $((now - start)) -lt "$1" ]; do
    sleep 0.5
    packets=$(bgp_in_packets)
    now=$(date +%s)
    if [ "$packets" != "$last" ]; then
      last=$packets
      last_change=$now
    fi
  done
  if [ $((now - last_change)) -ge "$QUIET_SECONDS" ]; then
    say "no packet for VIP $VIP for ${QUIET_SECONDS} s after $((now - start)) s: its traffic has left this director"
  else
    say "packets for VIP $VIP still arrive after $1 s: a router keeps this director's path (check its BGP session)"
  fi
}

# bgp_settled: the gate is open and every BGP session of the cluster's BIRD is established.
bgp_settled() {
  bgp_gate_open || return 1
  bgp_report | awk '$1 == "peer" { n++; if ($3 != "Established") bad = 1 } END { exit (n == 0 || bad) }'
}

# bgp_wait_sessions SECONDS: waits until bgp_settled, at most SECONDS of wall-clock time (a new
# director's sessions and first checks take seconds; each poll takes time too on a slow host).
# Only where systemd runs the speaker. What was missing at the end is said (the report follows).
bgp_wait_sessions() {
  [ -d /run/systemd/system ] || return 0
  start=$(date +%s)
  until bgp_settled; do
    if [ $(($(date +%s) - start)) -ge "$1" ]; then
      if bgp_gate_open; then
        note "a BGP session of VIP $VIP is not established after $1 s"
      else
        note "VIP $VIP is not announced after $1 s: keepalived has not found a live real server yet (its checks)"
      fi
      return 0
    fi
    sleep 0.2
  done
}

# bgp_report: a line per BGP session, `peer NAME STATE` (BIRD's protocol name and its BGP state:
# Established, Active, Connect, ...), then `announces yes` while the gate is open and a session is
# established, `announces no` otherwise.
bgp_report() {
  sessions=$(birdc -s "$BIRD_SOCKET" show protocols 2>/dev/null | awk '$2 == "BGP" { print "peer", $1, ($6 == "" ? $4 : $6) }')
  if [ -n "$sessions" ]; then
    printf '%s\n' "$sessions"
  fi
  if bgp_gate_open && printf '%s\n' "$sessions" | grep -q ' Established$'; then
    echo "announces yes"
  else
    echo "announces no"
  fi
}
