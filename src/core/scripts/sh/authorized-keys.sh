# shellcheck shell=sh
# lvs-dr: the SSH login user's authorized keys on a machine a platform created. cloud-init made the
# account for the cluster at first boot, so its ~/.ssh/authorized_keys is lvs-dr's to write; on
# machines lvs-dr did not create (the hosts platform) nothing calls this. Runs as the login user
# itself (no sudo): every file it makes is the user's. Needs common.sh (die, say).

# write_authorized_keys KEY...: makes ~/.ssh/authorized_keys hold exactly KEY..., one a line, mode
# 600, owned by the user. The new file is written beside the old one and renamed over it, so sshd
# never reads half a file; a file that already holds exactly these keys with that mode and owner
# is left alone, so a second run changes nothing. The keys were validated (one line of a .pub file,
# no options); they are checked again here, so that a gap there cannot add a line to the file.
write_authorized_keys() {
  [ "$#" -gt 0 ] || die "no key to authorize: refusing to lock the user out"
  case ${HOME:-} in
    /?*) ;;
    *) die "HOME is '${HOME:-}': the login user needs a home directory" ;;
  esac
  for key in "$@"; do
    case $key in
      *'
'* | *"$(printf '\r')"*) die "a key holds a line break" ;;
      ssh-ed25519\ ?* | ssh-rsa\ ?* | ecdsa-sha2-nistp256\ ?* | ecdsa-sha2-nistp384\ ?* | ecdsa-sha2-nistp521\ ?* | \
        sk-ssh-ed25519@openssh.com\ ?* | sk-ecdsa-sha2-nistp256@openssh.com\ ?*) ;;
      *) die "not a public key of a known type (or with options before it): ${key%% *}" ;;
    esac
  done
  ssh_dir=$HOME/.ssh
  keys_file=$ssh_dir/authorized_keys
  if [ ! -d "$ssh_dir" ]; then
    mkdir -m 700 "$ssh_dir"
  fi
  keys_tmp=$(mktemp "$ssh_dir/.authorized_keys.lvs-dr.XXXXXX")
  if ! printf '%s\n' "$@" >"$keys_tmp"; then
    rm -f "$keys_tmp"
    die "could not write $keys_tmp"
  fi
  if [ -f "$keys_file" ] && [ ! -L "$keys_file" ] && cmp -s "$keys_tmp" "$keys_file" &&
    [ "$(stat -c '%a %u' "$keys_file")" = "600 $(id -u)" ]; then
    rm -f "$keys_tmp"
    say "$keys_file holds the cluster's $# key(s) already"
    return 0
  fi
  chmod 600 "$keys_tmp"
  mv -f "$keys_tmp" "$keys_file"
  say "wrote $keys_file: the cluster's $# key(s), no other"
}
