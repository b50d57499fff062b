#!/bin/sh
# Debian/Ubuntu packages crm-desk needs beyond Python's own: `run` (the app) or `test` (the suite).
# As root, installs what is missing with apt-get; otherwise says what to install and fails.
set -eu

purpose=${1:-run}
# Qt's xcb platform plugin and fonts (Japanese glyphs need Noto CJK); python3-venv for ensurepip.
run_packages="python3-venv libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libxcb-cursor0 \
libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libxcb-xinerama0 libdbus-1-3 libfontconfig1 fonts-noto-cjk"
# The tests start real servers: PostgreSQL (initdb/pg_ctl) for team mode, Dovecot for IMAP.
test_packages="python3-venv libegl1 libgl1 libxkbcommon0 libfontconfig1 libdbus-1-3 fonts-noto-cjk \
postgresql dovecot-imapd"

case "$purpose" in
  run) wanted=$run_packages ;;
  test) wanted=$test_packages ;;
  *) echo "usage: $0 run|test" >&2; exit 2 ;;
esac

if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "system-deps: not a Debian/Ubuntu system; install the equivalents of: $wanted" >&2
  exit 0
fi

missing=""
for package in $wanted; do
  status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
  case "$status" in
    *"ok installed"*) ;;
    *) missing="$missing $package" ;;
  esac
done

# python3-venv is only needed when the interpreter cannot make a venv by itself (Debian's python).
if echo "$missing" | grep -q python3-venv && python3 -c "import ensurepip" 2>/dev/null; then
  missing=$(echo "$missing" | sed 's/ python3-venv//')
fi

[ -z "$missing" ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
  echo "system-deps: installing$missing" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $missing >/dev/null
else
  echo "system-deps: these Debian packages are missing:$missing" >&2
  echo "install them with: sudo apt-get install$missing" >&2
  exit 1
fi
