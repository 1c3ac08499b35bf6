# shellcheck shell=sh
# lvs-dr: reading the cluster's part of the director's IPVS table, which keepalived writes: what
# is live, whether it is what the rules asked for, and which real servers are leaving. The
# variables are keepalived.sh's.

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

# servers_at RIP: the live entries of RIP in the cluster's services, as "FLAG VIP:PORT RIP:PORT" lines.
servers_at() {
  cluster_rules | awk -v rip="$(endpoint "$1"):" '$1 == "-a" && index($5, rip) == 1 { print $2, $3, $5 }'
}

# at_weight_zero SERVERS: each of SERVERS ("FLAG VIP:PORT RIP:PORT" lines) is at weight 0 or gone
# in the live table.
at_weight_zero() {
  ! cluster_rules | SERVERS_T="$1" awk '
      BEGIN { n = split(ENVIRON["SERVERS_T"], l, "\n"); for (i = 1; i <= n; i++) want[l[i]] = 1 }
      $1 == "-a" && (($2 " " $3 " " $5) in want) && $8 != 0 { found = 1 }
      END { exit !found }'
}

# wait_weight_zero SERVERS WHAT: until each of SERVERS is at weight 0 or gone, at most 30 s.
wait_weight_zero() {
  tries=0
  until at_weight_zero "$1"; do
    tries=$((tries + 1))
    if [ "$tries" -gt 150 ]; then
      die "keepalived did not set $2 to weight 0 within 30 s. Table now: $(cluster_rules | tr '\n' ';')"
    fi
    sleep 0.2
  done
}

# without_servers ADDRESSES: the "FLAG VIP:PORT RIP:PORT" lines of stdin (leaving_servers') whose
# real server is none of ADDRESSES (space-separated; IPv6 ones bare, as the endpoints hold them in
# brackets): real servers marked gone leave without a drain.
without_servers() {
  GONE_T="$1" awk '
    BEGIN { n = split(ENVIRON["GONE_T"], g, " "); for (i = 1; i <= n; i++) gone[g[i]] = 1 }
    { rip = $3; sub(/:[0-9]+$/, "", rip); gsub(/^\[|\]$/, "", rip); if (!(rip in gone)) print }'
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
