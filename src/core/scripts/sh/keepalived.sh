# shellcheck shell=sh
# lvs-dr: keepalived owns the director's IPVS table (and, for a director pair, the VIP). The
# rules script writes this cluster's file, has keepalived check it before it is used, and reloads
# keepalived: on SIGHUP it diffs the old and new configuration, so unchanged real servers keep
# their connections. Never a restart: keepalived deletes every virtual server when it stops.
# Callers set VIP (the cluster's VIP), VIP6 in dual stack (its IPv6 VIP), CONF (its keepalived
# file), SORRY (sorry servers as "FLAG VIP:PORT IP:PORT" lines, IPv6 as [IP]:PORT), MARKS (the
# list of its firewall marks) and MAIN/INCLUDE (the main file and lvs-dr's include line).

KEEPALIVED_MARK='# Written by lvs-dr, which removes it with its last cluster: it includes one file per lvs-dr cluster.'

# keepalived_check FILE: keepalived's own configuration test; a refused FILE is removed and its
# message fails the script before anything was applied. keepalived 2.2 also fails the test for
# one warning that is no mistake here: every real server of a service at weight 0 (all in
# maintenance, or the drain before the cluster's removal) is below the default quorum of 1. That
# warning pair alone is accepted.
keepalived_check() {
  if ! out=$(keepalived -t -f "$1" 2>&1); then
    rest=$(printf '%s\n' "$out" | grep -v -e 'exceeds total weight of real servers 0, reducing quorum to 0$' \
      -e 'hysteresis 0 >= quorum 0; setting hysteresis to 4294967295$' || true)
    if [ -n "$rest" ]; then
      rm -f "$1"
      die "keepalived refuses the configuration, nothing was applied: $out"
    fi
  fi
}

# lock_keepalived: one lvs-dr script at a time changes keepalived's files on this host (a destroy
# deletes every drain hook at once); util-linux's flock, released when the script exits.
lock_keepalived() {
  command -v flock >/dev/null 2>&1 || die "flock (util-linux) is missing"
  exec 9>/run/lvs-dr-keepalived.lock
  flock -w 900 9 || die "another lvs-dr script kept keepalived's files locked for 15 minutes"
}

# unlock_keepalived: lets the next script in (before a wait that changes no file).
unlock_keepalived() {
  flock -u 9
}

# ensure_include: MAIN includes lvs-dr's files. A main file lvs-dr did not write gets this one
# line appended, and nothing else.
ensure_include() {
  if [ ! -e "$MAIN" ]; then
    printf '%s\n%s\n' "$KEEPALIVED_MARK" "$INCLUDE" | write_file "$MAIN" 0644
  elif ! grep -qxF -- "$INCLUDE" "$MAIN"; then
    printf '%s\n' "$INCLUDE" >> "$MAIN"
    note "added the line '$INCLUDE' to $MAIN"
  fi
}

# keepalived_running: keepalived runs under systemd.
keepalived_running() {
  systemctl is-active --quiet keepalived
}

# reload_keepalived: SIGHUP when keepalived runs; else enables and starts it.
reload_keepalived() {
  command -v systemctl >/dev/null 2>&1 || die "keepalived is run through systemd here, and systemctl is missing"
  if keepalived_running; then
    systemctl reload keepalived
  else
    # Enabled only when it is not: `systemctl enable` runs Debian's update-rc.d for keepalived's
    # init script, and a daemon-reload, each time (about 30 s on a small emulated VM, measured);
    # the unit is already known to systemd, so --no-reload loses nothing.
    systemctl is-enabled --quiet keepalived || systemctl enable --quiet --no-reload keepalived
    systemctl start keepalived
  fi
}

# cluster_rules: the live entries of the cluster's services (both VIPs' in dual stack, and its
# firewall-mark services: "-f MARK" as their second and third words).
cluster_rules() {
  # shellcheck disable=SC2034 # read by own_rules (ipvs.sh)
  FWMARKS=$(if [ -e "$MARKS" ]; then cat "$MARKS"; fi)
  own_rules "$VIP" ${VIP6:+"$VIP6"}
}

# endpoint RIP: RIP as ipvsadm writes it before ":PORT" ([RIP] for IPv6).
endpoint() {
  case $1 in
    *:*) printf '[%s]' "$1" ;;
    *) printf '%s' "$1" ;;
  esac
}

