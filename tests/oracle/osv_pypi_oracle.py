#!/usr/bin/env python3
"""Reference matcher for PyPI advisories, built on the `packaging` library (pip's own version
logic; pip's vendored copy is used when `packaging` is not installed). Test oracle for
`repro audit`: prints one `ID NAME VERSION` line per finding, sorted.

    python3 tests/oracle/osv_pypi_oracle.py OSV_DIR REQUIREMENTS_DIR

It follows the OSV schema's evaluation rules independently of repro: a version in `versions`
matches (PEP 440 equality); ECOSYSTEM ranges are walked in version order (introduced sets,
fixed and last_affected clear, limit bounds); withdrawn records are skipped; a range with an
event version that PEP 440 cannot parse is skipped, as repro does and reports.
"""
import json
import os
import re
import sys

try:
    from packaging.version import InvalidVersion, Version
except ImportError:  # pip vendors packaging
    from pip._vendor.packaging.version import InvalidVersion, Version


def norm(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def parse(v):
    try:
        return Version(v)
    except InvalidVersion:
        return None


def in_range(v, events):
    parsed = []
    for e in events:
        for k, s in e.items():
            if k not in ("introduced", "fixed", "last_affected", "limit"):
                continue
            if k == "introduced" and s == "0":
                parsed.append((None, k))
                continue
            p = parse(s)
            if p is None:
                return None  # the range is unusable
            parsed.append((p, k))
    # "0" sorts first; Python's sort is stable like repro's.
    parsed.sort(key=lambda pk: (pk[0] is not None, pk[0] or Version("0")))
    limits = [p for p, k in parsed if k == "limit"]
    if limits and not any(v < lim for lim in limits):
        return False
    affected = False
    for p, k in parsed:
        if k == "introduced" and (p is None or v >= p):
            affected = True
        elif k == "fixed" and v >= p:
            affected = False
        elif k == "last_affected" and v > p:
            affected = False
    return affected


def affects(entry, version):
    v = parse(version)
    for listed in entry.get("versions") or []:
        if listed == version:
            return True
        lv = parse(listed)
        if v is not None and lv is not None and lv == v:
            return True
    if v is None:
        return False
    for r in entry.get("ranges") or []:
        if r.get("type") != "ECOSYSTEM":
            continue
        if in_range(v, r.get("events") or []):
            return True
    return False


def pins(req_dir):
    out = set()
    for root, _, files in os.walk(req_dir):
        for f in files:
            if not f.endswith(".txt"):
                continue
            for line in open(os.path.join(root, f), encoding="utf-8"):
                m = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==([^\s;\\]+)", line)
                if m:
                    out.add((norm(m.group(1)), m.group(3)))
    return out


def main(osv_dir, req_dir):
    wanted = pins(req_dir)
    names = {n for n, _ in wanted}
    found = set()
    for root, _, files in os.walk(osv_dir):
        for f in files:
            if not f.endswith(".json"):
                continue
            try:
                r = json.load(open(os.path.join(root, f), encoding="utf-8"))
            except (ValueError, UnicodeDecodeError):
                continue
            if not isinstance(r, dict) or r.get("withdrawn"):
                continue
            for entry in r.get("affected") or []:
                pkg = entry.get("package") or {}
                if pkg.get("ecosystem", "").split(":")[0] != "PyPI":
                    continue
                name = norm(pkg.get("name", ""))
                if name not in names:
                    continue
                for n, version in wanted:
                    if n == name and affects(entry, version):
                        found.add((r["id"], name, version))
    for line in sorted(found):
        print(*line)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
