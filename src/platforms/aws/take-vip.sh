# shellcheck shell=sh
# lvs-dr: a director pair on AWS. The VIP is a secondary private address of one director's
# interface, and only the EC2 API moves it: keepalived runs take_vip when this director becomes
# master. The instance profile allows ec2:AssignPrivateIpAddresses on the pair's own interfaces
# and nothing else.

# imds PATH TOKEN: an instance metadata value (IMDSv2).
imds() {
  curl -sf -m 5 -H "X-aws-ec2-metadata-token: $2" "http://169.254.169.254/latest/meta-data/$1"
}

# assign_vip VIP: one try at assigning VIP to this instance's primary interface, taking it from
# the other director. Prints what failed on stderr.
assign_vip() {
  token=$(curl -sf -m 5 -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' http://169.254.169.254/latest/api/token) ||
    { echo "no instance metadata token" >&2; return 1; }
  mac=$(imds mac "$token") || { echo "no MAC from the instance metadata" >&2; return 1; }
  eni=$(imds "network/interfaces/macs/$mac/interface-id" "$token") || { echo "no interface id from the instance metadata" >&2; return 1; }
  region=$(imds placement/region "$token") || { echo "no region from the instance metadata" >&2; return 1; }
  aws ec2 assign-private-ip-addresses --region "$region" --network-interface-id "$eni" \
    --private-ip-addresses "$1" --allow-reassignment
}

# still_master VIP DEV: keepalived still holds VIP on DEV here (it removes it when this director
# stops being master).
still_master() {
  ip -o addr show dev "$2" 2>/dev/null | awk '{ print $4 }' | grep -qxF "$1/32"
}

# take_vip VIP DEV: assign_vip until it succeeds or this director is no longer master, waiting 1,
# 2, 4, ... 30 s between tries (keepalived runs notify_master once: a throttled or failed call
# must not leave the VIP routed to the old master). Each try is logged (journal, tag lvs-dr).
take_vip() {
  tries=1
  delay=1
  until out=$(assign_vip "$1" 2>&1); do
    if ! still_master "$1" "$2"; then
      logger -t lvs-dr "VIP $1: try $tries failed ($out); this director is no longer master: stopped" || true
      return 0
    fi
    logger -t lvs-dr "VIP $1: try $tries to move it here through the EC2 API failed ($out); again in ${delay} s" || true
    sleep "$delay"
    tries=$((tries + 1))
    if [ "$delay" -lt 30 ]; then
      delay=$((delay * 2))
      [ "$delay" -le 30 ] || delay=30
    fi
  done
  logger -t lvs-dr "VIP $1 assigned to this director's interface after $tries tries (it is the VRRP master)" || true
}
