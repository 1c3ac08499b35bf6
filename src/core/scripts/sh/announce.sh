# shellcheck shell=sh
# lvs-dr: a single director's announcement of the VIP it binds (a pair's keepalived announces its own).

# announce_vip ADDRESS DEV: two gratuitous ARPs from DEV for the IPv4 ADDRESS bound there, as
# keepalived sends on a takeover: a neighbour whose cache still maps the VIP to another MAC (its
# previous director; a router may keep that for hours) moves to this one at once. Both arpings are
# spoken: iputils' (-I interface, -s source) and Thomas Habets' (-i, -S), whose -U alone would send
# the interface's own address as the sender. Best effort, as keepalived's: a failure is reported and
# does not fail the script, since the VIP is bound and a neighbour that missed the announcement
# re-resolves it once its entry is stale.
announce_vip() {
  if arping -V 2>&1 | grep -q iputils; then
    announced=$(arping -q -U -c 2 -I "$2" -s "$1" "$1" 2>&1) || note "gratuitous ARP for $1 on $2 failed: $announced"
  else
    # Habets' arping exits 1 when nothing answers, which is the normal outcome of an unsolicited ARP.
    announced=$(arping -q -U -c 2 -i "$2" -S "$1" "$1" 2>&1) || [ -z "$announced" ] || note "gratuitous ARP for $1 on $2 failed: $announced"
  fi
}