# table_matches DESIRED: the live table of VIP holds DESIRED's services (`ipvsadm -Sn` lines) with
# their scheduler and no other service, DESIRED's real servers at their weight or at 0 (failed check), or absent (failed
# check with failureAction remove), and no other real server than those and the sorry servers.
table_matches() {
  cluster_rules | DESIRED_T="$1" SORRY_T="$SORRY" awk '
    BEGIN {
      n = split(ENVIRON["DESIRED_T"], d, "\n")
      for (i = 1; i <= n; i++) {
        split(d[i], f, " ")
        if (f[1] == "-A") { sched[f[2] " " f[3]] = f[5]; need[f[2] " " f[3]] = 1 }
        else if (f[1] == "-a") weight[f[2] " " f[3] " " f[5]] = f[8]
      }
      m = split(ENVIRON["SORRY_T"], s, "\n")
      for (i = 1; i <= m; i++) sorry[s[i]] = 1
    }
    $1 == "-A" { k = $2 " " $3; if (!(k in sched)) bad = 1; else if ($5 == sched[k]) delete need[k]; next }
    $1 == "-a" {
      k = $2 " " $3 " " $5
      if (k in weight) { if ($8 != weight[k] && $8 != 0) bad = 1 }
      else if (!(k in sorry)) bad = 1
    }
    END { for (k in need) bad = 1; exit bad }'
}

# wait_table DESIRED WHAT: until keepalived has applied DESIRED (it does so after the reload
# returns), at most 30 s.
wait_table() {
  tries=0
  until table_matches "$1"; do
    tries=$((tries + 1))
    if [ "$tries" -gt 150 ]; then
      die "keepalived did not apply $2 within 30 s. Table now: $(cluster_rules | tr '\n' ';') keepalived log: $(journalctl -u keepalived -n 15 --no-pager 2>&1 | tr '\n' ';')"
    fi
    sleep 0.2
  done
}

# install_conf FILE WHAT: checks FILE, makes it the cluster's file and reloads keepalived.
install_conf() {
  keepalived_check "$1"
  if cmp -s "$1" "$CONF"; then
    rm -f "$1"
  else
    mv -f "$1" "$CONF"
    note "wrote $CONF ($2)"
  fi
  ensure_include
  reload_keepalived
}

# apply_config FILE DESIRED WHAT: install_conf, then waits until the table is DESIRED.
apply_config() {
  install_conf "$1" "$3"
  wait_table "$2" "$3"
}

# Held real servers: a real server's drain hook (its remote command on each director) holds it at
# weight 0 before its host is torn down or replaced, and releases it once its new setup is done.
# HELD lists the held addresses; every configuration this cluster applies passes hold_weights.

# is_held RIP: RIP is held.
is_held() {
  [ -e "$HELD" ] && grep -qxF -- "$1" "$HELD"
}

# hold RIP: adds RIP to HELD.
hold() {
  is_held "$1" || printf '%s\n' "$1" >> "$HELD"
}

# drop_empty_held: removes HELD once it lists nobody.
drop_empty_held() {
  if [ -e "$HELD" ] && [ ! -s "$HELD" ]; then
    rm -f "$HELD"
  fi
}

# unhold RIP: removes RIP from HELD (and HELD once empty).
unhold() {
  if is_held "$1"; then
    grep -vxF -- "$1" "$HELD" > "$HELD.next" || true
    mv -f "$HELD.next" "$HELD"
  fi
  drop_empty_held
}

# prune_held DESIRED: forgets held addresses that are no real server of DESIRED any more (a real
# server removed from the cluster was drained by the rules; its hook has nothing left to release).
prune_held() {
  [ -e "$HELD" ] || return 0
  while read -r rip; do
    if printf '%s\n' "$1" | grep -qF -- " -r $(endpoint "$rip"):"; then
      printf '%s\n' "$rip"
    fi
  done < "$HELD" > "$HELD.next"
  mv -f "$HELD.next" "$HELD"
  drop_empty_held
}

