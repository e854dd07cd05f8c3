#!/usr/bin/env python3
"""repro verify beside the reference verifier, sigstore-python 4.5.1 (`sigstore verify identity
--offline`), on the real bundles of shared/sigstore/assets and tampered copies of them.

    python3 tests/oracle/sigstore_compare.py REPRO SIGSTORE ASSETS_DIR [--json]

Prints one line per case: both verdicts and repro's reason; exits 1 when a verdict differs.
SIGSTORE is the `sigstore` executable (pip install sigstore==4.5.1).
"""
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile

GH = "https://github.com/login/oauth"
GHA = "https://token.actions.githubusercontent.com"
WILL = "william@yossarian.net"
RFC8785_ID = "https://github.com/trailofbits/rfc8785.py/.github/workflows/release.yml@refs/tags/v0.1.2"
RFC8785_SHA = "sha256:c4e92e9ecc828bef2aa7dba1de8ac983511f7532a0df11c770d39099a25cf201"
BEACON = ("https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/"
          ".github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main")

# (name, artifact, bundle, identity, issuer, staging)
BASE = [
    ("v0.1 bundle", "bundle.txt", "bundle.txt.sigstore", "a@tny.town", GH, True),
    ("v0.3 bundle", "bundle_v3.txt", "bundle_v3.txt.sigstore", WILL, GH, True),
    ("v0.3 alt", "bundle_v3_alt.txt", "bundle_v3_alt.txt.sigstore", WILL, GH, True),
    ("v0.3 no signed time", "bundle_v3_no_signed_time.txt",
     "bundle_v3_no_signed_time.txt.sigstore.json", WILL, GH, True),
    ("rekor v2 + RFC 3161", "staging-rekor-v2.txt", "staging-rekor-v2.txt.sigstore.json",
     "jku@goto.fi", GH, True),
    ("DSSE rekor v2 (file is not a subject)", "a.dsse.staging-rekor-v2.txt",
     "a.dsse.staging-rekor-v2.txt.sigstore.json", BEACON, GHA, True),
    ("DSSE rekor v2 by subject digest",
     "sha256:a0cfc71271d6e278e57cd332ff957c3f7043fdda354c4cbb190a30d56efa01bf",
     "a.dsse.staging-rekor-v2.txt.sigstore.json", BEACON, GHA, True),
    ("wheel by digest (production v0.2)", RFC8785_SHA, "rfc8785-0.1.2-py3-none-any.whl.sigstore",
     RFC8785_ID, GHA, False),
    ("CVE-2022-36056", "bundle_cve_2022_36056.txt", "bundle_cve_2022_36056.txt.sigstore", WILL, GH, True),
    ("invalid version", "bundle_invalid_version.txt", "bundle_invalid_version.txt.sigstore", WILL, GH, True),
    ("no certificate (v0.1)", "bundle_no_cert_v1.txt", "bundle_no_cert_v1.txt.sigstore", WILL, GH, True),
    ("no checkpoint", "bundle_no_checkpoint.txt", "bundle_no_checkpoint.txt.sigstore", WILL, GH, True),
    ("no log entry", "bundle_no_log_entry.txt", "bundle_no_log_entry.txt.sigstore",
     "alex.cameron@trailofbits.com", "https://accounts.google.com", True),
]


def flip_b64(s, at=None):
    raw = bytearray(base64.b64decode(s))
    i = len(raw) // 2 if at is None else at
    raw[i] ^= 0x01
    return base64.b64encode(bytes(raw)).decode()


