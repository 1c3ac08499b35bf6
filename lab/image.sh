#!/usr/bin/env bash
# lab/image.sh — build the lab's VM image: Debian 12 (bookworm) with the cloud kernel, cloud-init
# (NoCloud), sshd, ipvsadm, keepalived and a tiny web server; cached by a hash of its recipe.
#
#   lab/image.sh build   build the image unless it is cached (progress on stderr, nothing on stdout)
#   lab/image.sh path    print the current image's directory and nothing else (fails if none was built)
#   lab/image.sh clean   remove every image (VMs whose overlays are backed by one stop working)
#
# An image directory ($LVSDR_IMAGE_DIR/<sha256 of this script>) holds
#   disk.qcow2   qcow2 whose content is a whole-disk ext4 file system (label lvsdr-root, no partition
#                table): boot it with root=/dev/vda
#   vmlinuz      the image's kernel (linux-image-cloud-amd64) and
#   initrd.img   its initramfs (virtio_blk, virtio_pci, virtio_net, ext4), for direct kernel boot:
#                <kernel>DIR/vmlinuz</kernel> <initrd>DIR/initrd.img</initrd>
#                <cmdline>root=/dev/vda console=ttyS0 net.ifnames=0 rw</cmdline>
# and $LVSDR_IMAGE_DIR/current is a symlink to the newest one. This file is the whole recipe: any
# change to it gives a new hash, hence a new build (lab/common.sh, which it sources, only installs
# the build's tools on the host); older images stay (overlays may be backed by them) until `clean`.
#
# The VM expects a NoCloud seed (ISO 9660, volume id "cidata", attached as a second disk) with
# user-data (users/ssh_authorized_keys, hostname), meta-data and network-config v2 (match the NIC by
# MAC, set-name eth0, static address, optional default route). cloud-init renders the network for
# ifupdown (/etc/network/interfaces.d). sshd accepts keys only; host keys are made at first boot.
# lvsdr-web.service answers on port 80 with the hostname (/index.html) and serves /big.bin (20 MiB),
# /1k.bin and /1m.bin (the benchmark's response sizes); lvsdr-web-fwmark.service serves the same on
# ports 443 and 8443 (plain HTTP, for the firewall-mark check). nftables: the directors' marks.
# HAProxy is installed for the benchmark's proxy side (npm run bench starts it by hand on the
# director); its unit is not enabled.
#
# Environment (all optional):
#   LVSDR_IMAGE_DIR     where images are kept                  (default /var/lib/lvsdr-lab/images)
#   LVSDR_APT_MIRROR    Debian mirror for the image            (default: from the host's apt sources)
#   LVSDR_APT_SECURITY  Debian security mirror, or "none"      (default: from the host's apt sources)
set -euo pipefail

SCRIPT_PATH="$(readlink -f "${BASH_SOURCE[0]}")"
LAB_DIR="$(dirname "$SCRIPT_PATH")"
# shellcheck source=lab/common.sh
source "$LAB_DIR/common.sh"
IMAGE_DIR="${LVSDR_IMAGE_DIR:-/var/lib/lvsdr-lab/images}"
SUITE=bookworm
DISK_SIZE=2G
BIG_FILE_MIB=20
HOST_PACKAGES=(debootstrap qemu-utils e2fsprogs util-linux coreutils)
# net-tools: cloud-init's ifupdown ("eni") renderer writes routes as `post-up route add ...`.
# dbus: systemd-logind needs it, and without logind the ACPI power button is ignored, so
# `virsh shutdown` and `virsh reboot` would do nothing.
IMAGE_PACKAGES=(linux-image-cloud-amd64 systemd-sysv udev openssh-server ipvsadm keepalived iproute2
  kmod procps ifupdown cloud-init busybox curl tcpdump arping iputils-ping ca-certificates
  initramfs-tools lz4 sudo net-tools dbus haproxy nftables bird2)
