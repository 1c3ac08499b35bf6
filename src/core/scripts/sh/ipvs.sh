# shellcheck shell=sh
# lvs-dr: the director's IPVS table, read with ipvsadm. keepalived is its only writer (see
# keepalived.sh); ipvsadm here reads it, and removes a table lvs-dr 0.1 wrote before keepalived
# took over.

# load_ipvs: the ip_vs module, unless IPVS is there already.
load_ipvs() {
  if [ ! -e /proc/net/ip_vs ]; then
    modprobe ip_vs || die "cannot load the ip_vs module: this kernel has no IPVS support"
  fi
}

# load_scheduler NAME: the scheduler's module ip_vs_NAME.
load_scheduler() {
  [ -d "/sys/module/ip_vs_$1" ] || modprobe "ip_vs_$1" || die "cannot load the ip_vs_$1 scheduler module"
}

# own_rules VIP...: the live entries of the VIPs' services in `ipvsadm -Sn` syntax (third word
# VIP:port, or [VIP]:port for IPv6), and of the firewall-mark services whose marks FWMARKS lists
# ("-f MARK" as second and third words; their IPv6 flag `-6` is dropped: lvs-dr gives each family
# marks of its own). ipvsadm 1.31 appends `--tun-type ipip` to tunnel entries: that is the
# default, and is dropped so that an unchanged entry compares equal to the desired one.
own_rules() {
  ipvsadm -Sn | FWMARKS_T="${FWMARKS:-}" awk -v vips="$*" '
    BEGIN {
      n = split(vips, v, " "); for (i = 1; i <= n; i++) p[i] = (index(v[i], ":") ? "[" v[i] "]:" : v[i] ":")
      m = split(ENVIRON["FWMARKS_T"], k, "[ \n]+"); for (i = 1; i <= m; i++) if (k[i] != "") mark[k[i]] = 1
    }
    { sub(/ --tun-type ipip$/, "") }
    $2 == "-f" && ($3 in mark) { sub(/ -6 /, " "); print; next }
    { for (i = 1; i <= n; i++) if (index($3, p[i]) == 1) { print; next } }'
}

# remove_services VIP...: deletes every virtual service of the VIPs (and with them their real
# servers). Only for a table lvs-dr 0.1 wrote with ipvsadm, before keepalived owns it.
remove_services() {
  command -v ipvsadm >/dev/null 2>&1 || return 0
  own_rules "$@" | awk '$1 == "-A" { print $2, $3 }' | while read -r flag addr; do
    ipvsadm -D "$flag" "$addr"
    say "removed virtual service $flag $addr"
  done
}
