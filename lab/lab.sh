#!/usr/bin/env bash
# lab/lab.sh — the VM lab in one command.
#
#   lab/lab.sh up            libvirtd in the lab namespace (installing what is missing) and the VM
#                            image (built, or reused from its cache); idempotent
#   lab/lab.sh down          every lvsdr-* domain, volume and network, the daemons, the namespace
#   lab/lab.sh exec CMD...   run CMD inside the lab namespace (the only place VM addresses answer)
#   lab/lab.sh status        what is up
#
# The image cache (/var/lib/lvsdr-lab/images) survives `down`; `bash lab/image.sh clean` removes it.
set -euo pipefail

LAB_DIR="$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")"
# shellcheck source=lab/common.sh
source "$LAB_DIR/common.sh"
NS="${LVSDR_NETNS:-lvsdr-lab}"

case "${1:-}" in
up)
  bash "$LAB_DIR/libvirtd.sh" up
  bash "$LAB_DIR/image.sh" build
  image="$(bash "$LAB_DIR/image.sh" path)"
  cat <<EOF2
lab: ready.
lab:   libvirt       virsh -c qemu:///system ...   (pool ${LVSDR_POOL:-lvsdr})
lab:   VM image      $image
lab:                 (direct kernel boot: vmlinuz + initrd.img, root=/dev/vda console=ttyS0 net.ifnames=0 rw)
lab:   inside        bash lab/lab.sh exec CMD      (e.g. ssh, curl to the VMs; namespace $NS)
lab:   tests         npm run test:libvirt && npm run test:lab
lab:   tear down     bash lab/lab.sh down
EOF2
  ;;
down)
  bash "$LAB_DIR/libvirtd.sh" down
  ;;
exec)
  shift
  exec bash "$LAB_DIR/libvirtd.sh" exec "$@"
  ;;
status)
  status=0
  bash "$LAB_DIR/libvirtd.sh" status || status=$?
  printf 'lab: image: %s\n' "$(bash "$LAB_DIR/image.sh" path 2>/dev/null || echo 'not built')"
  exit "$status"
  ;;
*)
  printf 'usage: lab/lab.sh up | down | exec CMD... | status\n' >&2
  exit 2
  ;;
esac