# Modules the initramfs must provide (or the kernel must have built in) to mount root=/dev/vda, and
# the only ones it holds (MODULES=list, lz4): Debian's default (MODULES=most, gzip) made a 15 MB
# initramfs of 52 MB that the emulated kernel took 33 s to unpack at every boot and reboot (dmesg,
# "Trying to unpack rootfs" to "Freeing initrd memory"), before udev in it probed most modules.
INITRD_MODULES=(virtio_blk virtio_pci virtio_net ext4 crc32c_generic)
# Units that only cost CPU on emulated lab VMs. bird.service is the package's own BIRD with its
# sample configuration: active-active directors run a BIRD unit of the cluster's instead.
MASKED_UNITS=(apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer e2scrub_reap.service
  fstrim.timer dpkg-db-backup.timer systemd-firstboot.service getty-static.service bird.service)
# A clean environment for commands inside the chroot (nothing of the caller's leaks in).
CHROOT_ENV=(env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C.UTF-8
  DEBIAN_FRONTEND=noninteractive DEBCONF_NONINTERACTIVE_SEEN=true)

usage() {
  printf 'usage: lab/image.sh build | path | clean\n' >&2
  exit 2
}

# ---------------------------------------------------------------- recipe hash

recipe_hash() {
  sha256sum <"$SCRIPT_PATH" | cut -c1-64
}

image_complete() { # dir
  [ -s "$1/disk.qcow2" ] && [ -s "$1/vmlinuz" ] && [ -s "$1/initrd.img" ]
}

set_current() { # hash
  local link="$IMAGE_DIR/current"
  [ "$(readlink "$link" 2>/dev/null || true)" = "$1" ] && return 0
  ln -sfn "$1" "$link.new.$$"
  mv -fT "$link.new.$$" "$link"
}

# ---------------------------------------------------------------- host tools

ensure_host_tools() {
  ensure_packages "$BUILD_LOG" "${HOST_PACKAGES[@]}"
  local entry
  for entry in debootstrap:debootstrap qemu-img:qemu-utils mkfs.ext4:e2fsprogs findmnt:util-linux \
    flock:util-linux setsid:util-linux chroot:coreutils sha256sum:coreutils; do
    command -v "${entry%%:*}" >/dev/null 2>&1 || die "${entry%%:*} not found (package ${entry#*:})"
  done
  local usage
  usage="$(mkfs.ext4 2>&1 || true)"
  grep -q -- '-d ' <<<"$usage" || die "this mkfs.ext4 has no -d (populate from a directory): e2fsprogs >= 1.43 needed"
}

# First http(s) URI the host's apt sources use for SUITE (one-line .list and deb822 .sources files).
apt_source_uri() { # suite
  local f out=""
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    case "$f" in
    *.sources)
      out+="$(awk -v s="$1" 'BEGIN { RS = ""; FS = "\n" }
        { types = ""; uris = ""; suites = ""; enabled = "yes"
          for (i = 1; i <= NF; i++) {
            line = $i; if (line ~ /^#/) continue
            key = line; sub(/:.*/, "", key); val = line; sub(/^[^:]*:[ \t]*/, "", val)
            if (key == "Types") types = val; else if (key == "URIs") uris = val
            else if (key == "Suites") suites = val; else if (key == "Enabled") enabled = val
          }
          if (enabled == "no" || (" " types " ") !~ / deb /) next
          if ((" " suites " ") ~ (" " s " ")) { split(uris, u, " "); print u[1] } }' "$f")"$'\n'
      ;;
    *)
      out+="$(awk -v s="$1" '$1 == "deb" { i = 2
          if ($i ~ /^\[/) { while (i < NF && $i !~ /\]$/) i++; i++ }
          if ($(i + 1) == s) print $i }' "$f")"$'\n'
      ;;
    esac
  done
  out="$(grep -E '^https?://' <<<"$out" || true)"
  printf '%s\n' "${out%%$'\n'*}"
}

# ---------------------------------------------------------------- chroot mounts and cleanup

MOUNTS=()
WORK=""
ROOT=""
BUILD_LOG=""
STEP_PID=""

