# shellcheck shell=sh
# lvs-dr: real servers held at weight 0 by their drain hooks (HELD lists them), and the
# configuration the rules rendered (DESIRED_CONF) installed with them held.

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

# request_hold RIP...: asks, before waiting for the lock, for RIP to be held: the next script in
# applies every request with one reload. A destroy or a scale-in starts every drain hook of a
# director at once; one reload each (5-8 s on a large table) queued them past the lock's 15
# minutes from about 110-200 real servers on. A request is only a hint: each hook holds its own
# address under the lock as well (take_held_requests may race with a late request).
request_hold() {
  [ -d "$(dirname "$HELD")" ] || return 0
  for rip in "$@"; do
    printf '%s\n' "$rip" >> "$HELD.requests"
  done
}

# drop_held_requests: forgets the requests (the cluster's file is gone: nothing to hold).
drop_held_requests() {
  rm -f "$HELD.requests"
}

# take_held_requests: holds every requested address (under the lock).
take_held_requests() {
  [ -e "$HELD.requests" ] || return 0
  mv -f "$HELD.requests" "$HELD.taking"
  while read -r rip; do
    hold "$rip"
  done < "$HELD.taking"
  rm -f "$HELD.taking"
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
