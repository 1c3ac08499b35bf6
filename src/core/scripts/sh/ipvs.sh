# shellcheck shell=sh
# lvs-dr: the director's IPVS table. The rules script compares the desired table ($DESIRED, in
# `ipvsadm -Sn` syntax) with the live one and changes it entry by entry: it never flushes, so
# connections to unchanged real servers survive every update, and it touches only one VIP.

# install_ipvsadm: with the host's package manager, when ipvsadm is missing.
install_ipvsadm() {
  command -v ipvsadm >/dev/null 2>&1 && return 0
  say "ipvsadm is missing; installing it"
  if command -v apt-get >/dev/null 2>&1; then
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q ipvsadm </dev/null; then
      apt-get update -q </dev/null
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q ipvsadm </dev/null
    fi
  elif command -v dnf >/dev/null 2>&1; then
    dnf install -y ipvsadm </dev/null
  elif command -v yum >/dev/null 2>&1; then
    yum install -y ipvsadm </dev/null
  else
    die "ipvsadm is missing and no apt-get, dnf or yum was found: install ipvsadm on the director"
  fi
  command -v ipvsadm >/dev/null 2>&1 || die "ipvsadm is still missing after installing it"
}

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

# own_rules VIP: the live entries of VIP's services in `ipvsadm -Sn` syntax (third word VIP:port).
# ipvsadm 1.31 appends `--tun-type ipip` to tunnel entries: that is the default, and is dropped so
# that an unchanged entry compares equal to the desired one.
own_rules() {
  ipvsadm -Sn | awk -v vip="$1" 'index($3, vip ":") == 1 { sub(/ --tun-type ipip$/, ""); print }'
}

# restore_rules VIP RULES_FILE: at boot the table is empty: restore the saved one. A live table
# is left alone (the rules command reconciles it), so re-running setup never disturbs connections.
restore_rules() {
  if [ -s "$2" ] && [ -z "$(own_rules "$1")" ]; then
    ipvsadm -R < "$2"
  fi
}

# has LINE: the live table (as it was before this run, $CURRENT) holds exactly LINE.
has() {
  printf '%s\n' "$CURRENT" | grep -qxF -- "$1"
}

# starts_with TEXT PREFIX: TEXT holds a line starting with PREFIX.
starts_with() {
  printf '%s\n' "$1" | awk -v p="$2" 'index($0, p) == 1 { found = 1 } END { exit !found }'
}

# ensure_service FLAG VIP:PORT SCHEDULER PERSISTENCE: adds or edits a virtual service.
ensure_service() {
  if [ "$4" = 0 ]; then line="-A $1 $2 -s $3"; else line="-A $1 $2 -s $3 -p $4"; fi
  has "$line" && return 0
  if starts_with "$CURRENT" "-A $1 $2 "; then op=-E; else op=-A; fi
  if [ "$4" = 0 ]; then
    ipvsadm "$op" "$1" "$2" -s "$3"
  else
    ipvsadm "$op" "$1" "$2" -s "$3" -p "$4"
  fi
  note "$op $1 $2 -s $3 (persistence $4)"
}

# ensure_real FLAG VIP:PORT RIP:PORT METHOD WEIGHT: adds or edits a real server of a service.
ensure_real() {
  has "-a $1 $2 -r $3 $4 -w $5" && return 0
  if starts_with "$CURRENT" "-a $1 $2 -r $3 "; then op=-e; else op=-a; fi
  ipvsadm "$op" "$1" "$2" -r "$3" "$4" -w "$5"
  note "$op $1 $2 -r $3 $4 -w $5"
}

# remove_unwanted: deletes the live real servers, then the services, that $DESIRED does not hold.
remove_unwanted() {
  printf '%s\n' "$CURRENT" | awk '$1 == "-a" { print $2, $3, $5 }' | while read -r flag addr real; do
    if ! starts_with "$DESIRED" "-a $flag $addr -r $real "; then
      ipvsadm -d "$flag" "$addr" -r "$real"
      note "-d $flag $addr -r $real"
    fi
  done
  printf '%s\n' "$CURRENT" | awk '$1 == "-A" { print $2, $3 }' | while read -r flag addr; do
    if ! starts_with "$DESIRED" "-A $flag $addr "; then
      ipvsadm -D "$flag" "$addr"
      note "-D $flag $addr"
    fi
  done
}

# remove_services VIP: deletes every virtual service of VIP (and with them their real servers).
remove_services() {
  command -v ipvsadm >/dev/null 2>&1 || return 0
  own_rules "$1" | awk '$1 == "-A" { print $2, $3 }' | while read -r flag addr; do
    ipvsadm -D "$flag" "$addr"
    say "removed virtual service $flag $addr"
  done
}

# require_ipvsadm: the rules need the tool the director setup installs.
require_ipvsadm() {
  command -v ipvsadm >/dev/null 2>&1 || die "ipvsadm is missing: the director setup must run first"
}
