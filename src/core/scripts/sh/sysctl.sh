# shellcheck shell=sh
# lvs-dr: kernel parameters. Values before the first lvs-dr setup are remembered in a file per host
# and role, and restored when the last cluster that needs them is torn down: two clusters (two
# VIPs) may share a host, and tearing one down must not undo what the other still relies on.

# set_sysctl PATH VALUE: PATH under /proc/sys, slash-separated (interface names may hold dots).
# A path that is not there yet (an interface that appears later at boot) gets its value from
# sysctl.d when it appears (udev runs systemd-sysctl for new interfaces).
set_sysctl() {
  if [ -e "/proc/sys/$1" ]; then
    if [ "$(cat "/proc/sys/$1")" != "$2" ]; then
      printf '%s\n' "$2" > "/proc/sys/$1"
    fi
  else
    note "/proc/sys/$1 is absent for now; sysctl.d sets it when it appears"
  fi
}

# remember ORIGINALS KEY VALUE: records a value to restore, once per host (the first value wins).
remember() {
  if [ -f "$1" ] && awk -v k="$2" '$1 == k { found = 1 } END { exit !found }' "$1"; then
    return 0
  fi
  mkdir -p "$(dirname "$1")"
  printf '%s %s\n' "$2" "$3" >> "$1"
}

# adopt_remembered ORIGINALS OLD: lvs-dr 0.1.0 remembered values per cluster, in OLD. They are the
# values before that cluster's setup, so they are merged into the host's file ahead of what it
# holds (the first value of a key wins), and OLD goes.
adopt_remembered() {
  [ -f "$2" ] || return 0
  mkdir -p "$(dirname "$1")"
  { cat "$2"; if [ -f "$1" ]; then cat "$1"; fi; } | awk '!seen[$1]++' > "$1.lvs-dr-tmp"
  mv -f "$1.lvs-dr-tmp" "$1"
  remove_file "$2"
  remove_dir "$(dirname "$2")"
}

# remember_sysctl ORIGINALS PATH: remembers the current value of a sysctl that exists.
remember_sysctl() {
  if [ -e "/proc/sys/$2" ]; then
    remember "$1" "$2" "$(cat "/proc/sys/$2")"
  fi
}

# needed_elsewhere KEY OWN_CONF CONF_DIR CONF_PREFIX: whether a sysctl.d file of another cluster
# (CONF_DIR/CONF_PREFIX*.conf other than OWN_CONF) still sets KEY. A key link:DEV (a device's
# link state) is needed while another file sets any parameter of DEV.
needed_elsewhere() {
  case "$1" in
    link:*) pattern="/${1#link:}/" ;;
    *) pattern="$1 = " ;;
  esac
  for conf in "$3/$4"*.conf; do
    if [ -f "$conf" ] && [ "$conf" != "$2" ] && grep -qF -- "$pattern" "$conf"; then
      return 0
    fi
  done
  return 1
}

# restore_remembered ORIGINALS OWN_CONF CONF_DIR CONF_PREFIX: puts back each remembered value that
# no other cluster still needs, and forgets it; the file goes when it is empty.
restore_remembered() {
  [ -f "$1" ] || return 0
  kept="$1.lvs-dr-kept"
  : > "$kept"
  while read -r key value; do
    if needed_elsewhere "$key" "$2" "$3" "$4"; then
      printf '%s %s\n' "$key" "$value" >> "$kept"
      continue
    fi
    case "$key" in
      link:*)
        ip link set "${key#link:}" "$value" 2>/dev/null || true ;;
      *)
        if [ -e "/proc/sys/$key" ]; then
          printf '%s\n' "$value" > "/proc/sys/$key"
        fi ;;
    esac
    say "restored $key = $value"
  done < "$1"
  if [ -s "$kept" ]; then
    mv -f "$kept" "$1"
  else
    rm -f "$kept"
    remove_file "$1"
  fi
}
