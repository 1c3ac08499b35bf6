# shellcheck shell=sh
# lvs-dr: keepalived owns the director's IPVS table (and, for a director pair, the VIP). The
# rules script writes this cluster's file, has keepalived check it before it is used, and reloads
# keepalived: on SIGHUP it diffs the old and new configuration, so unchanged real servers keep
# their connections. Never a restart: keepalived deletes every virtual server when it stops.
# This library applies and removes the cluster's file (table.sh reads the table it makes).
# Callers set VIP (the cluster's VIP), VIP6 in dual stack (its IPv6 VIP), CONF (its keepalived
# file), SORRY (sorry servers as "FLAG VIP:PORT IP:PORT" lines, IPv6 as [IP]:PORT), MARKS (the
# list of its firewall marks), MAIN/INCLUDE (the main file and lvs-dr's include line) and SAMPLE
# (where a package's sample main file is set aside).

KEEPALIVED_MARK='# Written by lvs-dr, which removes it with its last cluster: it includes one file per lvs-dr cluster.'

# keepalived_refuses FILE: keepalived's own configuration test of FILE; prints keepalived's
# message and succeeds when it refuses it. keepalived 2.2 also fails the test for one warning that
# is no mistake here: every real server of a service at weight 0 (all in maintenance, or the drain
# before the cluster's removal) is below the default quorum of 1. That warning pair is accepted,
# and so are the warnings that scripts run without enable_script_security (a pair's step script and
# takeover hook, active-active directors' quorum hooks, all run as root from root's /etc/lvs-dr;
# the daemon-wide setting is not lvs-dr's to choose for the operator's scripts).
keepalived_refuses() {
  out=$(keepalived -t -f "$1" 2>&1) && return 1
  rest=$(printf '%s\n' "$out" | grep -v -e 'exceeds total weight of real servers 0, reducing quorum to 0$' \
    -e 'hysteresis 0 >= quorum 0; setting hysteresis to 4294967295$' \
    -e '^SECURITY VIOLATION - scripts are being executed but script_security not enabled\.$' \
    -e '^SECURITY VIOLATION - check scripts are being executed but script_security not enabled\.$' || true)
  [ -n "$rest" ] || return 1
  printf '%s\n' "$out"
}

# keepalived_check FILE: the whole configuration keepalived would load with FILE as this
# cluster's file (the main file as the operator has it, less lvs-dr's lines, and every lvs-dr
# cluster's file, FILE in place of this one's), tested once; when it is refused, FILE alone tells
# whose it is. A refused FILE is removed and keepalived's message fails the script before anything
# was changed.
keepalived_check() {
  whole="$MAIN.lvs-dr-check"
  {
    if [ -e "$MAIN" ] && ! is_package_sample; then
      grep -vxF -e "$INCLUDE" -e "$KEEPALIVED_MARK" "$MAIN" || true
    fi
    for other in "$(dirname "$CONF")"/*.conf; do
      if [ -e "$other" ] && [ "$other" != "$CONF" ]; then
        printf 'include %s\n' "$other"
      fi
    done
    printf 'include %s\n' "$1"
  } > "$whole"
  if refused=$(keepalived_refuses "$whole"); then
    rm -f "$whole"
    if alone=$(keepalived_refuses "$1"); then
      rm -f "$1"
      die "keepalived refuses the configuration, nothing was applied: $alone"
    fi
    rm -f "$1"
    die "keepalived refuses the configuration it would load ($MAIN with every include, this cluster's new file among them), nothing was applied: $refused"
  fi
  rm -f "$whole"
}

# is_package_sample: MAIN is the sample configuration a keepalived package installs (RHEL and
# its relatives ship keepalived's keepalived.conf.sample as /etc/keepalived/keepalived.conf: a
# MASTER claiming 192.168.200.16-18 with auth_pass 1111, NAT virtual servers, vrrp_strict), not an
# operator's configuration: lvs-dr sets it aside (SAMPLE) and writes its own main file.
is_package_sample() {
  [ -e "$MAIN" ] && grep -qF 'Alexandre.Cassen@firewall.loc' "$MAIN" && grep -qF 'router_id LVS_DEVEL' "$MAIN" &&
    grep -qF '192.168.200.16' "$MAIN"
}

# rewrite_in_place FILE: FILE's content replaced by standard input, keeping the file itself (its
# mode, owner and inode, and a symlink stays a symlink).
rewrite_in_place() {
  tmp="$1.lvs-dr-tmp"
  cat > "$tmp"
  cat "$tmp" > "$1"
  rm -f "$tmp"
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

# ensure_include: MAIN includes lvs-dr's files. Where there is none (or only the package's
# sample, set aside as SAMPLE), lvs-dr writes its own; an operator's gets this one line appended
# (on a line of its own), and nothing else.
ensure_include() {
  if is_package_sample; then
    mv -f "$MAIN" "$SAMPLE"
    note "set the package's sample configuration aside as $SAMPLE: it is no operator's, and keepalived would run it"
  fi
  if [ ! -e "$MAIN" ]; then
    printf '%s\n%s\n' "$KEEPALIVED_MARK" "$INCLUDE" | write_file "$MAIN" 0644
  elif ! grep -qxF -- "$INCLUDE" "$MAIN"; then
    if [ -s "$MAIN" ] && [ -n "$(tail -c 1 "$MAIN")" ]; then
      printf '\n' >> "$MAIN"
    fi
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

# remove_cluster_conf: removes this cluster's file; once no lvs-dr cluster is left, lvs-dr's lines
# of the main file: the main file itself where it is still only what lvs-dr wrote (the package's
# sample back in its place, if lvs-dr set it aside; keepalived then stops: it had nothing else to
# do), else the include line (and lvs-dr's mark) in place, the file kept as the operator has it.
# Waits until keepalived has removed the VIP's services.
remove_cluster_conf() {
  remove_file "$CONF"
  remove_file "$DESIRED_CONF"
  remove_file "$HELD"
  if [ -z "$(find "$(dirname "$CONF")" -maxdepth 1 -name '*.conf' 2>/dev/null)" ]; then
    if [ -e "$MAIN" ] && [ "$(printf '%s\n%s' "$KEEPALIVED_MARK" "$INCLUDE")" = "$(cat "$MAIN")" ]; then
      remove_file "$MAIN"
      if [ -e "$SAMPLE" ]; then
        mv -f "$SAMPLE" "$MAIN"
        note "put the package's sample configuration back as $MAIN (keepalived stays stopped)"
      fi
      if keepalived_running; then
        systemctl stop keepalived
      fi
    elif [ -e "$MAIN" ] && grep -qxF -e "$INCLUDE" -e "$KEEPALIVED_MARK" "$MAIN"; then
      grep -vxF -e "$INCLUDE" -e "$KEEPALIVED_MARK" "$MAIN" | rewrite_in_place "$MAIN"
      note "removed lvs-dr's lines from $MAIN"
    fi
    remove_dir "$(dirname "$CONF")"
  fi
  if keepalived_running; then
    systemctl reload keepalived
    wait_table "" "the removal of VIP $VIP"
  fi
  remove_file "$MARKS"
}
