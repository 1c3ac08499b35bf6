# shellcheck shell=sh
# lvs-dr: draining leaving real servers: at weight 0 in the cluster's file until their active
# connections end or the drain time is up. Whether a director waits is its mode's (a director
# that forwards only while it holds the VIP waits only then).

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

# active_by_server LEAVING: "RIP:PORT COUNT, ..." of the leaving servers with active connections
# (as active_conns counts them), in the table's order: what a drain's reports show.
active_by_server() {
  ipvsadm -Ln | LEAVING_T="$1" awk "$LEAVING_WANT"'
    $1 == "TCP" { svc = "-t " $2; next }
    $1 == "UDP" { svc = "-u " $2; next }
    $1 == "FWM" { svc = "-f " $2; next }
    $1 == "->" && ((svc " " $2) in want) && $5 > 0 {
      if (!($2 in active)) { order[++servers] = $2 }
      active[$2] += $5
    }
    END { for (i = 1; i <= servers; i++) printf "%s%s %d", (i > 1 ? ", " : ""), order[i], active[order[i]] }'
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

# drain LEAVING SECONDS IFACE: drain_wait on the director that holds the VIP on IFACE; a director
# that forwards only while it holds the VIP (a single director, a VRRP pair) has nothing to wait
# for elsewhere.
drain() {
  if ! holds_vip "$3"; then
    note "this director does not hold the VIP: nothing to drain here"
    return 0
  fi
  drain_wait "$1" "$2"
}

# How often a drain says how far it is (seconds): its lines are the command's output, which
# pulumi-command streams to the engine while the command runs (a user's `pulumi up` shows them).
DRAIN_REPORT_SECONDS=10

# drain_wait LEAVING SECONDS: waits until the leaving servers have no active connection, at most
# SECONDS; every DRAIN_REPORT_SECONDS it says how many are left, on which servers.
drain_wait() {
  start=$(date +%s)
  reported=0
  while :; do
    active=$(active_conns "$1")
    waited=$(($(date +%s) - start))
    if [ "$active" != 0 ] && [ "$waited" -lt "$2" ] && [ $((waited - reported)) -ge "$DRAIN_REPORT_SECONDS" ]; then
      reported=$waited
      note "draining VIP $VIP: $active active connections left ($(active_by_server "$1")), ${waited} s of ${2} s"
    fi
    if [ "$active" = 0 ]; then
      note "drained: no active connection left after ${waited} s"
      return 0
    fi
    if [ "$waited" -ge "$2" ]; then
      # The clients' addresses go to the journal, not to the output: a remote command's output is
      # kept in the Pulumi state.
      open=$(still_active "$1")
      if command -v logger >/dev/null 2>&1; then
        printf '%s\n' "$open" | while read -r entry; do
          [ -z "$entry" ] || logger -t lvs-dr "drain of VIP $VIP timed out; still open: $entry"
        done
        where="listed in this director's journal (journalctl -t lvs-dr)"
      else
        where="not listed (no logger command here)"
      fi
      note "drain time (${2} s) is up with $active active connections: removing anyway; the ones still open are $where"
      return 0
    fi
    sleep 1
  done
}
