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
