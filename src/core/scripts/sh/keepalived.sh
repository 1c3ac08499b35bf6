# shellcheck shell=sh
# lvs-dr: keepalived owns the director's IPVS table (and, for a director pair, the VIP). The
# rules script writes this cluster's file, has keepalived check it before it is used, and reloads
# keepalived: on SIGHUP it diffs the old and new configuration, so unchanged real servers keep
# their connections. Never a restart: keepalived deletes every virtual server when it stops.
# This library applies and removes the cluster's file (table.sh reads the table it makes).
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
