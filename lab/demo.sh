#!/usr/bin/env bash
# The main job, on this machine: `pulumi up` of the root project on the embedded lab.
#
#   lab/demo.sh up      (npm run demo)       set up what is missing, pulumi up --yes, show the result
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
}

output() { pulumi_lab stack output --stack "$STACK" "$@"; }

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
real servers:           $(output realServerAddresses --json | tr -d '\n ')
any pulumi command:     npm run pulumi -- <command> --stack $STACK   (e.g. stack output, config set realServers 4, up)
tear down:              npm run demo:down
EOF
}

up() {
  prepare
  ensure_stack
  step "pulumi up"
  pulumi_lab up --yes --stack "$STACK"
  show
}

down() {
  cd "$ROOT"
  if [ -x "$ROOT/.tools/bin/pulumi" ] && [ -f "$ROOT/build/lab/pulumi.js" ] &&
    pulumi_lab stack select "$STACK" >/dev/null 2>&1; then
    step "pulumi destroy"
    pulumi_lab destroy --yes --stack "$STACK"
    pulumi_lab stack rm --yes "$STACK"
  fi
  step "lab down"
  bash "$ROOT/lab/lab.sh" down
}

case "${1:-}" in
up) up ;;
down) down ;;
*) die "usage: lab/demo.sh up|down" ;;
esac
