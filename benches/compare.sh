#!/usr/bin/env bash
# Side-by-side timings of repro against the anchors named in the issues, on the same files.
# Not run by CI: it needs the network (PyPI, crates.io) and takes a few minutes.
#
#   benches/compare.sh            # fills target/bench-store if needed, then measures
#
# Prints one line per measurement and the ratios. Release build required (built here).
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --release --quiet
REPRO=target/release/repro
STORE=${REPRO_BENCH_STORE:-target/bench-store}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

secs() { python3 -c 'import sys,time; print(f"{float(sys.argv[1]):.3f}")' "$1"; }
# best of N wall-clock runs of a command, in seconds
best() {
    local n=$1; shift
    python3 - "$n" "$@" <<'PY'
import subprocess, sys, time
n = int(sys.argv[1]); cmd = sys.argv[2:]
best = None
for _ in range(n):
    t = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    d = time.perf_counter() - t
    best = d if best is None or d < best else best
print(f"{best:.3f}")
PY
}
ratio() { python3 -c 'import sys; print(f"{float(sys.argv[1])/float(sys.argv[2]):.2f}x")' "$1" "$2"; }
rss() { /usr/bin/time -f "%M" "$@" 2>&1 >/dev/null | tail -1; }

echo "== data: every artifact of the SOAR corpus and of uv's Cargo.lock"
$REPRO fetch --store "$STORE" corpora/opensecops-soar corpora/cargo/Cargo.lock | tail -1
OBJECTS="$STORE/v1/objects/sha256"
find "$OBJECTS" -type f -exec cat {} + > /dev/null   # page-cache the files
BYTES=$(find "$OBJECTS" -type f -printf '%s\n' | awk '{s+=$1} END {print s}')
echo "$(find "$OBJECTS" -type f | wc -l) files, $BYTES bytes"

echo "== shallow rehash (SHA-256 + BLAKE3 of every file)"
T_SHA256SUM=$(best 3 sh -c "find $OBJECTS -type f -print0 | xargs -0 sha256sum")
T_VERIFY=$(best 5 $REPRO store verify --store "$STORE")
echo "sha256sum:           $T_SHA256SUM s"
echo "repro store verify:  $T_VERIFY s  ($(python3 -c "print(f'{$BYTES/$T_VERIFY/1e9:.2f}')") GB/s on $(nproc) cores)"
echo "ratio vs sha256sum:  $(ratio "$T_SHA256SUM" "$T_VERIFY")"
echo "openssl SHA-256 per core (the SHA-NI limit):"
openssl speed -evp sha256 -bytes 1048576 -seconds 2 2>/dev/null | tail -1

echo "== deep rehash (every member of every wheel, crate and sdist)"
T_PY=$(best 1 python3 benches/deep_hash_baseline.py "$STORE/v1/objects")
T_DEEP=$(best 3 $REPRO store verify --deep --store "$STORE")
echo "python zipfile/tarfile + hashlib: $T_PY s"
echo "repro store verify --deep:        $T_DEEP s"
echo "ratio:                            $(ratio "$T_PY" "$T_DEEP")"

echo "== cold fetch of the 683 crates of uv's Cargo.lock"
python3 - "$STORE" > "$WORK/crates.cfg" <<'PY'
import json, glob, sys
for f in glob.glob(sys.argv[1] + "/v1/records/sha256/*/*.json"):
    r = json.load(open(f))
    for o in r["origins"]:
        if o.endswith(".crate"):
            print(f'url = "{o}"\noutput = "/dev/null"')
PY
T_CURL=$(best 3 curl -s -Z --parallel-max 16 -K "$WORK/crates.cfg")
T_FETCH=$(python3 - "$REPRO" "$WORK" <<'PY'
import subprocess, sys, time, shutil
repro, work = sys.argv[1], sys.argv[2]
best = None
for i in range(3):
    store = f"{work}/cold-{i}"
    t = time.perf_counter()
    subprocess.run([repro, "fetch", "--store", store, "-j", "16", "corpora/cargo/Cargo.lock"], stdout=subprocess.DEVNULL, check=True)
    d = time.perf_counter() - t
    shutil.rmtree(store)
    best = d if best is None or d < best else best
print(f"{best:.3f}")
PY
)
echo "curl -Z --parallel-max 16: $T_CURL s"
echo "repro fetch -j 16 (cold):  $T_FETCH s  ($(ratio "$T_FETCH" "$T_CURL") of curl)"

