#!/usr/bin/env bash
# tests/web/install.sh - puppeteer-core for the browser validator's test and benchmark,
# from the npm registry, exactly as tests/web/package-lock.json locks it, into
# build/web-test/node_modules (never committed). Again only when package.json or the
# lock file changes. puppeteer-core never downloads a browser: the tests drive
# /usr/bin/chromium. Prints the node_modules directory.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
modules=${NCC_WEB_MODULES:-$root/build/web-test}
command -v npm >/dev/null || { echo "web test: npm is needed" >&2; exit 1; }
sum=$(cat "$root/tests/web/package.json" "$root/tests/web/package-lock.json" | sha256sum | cut -d' ' -f1)
if [[ ! -f $modules/installed || $(<"$modules/installed") != "$sum" ]]; then
    mkdir -p "$modules"
    cp "$root/tests/web/package.json" "$root/tests/web/package-lock.json" "$modules/"
    (cd "$modules" && PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error) >&2 ||
        { echo "web test: npm ci of puppeteer-core failed" >&2; exit 1; }
    printf '%s\n' "$sum" >"$modules/installed"
fi
printf '%s\n' "$modules/node_modules"
