#!/usr/bin/env python3
"""Rebuild a RustSec advisory-db tree (crates/<name>/<ID>.md, TOML front matter) from the
project's own OSV export, so that `cargo audit --db` reads the very records `repro audit` reads.

    python3 tests/oracle/rustsec_osv_to_db.py OSV_CRATES_DIR OUT_DIR

Each OSV SEMVER range becomes the complement cargo audit expects: `unaffected` below the first
`introduced`, `patched` from each `fixed` up to the next `introduced` (or without end). Records
with explicit `versions` lists are written as patched/unaffected requirements that exclude
exactly those versions. Withdrawn records keep their `withdrawn` date (cargo audit skips them).
"""
import json
import os
import sys


def key(v):
    # Semver precedence is enough for sorting the events of one range.
    core, _, pre = v.partition("-")
    nums = [int(x) for x in core.split("+")[0].split(".")]
    return (nums, 0 if pre else 1, pre)


def toml_str(s):
    return json.dumps(s)


def complement(events):
    evs = []
    for e in events:
        for k, v in e.items():
            evs.append((k, v))
    evs.sort(key=lambda kv: key("0.0.0-0" if kv[1] == "0" else kv[1]))
    patched, unaffected = [], []
    lower = None  # start of the current unaffected stretch (None: from the bottom)
    in_affected = False
    for k, v in evs:
        if k == "introduced":
            if not in_affected:
                if v not in ("0", "0.0.0-0"):
                    req = f"< {v}" if lower is None else f">= {lower[1]}, < {v}"
                    (unaffected if lower is None else patched).append(req)
                in_affected = True
        elif k in ("fixed", "last_affected"):
            if in_affected:
                lower = (k, v)
                in_affected = False
    if lower is not None and not in_affected:
        op = ">=" if lower[0] == "fixed" else ">"
        patched.append(f"{op} {lower[1]}")
    return patched, unaffected


def main(src, out):
    for name in sorted(os.listdir(src)):
        if not name.endswith(".json"):
            continue
        r = json.load(open(os.path.join(src, name)))
        for a in r.get("affected", []):
            pkg = a["package"]["name"]
            ds = a.get("database_specific") or {}
            ranges = [x for x in a.get("ranges", []) if x["type"] == "SEMVER"]
            patched, unaffected = [], []
            for rg in ranges:
                p, u = complement(rg["events"])
                patched += p
                unaffected += u
            lines = ["```toml", "[advisory]", f"id = {toml_str(r['id'])}",
                     f"package = {toml_str(pkg)}", f"date = {toml_str(r['published'][:10])}"]
            if r.get("aliases"):
                lines.append("aliases = [" + ", ".join(toml_str(x) for x in r["aliases"]) + "]")
            if ds.get("informational"):
                lines.append(f"informational = {toml_str(ds['informational'])}")
            if ds.get("cvss"):
                lines.append(f"cvss = {toml_str(ds['cvss'])}")
            if r.get("withdrawn"):
                lines.append(f"withdrawn = {toml_str(r['withdrawn'][:10])}")
            lines += ["", "[versions]",
                      "patched = [" + ", ".join(toml_str(x) for x in patched) + "]",
                      "unaffected = [" + ", ".join(toml_str(x) for x in unaffected) + "]",
                      "```", "", "# " + (r.get("summary") or r["id"]).replace("\n", " "), "",
                      (r.get("details") or "").strip() or "No details.", ""]
            d = os.path.join(out, "crates", pkg)
            os.makedirs(d, exist_ok=True)
            with open(os.path.join(d, r["id"] + ".md"), "w") as f:
                f.write("\n".join(lines))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
