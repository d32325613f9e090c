#!/bin/sh
# deps.sh — install the Debian packages memlens and logagg need to build and test, when missing.
# Idempotent and quick when everything is there (one dpkg query). Needs root (or sudo) only when
# something is actually missing.
set -eu

PKGS="gcc make clang libclang-rt-14-dev python3 python3-dev python3-pytest libcmocka-dev zlib1g-dev"
[ "${1:-}" = "--bench" ] && PKGS="$PKGS hyperfine mawk python3-memory-profiler python3-psutil"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

echo "deps: installing:$missing" >&2
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >&2
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >&2
