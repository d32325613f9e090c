#!/bin/sh
# deps.sh [--reports] [--bench] — install what memlens and logagg need, when missing.
#   (always)   compilers, Python headers, cmocka, pytest, zlib: to build and run the tests
#   --reports  the consumers the report tests check memlens' outputs against: Debian's chromium (the
#              HTML page, headless), golang-go (`go tool pprof`), graphviz (`dot`, which draws
#              memlens.objects.backrefs), and playwright-core from npm in tests/e2e/browser (drives
#              /usr/bin/chromium; no browser download)
#   --bench    the peers the benchmarks compare against
# Idempotent and quick when everything is there (one dpkg query). Needs root (or sudo) only when a
# Debian package is missing.
set -eu
cd "$(dirname "$0")/.."

PKGS="gcc make clang libclang-rt-14-dev python3 python3-dev python3-pytest libcmocka-dev zlib1g-dev"
reports=0
for arg in "$@"; do
	case "$arg" in
	--reports)
		reports=1
		PKGS="$PKGS chromium golang-go graphviz"
		# Debian's nodejs/npm only when no node is on PATH: a NodeSource node (which bundles npm)
		# conflicts with Debian's npm package.
		command -v npm >/dev/null 2>&1 || PKGS="$PKGS nodejs npm"
		;;
	--bench) PKGS="$PKGS hyperfine mawk python3-memory-profiler python3-psutil python3-line-profiler python3-scalene python3-objgraph" ;;
	*) echo "deps.sh: unknown option $arg" >&2; exit 2 ;;
	esac
done

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "deps: installing:$missing" >&2
	SUDO=""
	[ "$(id -u)" -ne 0 ] && SUDO="sudo"
	export DEBIAN_FRONTEND=noninteractive
	$SUDO apt-get update -qq >&2
	# shellcheck disable=SC2086
	$SUDO apt-get install -y -qq --no-install-recommends $missing >&2
fi
if [ "$reports" = 1 ] && [ ! -d tests/e2e/browser/node_modules/playwright-core ]; then
	echo "deps: npm install in tests/e2e/browser" >&2
	(cd tests/e2e/browser && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --no-audit --no-fund --loglevel=error >&2)
fi
