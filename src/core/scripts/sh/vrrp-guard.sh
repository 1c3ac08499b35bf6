# shellcheck shell=sh
# lvs-dr: a pair director's VRRP guard (nftables). Where the network lets anyone on the segment
# send VRRP adverts, each director drops those for its cluster's virtual router id that do not come
# from its peer, before keepalived reads them. One table per cluster (`inet lvs_dr_vrrp_<vip>`),
# with one rule: adverts of another router id, from the peer, on another interface or of anything
# else than IP protocol 112 are not matched, and the chain's policy accepts.

# guard_vrrp TABLE IFACE VRID FAMILY PEER...: the table `inet TABLE` drops VRRP packets (IP protocol
# 112) whose router id (the header's second byte) is VRID, arriving on IFACE from a FAMILY (ip or
# ip6) source address other than the PEERs. A table that already holds exactly this rule is left as
# it is, its drop counter too (the rule's comment says what it matches; a new form of the rule must
# change the comment); otherwise the table is replaced in one transaction (a refused script changes
# nothing). Run by setup and at every boot.
guard_vrrp() {
  guard_table=$1
  guard_iface=$2
  guard_vrid=$3
  guard_family=$4
  shift 4
  [ "$#" -ge 1 ] || die "guard_vrrp: no peer address"
  command -v nft >/dev/null 2>&1 || die "nft is missing: install nftables"
  guard_peers=$(printf '%s, ' "$@")
  guard_peers=${guard_peers%, }
  guard_what="lvs-dr: VRRP router id $guard_vrid on $guard_iface from $guard_peers only"
  if nft list table inet "$guard_table" 2>/dev/null | grep -qF "comment \"$guard_what\""; then
    return 0
  fi
  out=$(printf '%s\n' \
    "table inet $guard_table" \
    "delete table inet $guard_table" \
    "table inet $guard_table {" \
    "  chain input {" \
    "    type filter hook input priority filter; policy accept;" \
    "    iifname \"$guard_iface\" $guard_family saddr != { $guard_peers } meta l4proto 112 @th,8,8 $guard_vrid counter drop comment \"$guard_what\"" \
    "  }" \
    "}" | nft -f - 2>&1) || die "nft refused the VRRP guard (table inet $guard_table), nothing was changed: $out"
  say "VRRP adverts for router id $guard_vrid on $guard_iface are accepted from $guard_peers only (nftables table inet $guard_table)"
}

# remove_vrrp_guard TABLE: deletes the nftables table `inet TABLE` if it is there (nothing else of
# nftables is touched).
remove_vrrp_guard() {
  command -v nft >/dev/null 2>&1 || return 0
  if nft list table inet "$1" >/dev/null 2>&1; then
    nft delete table inet "$1"
    say "removed the nftables table inet $1"
  fi
}
