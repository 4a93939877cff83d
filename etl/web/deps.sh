#!/usr/bin/env bash
# etl/web/deps.sh - the C libraries of the browser build (libcsv, json-c, zlib),
# built for WebAssembly from the Debian source packages in ../shared/vendor/debian/
# (the versions the native build links), unpacked with dpkg-source -x and used
# unchanged, as ../shared/vendor/README.md says.
#
#   etl/web/deps.sh [DIR]     (default: <project>/build/web-deps)
#
# Each library goes to DIR/<name>-<version>/ (src/ the unpacked package, prefix/ its
# headers and static library) and is skipped while DIR/<name>-<version>/done records
# the sha256 of the .dsc it came from: a second build reuses it. Prints nothing on a
# cached run. Needs emcc, emcmake, emconfigure, emmake (Debian's emscripten) and
# dpkg-source (dpkg-dev). Emscripten's own ports (-sUSE_ZLIB ...) download from the
# internet; these do not.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
vendor=${NCC_VENDOR_DIR:-$(cd "$root/.." && pwd -P)/shared/vendor}/debian
out=${1:-$root/build/web-deps}
jobs=${JOBS:-2}
export NODE_PATH=${NODE_PATH:-/usr/share/nodejs} # Debian's node-acorn, for emcc

die() { printf 'web deps: error: %s\n' "$*" >&2; exit 1; }
[[ -d $vendor ]] || die "no vendored sources in $vendor"
for t in emcc emcmake emconfigure emmake emar dpkg-source; do
    command -v "$t" >/dev/null || die "$t is missing (scripts/install-deps --web installs it)"
done
mkdir -p "$out"

# unpack NAME DSC: DIR/<name>-<version>/src, unless done; sets D (that directory) and
# returns 1 when the cached build is current.
unpack() {
    local name=$1 dsc=$2 base ver sum
    base=$(basename "$dsc" .dsc)
    ver=${base#"${name}"_}
    D=$out/$name-$ver
    sum=$(sha256sum "$dsc" | cut -d' ' -f1)
    if [[ -f $D/done && $(<"$D/done") == "$sum" ]]; then
        return 1
    fi
    printf 'web deps: building %s %s for WebAssembly in %s\n' "$name" "$ver" "$D" >&2
    rm -rf "$D"
    mkdir -p "$D/unpack" "$D/prefix/include" "$D/prefix/lib"
    (cd "$D/unpack" && dpkg-source --no-copy -x "$dsc" src >"$D/unpack.log" 2>&1) ||
        die "dpkg-source -x $dsc failed (see $D/unpack.log)"
    mv "$D/unpack/src" "$D/src"
    rm -rf "$D/unpack"
    DSUM=$sum
    return 0
}

dsc() { # NAME: the one .dsc of that package
    local f
    f=$(ls "$vendor/$1"_*.dsc 2>/dev/null | head -1)
    [[ -n $f ]] || die "no $1 source package in $vendor"
    printf '%s\n' "$f"
}

# libcsv: one C file and its header
if unpack libcsv "$(dsc libcsv)"; then
    (cd "$D/src" && emcc -O2 -c libcsv.c -o "$D/libcsv.o" && emar rcs "$D/prefix/lib/libcsv.a" "$D/libcsv.o") \
        >"$D/build.log" 2>&1 || die "libcsv failed (see $D/build.log)"
    cp "$D/src/csv.h" "$D/prefix/include/"
    printf '%s\n' "$DSUM" >"$D/done"
fi

# json-c: its CMake build, static
if unpack json-c "$(dsc json-c)"; then
    {
        emcmake cmake -S "$D/src" -B "$D/obj" -DBUILD_SHARED_LIBS=OFF -DBUILD_TESTING=OFF \
            -DDISABLE_WERROR=ON -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$D/prefix" &&
            cmake --build "$D/obj" -j "$jobs" && cmake --install "$D/obj"
    } >"$D/build.log" 2>&1 || die "json-c failed (see $D/build.log)"
    printf '%s\n' "$DSUM" >"$D/done"
fi

# zlib: its configure script, the static library only
if unpack zlib "$(dsc zlib)"; then
    {
        cd "$D/src" && emconfigure ./configure --static --prefix="$D/prefix" &&
            emmake make -j "$jobs" libz.a &&
            cp libz.a "$D/prefix/lib/" && cp zlib.h zconf.h "$D/prefix/include/"
    } >"$D/build.log" 2>&1 || die "zlib failed (see $D/build.log)"
    printf '%s\n' "$DSUM" >"$D/done"
fi
