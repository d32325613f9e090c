#!/bin/sh
# pythons.sh — list the CPython interpreters (3.8 and newer) found on this machine, one path a line:
# Debian's /usr/bin/python3, python3 on PATH, and every pyenv version under $PYENV_ROOT/versions.
# Duplicates (same real path) are listed once. Interpreters without their C headers are skipped
# (the tracker extension is compiled against them).
set -u
cands="/usr/bin/python3 $(command -v python3 2>/dev/null || true)"
for d in "${PYENV_ROOT:-/root/.pyenv}"/versions/*/bin/python3; do
	[ -x "$d" ] && cands="$cands $d"
done
seen=""
for p in $cands; do
	[ -x "$p" ] || continue
	case "$p" in */.pyenv/shims/*) continue ;; esac
	real=$(readlink -f "$p")
	case " $seen " in *" $real "*) continue ;; esac
	seen="$seen $real"
	"$p" - <<'PY' 2>/dev/null && echo "$p"
import sys, sysconfig, os
ok = sys.version_info >= (3, 8) and sys.implementation.name == "cpython"
ok = ok and not sysconfig.get_config_var("Py_GIL_DISABLED")
ok = ok and os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h"))
sys.exit(0 if ok else 1)
PY
done
exit 0
