#!/usr/bin/env bash
# The main job, on this machine: `pulumi up` of the root project on the embedded lab.
#
#   lab/demo.sh up      (npm run demo)       set up what is missing, pulumi up --yes, show the result
#   lab/demo.sh up --active-active           (npm run demo -- --active-active) three active-active
#                                            directors behind a router (BGP, BFD, ECMP) instead of a
#                                            pair; its drill destroys a director under 200 long-lived
#                                            connections and prints resets and changed real servers
#   lab/demo.sh drill   (npm run demo:drill) a failover drill on the deployed pair: kill the master
#                                            under load, print the gap, the lost requests and the
#                                            downloads that survived, then restart it
#   lab/demo.sh down    (npm run demo:down)  pulumi destroy --yes, remove the stack, take the lab down
#
# Stack `lab` (LVSDR_STACK overrides) in the file backend of scripts/pulumi-toolchain; its SSH key is
# generated once into .tools/lab-ssh/. Everything that talks to the VMs runs inside the lab namespace.
# DEMO_REQUESTS (default 12) requests are sent through the VIP for the summary.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
STACK="${LVSDR_STACK:-lab}"
KEY="$ROOT/.tools/lab-ssh/id_ed25519"
REQUESTS="${DEMO_REQUESTS:-12}"

LOG_PREFIX=demo
# shellcheck source=lab/common.sh
source "$ROOT/lab/common.sh"
step() { printf '\n== %s\n' "$*"; }

pulumi_lab() { bash "$ROOT/lab/lab.sh" exec node "$ROOT/build/lab/pulumi.js" "$@"; }
in_lab() { bash "$ROOT/lab/lab.sh" exec "$@"; }

prepare() {
  need_root "the lab starts libvirtd in a network namespace"
  step "lab: packages, namespace, libvirtd, VM image"
  bash "$ROOT/lab/lab.sh" up
  step "npm dependencies and build"
  cd "$ROOT"
  [ -d node_modules/@pulumi/pulumi ] || npm ci
  npm run --silent build
  npm run --silent build:test
  step "Pulumi toolchain"
  bash "$ROOT/scripts/pulumi-toolchain" >/dev/null
}

ensure_stack() {
  if ! pulumi_lab stack select "$STACK" >/dev/null 2>&1; then
    pulumi_lab stack init "$STACK"
  fi
  if [ ! -f "$KEY" ]; then
    mkdir -p "$(dirname "$KEY")"
    ssh-keygen -q -t ed25519 -N "" -C "lvsdr-$STACK" -f "$KEY"
  fi
  if ! pulumi_lab config get --stack "$STACK" sshPrivateKey >/dev/null 2>&1; then
    pulumi_lab config set --stack "$STACK" --secret sshPrivateKey <"$KEY"
    pulumi_lab config set --stack "$STACK" sshPublicKey "$(cat "$KEY.pub")"
    pulumi_lab config set --stack "$STACK" scheduler rr
  fi
  # After the defaults above: a fresh stack's rr would otherwise replace mh.
  if [ "${ACTIVE_ACTIVE:-}" = 1 ]; then
    # Maglev hashing is what keeps a connection on its real server whichever director takes it.
    pulumi_lab config set --stack "$STACK" activeActive true
    pulumi_lab config set --stack "$STACK" scheduler mh
  fi
}

output() { pulumi_lab stack output --stack "$STACK" "$@"; }

active_active() { [ "$(pulumi_lab config get --stack "$STACK" activeActive 2>/dev/null || true)" = true ]; }
demo_aa() { node "$ROOT/build/lab/demo-active-active.js" "$@"; }
list() { tr -d '[]" \n' | tr ',' ' '; }

