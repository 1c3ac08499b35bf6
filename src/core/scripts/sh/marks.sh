# shellcheck shell=sh
# lvs-dr: the director's firewall marks (nftables) for firewall-mark services, and the list of the
# cluster's marks that the table readers (keepalived.sh) select its fwmark services by. Callers
# set MARKS (the list's path).

# apply_marks FILE: loads FILE, an nft script that replaces the cluster's table in one transaction
# (a refused script changes nothing).
apply_marks() {
  command -v nft >/dev/null 2>&1 || die "nft is missing: install nftables"
  out=$(nft -f "$1" 2>&1) || die "nft refused $1, nothing was changed: $out"
}

# remove_marks TABLE: deletes the nftables table `inet TABLE` if it is there.
remove_marks() {
  command -v nft >/dev/null 2>&1 || return 0
  if nft list table inet "$1" >/dev/null 2>&1; then
    nft delete table inet "$1"
    say "removed the nftables table inet $1"
  fi
}

# marks_free MARK...: no other lvs-dr cluster on this director lists one of the marks (the table
# readers select a cluster's firewall-mark services by mark: a shared mark would mix two clusters'
# servers). Checked before anything changes.
marks_free() {
  for other in "$(dirname "$MARKS")"/*.marks; do
    if [ ! -e "$other" ] || [ "$other" = "$MARKS" ]; then
      continue
    fi
    for mark in "$@"; do
      if grep -qxF -- "$mark" "$other"; then
        die "firewall mark $mark is also the mark of a firewall-mark service of the cluster of VIP $(basename "$other" .marks) on this director: give this cluster's services other marks (services[].fwmark), nothing was changed"
      fi
    done
  done
}

# expect_marks MARK...: MARKS lists the given marks beside those it lists already, while the
# configuration that adds them is applied (the readers then see the old and the new services).
expect_marks() {
  { if [ -e "$MARKS" ]; then cat "$MARKS"; fi; printf '%s\n' "$@"; } | write_marks
}

# set_marks MARK...: MARKS lists exactly the given marks (one at least).
set_marks() {
  printf '%s\n' "$@" | write_marks
}

# clear_marks: the cluster has no firewall mark (MARKS removed).
clear_marks() {
  remove_file "$MARKS"
}

# write_marks < MARKS: MARKS holds the marks read (sorted, once each), or is removed when none.
write_marks() {
  list=$(grep -v '^$' | sort -un)
  if [ -n "$list" ]; then
    printf '%s\n' "$list" | write_file "$MARKS" 0644
  else
    remove_file "$MARKS"
  fi
}