# hold_weights FILE: FILE with every held real server at weight 0, printed. The renderer writes
# `weight` as the first line of each real_server block.
hold_weights() {
  HELD_T=$(cat "$HELD" 2>/dev/null || true) awk '
    BEGIN { n = split(ENVIRON["HELD_T"], h, "\n"); for (i = 1; i <= n; i++) if (h[i] != "") held[h[i]] = 1 }
    $1 == "real_server" { rs = ($2 in held) }
    rs && $1 == "weight" { sub(/weight [0-9]+/, "weight 0"); rs = 0 }
    { print }' "$1"
}

# install_held WHAT: the rules' configuration with the held real servers at weight 0, installed.
install_held() {
  hold_weights "$DESIRED_CONF" > "$NEXT"
  install_conf "$NEXT" "$1"
}

# servers_at RIP: the live entries of RIP in the cluster's services, as "FLAG VIP:PORT RIP:PORT" lines.
servers_at() {
  cluster_rules | awk -v rip="$(endpoint "$1"):" '$1 == "-a" && index($5, rip) == 1 { print $2, $3, $5 }'
}

# wait_weight_zero SERVERS WHAT: until each of SERVERS ("FLAG VIP:PORT RIP:PORT" lines) is at
# weight 0 or gone, at most 30 s.
wait_weight_zero() {
  tries=0
  while cluster_rules | SERVERS_T="$1" awk '
      BEGIN { n = split(ENVIRON["SERVERS_T"], l, "\n"); for (i = 1; i <= n; i++) want[l[i]] = 1 }
      $1 == "-a" && (($2 " " $3 " " $5) in want) && $8 != 0 { found = 1 }
      END { exit !found }'; do
    tries=$((tries + 1))
    if [ "$tries" -gt 150 ]; then
      die "keepalived did not set $2 to weight 0 within 30 s. Table now: $(cluster_rules | tr '\n' ';')"
    fi
    sleep 0.2
  done
}

# leaving_servers DESIRED: the live real servers of VIP that DESIRED does not hold (sorry servers
# aside), as "FLAG VIP:PORT RIP:PORT" lines. One awk over the table: a loop in sh that ran two
# processes per entry took minutes for 2,000 entries on a small emulated VM (npm run bench).
leaving_servers() {
  cluster_rules | DESIRED_T="$1" SORRY_T="$SORRY" awk '
    BEGIN {
      n = split(ENVIRON["DESIRED_T"], d, "\n")
      for (i = 1; i <= n; i++) { split(d[i], f, " "); if (f[1] == "-a") keep[f[2] " " f[3] " " f[5]] = 1 }
      m = split(ENVIRON["SORRY_T"], s, "\n")
      for (i = 1; i <= m; i++) if (s[i] != "") keep[s[i]] = 1
    }
    $1 == "-a" && !(($2 " " $3 " " $5) in keep) { print $2, $3, $5 }'
}

# with_draining FILE LEAVING: FILE with each leaving real server added to its virtual server at
# weight 0 and without a check, printed.
with_draining() {
  LEAVING_T="$2" awk '
    BEGIN { n = split(ENVIRON["LEAVING_T"], l, "\n") }
    { print }
    $1 == "#" && $2 == "lvs-dr" && $3 == "drain" {
      flag = ($4 == "udp") ? "-u" : ($4 == "fwmark") ? "-f" : "-t"
      for (i = 1; i <= n; i++) {
        split(l[i], f, " ")
        if (f[1] == flag && f[2] == $5) {
          # f[3] is RIP:PORT or [RIP]:PORT: the port follows the last colon.
          match(f[3], /:[0-9]+$/)
          rip = substr(f[3], 1, RSTART - 1)
          gsub(/[][]/, "", rip)
          printf "    real_server %s %s {\n        weight 0\n    }\n", rip, substr(f[3], RSTART + 1)
        }
      }
    }' "$1"
}

# draining_rules LEAVING METHOD: the `ipvsadm -Sn` lines of the leaving servers at weight 0.
draining_rules() {
  printf '%s\n' "$1" | while read -r flag addr real; do
    [ -n "$flag" ] && printf -- '-a %s %s -r %s %s -w 0\n' "$flag" "$addr" "$real" "$2"
  done
}