# show_active_active: the router in front of the directors (started once the VMs' network exists),
# what it sees, and requests from the client behind it.
show_active_active() {
  local vip network bridge hosts
  vip="$(output vip)"
  network="$(output libvirtNetworkName)"
  bridge="$(virsh -c qemu:///system net-info "$network" | awk '$1 == "Bridge:" { print $2 }')"
  hosts="$(output directorAddresses --json | list) $(output realServerAddresses --json | list)"
  step "the router (BGP, BFD, ECMP on the L4 hash) and a client behind it, in namespaces of the lab's"
  # shellcheck disable=SC2086 # one argument per host
  demo_aa up "$bridge" "$(pulumi_lab config get --stack "$STACK" labSubnet 2>/dev/null || echo 192.168.78.0/24)" "$KEY" $hosts
  sleep 10
  step "what the router sees, and $vip from the client"
  demo_aa show "$vip"
  step "next"
  cat <<EOF
active-active drill:    npm run demo:drill   (destroys a director under 200 long-lived connections)
any pulumi command:     npm run pulumi -- <command> --stack $STACK   (e.g. stack output bgpStates)
tear down:              npm run demo:down
EOF
}

lab_ssh() {
  local address="$1"
  shift
  in_lab ssh -i "$KEY" -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
    -o LogLevel=ERROR "root@$address" "$@"
}

show() {
  local vip directors d master="" i host answers
  vip="$(output vip)"
  directors="$(output directorAddresses --json | tr -d '[]" \n' | tr ',' ' ')"
  step "$REQUESTS requests to http://$vip/ from the lab namespace (each a new connection)"
  printf '%8s  %s\n' request "answered by"
  answers=""
  i=1
  while [ "$i" -le "$REQUESTS" ]; do
    host="$(in_lab curl -s -m 10 -H 'Connection: close' "http://$vip/" || echo FAILED)"
    printf '%8d  %s\n' "$i" "$host"
    answers="$answers$host"$'\n'
    i=$((i + 1))
  done
  step "requests per real server"
  printf '%s' "$answers" | sort | uniq -c | awk '{ printf "%8d  %s\n", $1, $2 }'
  step "directors (keepalived moves the VIP between them; only the holder forwards)"
  for d in $directors; do
    if lab_ssh "$d" ip -o -4 addr show | grep -qF " $vip/32 "; then
      printf '  %-16s holds the VIP (VRRP master)\n' "$d"
      master="$d"
    else
      printf '  %-16s backup\n' "$d"
    fi
  done
  [ -n "$master" ] || die "no director holds the VIP $vip"
  step "real servers on $master: weight (0 = failed check or draining) and counters (OutPkts 0: replies bypass the director)"
  lab_ssh "$master" ipvsadm -Ln
  lab_ssh "$master" ipvsadm -Ln --stats
  step "next"
  cat <<EOF
ssh into a director:    bash lab/lab.sh exec ssh -i .tools/lab-ssh/id_ed25519 root@$master
failover drill:         npm run demo:drill
real servers:           $(output realServerAddresses --json | tr -d '\n ')
any pulumi command:     npm run pulumi -- <command> --stack $STACK   (e.g. stack output, config set realServers 4, up)
tear down:              npm run demo:down
EOF
}

up() {
  if [ "${1:-}" = "--active-active" ]; then
    ACTIVE_ACTIVE=1
  fi
  prepare
  ensure_stack
  step "pulumi up"
  pulumi_lab up --yes --stack "$STACK"
  if active_active; then
    show_active_active
  else
    show
  fi
}

# drill_active_active: a director destroyed under 200 long-lived connections; then started again.
drill_active_active() {
  local vip address domain
  vip="$(output vip)"
  # libvirtDomainNames lists the directors first, in the order of directorAddresses: the second.
  address="$(output directorAddresses --json | list | awk '{ print $2 }')"
  domain="$(output libvirtDomainNames --json | list | awk '{ print $2 }')"
  step "drill: destroy director $address ($domain) under load"
  demo_aa drill "$vip" "$KEY" "$domain" "$address"
}