mount_chroot() {
  local d
  for d in proc sys dev run; do mkdir -p "$ROOT/$d"; done
  mount -t proc -o nosuid,nodev,noexec proc "$ROOT/proc" && MOUNTS+=("$ROOT/proc")
  mount -t sysfs -o ro,nosuid,nodev,noexec sysfs "$ROOT/sys" && MOUNTS+=("$ROOT/sys")
  # A private /dev (tmpfs with the usual nodes), not a bind of the host's: nothing done in the chroot
  # (or by a cleanup that goes wrong) can reach the host's devices.
  mount -t tmpfs -o mode=0755,nosuid,size=1m tmpfs "$ROOT/dev" && MOUNTS+=("$ROOT/dev")
  mknod -m 0666 "$ROOT/dev/null" c 1 3
  mknod -m 0666 "$ROOT/dev/zero" c 1 5
  mknod -m 0666 "$ROOT/dev/full" c 1 7
  mknod -m 0666 "$ROOT/dev/random" c 1 8
  mknod -m 0666 "$ROOT/dev/urandom" c 1 9
  mknod -m 0666 "$ROOT/dev/tty" c 5 0
  ln -s /proc/self/fd "$ROOT/dev/fd"
  ln -s /proc/self/fd/0 "$ROOT/dev/stdin"
  ln -s /proc/self/fd/1 "$ROOT/dev/stdout"
  ln -s /proc/self/fd/2 "$ROOT/dev/stderr"
  mkdir -p "$ROOT/dev/pts" "$ROOT/dev/shm"
  mount -t devpts -o newinstance,ptmxmode=0666,mode=0620,gid=5 devpts "$ROOT/dev/pts" && MOUNTS+=("$ROOT/dev/pts")
  ln -s pts/ptmx "$ROOT/dev/ptmx"
  # Whatever package scripts put in /run stays out of the image.
  mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs "$ROOT/run" && MOUNTS+=("$ROOT/run")
}

