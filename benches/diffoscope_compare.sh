#!/usr/bin/env bash
# repro diff beside diffoscope on the same pairs (CI-free: needs diffoscope, e.g.
# `apt-get install diffoscope-minimal`, and the bench store filled by benches/compare.sh).
#
#   benches/diffoscope_compare.sh
#
# Pairs: the botocore wheel identical; with one member changed; recompressed at another deflate
# level; with two members swapped; with a uid/gid (ux) extra field changed.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
REPRO=$PWD/target/release/repro
STORE=${REPRO_BENCH_STORE:-target/bench-store}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
WHEEL=$(python3 - "$STORE" <<'PY'
import glob, json, sys
for f in glob.glob(sys.argv[1] + "/v1/records/sha256/*/*.json"):
    r = json.load(open(f))
    if any(n.startswith("botocore-") and n.endswith(".whl") for n in r["filenames"]):
        print(f"{sys.argv[1]}/v1/objects/sha256/{r['sha256'][:2]}/{r['sha256']}")
        break
PY
)
[ -n "$WHEEL" ] || { echo "run benches/compare.sh first (no botocore wheel in $STORE)"; exit 2; }
python3 - "$WHEEL" "$WORK" <<'PY'
import shutil, struct, sys, zipfile
src, work = sys.argv[1], sys.argv[2]
shutil.copy(src, f"{work}/a.whl")
shutil.copy(src, f"{work}/identical.whl")
zin = zipfile.ZipFile(src)
infos = zin.infolist()
first_py = next(i for i in infos if i.filename.endswith(".py"))
def rewrite(dst, change=None, level=None, swap=False, extra=None):
    order = list(infos)
    if swap:
        order[0], order[1] = order[1], order[0]
    with zipfile.ZipFile(dst, "w") as z:
        for i in order:
            data = zin.read(i)
            if change and i.filename == first_py.filename:
                data += b"\n# changed\n"
            ni = zipfile.ZipInfo(i.filename, i.date_time)
            ni.external_attr = i.external_attr
            ni.compress_type = zipfile.ZIP_DEFLATED
            if extra and i.filename == first_py.filename:
                ni.extra = extra
            z.writestr(ni, data, compresslevel=level if level is not None else 6)
rewrite(f"{work}/base6.whl")
rewrite(f"{work}/changed.whl", change=True)
rewrite(f"{work}/level9.whl", level=9)
rewrite(f"{work}/swapped.whl", swap=True)
ux = lambda uid: struct.pack("<HHBBIBI", 0x7875, 11, 1, 4, uid, 4, uid)
rewrite(f"{work}/uid0.whl", extra=ux(0))
rewrite(f"{work}/uid1000.whl", extra=ux(1000))
print("changed member:", first_py.filename)

# Small pairs, one per difference kind.
import gzip, io, tarfile
def small(dst, mode=0o644, year=2020, extra_member=False, comment=b"", member_comment=b""):
    with zipfile.ZipFile(dst, "w") as z:
        z.comment = comment
        i = zipfile.ZipInfo("pkg/mod.py", (year, 1, 1, 0, 0, 0))
        i.external_attr = (0o100000 | mode) << 16
        i.comment = member_comment
        z.writestr(i, b"x = 1\n")
        if extra_member:
            z.writestr(zipfile.ZipInfo("pkg/new.py", (2020, 1, 1, 0, 0, 0)), b"print('new')\n")
small(f"{work}/s-base.zip")
small(f"{work}/s-mode.zip", mode=0o755)
small(f"{work}/s-mtime.zip", year=2021)
small(f"{work}/s-added.zip", extra_member=True)
small(f"{work}/s-comment.zip", comment=b"built on laptop")
small(f"{work}/s-mcomment.zip", member_comment=b"hi")
def tgz(dst, mtime=0, uid=0, fmt=tarfile.USTAR_FORMAT):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=fmt) as t:
        ti = tarfile.TarInfo("pkg-1.0/setup.py"); ti.size = 8; ti.uid = uid; ti.mtime = 1600000000
        t.addfile(ti, io.BytesIO(b"setup()\n"))
    with open(dst, "wb") as f:
        with gzip.GzipFile(fileobj=f, mode="wb", mtime=mtime, filename="") as g:
            g.write(raw.getvalue())
tgz(f"{work}/t-base.tar.gz")
tgz(f"{work}/t-gzmtime.tar.gz", mtime=1700000000)
tgz(f"{work}/t-uid.tar.gz", uid=1000)
tgz(f"{work}/t-gnu.tar.gz", fmt=tarfile.GNU_FORMAT)
PY
# Best wall-clock time of N runs (repro: 5 runs; diffoscope, which takes seconds: 1 run).
t() { local n=$1; shift; python3 -c 'import subprocess,sys,time
best=None
for _ in range(int(sys.argv[1])):
    t=time.perf_counter(); subprocess.run(sys.argv[2:],stdout=subprocess.DEVNULL,stderr=subprocess.DEVNULL); d=time.perf_counter()-t
    best=d if best is None or d<best else best
print(f"{best:.3f}")' "$n" "$@"; }
row() {
    local name=$1 a=$2 b=$3
    local tr td
    tr=$(t 5 "$REPRO" diff "$WORK/$a" "$WORK/$b")
    td=$(t 1 diffoscope --no-progress "$WORK/$a" "$WORK/$b")
    printf '%-28s repro %8ss  diffoscope %8ss  ratio %s\n' "$name" "$tr" "$td" "$(python3 -c "print(f'{$td/$tr:.0f}x')")"
    echo "  repro says:"; { "$REPRO" diff "$WORK/$a" "$WORK/$b" | grep -E "^  [a-z-]+:" | sort | uniq -c | head -5; } || true
    echo "  diffoscope says:"; { (diffoscope --no-progress "$WORK/$a" "$WORK/$b" || true) | grep -E "^[│├└ ]*(---|\+\+\+|Zip file|zipinfo|filetype|Compressed|Extra|Local)" | head -5; } || true
}
row "identical (botocore wheel)" a.whl identical.whl
row "one member changed" base6.whl changed.whl
row "recompressed (level 6 vs 9)" base6.whl level9.whl
row "two members swapped" base6.whl swapped.whl
row "ux uid 0 vs 1000" uid0.whl uid1000.whl

echo "== one pair per difference kind: does each tool report it?"
kind() {
    local name=$1 a=$2 b=$3
    local r d
    r=$("$REPRO" diff "$WORK/$a" "$WORK/$b" | grep -E '^  [a-z-]+:' | sed 's/^  //' | tr '\n' ';' || true)
    d=$( (diffoscope --no-progress "$WORK/$a" "$WORK/$b" || true) | grep -cE '^[│├ ]*[-+]' || true)
    printf '%-22s repro: %s\n%-22s diffoscope: %s changed lines\n' "$name" "${r:-nothing}" "" "$d"
}
kind "mode" s-base.zip s-mode.zip
kind "mtime" s-base.zip s-mtime.zip
kind "added member" s-base.zip s-added.zip
kind "archive comment" s-base.zip s-comment.zip
kind "member comment" s-base.zip s-mcomment.zip
kind "gzip MTIME" t-base.tar.gz t-gzmtime.tar.gz
kind "tar uid" t-base.tar.gz t-uid.tar.gz
kind "tar format" t-base.tar.gz t-gnu.tar.gz
