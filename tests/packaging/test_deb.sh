#!/usr/bin/env bash
# Install a vp-desk .deb into a fresh Debian root and check it as an agent's machine would:
# apt resolves its Depends, `vp-desk --version` and the offscreen smoke mode run as a plain
# user, the installed app looks a customer up over HTTPS with the API key from the Secret
# Service, and `apt-get remove` leaves nothing in /opt/vp-desk or /usr/bin.
# Usage: tests/packaging/test_deb.sh dist/vp-desk_VERSION_ARCH.deb
# Needs root, debootstrap, uv with the project's locked dependencies (for the sandbox on the
# host) and access to a Debian mirror (DEBIAN_MIRROR, by default the first one the host's apt
# sources name).
# DEBOOTSTRAP_CACHE names a folder that keeps downloaded packages between runs.
set -euo pipefail

deb=$(realpath "${1:?usage: test_deb.sh PACKAGE.deb}")
repo=$(cd "$(dirname "$0")/../.." && pwd)
suite=${DEBIAN_SUITE:-bookworm}
# The first mirror of the host's apt sources, in deb822 (URIs:) or one-line (deb URI) form.
# awk reads all its input, so that no grep dies of a closed pipe under pipefail.
host_mirror() {
  local uri
  uri=$(grep -hsE '^URIs:' /etc/apt/sources.list.d/*.sources | awk 'NR == 1 {print $2}' || true)
  if [ -z "$uri" ]; then
    uri=$(grep -hsE '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list |
      sed -E 's/\[[^]]*\] //' | awk 'NR == 1 {print $2}' || true)
  fi
  printf '%s' "$uri"
}
mirror=${DEBIAN_MIRROR:-$(host_mirror)}
if [ -z "$mirror" ]; then
  echo "test_deb.sh: no Debian mirror in the host's apt sources; set DEBIAN_MIRROR" >&2
  exit 1
fi
query=giulia.rossi@example.com
profile="Test store"
step_timeout=${STEP_TIMEOUT:-600}
sandbox_start_timeout=60
export PATH="$HOME/.local/bin:$PATH"
export UV_PYTHON_DOWNLOADS=never

if [ "$(id -u)" != 0 ]; then
  echo "test_deb.sh: needs root for debootstrap and chroot" >&2
  exit 1
fi
if ! command -v debootstrap >/dev/null 2>&1; then
  echo "test_deb.sh: debootstrap is missing; install it with apt-get install debootstrap" >&2
  exit 1
fi
if ! command -v uv >/dev/null 2>&1; then
  echo "test_deb.sh: uv is missing; the HTTPS check runs the sandbox with uv run" >&2
  exit 1
fi

chroot_root=$(mktemp -d /var/tmp/vp-desk-deb-test.XXXXXX)
# mktemp makes the folder private, but it becomes / for apt's _apt user and for the agent.
chmod 755 "$chroot_root"
# The test CA, the sandbox's key and keys file, and its log; deleted on exit.
tls_folder=$(mktemp -d /tmp/vp-desk-deb-tls.XXXXXX)
sandbox_pid=

# Processes whose root is the test root were all started by this script, as the agent or as
# root. One still running after a step timed out would keep the root's mounts busy.
stop_root_processes() {
  local process
  for process in /proc/[0-9]*; do
    if [ "$(readlink "$process/root" 2>/dev/null)" = "$chroot_root" ]; then
      kill "${process#/proc/}" 2>/dev/null || true
    fi
  done
}

cleanup() {
  local status=$?
  local mount
  if [ -n "$sandbox_pid" ] && kill -0 "$sandbox_pid" 2>/dev/null; then
    kill "$sandbox_pid"
    wait "$sandbox_pid" || true
  fi
  rm -rf "$tls_folder"
  stop_root_processes
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

# Start vp-desk-sandbox on 127.0.0.1 over HTTPS with the test certificate, from the project's
# virtual environment, and wait until it writes its keys file.
start_sandbox() {
  (cd "$repo" && exec uv run --frozen vp-desk-sandbox --host 127.0.0.1 --port 0 \
    --customers 200 --write-keys "$tls_folder/keys.json" \
    --tls-cert "$tls_folder/server.pem" --tls-key "$tls_folder/server-key.pem") \
    >"$tls_folder/sandbox.log" 2>&1 &
  sandbox_pid=$!
  local waited=0
  until [ -s "$tls_folder/keys.json" ]; do
    if ! kill -0 "$sandbox_pid" 2>/dev/null; then
      tail -20 "$tls_folder/sandbox.log" >&2
      fail "the sandbox exited before writing its keys file (log above)"
    fi
    [ "$waited" -lt "$((sandbox_start_timeout * 10))" ] ||
      fail "the sandbox wrote no keys file within $sandbox_start_timeout s"
    sleep 0.1
    waited=$((waited + 1))
  done
}

# Write the agent's settings file, with one profile on the sandbox, and the first store's API
# key to a file of mode 600 in the agent's home, from which the agent stores it in the keyring.
write_agent_files() {
  (cd "$repo" && uv run --frozen python - "$tls_folder/keys.json" "$chroot_root/home/agent" \
    "$profile") <<'PYTHON'
import json
import os
import sys
from pathlib import Path

from vp_desk.config import Profile, Settings, save_settings

keys_path, home, profile_name = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
keys = json.loads(keys_path.read_text(encoding="utf-8"))
profile = Profile(name=profile_name, base_url=keys["baseUrl"], default_region="IT")
save_settings(
    Settings(profiles=[profile], active_profile=profile_name),
    home / ".config" / "vp-desk" / "settings.json",
)
descriptor = os.open(home / "api-key", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
with os.fdopen(descriptor, "w", encoding="ascii") as key_file:
    key_file.write(keys["stores"][0]["apiKey"])
PYTHON
  in_root chown -R agent:agent /home/agent/.config /home/agent/api-key
}

# Run one step of agent_session.sh as the agent, on a private session bus.
agent_session() {
  as_agent dbus-run-session -- sh /tmp/agent_session.sh "$@"
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

# --- HTTPS with the system trust store, API key from the Secret Service ----------------------
# The sandbox runs on the host. The root shares the host's network, so 127.0.0.1 reaches it.
echo "test_deb.sh: HTTPS look-up with the test CA and the Secret Service"
(cd "$repo" && uv run --frozen python tests/packaging/make_test_ca.py "$tls_folder") >/dev/null ||
  fail "tests/packaging/make_test_ca.py could not write the test CA"
start_sandbox
in_root apt-get install -y -qq --no-install-recommends dbus gnome-keyring libsecret-tools \
  >/dev/null || fail "apt-get install of dbus, gnome-keyring and libsecret-tools"
install -m 755 "$repo/tests/packaging/agent_session.sh" "$chroot_root/tmp/agent_session.sh"
write_agent_files

agent_session store-key "$profile" || fail "storing the API key in gnome-keyring exited $?"
[ ! -e "$chroot_root/home/agent/api-key" ] || fail "the API key file was not deleted"

# Before the CA is trusted, the look-up must fail on the certificate. The client retries a
# failed connection unless the certificate check failed. So a single failed attempt of the
# first request, followed by the controller's "Look-up failed", marks a certificate failure.
agent_session lookup "$query" untrusted || fail "the look-up without the test CA exited $?"
log="$chroot_root/home/agent/untrusted.log"
grep -q "Look-up failed" "$log" ||
  fail "the look-up without the test CA did not fail: $(cat "$log")"
! grep -q " 200 in " "$log" || fail "a request succeeded without the test CA: $(cat "$log")"
[ "$(grep -c "GET /customers/by-email failed" "$log")" = 1 ] &&
  grep -q "GET /customers/by-email failed after .* (attempt 1): ConnectError" "$log" ||
  fail "expected one failed attempt without retry (a certificate failure): $(cat "$log")"
kill -0 "$sandbox_pid" 2>/dev/null || fail "the sandbox stopped during the test"
echo "test_deb.sh: without the test CA the look-up failed on the certificate, as expected:"
grep "vp_desk.api" "$log" | sed 's/^/  /' || true

# Trust the CA through the root's system store only, as an administrator would.
install -m 644 "$tls_folder/ca.pem" \
  "$chroot_root/usr/local/share/ca-certificates/vp-desk-test-ca.crt"
# Its rehash step warns about the bundle file in /etc/ssl/certs on every run.
in_root update-ca-certificates >/dev/null 2>&1 || fail "update-ca-certificates"
agent_session lookup "$query" trusted || fail "the look-up with the test CA exited $?"
log="$chroot_root/home/agent/trusted.log"
grep -q "GET /customers/by-email 200 in" "$log" &&
  grep -q "GET /customers/{customerId}/cart 200 in" "$log" ||
  fail "the HTTPS look-up with the test CA did not succeed: $(cat "$log")"
echo "test_deb.sh: HTTPS look-up of $query succeeded with the CA from the system trust store:"
grep "vp_desk.api" "$log" | sed 's/^/  /' || true

# The test CA is made after the build, so a copy in the package would mean that the check
# above trusted a bundled file instead of the system store.
ca_line=$(sed -n 2p "$tls_folder/ca.pem")
! grep -rqF "$ca_line" "$chroot_root/opt/vp-desk" || fail "/opt/vp-desk contains the test CA"

in_root apt-get remove -y -qq vp-desk >/dev/null || fail "apt-get remove"
[ ! -e "$chroot_root/opt/vp-desk" ] || fail "/opt/vp-desk is left after apt-get remove"
[ ! -e "$chroot_root/usr/bin/vp-desk" ] && [ ! -L "$chroot_root/usr/bin/vp-desk" ] ||
  fail "/usr/bin/vp-desk is left after apt-get remove"

finished=$(date +%s)
echo "test_deb.sh: passed in $((finished - started)) s" \
  "(debootstrap $((bootstrapped - started)) s, install $((installed - bootstrapped)) s," \
  "checks $((finished - installed)) s)"
