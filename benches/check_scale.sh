#!/usr/bin/env bash
# How `repro check` scales with the number of lockfiles: the SOAR corpus (80 lockfiles) copied
# 10 times (800 lockfiles) and 100 times (8,000), each checked as one tree. Prints the median
# wall time of 5 runs and the peak RSS (`/usr/bin/time -v`) of one.
#
#   benches/check_scale.sh            # release build
#   REPRO=path/to/repro benches/check_scale.sh   # another binary (e.g. a build of main)
#
# The issue's bound (issue 16): 8,000 lockfiles in under 0.5 s, memory linear in their number.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${REPRO:-}" ]; then
    cargo build --release --quiet
    REPRO=$PWD/target/release/repro
fi
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
for copies in 10 100; do
    tree=$WORK/soar-$copies
    mkdir -p "$tree"
    for i in $(seq 1 "$copies"); do cp -r corpora/opensecops-soar "$tree/copy-$i"; done
    n=$(find "$tree" -name requirements.txt | wc -l)
    "$REPRO" check -q "$tree" >/dev/null  # must run (and say hermetic) before it is timed
    times=()
    for _ in 1 2 3 4 5; do
        start=$(date +%s.%N)
        "$REPRO" check -q "$tree" >/dev/null 2>&1 || true
        end=$(date +%s.%N)
        times+=("$(echo "$end - $start" | bc)")
    done
    median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n 3p)
    /usr/bin/time -v "$REPRO" check -q "$tree" >/dev/null 2>"$WORK/time" || true
    rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/time")
    printf '%6d lockfiles: median %6.3f s of 5, peak RSS %6d KiB\n' "$n" "$median" "$rss"
done
