#!/usr/bin/env python3
"""Copy the OSV records that concern the bundled corpora (the SOAR requirements and uv's
Cargo.lock) out of a full OSV snapshot, keeping its layout, so that tests audit real data
without the whole 43 MB snapshot.

    python3 corpora/osv/extract.py ../shared/osv corpora/osv

Every record naming a PyPI package of corpora/opensecops-soar or a crate of
corpora/cargo/Cargo.lock is copied byte for byte (withdrawn ones too).
"""
import json
import os
import re
import shutil
import sys


def norm(n):
    return re.sub(r"[-_.]+", "-", n).lower()


def wanted(repo):
    out = set()
    for root, _, files in os.walk(os.path.join(repo, "corpora/opensecops-soar")):
        for f in files:
            if f.endswith(".txt"):
                for line in open(os.path.join(root, f), encoding="utf-8"):
                    m = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==", line)
                    if m:
                        out.add(("PyPI", norm(m.group(1))))
    for line in open(os.path.join(repo, "corpora/cargo/Cargo.lock"), encoding="utf-8"):
        m = re.match(r'^name = "(.*)"', line)
        if m:
            out.add(("crates.io", m.group(1)))
    return out


def main(src, dst):
    repo = os.path.dirname(os.path.dirname(os.path.abspath(dst)))
    keep = wanted(repo)
    copied = 0
    for root, _, files in os.walk(src):
        for f in sorted(files):
            if not f.endswith(".json"):
                continue
            p = os.path.join(root, f)
            r = json.load(open(p, encoding="utf-8"))
            for a in r.get("affected") or []:
                pkg = a.get("package") or {}
                eco = pkg.get("ecosystem", "")
                name = norm(pkg.get("name", "")) if eco == "PyPI" else pkg.get("name", "")
                if (eco, name) in keep:
                    out = os.path.join(dst, os.path.relpath(p, src))
                    os.makedirs(os.path.dirname(out), exist_ok=True)
                    shutil.copyfile(p, out)
                    copied += 1
                    break
    print(f"copied {copied} records")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
