#!/usr/bin/env bash
# Install a vp-desk .deb into a fresh Debian root and check it as an agent's machine would:
# apt resolves its Depends, `vp-desk --version` and the offscreen smoke mode run as a plain
# user, and `apt-get remove` leaves nothing in /opt/vp-desk or /usr/bin.
# Usage: tests/packaging/test_deb.sh dist/vp-desk_VERSION_ARCH.deb
# Needs root, debootstrap and access to a Debian mirror (DEBIAN_MIRROR, default
# deb.debian.org). DEBOOTSTRAP_CACHE names a folder that keeps downloaded packages between runs.
set -euo pipefail

deb=$(realpath "${1:?usage: test_deb.sh PACKAGE.deb}")
suite=${DEBIAN_SUITE:-bookworm}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
query=giulia.rossi@example.com
step_timeout=${STEP_TIMEOUT:-600}

if [ "$(id -u)" != 0 ]; then
  echo "test_deb.sh: needs root for debootstrap and chroot" >&2
  exit 1
fi
if ! command -v debootstrap >/dev/null 2>&1; then
  echo "test_deb.sh: debootstrap is missing; install it with apt-get install debootstrap" >&2
  exit 1
fi

chroot_root=$(mktemp -d /var/tmp/vp-desk-deb-test.XXXXXX)
# mktemp makes the folder private, but it becomes / for apt's _apt user and for the agent.
chmod 755 "$chroot_root"

cleanup() {
  local status=$?
  local mount
  # Unmount the deepest mounts first. The root is deleted only when nothing is mounted in it
  # any more, so that rm cannot descend into the host's /proc or /dev/pts.
  for mount in $(findmnt -rn -o TARGET | grep "^$chroot_root/" | sort -r); do
    umount -l "$mount" || true
  done
  if findmnt -rn -o TARGET | grep -q "^$chroot_root/"; then
    echo "test_deb.sh: mounts left in $chroot_root; not deleting it" >&2
  else
    rm -rf --one-file-system "$chroot_root"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

in_root() {
  timeout "$step_timeout" chroot "$chroot_root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
    LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"
}

as_agent() {
  timeout "$step_timeout" chroot --userspec=agent:agent "$chroot_root" env -i \
    PATH=/usr/bin:/bin HOME=/home/agent LANG=C.UTF-8 QT_QPA_PLATFORM=offscreen "$@"
}

fail() {
  echo "test_deb.sh: FAILED: $*" >&2
  exit 1
}

started=$(date +%s)
cache_option=()
if [ -n "${DEBOOTSTRAP_CACHE:-}" ]; then
  mkdir -p "$DEBOOTSTRAP_CACHE"
  cache_option=(--cache-dir="$(realpath "$DEBOOTSTRAP_CACHE")")
fi
echo "test_deb.sh: debootstrap --variant=minbase $suite from $mirror"
if ! timeout "$step_timeout" debootstrap --variant=minbase "${cache_option[@]}" "$suite" \
  "$chroot_root" "$mirror" >"$chroot_root.log" 2>&1; then
  tail -20 "$chroot_root.log" >&2
  rm -f "$chroot_root.log"
  fail "debootstrap could not build the $suite root (log above)"
fi
rm -f "$chroot_root.log"
bootstrapped=$(date +%s)

mount -t proc proc "$chroot_root/proc"
mkdir -p "$chroot_root/dev/pts"
mount -t devpts -o newinstance,ptmxmode=0666 devpts "$chroot_root/dev/pts"
cp /etc/resolv.conf "$chroot_root/etc/resolv.conf"
cp "$deb" "$chroot_root/tmp/vp-desk.deb"
in_root useradd --create-home --shell /bin/sh agent

echo "test_deb.sh: apt-get install ./$(basename "$deb")"
in_root apt-get update -qq
in_root apt-get install -y -qq --no-install-recommends /tmp/vp-desk.deb >/dev/null ||
  fail "apt-get install of the package"
installed=$(date +%s)

[ -x "$chroot_root/opt/vp-desk/vp-desk" ] || fail "/opt/vp-desk/vp-desk is missing"
[ -f "$chroot_root/usr/share/applications/vp-desk.desktop" ] || fail "desktop entry missing"
[ -f "$chroot_root/usr/share/icons/hicolor/256x256/apps/vp-desk.png" ] || fail "icon missing"
if find "$chroot_root/opt/vp-desk" -name 'libgtk-3*' -o -name 'libqgtk3*' | grep -q .; then
  fail "GTK 3 libraries are bundled in /opt/vp-desk"
fi

expected_version=$(dpkg-deb --field "$deb" Version)
reported=$(as_agent vp-desk --version) || fail "vp-desk --version exited $?"
[ "$reported" = "vp-desk $expected_version" ] ||
  fail "vp-desk --version printed '$reported', expected 'vp-desk $expected_version'"
echo "test_deb.sh: $reported"

as_agent vp-desk --demo --query "$query" --screenshot /home/agent/smoke.png ||
  fail "the smoke mode exited $?"
screenshot="$chroot_root/home/agent/smoke.png"
[ -s "$screenshot" ] || fail "the smoke mode wrote no screenshot"
[ "$(head -c 8 "$screenshot" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] ||
  fail "the screenshot is not a PNG file"
echo "test_deb.sh: smoke mode wrote a PNG of $(stat -c %s "$screenshot") bytes"

in_root apt-get remove -y -qq vp-desk >/dev/null || fail "apt-get remove"
[ ! -e "$chroot_root/opt/vp-desk" ] || fail "/opt/vp-desk is left after apt-get remove"
[ ! -e "$chroot_root/usr/bin/vp-desk" ] && [ ! -L "$chroot_root/usr/bin/vp-desk" ] ||
  fail "/usr/bin/vp-desk is left after apt-get remove"

finished=$(date +%s)
echo "test_deb.sh: passed in $((finished - started)) s" \
  "(debootstrap $((bootstrapped - started)) s, install $((installed - bootstrapped)) s," \
  "checks $((finished - installed)) s)"