# PIDs of processes whose root directory is DIR or below (processes a build started in its chroot).
chrooted_pids() { # dir
  local p r
  for p in /proc/[0-9]*; do
    r="$(readlink "$p/root" 2>/dev/null)" || continue
    case "$r" in "$1" | "$1"/*) printf '%s\n' "${p#/proc/}" ;; esac
  done
}

stop_chrooted() { # dir
  local pids
  mapfile -t pids < <(chrooted_pids "$1")
  [ "${#pids[@]}" -gt 0 ] || return 0
  log "stopping processes left in the chroot $1: ${pids[*]}"
  kill -TERM "${pids[@]}" 2>/dev/null || true
  sleep 1
  mapfile -t pids < <(chrooted_pids "$1")
  [ "${#pids[@]}" -eq 0 ] || kill -KILL "${pids[@]}" 2>/dev/null || true
}

# Mount points at or below a directory.
mounts_below() { # dir
  findmnt -rn -o TARGET | awk -v d="$1" '$0 == d || index($0, d "/") == 1'
}

# Unmounts everything at or below DIR, deepest first.
umount_below() { # dir
  local m
  while IFS= read -r m; do
    umount "$m" 2>/dev/null || umount -l "$m" || log "warning: cannot unmount $m"
  done < <(mounts_below "$1" | awk '{ print length($0) "\t" $0 }' | sort -rn | cut -f2-)
}

umount_chroot() {
  local i
  [ -z "$ROOT" ] || stop_chrooted "$ROOT"
  for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do
    umount "${MOUNTS[i]}" 2>/dev/null || umount -l "${MOUNTS[i]}" ||
      log "warning: cannot unmount ${MOUNTS[i]}"
  done
  MOUNTS=()
}

# Removes the temporary directory of a build that was killed before its own cleanup ran (its chroot
# mounts — proc, sysfs, tmpfs, devpts, all its own — may still be there).
remove_stale_build() { # dir
  log "removing the leftovers of an interrupted build: $1"
  stop_chrooted "$1"
  umount_below "$1"
  if [ -n "$(mounts_below "$1")" ]; then
    log "warning: leaving $1 (still mounted below it: $(mounts_below "$1" | tr '\n' ' '))"
    return 1
  fi
  rm -rf --one-file-system "$1"
}

cleanup() {
  local rc=$?
  set +e
  stop_step
  umount_chroot
  if [ -n "$WORK" ] && [ -d "$WORK" ]; then
    if [ -n "$(mounts_below "$WORK")" ]; then
      log "warning: still mounted below $WORK, left in place: $(mounts_below "$WORK" | tr '\n' ' ')"
    else
      rm -rf --one-file-system "$WORK"
    fi
  fi
  if [ "$rc" -ne 0 ] && [ -n "$BUILD_LOG" ] && [ -s "$BUILD_LOG" ]; then
    log "build failed; last lines of $BUILD_LOG:"
    tail -n 25 "$BUILD_LOG" | sed 's/^/lab:   /' >&2
  fi
  return "$rc"
}

in_chroot() { chroot "$ROOT" "${CHROOT_ENV[@]}" "$@"; }

# Run a logged step (`in_chroot CMD...` runs CMD in the chroot); its output goes to the build log.
# The step runs in its own process group, in the background: on INT/TERM the trap runs at once and
# cleanup stops the whole group (debootstrap, apt-get, dpkg and what they started).
run() { # description command...
  local what="$1" rc=0
  shift
  if [ "$1" = in_chroot ]; then
    shift
    set -- chroot "$ROOT" "${CHROOT_ENV[@]}" "$@"
  fi
  printf '\n### %s\n### %s\n' "$what" "$*" >>"$BUILD_LOG"
  setsid --wait "$@" >>"$BUILD_LOG" 2>&1 </dev/null &
  STEP_PID=$!
  wait "$STEP_PID" || rc=$?
  STEP_PID=""
  [ "$rc" -eq 0 ] || die "$what failed (exit status $rc, see $BUILD_LOG)"
}

stop_step() {
  [ -n "$STEP_PID" ] || return 0
  log "stopping the running step (process group $STEP_PID)"
  kill -TERM -- "-$STEP_PID" 2>/dev/null || true
  for _ in $(seq 1 50); do
    kill -0 -- "-$STEP_PID" 2>/dev/null || break
    sleep 0.2
  done
  kill -KILL -- "-$STEP_PID" 2>/dev/null || true
  wait "$STEP_PID" 2>/dev/null || true
  STEP_PID=""
}

# ---------------------------------------------------------------- image contents

write_file() { # path-in-image mode (content on stdin)
  mkdir -p "$(dirname "$ROOT$1")"
  cat >"$ROOT$1"
  chmod "$2" "$ROOT$1"
}

configure_apt_base() { # mirror security
  local mirror="$1" security="$2"
  {
    printf 'deb %s %s main\n' "$mirror" "$SUITE"
    printf 'deb %s %s-updates main\n' "$mirror" "$SUITE"
    [ "$security" = none ] || printf 'deb %s %s-security main\n' "$security" "$SUITE"
  } | write_file /etc/apt/sources.list 0644
  write_file /etc/apt/apt.conf.d/90lvsdr 0644 <<'EOF'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
Acquire::Languages "none";
EOF
  # No documentation, manual pages or translations: a smaller image, a faster mkfs.
  write_file /etc/dpkg/dpkg.cfg.d/90lvsdr-nodoc 0644 <<'EOF'
path-exclude=/usr/share/doc/*
path-include=/usr/share/doc/*/copyright
path-exclude=/usr/share/man/*
path-exclude=/usr/share/info/*
path-exclude=/usr/share/locale/*
path-include=/usr/share/locale/locale.alias
path-exclude=/usr/share/lintian/*
EOF
  # Nothing starts in the chroot.
  write_file /usr/sbin/policy-rc.d 0755 <<'EOF'
#!/bin/sh
exit 101
EOF
  # Root file system: the whole virtio disk (no partition table). In place before the kernel's
  # postinst runs update-initramfs, so its root detection sees ext4.
  write_file /etc/fstab 0644 <<'EOF'
/dev/vda / ext4 defaults,errors=remount-ro 0 1
EOF
  # A small initramfs, quick to unpack under emulation (see INITRD_MODULES).
  printf 'MODULES=list\nCOMPRESS=lz4\n' | write_file /etc/initramfs-tools/conf.d/90-lvsdr-lab.conf 0644
  # (Not /etc/initramfs-tools/modules: a conffile of initramfs-tools, which dpkg would ask about.)
  printf '%s\n' "${INITRD_MODULES[@]}" | write_file /usr/share/initramfs-tools/modules.d/lvsdr-lab 0644
}

configure_image() {
  # Identity: set by cloud-init from the seed; nothing of the build host stays in the image.
  printf 'localhost\n' | write_file /etc/hostname 0644
  write_file /etc/hosts 0644 <<'EOF'
127.0.0.1	localhost
::1		localhost ip6-localhost ip6-loopback
ff02::1		ip6-allnodes
ff02::2		ip6-allrouters
EOF
  # Lab networks have no DNS (cloud-init writes nameservers only if the seed has some).
  rm -f "$ROOT/etc/resolv.conf"
  : | write_file /etc/resolv.conf 0644
  : | write_file /etc/machine-id 0444
  rm -f "$ROOT/var/lib/dbus/machine-id" "$ROOT/var/lib/systemd/random-seed"

  # ifupdown: cloud-init's "eni" renderer writes /etc/network/interfaces.d/50-cloud-init.
  write_file /etc/network/interfaces 0644 <<'EOF'
# The VM's interfaces are configured by cloud-init (network-config of the NoCloud seed) in
# /etc/network/interfaces.d/50-cloud-init.
auto lo
iface lo inet loopback

source /etc/network/interfaces.d/*
EOF
  mkdir -p "$ROOT/etc/network/interfaces.d"

  # Under software emulation every cloud-init module costs: the lists keep what a lab VM can use
  # (Debian's cloud.cfg also runs locale, which fails without the locales package, grub-dpkg,
  # apt-configure, keys-to-console, ...). RSA host keys take seconds to generate: ed25519 and ecdsa only.
  write_file /etc/cloud/cloud.cfg.d/90-lvsdr.cfg 0644 <<'EOF'
# lab/image.sh: configuration comes from a NoCloud seed (volume id "cidata"); network rendered for
# ifupdown (/etc/network/interfaces.d/50-cloud-init).
datasource_list: [ NoCloud, None ]
system_info:
  network:
    renderers: [ eni ]
ssh_genkeytypes: [ ed25519, ecdsa ]
cloud_init_modules:
  - migrator
  - seed_random
  - bootcmd
  - write-files
  - growpart
  - resizefs
  - disk_setup
  - mounts
  - set_hostname
  - update_hostname
  - update_etc_hosts
  - ca-certs
  - users-groups
  - ssh
cloud_config_modules:
  - set-passwords
  - timezone
  - runcmd
cloud_final_modules:
  - package-update-upgrade-install
  - write-files-deferred
  - scripts-vendor
  - scripts-per-once
  - scripts-per-boot
  - scripts-per-instance
  - scripts-user
  - ssh-authkey-fingerprints
  - final-message
  - power-state-change
EOF

  # sshd: keys only. Host keys (ed25519, ecdsa) are made at first boot by cloud-init's ssh module,
  # and by lvsdr-ssh-hostkeys before every start of sshd in case cloud-init did not run; the ones
  # the package made in the chroot are removed.
  write_file /etc/ssh/sshd_config.d/90-lvsdr.conf 0644 <<'EOF'
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UseDNS no
HostKey /etc/ssh/ssh_host_ed25519_key
HostKey /etc/ssh/ssh_host_ecdsa_key
EOF
  # cloud-init (set-passwords, `ssh_pwauth: false` in the seed) writes this file and restarts sshd
  # when it changes: it already says so, so sshd is not restarted while callers wait for it.
  printf 'PasswordAuthentication no\n' | write_file /etc/ssh/sshd_config.d/50-cloud-init.conf 0600
  rm -f "$ROOT"/etc/ssh/ssh_host_*
  write_file /usr/local/sbin/lvsdr-ssh-hostkeys 0755 <<'EOF'
#!/bin/sh
# Creates the sshd host keys that are missing (lab/image.sh).
set -e
for t in ed25519 ecdsa; do
  f="/etc/ssh/ssh_host_${t}_key"
  [ -s "$f" ] && [ -s "$f.pub" ] && continue
  rm -f "$f" "$f.pub"
  ssh-keygen -q -t "$t" -N "" -f "$f"
done
EOF
  # ExecStartPre= is reset first: the unit's own `sshd -t` must run after the keys exist.
  write_file /etc/systemd/system/ssh.service.d/90-lvsdr-hostkeys.conf 0644 <<'EOF'
[Service]
ExecStartPre=
ExecStartPre=/usr/local/sbin/lvsdr-ssh-hostkeys
ExecStartPre=/usr/sbin/sshd -t
EOF

  # The web server of the real servers: /index.html = hostname, /big.bin for download tests.
  write_file /etc/systemd/system/lvsdr-web.service 0644 <<'EOF'
[Unit]
Description=lvsdr lab web server (busybox httpd on port 80, /index.html = hostname)
Wants=network-online.target
After=network-online.target

[Service]
Type=simple
ExecStartPre=/bin/sh -c 'hostname >/var/www/index.html'
ExecStart=/bin/busybox httpd -f -p 80 -h /var/www
Restart=on-failure
RestartSec=2

[Install]
WantedBy=multi-user.target
EOF
  # The same pages on ports 443 and 8443 (plain HTTP): the firewall-mark service of the lab checks.
  write_file /etc/systemd/system/lvsdr-web-fwmark.service 0644 <<'EOF'
[Unit]
Description=lvsdr lab web server on ports 443 and 8443 (busybox httpd, plain HTTP)
Wants=network-online.target
After=network-online.target lvsdr-web.service

[Service]
Type=simple
ExecStart=/bin/sh -c '/bin/busybox httpd -p 8443 -h /var/www && exec /bin/busybox httpd -f -p 443 -h /var/www'
Restart=on-failure
RestartSec=2

[Install]
WantedBy=multi-user.target
EOF
  mkdir -p "$ROOT/etc/systemd/system/multi-user.target.wants" "$ROOT/var/www"
  ln -sfn /etc/systemd/system/lvsdr-web.service "$ROOT/etc/systemd/system/multi-user.target.wants/lvsdr-web.service"
  ln -sfn /etc/systemd/system/lvsdr-web-fwmark.service "$ROOT/etc/systemd/system/multi-user.target.wants/lvsdr-web-fwmark.service"
  : >"$ROOT/var/www/index.html"
  head -c "$((BIG_FILE_MIB * 1024 * 1024))" /dev/urandom >"$ROOT/var/www/big.bin"
  head -c 1024 /dev/urandom >"$ROOT/var/www/1k.bin"
  head -c 1048576 /dev/urandom >"$ROOT/var/www/1m.bin"
  chmod 0644 "$ROOT/var/www/index.html" "$ROOT/var/www/big.bin" "$ROOT/var/www/1k.bin" "$ROOT/var/www/1m.bin"
  # HAProxy only for the benchmark, which runs it with its own configuration: not at boot.
  rm -f "$ROOT/etc/systemd/system/multi-user.target.wants/haproxy.service"

  local unit
  for unit in "${MASKED_UNITS[@]}"; do
    ln -sfn /dev/null "$ROOT/etc/systemd/system/$unit"
  done

  run "locking root's password" in_chroot passwd -l root
}

kernel_version() {
  local k
  k="$(cd "$ROOT/boot" && compgen -G 'vmlinuz-*' | sort -V | tail -n1)"
  [ -n "$k" ] || die "no /boot/vmlinuz-* in the image (did linux-image-cloud-amd64 install?)"
  printf '%s\n' "${k#vmlinuz-}"
}

check_kernel() { # kver
  local kver="$1" listing m
  [ -f "$ROOT/boot/initrd.img-$kver" ] || die "no /boot/initrd.img-$kver in the image (initramfs-tools)"
  run "depmod $kver" in_chroot depmod -a "$kver"
  grep -q '/ip_vs\.ko' "$ROOT/lib/modules/$kver/modules.dep" ||
    die "ip_vs is not in modules.dep of $kver"
  listing="$(in_chroot lsinitramfs "/boot/initrd.img-$kver")" || die "lsinitramfs /boot/initrd.img-$kver failed"
  for m in "${INITRD_MODULES[@]}"; do
    if grep -q "/$m\.ko" <<<"$listing"; then continue; fi
    if grep -q "/$m\.ko" "$ROOT/lib/modules/$kver/modules.builtin"; then continue; fi
    die "module $m is neither in initrd.img-$kver nor built into the kernel"
  done
  # The kernel's lz4 (legacy frame) magic: a missing lz4 makes mkinitramfs fall back to gzip.
  [ "$(od -An -tx1 -N4 "$ROOT/boot/initrd.img-$kver" | tr -d ' ')" = 02214c18 ] ||
    die "initrd.img-$kver is not lz4-compressed: $(file -b "$ROOT/boot/initrd.img-$kver" 2>/dev/null || true)"
  log "kernel $kver: ip_vs in modules.dep; initrd ($(du -h "$ROOT/boot/initrd.img-$kver" | cut -f1), lz4) has ${INITRD_MODULES[*]}"
}

clean_image() {
  rm -f "$ROOT/usr/sbin/policy-rc.d"
  in_chroot apt-get clean >>"$BUILD_LOG" 2>&1 || true
  rm -rf "$ROOT"/var/lib/apt/lists/* "$ROOT"/var/cache/apt/*.bin "$ROOT"/var/cache/apt/archives/*.deb \
    "$ROOT"/var/cache/debconf/*-old "$ROOT"/var/lib/dpkg/*-old "$ROOT"/tmp/* "$ROOT"/var/tmp/* \
    "$ROOT"/var/log/apt/* "$ROOT"/var/lib/cloud/* "$ROOT"/root/.bash_history
  mkdir -p "$ROOT/var/lib/apt/lists/partial"
  find "$ROOT/var/log" -type f -exec truncate -s 0 {} +
}

# ---------------------------------------------------------------- build

cmd_build() {
  need_root "debootstrap, chroot, mounts"
  local hash dir
  hash="$(recipe_hash)"
  dir="$IMAGE_DIR/$hash"
  if image_complete "$dir"; then
    set_current "$hash"
    log "image $hash is built already: $dir"
    return 0
  fi
  mkdir -p "$IMAGE_DIR"
  chmod 0755 "$IMAGE_DIR"
  # One build at a time. The steps inherit the lock: if this script is killed (SIGKILL) while a step
  # runs, the next build waits for that orphaned step to end, then removes its leftovers.
  exec 9>"$IMAGE_DIR/.lock"
  if ! flock -n 9; then
    log "another build is running; waiting for it"
    flock 9
  fi
  if image_complete "$dir"; then # built meanwhile by the other one
    set_current "$hash"
    return 0
  fi

  BUILD_LOG="$IMAGE_DIR/build.log"
  : >"$BUILD_LOG"
  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  trap 'exit 129' HUP
  ensure_host_tools

  local mirror security
  mirror="${LVSDR_APT_MIRROR:-$(apt_source_uri "$SUITE")}"
  [ -n "$mirror" ] || die "no Debian mirror for $SUITE in /etc/apt/sources.list{,.d/*}: set LVSDR_APT_MIRROR"
  security="${LVSDR_APT_SECURITY:-$(apt_source_uri "$SUITE-security")}"
  [ -n "$security" ] || security=none
  log "building image $hash (mirror $mirror, security $security; log $BUILD_LOG)"

  # Everything happens in a temporary directory next to the result; the complete directory is
  # renamed into place at the end, so an interrupted build never looks complete.
  local stale
  for stale in "$IMAGE_DIR"/.build-*; do
    [ -d "$stale" ] || continue
    remove_stale_build "$stale" || true
  done
  WORK="$(mktemp -d "$IMAGE_DIR/.build-$hash.XXXXXX")"
  ROOT="$WORK/rootfs"
  local out="$WORK/out" t0 t1 t2 t3 t4
  mkdir -p "$out"
  t0=$SECONDS

  log "debootstrap --variant=minbase $SUITE"
  run "debootstrap" debootstrap --variant=minbase "$SUITE" "$ROOT" "$mirror"
  t1=$SECONDS
  log "debootstrap done in $((t1 - t0)) s"

  configure_apt_base "$mirror" "$security"
  mount_chroot
  log "installing ${#IMAGE_PACKAGES[@]} packages in the chroot"
  run "apt-get update (chroot)" in_chroot apt-get update -q
  run "apt-get dist-upgrade (chroot)" in_chroot apt-get dist-upgrade -y -q
  run "apt-get install (chroot)" in_chroot apt-get install -y -q --no-install-recommends "${IMAGE_PACKAGES[@]}"
  local kver
  kver="$(kernel_version)"
  check_kernel "$kver"
  configure_image
  clean_image
  umount_chroot
  [ -z "$(mounts_below "$ROOT")" ] || die "still mounted below $ROOT"
  t2=$SECONDS
  log "packages and configuration done in $((t2 - t1)) s"

  cp "$ROOT/boot/vmlinuz-$kver" "$out/vmlinuz"
  cp "$ROOT/boot/initrd.img-$kver" "$out/initrd.img"
  log "mkfs.ext4 ($DISK_SIZE, $(du -sh --one-file-system "$ROOT" | cut -f1) used)"
  run "mkfs.ext4" mkfs.ext4 -q -F -L lvsdr-root -d "$ROOT" "$WORK/disk.raw" "$DISK_SIZE"
  t3=$SECONDS
  run "qemu-img convert" qemu-img convert -O qcow2 "$WORK/disk.raw" "$out/disk.qcow2"
  rm -f "$WORK/disk.raw"
  rm -rf --one-file-system "$ROOT"
  t4=$SECONDS
  log "mkfs $((t3 - t2)) s, qcow2 convert $((t4 - t3)) s"

  printf 'hash=%s\nkernel=%s\nmirror=%s\nsecurity=%s\nbuilt=%s\ncmdline=root=/dev/vda console=ttyS0 net.ifnames=0 rw\n' \
    "$hash" "$kver" "$mirror" "$security" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$out/image.info"
  chmod 0644 "$out"/*
  chmod 0755 "$out"
  rm -rf --one-file-system "$dir" # an incomplete directory of the same hash (never renamed into place by us)
  mv -T "$out" "$dir"
  set_current "$hash"
  log "image ready in $((SECONDS - t0)) s: $dir ($(du -h "$dir/disk.qcow2" | cut -f1) disk.qcow2, kernel $kver)"
  local others
  others="$(find "$IMAGE_DIR" -mindepth 1 -maxdepth 1 -type d ! -name '.*' ! -name "$hash" | wc -l)"
  [ "$others" -eq 0 ] || log "$others older image(s) kept in $IMAGE_DIR (lab/image.sh clean removes all)"
}

cmd_path() {
  local link="$IMAGE_DIR/current" dir
  dir="$(readlink -f "$link" 2>/dev/null)" || die "no image built yet (run: lab/image.sh build)"
  image_complete "$dir" || die "no image built yet (run: lab/image.sh build)"
  printf '%s\n' "$dir"
}

cmd_clean() {
  need_root "the image cache belongs to root"
  [ -d "$IMAGE_DIR" ] || {
    log "no images in $IMAGE_DIR"
    return 0
  }
  exec 9>"$IMAGE_DIR/.lock"
  flock -n 9 || die "a build is running (lock $IMAGE_DIR/.lock)"
  local stale
  for stale in "$IMAGE_DIR"/.build-*; do
    [ -d "$stale" ] || continue
    remove_stale_build "$stale" || true
  done
  [ -z "$(mounts_below "$IMAGE_DIR")" ] || die "something is mounted below $IMAGE_DIR; not removing it"
  log "removing $IMAGE_DIR"
  rm -rf --one-file-system "$IMAGE_DIR"
}

main() {
  [ "$#" -eq 1 ] || usage
  case "$1" in
  build) cmd_build ;;
  path) cmd_path ;;
  clean) cmd_clean ;;
  *) usage ;;
  esac
}

main "$@"
