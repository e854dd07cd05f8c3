#!/usr/bin/env python3
"""CI-free interop check of `repro sbom` against the reference CycloneDX tools.

1. Load and validate repro's SBOM (1.6 and 1.5) with the reference Python library
   (cyclonedx-python-lib's JsonStrictValidator) — the opt-in interop test.
2. Run the reference generator `cyclonedx-py requirements` on every SOAR requirements file and
   check that every component, version and purl it emits is in repro's SBOM; say which of
   hashes and dependency graph each side carries; time both.

    pip install cyclonedx-bom   # provides cyclonedx-py and cyclonedx-python-lib
    python3 benches/cyclonedx_interop.py
"""
import glob
import json
import os
import subprocess
import sys
import tempfile
import time

from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPRO = os.path.join(ROOT, "target/release/repro")
CORPUS = "corpora/opensecops-soar"


def repro_sbom(spec):
    t = time.perf_counter()
    out = subprocess.run(
        [REPRO, "sbom", "--source-date-epoch", "1700000000", "--spec", spec, CORPUS],
        cwd=ROOT, check=True, capture_output=True,
    ).stdout
    return json.loads(out), out, time.perf_counter() - t


def main():
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    failures = 0
    for spec, version in (("1.6", SchemaVersion.V1_6), ("1.5", SchemaVersion.V1_5)):
        _, raw, _ = repro_sbom(spec)
        err = JsonStrictValidator(version).validate_str(raw.decode())
        print(f"cyclonedx-python-lib validates repro's {spec} SBOM: {'OK' if err is None else err}")
        failures += err is not None

    ours, _, t_repro = repro_sbom("1.6")
    our_purls = {c.get("purl") for c in ours["components"] if c["type"] == "library"}
    files = sorted(glob.glob(os.path.join(ROOT, CORPUS, "functions/**/requirements.txt"), recursive=True))
    ref_purls, ref_hashes, ref_deps = set(), 0, 0
    t = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for i, f in enumerate(files):
            out = os.path.join(tmp, f"{i}.json")
            subprocess.run(["cyclonedx-py", "requirements", f, "-o", out, "--of", "JSON"], check=True, capture_output=True)
            doc = json.load(open(out))
            for c in doc.get("components", []):
                if c.get("purl"):
                    ref_purls.add(c["purl"])
                ref_hashes += len(c.get("hashes", []))
            ref_deps += sum(len(d.get("dependsOn", [])) for d in doc.get("dependencies", []))
    t_ref = time.perf_counter() - t
    missing = sorted(ref_purls - our_purls)
    print(f"cyclonedx-py requirements: {len(ref_purls)} distinct purls over {len(files)} files; "
          f"missing from repro's SBOM: {missing or 'none'}")
    ours_hashes = sum(len(c.get("hashes", [])) for c in ours["components"])
    ours_deps = sum(len(d.get("dependsOn", [])) for d in ours["dependencies"])
    print(f"hashes: cyclonedx-py {ref_hashes}, repro {ours_hashes}; dependency edges: cyclonedx-py {ref_deps}, repro {ours_deps}")
    print(f"time: cyclonedx-py {t_ref:.2f} s for {len(files)} files (one SBOM each); repro {t_repro:.3f} s for one SBOM of all; ratio {t_ref / t_repro:.0f}x")
    failures += bool(missing)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
