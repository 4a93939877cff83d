#!/usr/bin/env bash
# etl/web/build.sh - builds the browser validator, build/web/ncc-validate.html: the C
# dependencies for WebAssembly (etl/web/deps.sh, cached), then the module and the page
# (etl/web/CMakeLists.txt, with Debian's emscripten). Called by `make -f Makefile.ci web`.
#
#   etl/web/build.sh [--out DIR]     (default: <project>/build/web)
#
# Intermediate files go to build/web-obj and build/web-deps; nothing is written in the
# source tree. Prints where the page is.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
out=$root/build/web
while (($#)); do
    case $1 in
    --out) out=$2; shift 2 ;;
    --out=*) out=${1#*=}; shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) printf 'web build: unknown option %s\n' "$1" >&2; exit 64 ;;
    esac
done
mkdir -p "$out"
out=$(cd "$out" && pwd -P)
obj=$root/build/web-obj
export NODE_PATH=${NODE_PATH:-/usr/share/nodejs} # Debian's node-acorn, for emcc
jobs=${JOBS:-2}

"$root/etl/web/deps.sh" "$root/build/web-deps"
if [[ ! -f $obj/CMakeCache.txt ]]; then
    emcmake cmake -S "$root/etl/web" -B "$obj" -DNCC_WEB_DEPS="$root/build/web-deps" \
        -DNCC_WEB_OUT="$out" >"$root/build/web-configure.log" 2>&1 || {
        cat "$root/build/web-configure.log" >&2
        exit 1
    }
else
    cmake -S "$root/etl/web" -B "$obj" -DNCC_WEB_OUT="$out" >/dev/null
fi
# the build's own output, without its progress lines; a failure fails the pipeline
cmake --build "$obj" -j "$jobs" -- --no-print-directory 2>&1 | { grep -v '^\[' || true; }
printf 'The browser validator (one file, works offline): %s/ncc-validate.html\n' "$out"
