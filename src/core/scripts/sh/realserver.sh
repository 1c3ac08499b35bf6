# shellcheck shell=sh
# lvs-dr: what only real servers do.

# refuse_gateway ADDRESS MESSAGE: dies with MESSAGE when the default gateway is ADDRESS (a director:
# in DR and TUN replies go straight to the client and must not pass through a director).
refuse_gateway() {
  gateway=$(ip -4 route show default | awk '$2 == "via" { print $3; exit }')
  if [ "$gateway" = "$1" ]; then
    die "$2"
  fi
}

# refuse_gateway6 ADDRESS MESSAGE: refuse_gateway for the IPv6 default route.
refuse_gateway6() {
  gateway=$(ip -6 route show default | awk '$2 == "via" { print $3; exit }')
  if [ "$gateway" = "$1" ]; then
    die "$2"
  fi
}

# prepare_tunl0 ORIGINALS: the ipip module and its tunl0 device for LVS-TUN; remembers whether
# tunl0 was down, so that teardown puts it back.
prepare_tunl0() {
  if [ ! -d /sys/class/net/tunl0 ]; then
    modprobe ipip || die "cannot load the ipip module (needed for forwarding tun)"
  fi
  if ! ip -o link show dev tunl0 | grep -q '[<,]UP[,>]'; then
    remember "$1" link:tunl0 down
  fi
}

# tunl0_up: at boot, before the VIP is bound on it.
tunl0_up() {
  [ -d /sys/class/net/tunl0 ] || modprobe ipip
  ip link set tunl0 up
}

# prepare_ip6tnl0 ORIGINALS: the ip6_tunnel module and its ip6tnl0 device for LVS-TUN over IPv6
# (IPv6-in-IPv6); remembers whether ip6tnl0 was down, so that teardown puts it back.
prepare_ip6tnl0() {
  if [ ! -d /sys/class/net/ip6tnl0 ]; then
    modprobe ip6_tunnel || die "cannot load the ip6_tunnel module (needed for forwarding tun with an IPv6 VIP)"
  fi
  if ! ip -o link show dev ip6tnl0 | grep -q '[<,]UP[,>]'; then
    remember "$1" link:ip6tnl0 down
  fi
}

# ip6tnl0_up: at boot, before the IPv6 VIP is bound on it.
ip6tnl0_up() {
  [ -d /sys/class/net/ip6tnl0 ] || modprobe ip6_tunnel
  ip link set ip6tnl0 up
}