# drill: the operator's failover drill. A client sends a request through the VIP every 100 ms and
# three throttled downloads (20 MiB at 1 MB/s) run; the master director's VM is destroyed; then the
# figures; then the old master is started again (it rejoins as backup).
drill() {
  local vip directors domains d i master="" master_domain="" sha work t0 loop_pid
  cd "$ROOT"
  if active_active; then
    drill_active_active
    return
  fi
  vip="$(output vip)"
  directors="$(output directorAddresses --json | tr -d '[]" \n' | tr ',' ' ')"
  domains="$(output libvirtDomainNames --json | tr -d '[]" \n' | tr ',' ' ')"
  local -a dirs doms
  read -r -a dirs <<<"$directors"
  read -r -a doms <<<"$domains"
  [ "${#dirs[@]}" -eq 2 ] || die "the drill needs the director pair (stack config directors: 2)"
  # libvirtDomainNames lists the directors first, in the order of directorAddresses.
  for i in 0 1; do
    if lab_ssh "${dirs[$i]}" ip -o -4 addr show | grep -qF " $vip/32 "; then
      master="${dirs[$i]}"
      master_domain="${doms[$i]}"
    fi
  done
  [ -n "$master" ] || die "no director holds the VIP $vip"
  sha="$(lab_ssh "$(output realServerAddresses --json | tr -d '[]" \n' | cut -d, -f1)" sha256sum /var/www/big.bin | cut -d' ' -f1)"
  work="$(mktemp -d)"
  step "load: a request every 100 ms through http://$vip/, three long downloads; master is $master ($master_domain)"
  in_lab sh -c "while [ ! -e '$work/stop' ]; do s=\$(date +%s%3N); if curl -s -m 1 -o /dev/null http://$vip/; then r=ok; else r=FAILED; fi; echo \"\$s \$(date +%s%3N) \$r\"; sleep 0.1; done" >"$work/load" &
  loop_pid=$!
  for i in 1 2 3; do
    in_lab sh -c "curl -s -m 120 --limit-rate 1M http://$vip/big.bin | sha256sum | cut -d' ' -f1" >"$work/dl$i" &
  done
  sleep 5
  step "virsh destroy $master_domain (the master director)"
  t0=$(date +%s%3N)
  virsh -c qemu:///system destroy "$master_domain" >/dev/null
  sleep 15
  touch "$work/stop"
  wait "$loop_pid" || true
  wait
  step "what the clients saw"
  awk -v t0="$t0" '
    $3 == "ok" { if (last && $2 - last > gap) gap = $2 - last; last = $2 }
    $3 == "FAILED" && $1 >= t0 - 1000 { lost++ }
    END { printf "  longest gap between successful requests: %d ms\n  requests lost: %d of %d\n", gap, lost, NR }' "$work/load"
  i=0
  for d in "$work"/dl*; do
    [ "$(cat "$d")" = "$sha" ] && i=$((i + 1))
  done
  printf '  downloads that started before the crash and finished intact: %d of 3\n' "$i"
  for d in $directors; do
    [ "$d" = "$master" ] && continue
    lab_ssh "$d" ip -o -4 addr show | grep -qF " $vip/32 " && printf '  the VIP is now on %s\n' "$d"
  done
  rm -rf "$work"
  step "virsh start $master_domain: it rejoins as backup (no second takeover)"
  virsh -c qemu:///system start "$master_domain" >/dev/null
  printf '  started; it boots in a minute or two under emulation, then: npm run demo shows both directors\n'
}

down() {
  cd "$ROOT"
  if [ -x "$ROOT/.tools/bin/pulumi" ] && [ -f "$ROOT/build/lab/pulumi.js" ] &&
    pulumi_lab stack select "$STACK" >/dev/null 2>&1; then
    step "pulumi destroy"
    pulumi_lab destroy --yes --stack "$STACK"
    pulumi_lab stack rm --yes "$STACK"
  fi
  if [ -f "$ROOT/build/lab/demo-active-active.js" ]; then
    node "$ROOT/build/lab/demo-active-active.js" down
  fi
  step "lab down"
  bash "$ROOT/lab/lab.sh" down
}

case "${1:-}" in
up) up "${2:-}" ;;
drill) drill ;;
down) down ;;
*) die "usage: lab/demo.sh up [--active-active]|drill|down" ;;
esac