# cargo fetch needs a manifest: uv's own is not here, so a stand-in depends on every registry
# crate of the lock at its exact version, beside a copy of the lock (cargo keeps locked versions,
# yanked ones included), and fetches into an empty CARGO_HOME: the same 683 .crate files.
mkdir -p "$WORK/cf/src" && : > "$WORK/cf/src/lib.rs"
python3 - "$WORK/cf/Cargo.toml" <<'PY'
import re, sys
s = open("corpora/cargo/Cargo.lock").read()
pk = re.findall(r'\[\[package\]\]\nname = "([^"]+)"\nversion = "([^"]+)"\nsource = "registry\+', s)
out = ['[package]\nname = "cf"\nversion = "0.0.0"\nedition = "2021"\n\n[dependencies]']
out += [f'd{i} = {{ package = "{n}", version = "={v}", default-features = false }}' for i, (n, v) in enumerate(pk)]
open(sys.argv[1], "w").write("\n".join(out) + "\n")
PY
cp corpora/cargo/Cargo.lock "$WORK/cf/Cargo.lock"
T_CARGO=$(cd "$WORK/cf" && python3 - <<'PY'
import subprocess, time, shutil, os, tempfile
best = None
for _ in range(2):
    home = tempfile.mkdtemp()
    t = time.perf_counter()
    subprocess.run(["cargo", "fetch", "-q"], env={**os.environ, "CARGO_HOME": home}, check=True)
    d = time.perf_counter() - t
    shutil.rmtree(home)
    best = d if best is None or d < best else best
print(f"{best:.3f}")
PY
)
echo "cargo fetch (empty CARGO_HOME): $T_CARGO s  (repro is $(ratio "$T_CARGO" "$T_FETCH") faster)"

echo "== cold fetch of the whole SOAR corpus, --all"
T_SOAR=$(python3 - "$REPRO" "$WORK" <<'PY'
import subprocess, sys, time, shutil
repro, work = sys.argv[1], sys.argv[2]
store = f"{work}/soar"
t = time.perf_counter()
subprocess.run([repro, "fetch", "--store", store, "corpora/opensecops-soar"], stdout=subprocess.DEVNULL, check=True)
print(f"{time.perf_counter() - t:.3f}")
PY
)
echo "repro fetch --all (cold): $T_SOAR s"
T_WARM=$(best 5 $REPRO fetch --store "$WORK/soar" corpora/opensecops-soar)
echo "repro fetch (warm, no request): $T_WARM s"

echo "== peak memory (max RSS, kB)"
echo "store verify, corpus ($(find "$OBJECTS" -type f | wc -l) objects): $(rss $REPRO store verify --store "$STORE")"
echo "store verify --deep, corpus:                  $(rss $REPRO store verify --deep --store "$STORE")"
# 4x the corpus: every object three more times, each with a distinct trailing byte.
python3 - "$STORE" "$WORK/store4x" <<'PY'
import hashlib, os, shutil, sys
src, dst = sys.argv[1], sys.argv[2]
for d, _, names in os.walk(src + "/v1/objects/sha256"):
    for n in names:
        data = open(os.path.join(d, n), "rb").read()
        for k in range(4):
            b = data + bytes([k]) * (k > 0)
            h = hashlib.sha256(b).hexdigest()
            p = f"{dst}/v1/objects/sha256/{h[:2]}"
            os.makedirs(p, exist_ok=True)
            open(f"{p}/{h}", "wb").write(b)
PY
echo "store verify, 4x corpus ($(find "$WORK/store4x/v1/objects" -type f | wc -l) objects): $(rss $REPRO store verify --store "$WORK/store4x")"
echo "fetch (warm), SOAR corpus:                    $(rss $REPRO fetch --store "$WORK/soar" corpora/opensecops-soar)"
