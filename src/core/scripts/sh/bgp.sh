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
# `generation`, counted up by every opening event (up, release).
#
# Closing is at once and waits for nothing: keepalived runs the gate when a director's checks fail,
# when a busy or small host is slowest to start programs, so the state is read and written with
# the shell's own redirections and closing starts one program, ip, and takes no lock.
#
# Opening waits: the calling script sets HOLD_SECONDS, and a closed gate opens only once it has
# wanted to for that long with no opening event between (a check interval and timeout: every live real
# server has passed its check again by then). A director that comes back announces its whole
# table, not the first server that passed: the others' connections the routers move to it would
# otherwise go to that server (mh-fallback) and be reset. Openings take the gate's lock, one at a
# time, and look again after they opened: a closing between their look and their route wins.

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

# bgp_gate_wanted: no withdrawal is on and a service has a live real server.
bgp_gate_wanted() {
  [ ! -e "$GATE_DIR/withdrawn" ] && bgp_gate_any_up
}

# bgp_gate_generation: the current generation, in `generation` (no subshell).
bgp_gate_generation() {
  generation=""
  [ ! -f "$GATE_DIR/generation" ] || read -r generation <"$GATE_DIR/generation" || true
  case $generation in
    '' | *[!0-9]*) generation=0 ;;
  esac
}

# bgp_gate_close: the VIP's route out of the gate table.
bgp_gate_close() {
  ip route flush table "$GATE_TABLE"
}

# bgp_gate_open_now: the VIP's route in the gate table (a blackhole: the BGP speaker only reads
# it; the VIP itself is bound on lo, where IPVS takes its packets); then a look again, as a
# closing may have come between the caller's look and the route.
bgp_gate_open_now() {
  ip route replace blackhole "$VIP/32" table "$GATE_TABLE"
  bgp_gate_wanted || bgp_gate_close
}

# bgp_gate_hold: `bgp_gate settle GENERATION` once HOLD_SECONDS are over, in the background; at
# once without a hold.
bgp_gate_hold() {
  bgp_gate_generation
  if [ "${HOLD_SECONDS:-0}" -eq 0 ]; then
    bgp_gate settle "$generation"
    return 0
  fi
  # It holds none of the caller's descriptors while it waits: not the gate's lock (7), the
  # host's (8) or keepalived's (9), nor the rules' report (3) an SSH session waits on.
  (
    exec 3>&- 7>&- 8>&- 9>&-
    sleep "$HOLD_SECONDS"
    bgp_gate settle "$generation"
  ) </dev/null >/dev/null 2>&1 &
}

# bgp_gate EVENT [KEY]: `up KEY` and `down KEY` (keepalived's quorum hooks of service KEY),
# `flush` (keepalived stopped: no service is up), `withdraw` (a planned removal: closed whatever
# the checks say), `release` (the rules applied again: the checks decide), `settle GENERATION`
# (a hold is over: the gate opens if it is still wanted and no opening event came since).
bgp_gate() {
  # A hold that outlived the gate (the director's teardown removed it): nothing to open.
  if [ "$1" = settle ] && [ ! -d "$GATE_DIR/up" ]; then
    return 0
  fi
  [ -d "$GATE_DIR/up" ] || mkdir -p "$GATE_DIR/up"
  case $1 in
    up | release)
      # An opening event: a hold scheduled before it is void, its own starts now.
      bgp_gate_generation
      echo $((generation + 1)) >"$GATE_DIR/generation"
      ;;
  esac
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
    settle) ;;
    *) die "bgp_gate: unknown event $1" ;;
  esac
  if ! bgp_gate_wanted; then
    bgp_gate_close
    # An opening event between the look above and the route, which saw the route still there:
    # its hold starts here.
    if bgp_gate_wanted; then
      bgp_gate_hold
    fi
    return 0
  fi
  case $1 in
    up | release | settle) ;;
    # Still wanted: open, or opening once a hold is over.
    *) return 0 ;;
  esac
  exec 7>"$GATE_DIR/lock"
  flock 7
  if [ "$1" = settle ]; then
    bgp_gate_generation
    if [ "$2" = "$generation" ]; then
      bgp_gate_open_now
    fi
  elif ! bgp_gate_open; then
    bgp_gate_hold
  fi
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
