#!/usr/bin/env bash
# tests/web/run.sh - the browser validator's test (ctest: web.test_web): installs
# puppeteer-core under build/web-test (tests/web/install.sh: once per version of
# tests/web/package-lock.json; it never downloads a browser), generates a cost file of
# 1 GB or more with ncc-gen under var/web-test (kept while ncc-gen is unchanged), then
# runs tests/web/test_web.js against build/web/ncc-validate.html and the native
# ncc-validate of the build directory.
#
#   tests/web/run.sh [BUILD_DIR]        (NCC_BIN and NCC_ROOT from ctest win)
#
# NCC_WEB_BIG=0 skips the 1 GB case (for a quick run by hand). The page must exist
# (make -f Makefile.ci web builds it; make -f Makefile.ci test does first).
set -euo pipefail

root=${NCC_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)}
bin=${NCC_BIN:-${1:-$root/build}}
page=$root/build/web/ncc-validate.html
big_dir=$root/var/web-test

die() { printf 'web test: %s\n' "$*" >&2; exit 1; }
[[ -f $page ]] || die "$page is missing: build it with make -f Makefile.ci web"
for b in ncc-validate ncc-gen; do
    [[ -x $bin/$b ]] || die "$bin/$b is not built"
done
[[ -x /usr/bin/chromium ]] || die "/usr/bin/chromium is missing (scripts/install-deps installs it)"
command -v node >/dev/null && command -v npm >/dev/null || die "node and npm are needed"

modules=$("$root/tests/web/install.sh") || die "cannot install puppeteer-core"

work=$(mktemp -d "${TMPDIR:-/tmp}/ncc-web-test-XXXXXX")
trap 'rm -rf "$work"' EXIT

big_args=()
if [[ ${NCC_WEB_BIG:-1} != 0 ]]; then
    # 14.5 M generated cost rows: about 1.07 GB
    mkdir -p "$big_dir"
    big=$big_dir/cost_1GB.csv
    stamp="$(cksum <"$bin/ncc-gen" | cut -d' ' -f1) 14500k"
    if [[ ! -f $big || ! -f $big.stamp || $(<"$big.stamp") != "$stamp" ]]; then
        rm -f "$big.stamp"
        "$bin/ncc-gen" --kind cost --rows 14500k --seed 1 -o "$big.part" || die "ncc-gen failed"
        mv "$big.part" "$big"
        printf '%s\n' "$stamp" >"$big.stamp"
    fi
    (($(stat -c %s "$big") >= 1000000000)) || die "$big is smaller than 1 GB"
    big_args=(--big "$big")
fi

node "$root/tests/web/test_web.js" --page "$page" --validate "$bin/ncc-validate" --root "$root" \
    --work "$work" --modules "$modules" "${big_args[@]}"
