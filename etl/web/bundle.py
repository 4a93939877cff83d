#!/usr/bin/env python3
"""bundle.py - makes the browser validator's one self-contained HTML file.

    bundle.py --src etl/web --module build/web-obj/ncc-web.js --version V -o OUT.html

Inlines page.css (a <style>), page.js (a <script>) and the Web Worker's code - the
Emscripten module (its WebAssembly as base64, the schemas and reference data inside)
followed by worker.js - as a <script type="text/plain"> that page.js starts as a
worker from a blob: URL. The Content-Security-Policy meta tag allows exactly these
inline parts (by their SHA-256), WebAssembly compilation and blob: workers, and no
network access at all (default-src 'none', connect-src 'none').

Refuses to write a page that would not be self-contained or would parse wrongly:
any "http:" or "https:" in it, or a "</script", "<script" or "<!--" inside an
inline script (the HTML parser would end or change the script there).
"""
import argparse
import base64
import hashlib
import os
import re
import sys


def csp_hash(text):
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--src", required=True, help="etl/web")
    ap.add_argument("--module", required=True, help="the Emscripten module (.js)")
    ap.add_argument("--version", required=True)
    ap.add_argument("-o", "--output", required=True)
    a = ap.parse_args()

    page = read(os.path.join(a.src, "page.html"))
    style = read(os.path.join(a.src, "page.css"))
    script = read(os.path.join(a.src, "page.js"))
    worker = read(a.module).rstrip() + "\n" + read(os.path.join(a.src, "worker.js"))

    problems = []
    for name, text in (("page.js", script), ("the worker", worker)):
        for bad in ("</script", "<script", "<!--"):
            if bad in text.lower():
                problems.append(f"{name} contains {bad!r}")
    if "</style" in style.lower():
        problems.append("page.css contains '</style'")

    csp = "; ".join([
        "default-src 'none'",
        f"script-src {csp_hash(script)} 'wasm-unsafe-eval'",
        "worker-src blob:",
        f"style-src {csp_hash(style)}",
        "img-src data:",
        "connect-src 'none'",
        "form-action 'none'",
        "base-uri 'none'",
    ])
    parts = {"CSP": csp, "VERSION": a.version, "STYLE": style, "SCRIPT": script, "WORKER": worker}
    out = re.sub(r"\{\{([A-Z]+)\}\}", lambda m: parts[m.group(1)], page)

    if re.search(r"https?:", out, re.IGNORECASE):
        where = re.search(r".{0,40}https?:.{0,40}", out, re.IGNORECASE).group(0)
        problems.append(f"the page refers to the network: ...{where}...")
    if 'http-equiv="Content-Security-Policy"' not in out:
        problems.append("the page has no Content-Security-Policy meta tag")
    if problems:
        for p in problems:
            print(f"bundle.py: error: {p}", file=sys.stderr)
        return 1

    tmp = a.output + ".part"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(out)
    os.replace(tmp, a.output)
    print(f"bundle.py: wrote {a.output} ({len(out.encode('utf-8')) // 1024} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
