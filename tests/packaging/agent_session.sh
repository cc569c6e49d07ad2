#!/bin/sh
# One step of the HTTPS check of test_deb.sh, run as the agent in the test root inside
# dbus-run-session. It unlocks a throwaway gnome-keyring for the session, then:
#   agent_session.sh store-key PROFILE   stores the API key that ~/api-key contains (mode 600)
#                                        under service=vp-desk username=PROFILE, where
#                                        keyring's SecretService backend looks, then deletes
#                                        the file
#   agent_session.sh lookup QUERY NAME   runs `vp-desk --lookup QUERY` on the saved profile
#                                        until its log shows the end of the look-up (or
#                                        LOOKUP_TIMEOUT seconds pass), stops it, and copies
#                                        the log to ~/NAME.log for test_deb.sh to check
# The key never appears on a command line: secret-tool reads it from standard input.
set -eu

# gnome-keyring creates its login keyring with the password from standard input on first use
# and unlocks it with the same password later, so each session reaches the same key.
printf '%s' 'vp-desk-deb-test-keyring' |
  gnome-keyring-daemon --unlock --components=secrets >/dev/null

# The daemon claims its bus name shortly after the command above returns. A client that is
# quicker makes D-Bus start a second daemon, whose keyring is locked, so wait for the name.
tenths=0
until dbus-send --session --print-reply=literal --dest=org.freedesktop.DBus /org/freedesktop/DBus \
  org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets | grep -q true; do
  if [ "$tenths" -ge 100 ]; then
    echo "agent_session.sh: gnome-keyring did not claim org.freedesktop.secrets within 10 s" >&2
    exit 1
  fi
  sleep 0.1
  tenths=$((tenths + 1))
done

store_key() {
  secret-tool store --label="vp-desk API key of $1" service vp-desk username "$1" \
    <"$HOME/api-key"
  rm -f "$HOME/api-key"
  # Reads the item back without printing the key.
  secret-tool lookup service vp-desk username "$1" >/dev/null
}

lookup() {
  query=$1
  name=$2
  log=$HOME/.local/state/vp-desk/log/vp-desk.log
  rm -f "$log"
  vp-desk --lookup "$query" >"$HOME/$name.out" 2>&1 &
  app=$!

  # The look-up has ended when the cart request is logged (a customer was found), or when the
  # controller logs that the look-up failed, which it does after the client's last attempt.
  tenths=0
  until grep -qE 'GET /customers/\{customerId\}/cart|Look-up failed' "$log" 2>/dev/null; do
    if ! kill -0 "$app" 2>/dev/null; then
      echo "agent_session.sh: vp-desk exited before the look-up ended" >&2
      break
    fi
    if [ "$tenths" -ge "$((${LOOKUP_TIMEOUT:-30} * 10))" ]; then
      echo "agent_session.sh: the look-up did not end within ${LOOKUP_TIMEOUT:-30} s" >&2
      break
    fi
    sleep 0.1
    tenths=$((tenths + 1))
  done

  # The window runs until it is closed; SIGTERM ends it, as a logout would.
  kill "$app" 2>/dev/null || true
  wait "$app" 2>/dev/null || true
  cp "$log" "$HOME/$name.log" 2>/dev/null || : >"$HOME/$name.log"
}

case "${1:-}" in
  store-key) store_key "$2" ;;
  lookup) lookup "$2" "$3" ;;
  *)
    echo "usage: agent_session.sh store-key PROFILE | lookup QUERY NAME" >&2
    exit 2
    ;;
esac