def tampered(assets, work):
    """Tampered copies of the v0.3 bundle and the rekor v2 bundle."""
    cases = []
    src = os.path.join(assets, "bundle_v3.txt")
    b = json.load(open(os.path.join(assets, "bundle_v3.txt.sigstore")))
    art = os.path.join(work, "bundle_v3_flipped.txt")
    data = bytearray(open(src, "rb").read())
    data[0] ^= 0x01
    open(art, "wb").write(data)
    cases.append(("artifact byte flipped", art, os.path.join(assets, "bundle_v3.txt.sigstore"), WILL, GH, True))

    def variant(name, mutate):
        v = json.loads(json.dumps(b))
        mutate(v)
        p = os.path.join(work, name.replace(" ", "_") + ".sigstore")
        json.dump(v, open(p, "w"))
        cases.append((name, src, p, WILL, GH, True))

    variant("signature byte flipped",
            lambda v: v["messageSignature"].__setitem__("signature", flip_b64(v["messageSignature"]["signature"])))
    variant("certificate byte flipped",
            lambda v: v["verificationMaterial"]["certificate"].__setitem__(
                "rawBytes", flip_b64(v["verificationMaterial"]["certificate"]["rawBytes"])))

    def proof(v):
        ip = v["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]
        ip["hashes"][0] = flip_b64(ip["hashes"][0])
    variant("inclusion proof byte flipped", proof)

    def dup(v):
        e = v["verificationMaterial"]["tlogEntries"]
        e.append(json.loads(json.dumps(e[0])))
    variant("log entry twice", dup)
    cases.append(("wrong identity", src, os.path.join(assets, "bundle_v3.txt.sigstore"), "someone@else.org", GH, True))
    cases.append(("wrong issuer", src, os.path.join(assets, "bundle_v3.txt.sigstore"), WILL, GHA, True))
    cases.append(("staging bundle against production", src, os.path.join(assets, "bundle_v3.txt.sigstore"), WILL, GH, False))
    return cases


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ, COLUMNS="1000"))
    lines = [l.strip() for l in (p.stdout + p.stderr).strip().splitlines() if l.strip()]
    return p.returncode, lines[-1] if lines else ""


def reference_reason(cmd):
    """sigstore-python's error message (its log lines, joined), or "OK"."""
    p = subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ, COLUMNS="1000"))
    if p.returncode == 0:
        return p.returncode, "OK"
    out = []
    for line in (p.stdout + p.stderr).splitlines():
        text = line[20:].strip() if line.startswith((" ", "[")) else line.strip()
        text = text.removeprefix("ERROR").strip()
        if not text or "TUF repository" in text or text.startswith("FAIL:") or "--verbose" in text:
            continue
        out.append(text)
    return p.returncode, " ".join(out)


def main(repro, sigstore, assets):
    work = tempfile.mkdtemp()
    try:
        cases = [(n, a if a.startswith("sha256:") else os.path.join(assets, a),
                  os.path.join(assets, b), i, s, st) for n, a, b, i, s, st in BASE]
        cases += tampered(assets, work)
        differ = 0
        results = []
        for name, art, bundle, ident, iss, staging in cases:
            py = [sigstore] + (["--staging"] if staging else []) + [
                "verify", "identity", "--offline", "--bundle", bundle,
                "--cert-identity", ident, "--cert-oidc-issuer", iss, art]
            rp = [repro, "verify", art, "--bundle", bundle, "--certificate-identity", ident,
                  "--certificate-oidc-issuer", iss] + (["--staging"] if staging else [])
            pc, pmsg = reference_reason(py)
            rc, rmsg = run(rp)
            same = (pc == 0) == (rc == 0)
            differ += not same
            results.append({"case": name, "sigstore_python": pc == 0, "repro": rc == 0,
                            "repro_reason": rmsg, "reference_reason": pmsg})
            print(f"{'same' if same else 'DIFF'}  {name:36} python={'OK ' if pc == 0 else 'FAIL'} "
                  f"repro={'OK ' if rc == 0 else 'FAIL'}")
            if pc != 0 or rc != 0:
                print(f"      sigstore-python: {pmsg[:150]}")
                print(f"      repro:           {rmsg.split(': ', 2)[-1][:150]}")
        if "--json" in sys.argv:
            print(json.dumps(results, indent=1))
        return 1 if differ else 0
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], sys.argv[3]))
