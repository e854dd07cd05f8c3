#!/usr/bin/env bash
# Bounded work on hostile input: peak RSS and wall time of `repro store verify --deep` and
# `repro diff` on the hostile-archive corpus, a 100,000-member zip pair whose members all
# differ, and two 3 GiB files that differ in their last byte (streaming compare).
#
#   benches/bounds.sh            # release build; needs python3 (for the corpus) and ~7 GB of disk
#
# Prints one line per measurement. The issue's bound: every peak RSS under 512 MiB.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
REPRO=$PWD/target/release/repro
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
measure() { # name, command…: prints wall seconds and peak RSS (MiB)
    local name=$1; shift
    /usr/bin/time -f "%e %M" "$@" >/dev/null 2>"$WORK/time" || true
    read -r secs kb < <(tail -1 "$WORK/time")
    printf '%-44s %8ss  peak RSS %6d MiB\n' "$name" "$secs" "$((kb / 1024))"
}

echo "== the hostile-archive corpus (tests/oracle/hostile_archives.py)"
python3 tests/oracle/hostile_archives.py "$WORK/corpus" >/dev/null
STORE=$WORK/store
python3 - "$WORK/corpus" "$STORE" <<'PY'
import hashlib, json, os, sys
corpus, store = sys.argv[1], sys.argv[2]
for case in json.load(open(f"{corpus}/cases.json")):
    data = open(f"{corpus}/{case['file']}", "rb").read()
    h = hashlib.sha256(data).hexdigest()
    for sub in ("objects", "records"):
        os.makedirs(f"{store}/v1/{sub}/sha256/{h[:2]}", exist_ok=True)
    open(f"{store}/v1/objects/sha256/{h[:2]}/{h}", "wb").write(data)
PY
measure "store verify --deep (whole corpus)" "$REPRO" store verify --deep --store "$STORE"
worst=0
for f in "$WORK"/corpus/*; do
    [ "${f##*.}" = json ] && continue
    cp "$f" "$WORK/other"; printf 'x' >> "$WORK/other"
    /usr/bin/time -f "%M" "$REPRO" diff "$f" "$WORK/other" >/dev/null 2>"$WORK/time" || true
    kb=$(tail -1 "$WORK/time"); [ "$kb" -gt "$worst" ] && worst=$kb && worstf=$(basename "$f")
done
printf '%-44s %8s   peak RSS %6d MiB (%s)\n' "repro diff, each case against itself + 1 byte" "" "$((worst / 1024))" "$worstf"

echo "== 100,000-member zips whose members all differ"
python3 - "$WORK" <<'PY'
import sys, zipfile
for side, k in (("a", 0), ("b", 1)):
    with zipfile.ZipFile(f"{sys.argv[1]}/100k-{side}.zip", "w", zipfile.ZIP_DEFLATED) as z:
        for i in range(100_000):
            z.writestr(zipfile.ZipInfo(f"pkg/m{i:06d}.py", (2024, 1, 1, 0, 0, 0)), f"VALUE = {i + k}\n")
PY
measure "repro diff 100k-a.zip 100k-b.zip" "$REPRO" diff "$WORK/100k-a.zip" "$WORK/100k-b.zip"

echo "== two 3 GiB files differing in the last byte"
head -c $((3 << 30)) /dev/zero > "$WORK/big-a"
cp "$WORK/big-a" "$WORK/big-b"; printf '\001' | dd of="$WORK/big-b" bs=1 seek=$(((3 << 30) - 1)) conv=notrunc status=none
measure "repro diff big-a big-b (3 GiB each)" "$REPRO" diff "$WORK/big-a" "$WORK/big-b"
