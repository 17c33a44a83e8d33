#!/bin/sh
# make demo: see scripts/demo.py.
set -eu
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "make demo must run as root (it writes /etc/pam.d and starts mariadbd as mysql)" >&2; exit 1; }
make -s helpers
exec python3 scripts/demo.py
