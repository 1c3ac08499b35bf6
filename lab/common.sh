# shellcheck shell=bash
# lab/common.sh — what the lab scripts and .ci/run share: logging, the root check, and installing
# missing Debian packages. Sourced (bash); set LOG_PREFIX first (default "lab").
#
#   log MESSAGE...             a progress line on stderr ("<prefix>: ...")
#   warn MESSAGE...            the same, as a warning
#   die MESSAGE...             an error line, then exit 1
#   need_root WHY              dies unless root
#   pkg_installed PACKAGE      whether dpkg has the package installed
#   ensure_packages LOG PKG... installs the packages that are missing (apt-get output to LOG)

log() { printf '%s: %s\n' "${LOG_PREFIX:-lab}" "$*" >&2; }
warn() { printf '%s: warning: %s\n' "${LOG_PREFIX:-lab}" "$*" >&2; }
die() {
  printf '%s: error: %s\n' "${LOG_PREFIX:-lab}" "$*" >&2
  exit 1
}

need_root() {
  [ "$(id -u)" -eq 0 ] || die "must run as root ($1)"
}

pkg_installed() {
  [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true)" = "installed" ]
}

apt_lists_empty() {
  ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null
}

# ensure_packages LOG PACKAGE...: installs (without recommends) the packages that are not installed.
# Package lists that are missing are fetched first; an install that fails (stale lists: a package
# version the mirror no longer has) is retried once after apt-get update.
ensure_packages() {
  local log="$1" missing=() p
  shift
  if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
    die "dpkg-query and apt-get not found: this needs a Debian-based host"
  fi
  for p in "$@"; do
    pkg_installed "$p" || missing+=("$p")
  done
  [ "${#missing[@]}" -gt 0 ] || return 0
  log "installing ${missing[*]} (apt-get output: $log)"
  local apt=(env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends)
  if apt_lists_empty; then
    apt-get update -q >>"$log" 2>&1 </dev/null || die "apt-get update failed (see $log)"
  fi
  if ! "${apt[@]}" "${missing[@]}" >>"$log" 2>&1 </dev/null; then
    log "apt-get install failed; running apt-get update and retrying"
    apt-get update -q >>"$log" 2>&1 </dev/null || die "apt-get update failed (see $log)"
    "${apt[@]}" "${missing[@]}" >>"$log" 2>&1 </dev/null || die "apt-get install ${missing[*]} failed (see $log)"
  fi
}
