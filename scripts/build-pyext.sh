#!/bin/sh
# build-pyext.sh PYTHON OUTDIR SRC... — compile the tracker extension (_memlens) for one interpreter.
# The output name carries the interpreter's EXT_SUFFIX (e.g. .cpython-311-x86_64-linux-gnu.so), so one
# OUTDIR holds a build for every Python and each interpreter imports its own. Skips the compile when
# the output is newer than every source. Interpreters sharing an ABI tag share one build.
set -eu
py=$1 out=$2
shift 2
eval "$("$py" - <<'PY'
import sysconfig
print("inc='%s' suffix='%s'" % (sysconfig.get_paths()["include"], sysconfig.get_config_var("EXT_SUFFIX")))
PY
)"
so="$out/_memlens$suffix"
if [ -f "$so" ]; then
	stale=0
	for s in "$@" src/tracker/*.h src/pymod/*.h src/prof/*.h src/objects/*.h src/core/*.h; do
		[ "$s" -nt "$so" ] && stale=1 && break
	done
	[ "$stale" = 0 ] && exit 0
fi
echo "  PYEXT $so ($py)"
${CC:-cc} -std=c11 -D_GNU_SOURCE -g ${CFLAGS:--O2} -flto=auto -fPIC -shared -fvisibility=hidden \
	-Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers \
	-I"$inc" -Isrc -o "$so.tmp" "$@" -lpthread
mv "$so.tmp" "$so"
