#!/usr/bin/env bash
# repro audit beside cargo audit, offline, on the same Cargo.lock and the same RustSec data
# (the OSV export turned back into advisory-db form), and the SOAR corpus cold and indexed.
#
#   benches/audit_compare.sh        (needs cargo-audit: `cargo install cargo-audit --locked`,
#                                    or CARGO_AUDIT=/path/to/cargo-audit)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
REPRO=$PWD/target/release/repro
CARGO_AUDIT=${CARGO_AUDIT:-cargo-audit}
OSV=${REPRO_OSV_SNAPSHOT:-../shared/osv}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
python3 tests/oracle/rustsec_osv_to_db.py "$OSV/crates/rustsec-osv/crates" "$WORK/advisory-db"
"$REPRO" db index "$OSV" --out "$WORK/osv.idx" >/dev/null 2>&1
# Best wall-clock time of 15 runs.
t() { python3 -c 'import subprocess,sys,time
best=None
for _ in range(15):
    t=time.perf_counter(); subprocess.run(sys.argv[1:],stdout=subprocess.DEVNULL,stderr=subprocess.DEVNULL); d=time.perf_counter()-t
    best=d if best is None or d<best else best
print(f"{best*1000:.1f}")' "$@"; }
ca=$(t "$CARGO_AUDIT" audit --no-fetch --no-yanked --db "$WORK/advisory-db" -f corpora/cargo/Cargo.lock)
ra=$(t "$REPRO" audit corpora/cargo/Cargo.lock --db "$OSV/crates" --report "$WORK/r1")
echo "uv Cargo.lock (683 crates): cargo audit ${ca} ms, repro ${ra} ms, ratio $(python3 -c "print(f'{$ca/$ra:.2f}x')")"
cold=$(t "$REPRO" audit corpora/opensecops-soar --db "$OSV" --report "$WORK/r2")
idx=$(t "$REPRO" audit corpora/opensecops-soar --db "$WORK/osv.idx" --report "$WORK/r3")
echo "SOAR corpus vs the whole snapshot: cold ${cold} ms (target 200), index ${idx} ms (target 50)"
