# shellcheck shell=sh
# lvs-dr: a director pair on AWS. The VIP is a secondary private address of one director's
# interface, and only the EC2 API moves it: keepalived runs take_vip when this director becomes
# master. The instance profile allows ec2:AssignPrivateIpAddresses and nothing else.

# imds PATH TOKEN: an instance metadata value (IMDSv2).
imds() {
  curl -sf -m 5 -H "X-aws-ec2-metadata-token: $2" "http://169.254.169.254/latest/meta-data/$1"
}

# take_vip VIP: assigns VIP to this instance's primary interface, taking it from the other director.
take_vip() {
  token=$(curl -sf -m 5 -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' http://169.254.169.254/latest/api/token) ||
    die "no instance metadata token: the VIP stays where it is"
  mac=$(imds mac "$token")
  eni=$(imds "network/interfaces/macs/$mac/interface-id" "$token")
  region=$(imds placement/region "$token")
  aws ec2 assign-private-ip-addresses --region "$region" --network-interface-id "$eni" \
    --private-ip-addresses "$1" --allow-reassignment
  logger -t lvs-dr "VIP $1 assigned to $eni (this director is the VRRP master)" || true
}