# The awk BEGIN block of the two readers of the table below: want["-t VIP:PORT RIP:PORT"] for each
# leaving server of LEAVING_T (draining_rules' input lines), and marked[RIP] for those of
# firewall-mark services ("-f MARK RIP:0"), whose connections show their VIP and port, not the mark.
LEAVING_WANT='BEGIN {
  n = split(ENVIRON["LEAVING_T"], l, "\n")
  for (i = 1; i <= n; i++) {
    split(l[i], f, " ")
    want[f[1] " " f[2] " " f[3]] = 1
    if (f[1] == "-f") { rip = f[3]; sub(/:0$/, "", rip); marked[rip] = 1 }
  }
}'

# active_conns LEAVING: the connections IPVS counts as active (ActiveConn) to the leaving servers.
# A DR director never sees a server's FIN: a connection the client closed is inactive (FIN_WAIT,
# TIME_WAIT) and lingers up to 2 minutes; those are not waited for.
active_conns() {
  ipvsadm -Ln | LEAVING_T="$1" awk "$LEAVING_WANT"'
    $1 == "TCP" { svc = "-t " $2; next }
    $1 == "UDP" { svc = "-u " $2; next }
    $1 == "FWM" { svc = "-f " $2; next }
    $1 == "->" && ((svc " " $2) in want) { sum += $5 }
    END { print sum + 0 }'
}

# still_active LEAVING: the director's entries (`ipvsadm -Lnc`) of connections to the leaving
# servers that are not closing (a TCP entry in FIN_WAIT, TIME_WAIT, CLOSE, CLOSE_WAIT or LAST_ACK
# is not counted as active), at most 20: which clients a drain that ran out of time cut.
still_active() {
  ipvsadm -Lnc | LEAVING_T="$1" awk "$LEAVING_WANT"'
    { rip = $6; sub(/:[0-9]+$/, "", rip) }
    (((($1 == "UDP" ? "-u" : "-t") " " $5 " " $6) in want) || (rip in marked)) && $3 !~ /^(FIN_WAIT|TIME_WAIT|CLOSE|CLOSE_WAIT|LAST_ACK)$/ {
      print
      if (++shown == 20) exit
    }'
}

# holds_vip IFACE: the VIP is bound on IFACE (a single director always; the master of a pair).
holds_vip() {
  case $VIP in
    *:*) bound="$VIP/128" ;;
    *) bound="$VIP/32" ;;
  esac
  ip -o addr show dev "$1" | awk '{ print $4 }' | grep -qxF "$bound"
}

# drain LEAVING SECONDS IFACE: waits until the leaving servers have no active connection, at most
# SECONDS. Only the director holding the VIP forwards, so only it waits.
drain() {
  if ! holds_vip "$3"; then
    note "this director does not hold the VIP: nothing to drain here"
    return 0
  fi
  start=$(date +%s)
  while :; do
    active=$(active_conns "$1")
    waited=$(($(date +%s) - start))
    if [ "$active" = 0 ]; then
      note "drained: no active connection left after ${waited} s"
      return 0
    fi
    if [ "$waited" -ge "$2" ]; then
      note "drain time (${2} s) is up with $active active connections: removing anyway; still open:"
      still_active "$1" | while read -r entry; do
        note "  $entry"
      done
      return 0
    fi
    sleep 1
  done
}

# remove_cluster_conf: removes this cluster's file; once no lvs-dr cluster is left, the include
# line (or the main file lvs-dr wrote, and then keepalived stops: it had nothing else to do).
# Waits until keepalived has removed the VIP's services.
remove_cluster_conf() {
  remove_file "$CONF"
  remove_file "$DESIRED_CONF"
  remove_file "$HELD"
  if [ -z "$(find "$(dirname "$CONF")" -maxdepth 1 -name '*.conf' 2>/dev/null)" ]; then
    if [ -e "$MAIN" ] && [ "$(head -n 1 "$MAIN")" = "$KEEPALIVED_MARK" ]; then
      remove_file "$MAIN"
      if keepalived_running; then
        systemctl stop keepalived
      fi
    elif [ -e "$MAIN" ] && grep -qxF -- "$INCLUDE" "$MAIN"; then
      grep -vxF -- "$INCLUDE" "$MAIN" | write_file "$MAIN" 0644
    fi
    remove_dir "$(dirname "$CONF")"
  fi
  if keepalived_running; then
    systemctl reload keepalived
    wait_table "" "the removal of VIP $VIP"
  fi
  remove_file "$MARKS"
}
