#!/usr/bin/env python3
"""Baseline for `repro store verify --deep`: the same work in plain Python.

For every object of a repro store (or every file of a folder): SHA-256 of the file, then open it
as a zip (wheels, zip sdists) or tar.gz (crates, sdists) and SHA-256 every member after
decompression. Single process, standard library only (zipfile, tarfile, hashlib), as a
maintainer would write it.

    python3 benches/deep_hash_baseline.py target/bench-store/v1/objects
"""
import hashlib
import os
import sys
import tarfile
import time
import zipfile

BUF = 1 << 20


def sha256_stream(f):
    h = hashlib.sha256()
    while True:
        b = f.read(BUF)
        if not b:
            return h.hexdigest()
        h.update(b)


def main(root):
    files = [os.path.join(d, n) for d, _, names in os.walk(root) for n in names]
    start = time.perf_counter()
    members = 0
    total = 0
    for path in files:
        with open(path, "rb") as f:
            sha256_stream(f)
            f.seek(0)
            head = f.read(4)
        if head.startswith(b"PK"):
            with zipfile.ZipFile(path) as z:
                for info in z.infolist():
                    if info.is_dir():
                        continue
                    with z.open(info) as m:
                        sha256_stream(m)
                    members += 1
                    total += info.file_size
        elif head[:2] == b"\x1f\x8b":
            with tarfile.open(path, "r:gz") as t:
                for info in t:
                    if info.isfile():
                        sha256_stream(t.extractfile(info))
                        members += 1
                        total += info.size
    elapsed = time.perf_counter() - start
    print(f"{len(files)} files, {members} members, {total / 1e6:.0f} MB decompressed in {elapsed:.2f} s")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "target/bench-store/v1/objects")
