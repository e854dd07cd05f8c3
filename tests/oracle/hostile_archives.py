#!/usr/bin/env python3
"""Deterministic generator of a hostile-archive corpus for `repro store verify --deep`.

    python3 tests/oracle/hostile_archives.py OUTDIR

Writes every case into OUTDIR and OUTDIR/cases.json, a list of
`{"name", "file", "format": "zip"|"tar.gz"|"tar", "expect": "accept"|"refuse", "why"}`.
Standard library only (struct, zlib, bz2, zipfile, tarfile, io); fixed timestamps and no
randomness, so two runs on one machine give identical bytes (the deflate streams come from the
zlib Python links, so another zlib may give other, equally valid, bytes).

The differential test `tests/integration/hostile_archives.rs` puts every case in a store, runs
`repro store verify --deep`, and runs `tests/oracle/extractors.py` (Python zipfile, Info-ZIP
unzip, Python tarfile, GNU tar) on the same files. A case is `refuse` when some real extractor
would extract a different member set than another reader (or than repro's index) would
record, or when the README promises refusal (absolute or `..` paths, duplicate names, links
leaving the archive, central directory disagreeing with local headers, decompression bombs).
A case is `accept` when it is an ordinary archive that every extractor reads the same way; on
those, repro's member index must equal each extractor's view. The `why` of each refuse case
says what the extractors do differently, as observed with CPython 3.11 zipfile/tarfile, UnZip
6.00 (Debian) and GNU tar 1.34.

Case families:

- zip framing (`zip-trailing-bytes`, `zip-gap-between-entries`, `zip-prefix-bytes`,
  `zip-cd-offset-concat`, `zip-comment-fake-eocd`, `zip-local-only-entry`): bytes no central
  directory entry accounts for. Readers that find the end record by scanning backwards, readers
  that adjust offsets for a prepended stub, and streaming readers that walk local headers
  each see a different archive; a polyglot or a hidden member lives there.
- zip end records (`zip-eocd-count-*`, `zip64-count-mismatch`, `zip-multi-disk`): the end
  record's counts, sizes and disk numbers disagree with the central directory. zipfile walks
  the central directory by its byte size, unzip by its entry count.
- local header vs central directory (`zip-local-*`, `zip-data-descriptor-mismatch`,
  `zip-shared-local-header`, `zip-overlap-bomb`): the two copies of a member's metadata
  disagree, or two entries share bytes. zipfile trusts the central directory, streaming
  readers the local header; shared bytes are David Fifield's "overlapping files" zip bomb.
- sizes and bombs (`zip-inflates-beyond-declared`, `zip-csize-*`, `zip-ratio-bomb`): the
  declared sizes lie, or the inflated size is out of proportion.
- names (`zip-absolute-name`, `zip-dotdot-name`, `zip-backslash-name`, `zip-drive-letter`,
  `zip-nul-name`, `zip-cp437-name`, `zip-utf8-flag-invalid`, `zip-unicode-path-extra`,
  `zip-dot-segment`, `zip-double-slash`, `zip-empty-name`, `zip-duplicate-*`,
  `zip-file-and-dir`): a name that leaves the extraction directory, that two readers decode
  differently, or that collides with another once normalised.
- links (`zip-symlink-*`): a symlink leaving the archive, alone or only together with another
  link, or a member written through a symlink.
- unreadable members (`zip-encrypted`, `zip-method-bzip2`, `zip-method-unknown`,
  `zip-dir-with-data`): content a walker cannot hash, or that an extractor drops.
- gzip framing (`tgz-second-gzip-member-*`, `tgz-multistream-*`, `tgz-bad-crc`,
  `tgz-bad-isize`, `tgz-trailing-garbage`): gzip's own integrity checks and multi-member
  streams. GNU tar pipes through gzip, which reads every member and checks every trailer;
  zipfile-era readers and single-member decoders stop at the first.
- tar end of archive (`tar-data-after-end`, `tar-lone-zero-block`, `tar-bad-checksum-middle`,
  `tar-size-embedded-space`, `tar-longname-at-end`): where one reader stops and another
  continues (`--ignore-zeros`, "Skipping to next header").
- tar extended headers (`tar-gnu-longname-huge`, `tar-pax-huge`, `tar-pax-path-*`,
  `tar-gnu-and-pax-name`, `tar-two-gnu-longnames`, `tar-pax-global-path`,
  `tar-pax-duplicate-keys`, `tar-ustar-prefix-traversal`, `tar-pax-linkpath-escape`): which
  name wins when several headers name one member, and unbounded metadata.
- tar data after non-file entries (`tar-hardlink-with-data`, `tar-dir-with-data`): tarfile
  and GNU tar treat a hard link or directory as data-less, so its declared data becomes the
  next header for them and not for a reader that skips by the size field.
- tar types (`tar-regtype-trailing-slash`, `tar-unknown-type`, `tar-gnu-sparse`, `tar-fifo`,
  `tar-chardev`, `tar-blockdev`): entries whose kind or size depends on the reader, or that
  are not files at all.
- tar names and links (`tar-absolute-name`, `tar-dotdot-name`, `tar-symlink-*`,
  `tar-hardlink-*`, `tar-duplicate-names`, `tar-file-and-dir`).
- accept (`zip-wheel`, `zip-data-descriptors`, `zip64-forced`, `zip-empty`,
  `zip-explicit-dirs`, `zip-symlink-inside`, `zip-wheel-comment`, `zip-stored`,
  `zip-utf8-name`, `tgz-sdist-pax`, `tgz-gnu-longname`, `tgz-record-padding`, `tgz-dot-slash`,
  `tgz-links-inside`, `tgz-gzip-fname`, `tgz-base256-size`, `tgz-pax-size-override`,
  `tgz-empty`, `tar-plain-sdist`): what real wheels, sdists and crates look like, including
  the legitimate uses of every feature the refuse cases abuse.
"""
import base64
import bz2
import hashlib
import io
import json
import os
import stat
import struct
import sys
import tarfile
import zipfile
import zlib

# 2020-01-01 00:00:00 (UTC for tar; zip times carry no zone).
MTIME = 1577836800
DOS_DATE = ((2020 - 1980) << 9) | (1 << 5) | 1
DOS_TIME = 0
DATE_TIME = (2020, 1, 1, 0, 0, 0)

UNIX = 3  # "version made by" host: Unix
STORED, DEFLATED, BZIP2 = 0, 8, 12
FLAG_ENCRYPTED, FLAG_DESCRIPTOR, FLAG_UTF8 = 0x1, 0x8, 0x800

CASES = []


def case(name, fmt, expect, why):
    """Register the decorated function, which returns the archive's bytes, as a case."""
    assert expect in ("accept", "refuse"), expect

    def register(build):
        ext = {"zip": ".whl", "tar.gz": ".tar.gz", "tar": ".tar"}[fmt]
        CASES.append({"name": name, "file": name + ext, "format": fmt, "expect": expect,
                      "why": why, "build": build})
        return build

    return register


# --- zip, byte by byte -------------------------------------------------------------------------

def deflate(data, level=9):
    c = zlib.compressobj(level, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


class Entry:
    """One zip member: its name, content, and the fields both headers carry.

    `payload` is the stored (compressed) bytes; every other field defaults to the truth and can
    be overridden here (both headers) or per header in `Zip.local` / `Zip.central`.
    """

    def __init__(self, name, data=b"", *, method=DEFLATED, flags=0, mode=0o100644,
                 made_by=(UNIX << 8) | 20, version=20, extra=b"", payload=None, crc=None,
                 usize=None, descriptor=False):
        if isinstance(name, str):
            if not name.isascii():
                flags |= FLAG_UTF8
            name = name.encode()
        self.name = name
        self.data = data
        self.method = method
        self.flags = flags | (FLAG_DESCRIPTOR if descriptor else 0)
        self.descriptor = descriptor
        self.made_by = made_by
        self.version = version
        self.extra = extra
        if payload is None:
            payload = {STORED: lambda d: d, DEFLATED: deflate, BZIP2: bz2.compress}[method](data)
        self.payload = payload
        self.crc = zlib.crc32(data) if crc is None else crc
        self.csize = len(payload)
        self.usize = len(data) if usize is None else usize
        self.ext_attr = (mode << 16) | (0x10 if stat.S_ISDIR(mode) else 0)


def symlink(name, target):
    return Entry(name, target.encode(), method=STORED, mode=0o120777)


def directory(name):
    return Entry(name, method=STORED, mode=0o040755)


def local_header(e, **o):
    f = dict(version=e.version, flags=e.flags, method=e.method, crc=e.crc, csize=e.csize,
             usize=e.usize, name=e.name, extra=e.extra)
    if e.descriptor:
        f.update(crc=0, csize=0, usize=0)
    f.update(o)
    return struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", f["version"], f["flags"], f["method"],
                       DOS_TIME, DOS_DATE, f["crc"], f["csize"], f["usize"], len(f["name"]),
                       len(f["extra"])) + f["name"] + f["extra"]


def central_header(e, offset, **o):
    f = dict(made_by=e.made_by, version=e.version, flags=e.flags, method=e.method, crc=e.crc,
             csize=e.csize, usize=e.usize, name=e.name, extra=e.extra, comment=b"", disk=0,
             ext_attr=e.ext_attr, offset=offset)
    f.update(o)
    return struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", f["made_by"], f["version"],
                       f["flags"], f["method"], DOS_TIME, DOS_DATE, f["crc"], f["csize"],
                       f["usize"], len(f["name"]), len(f["extra"]), len(f["comment"]),
                       f["disk"], 0, f["ext_attr"], f["offset"]) + f["name"] + f["extra"] \
        + f["comment"]


def end_record(count, cd_size, cd_offset, comment=b"", *, disk=0, cd_disk=0, disk_count=None):
    return struct.pack("<4sHHHHIIH", b"PK\x05\x06", disk, cd_disk,
                       count if disk_count is None else disk_count, count, cd_size, cd_offset,
                       len(comment)) + comment


class Zip:
    """A zip under construction: local entries and raw bytes in order, then the central
    directory and the end record(s) written by `finish`."""

    def __init__(self, prefix=b""):
        self.out = bytearray(prefix)
        self.cd = []

    def raw(self, data):
        self.out += data

    def local(self, e, **o):
        """Write `e`'s local header and payload (and data descriptor); return its offset."""
        offset = len(self.out)
        self.out += local_header(e, **o) + e.payload
        if e.descriptor:
            self.out += struct.pack("<4sIII", b"PK\x07\x08", e.crc, e.csize, e.usize)
        return offset

    def central(self, e, offset, **o):
        self.cd.append(central_header(e, offset, **o))

    def add(self, e, local=None, central=None):
        offset = self.local(e, **(local or {}))
        self.central(e, offset, **(central or {}))
        return offset

    def finish(self, comment=b"", *, count=None, cd_size=None, cd_offset=None, shift=0,
               zip64=None, trailing=b"", **eocd):
        """The whole archive. `shift` is subtracted from the stored central directory offset
        (a stub prepended without adjusting offsets); `zip64` = (count, cd_size) writes a zip64
        end record and locator with those values before the classic end record."""
        start = len(self.out)
        cd = b"".join(self.cd)
        out = bytes(self.out) + cd
        if zip64 is not None:
            z64 = len(out)
            out += struct.pack("<4sQHHIIQQQQ", b"PK\x06\x06", 44, (UNIX << 8) | 45, 45, 0, 0,
                               zip64[0], zip64[0], zip64[1], start - shift)
            out += struct.pack("<4sIQI", b"PK\x06\x07", 0, z64, 1)
        out += end_record(len(self.cd) if count is None else count,
                          len(cd) if cd_size is None else cd_size,
                          (start if cd_offset is None else cd_offset) - shift, comment, **eocd)
        return out + trailing


def simple_zip(*entries, **finish):
    z = Zip()
    for e in entries:
        z.add(e)
    return z.finish(**finish)


def ok_entries():
    return [Entry("pkg/__init__.py", b""), Entry("pkg/mod.py", b"print('hello')\n")]


# --- zip, written by zipfile -------------------------------------------------------------------

def zinfo(name):
    mode = 0o755 if name.endswith("/") else 0o644
    i = zipfile.ZipInfo(name, DATE_TIME)
    i.compress_type = zipfile.ZIP_STORED if name.endswith("/") else zipfile.ZIP_DEFLATED
    i.create_system = UNIX
    i.external_attr = ((stat.S_IFDIR if name.endswith("/") else stat.S_IFREG) | mode) << 16
    if name.endswith("/"):
        i.external_attr |= 0x10
    return i


def wheel_files(name="demo", version="1.0"):
    files = {
        f"{name}/__init__.py": b"from .core import answer\n",
        f"{name}/core.py": b"def answer():\n    return 42\n",
        f"{name}-{version}.dist-info/METADATA":
            f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode(),
        f"{name}-{version}.dist-info/WHEEL":
            b"Wheel-Version: 1.0\nGenerator: hostile_archives\nRoot-Is-Purelib: true\n"
            b"Tag: py3-none-any\n",
    }
    record = "".join(
        f"{path},sha256={base64.urlsafe_b64encode(hashlib.sha256(data).digest()).decode()[:43]}"
        f",{len(data)}\n"
        for path, data in files.items())
    files[f"{name}-{version}.dist-info/RECORD"] = (
        record + f"{name}-{version}.dist-info/RECORD,,\n").encode()
    return files


def zipfile_bytes(files, *, comment=b"", stream=False, zip64=False, compression=None):
    """A zip written by zipfile: `files` maps names to bytes (None for a directory)."""
    buf = io.BytesIO()
    target = _NonSeekable(buf) if stream else buf
    with zipfile.ZipFile(target, "w") as zf:
        for name, data in files.items():
            i = zinfo(name)
            if compression is not None:
                i.compress_type = compression
            if data is None:
                zf.writestr(i, b"")
            else:
                with zf.open(i, "w", force_zip64=zip64) as w:
                    w.write(data)
        zf.comment = comment
    return buf.getvalue()


class _NonSeekable(io.RawIOBase):
    """A write-only stream without seek/tell, so zipfile writes data descriptors."""

    def __init__(self, inner):
        self.inner = inner

    def writable(self):
        return True

    def write(self, b):
        return self.inner.write(b)


# --- tar, byte by byte -------------------------------------------------------------------------

USTAR = b"ustar\x0000"
GNU = b"ustar  \x00"


def octal(n, width):
    return b"%0*o\x00" % (width - 1, n)


def tar_header(name, *, size=0, typeflag=b"0", linkname=b"", mode=0o644, mtime=MTIME,
               magic=USTAR, prefix=b"", size_field=None, devmajor=0, devminor=0, gnu_tail=b"",
               bad_checksum=False):
    """One 512-byte header block. `gnu_tail` fills bytes 345..500 (GNU sparse fields)."""
    if isinstance(name, str):
        name = name.encode()
    if isinstance(linkname, str):
        linkname = linkname.encode()
    assert len(name) <= 100 and len(linkname) <= 100 and len(prefix) <= 155
    h = bytearray(512)
    h[0:len(name)] = name
    h[100:108] = octal(mode, 8)
    h[108:116] = octal(0, 8)
    h[116:124] = octal(0, 8)
    h[124:136] = octal(size, 12) if size_field is None else size_field
    h[136:148] = octal(mtime, 12)
    h[148:156] = b" " * 8
    h[156:157] = typeflag
    h[157:157 + len(linkname)] = linkname
    h[257:265] = magic
    h[329:337] = octal(devmajor, 8)
    h[337:345] = octal(devminor, 8)
    if gnu_tail:
        h[345:345 + len(gnu_tail)] = gnu_tail
    else:
        h[345:345 + len(prefix)] = prefix
    checksum = sum(h) + (1 if bad_checksum else 0)
    h[148:156] = b"%06o\x00 " % checksum
    return bytes(h)


def pad(data):
    return data + b"\x00" * (-len(data) % 512)


def tar_file(name, data=b"", **kw):
    return tar_header(name, size=len(data), **kw) + pad(data)


def tar_dir(name, **kw):
    return tar_header(name, typeflag=b"5", mode=0o755, **kw)


def tar_symlink(name, target, **kw):
    return tar_header(name, typeflag=b"2", linkname=target, mode=0o777, **kw)


def tar_hardlink(name, target, **kw):
    return tar_header(name, typeflag=b"1", linkname=target, **kw)


def pax_body(records):
    """pax extended header records: each `LEN key=value\\n`, LEN counting itself."""
    out = b""
    for key, value in records:
        if isinstance(value, str):
            value = value.encode()
        rest = b" " + key.encode() + b"=" + value + b"\n"
        n = len(rest) + 1
        while len(str(n).encode()) + len(rest) != n:
            n = len(str(n).encode()) + len(rest)
        out += str(n).encode() + rest
    return out


def pax(records, *, typeflag=b"x", name="PaxHeaders/entry"):
    return tar_file(name, pax_body(records), typeflag=typeflag)


def gnu_long(name, typeflag=b"L"):
    if isinstance(name, str):
        name = name.encode()
    return tar_file("././@LongLink", name + b"\x00", typeflag=typeflag, magic=GNU)


END = b"\x00" * 1024


def tar_stream(*blocks, end=True, record=True):
    """Concatenate header/data blocks, add the two end blocks and pad to a 10240-byte record."""
    out = b"".join(blocks) + (END if end else b"")
    if record:
        out += b"\x00" * (-len(out) % 10240)
    return out


def gz(data, *, fname=None, crc=None, isize=None):
    """One gzip member with mtime 0 (and FNAME if given); `crc`/`isize` override the trailer."""
    flags = 0x08 if fname else 0
    header = struct.pack("<2sBBIBB", b"\x1f\x8b", 8, flags, 0, 2, 255)
    if fname:
        header += fname + b"\x00"
    trailer = struct.pack("<II", zlib.crc32(data) if crc is None else crc,
                          (len(data) if isize is None else isize) & 0xFFFFFFFF)
    return header + deflate(data) + trailer


def ok_tar_blocks():
    return [tar_dir("pkg-1.0/"), tar_file("pkg-1.0/setup.py", b"from setuptools import setup\n")]


def tarinfo(name, size=0, *, type=tarfile.REGTYPE, linkname="", mode=0o644):
    t = tarfile.TarInfo(name)
    t.size, t.type, t.linkname, t.mode, t.mtime = size, type, linkname, mode, MTIME
    t.uid = t.gid = 0
    t.uname = t.gname = ""
    return t


def tarfile_bytes(members, fmt=tarfile.PAX_FORMAT):
    """A tar written by tarfile: `members` is a list of (TarInfo, bytes or None)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as tf:
        for info, data in members:
            tf.addfile(info, io.BytesIO(data) if data is not None else None)
    return buf.getvalue()


def sdist_members(root="demo-1.0"):
    files = {
        f"{root}/PKG-INFO": b"Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n",
        f"{root}/pyproject.toml": b"[build-system]\nrequires = [\"setuptools\"]\n",
        f"{root}/src/demo/__init__.py": b"from .core import answer\n",
        f"{root}/src/demo/core.py": b"def answer():\n    return 42\n",
    }
    members = [(tarinfo(f"{root}/", type=tarfile.DIRTYPE, mode=0o755), None)]
    for path, data in files.items():
        members.append((tarinfo(path, len(data)), data))
    return members


# === zip: refuse ===============================================================================

@case("zip-trailing-bytes", "zip", "refuse",
      "bytes after the end record: zipfile and unzip both ignore them silently, so a "
      "polyglot or second payload rides along that no member accounts for (refused as "
      "unaccounted bytes, not for an extractor disagreement)")
def _():
    return simple_zip(*ok_entries(), trailing=b"#!/bin/sh\necho appended payload\n")


@case("zip-gap-between-entries", "zip", "refuse",
      "64 bytes between two entries that no entry accounts for: zipfile and unzip skip them "
      "silently (a hiding place; see zip-local-only-entry for what can live there)")
def _():
    z = Zip()
    a, b = ok_entries()
    z.add(a)
    z.raw(b"\xa5" * 64)
    z.add(b)
    return z.finish()


@case("zip-prefix-bytes", "zip", "refuse",
      "a shell stub before the first entry with offsets adjusted (self-extractor style): "
      "zipfile and unzip read the zip silently, the file is also a shell script, and a "
      "magic-byte sniff (PK at byte 0) does not see a zip at all")
def _():
    z = Zip(prefix=b"#!/bin/sh\nexec python3 -c 'print(1)'\n" + b"\n" * 26)
    for e in ok_entries():
        z.add(e)
    return z.finish()


@case("zip-cd-offset-concat", "zip", "refuse",
      "a stub prepended without adjusting offsets (the central directory offset is 40 "
      "short): zipfile silently shifts every offset ('concat'), unzip warns '40 extra bytes "
      "at beginning or within zipfile'")
def _():
    z = Zip(prefix=b"X" * 40)
    # Central offsets as if the stub were not there.
    a, b = ok_entries()
    z.local(a)
    z.central(a, 0)
    off = len(z.out)
    z.local(b)
    z.central(b, off - 40)
    return z.finish(shift=40)


def hidden_count(names):
    z = Zip()
    z.add(Entry("pkg/ok.py", b"ok = True\n"))
    for n in names:
        z.add(Entry(n, b"import os\n"))
    return z.finish(count=1)


@case("zip-eocd-count-1-cd-3-traversal", "zip", "refuse",
      "the end record counts 1 entry, the central directory holds 3: zipfile walks the "
      "directory by its byte size and silently lists 3 (`../../evil.py`, "
      "`x/../../evil2.py`); unzip lists 3 and fails (exit 3, 'expected central file header "
      "signature not found (file #4)'); the zip crate lists 1")
def _():
    return hidden_count(["../../evil.py", "x/../../evil2.py"])


@case("zip-eocd-count-1-cd-3-harmless", "zip", "refuse",
      "the same with harmless names (`pkg/hidden.py`, `pkg/hidden2.py`): zipfile lists 3, "
      "unzip lists 3 and fails (exit 3), the zip crate lists 1, so the index depends on the "
      "reader even with no bad path")
def _():
    return hidden_count(["pkg/hidden.py", "pkg/hidden2.py"])


@case("zip-duplicate-same-content", "zip", "refuse",
      "`pkg/a.py` twice with the same bytes: zipfile and unzip list 2 members (unzip "
      "prompts to replace); README refuses duplicate names, and a name-keyed index keeps 1")
def _():
    return simple_zip(Entry("pkg/a.py", b"x = 1\n"), Entry("pkg/a.py", b"x = 1\n"),
                      Entry("pkg/b.py", b""))


@case("zip-duplicate-different-content", "zip", "refuse",
      "`pkg/a.py` twice with different bytes: zipfile and unzip list 2, "
      "`zipfile.read(name)` returns the second, unzip extracts the first then overwrites "
      "it; which bytes land depends on the tool")
def _():
    return simple_zip(Entry("pkg/a.py", b"x = 'first'\n"), Entry("pkg/a.py", b"x = 'second'\n"))


@case("zip-local-crc-mismatch", "zip", "refuse",
      "the local header's CRC differs from the central one: zipfile checks the central CRC "
      "and passes, unzip fails 'bad CRC' (exit 2); README: central directory disagreeing "
      "with local headers")
def _():
    z = Zip()
    a, b = ok_entries()
    z.add(a)
    z.add(b, local={"crc": b.crc ^ 0xDEADBEEF})
    return z.finish()


@case("zip-local-size-mismatch", "zip", "refuse",
      "the local header's sizes differ from the central ones: zipfile and unzip use the "
      "central sizes and pass, a streaming reader (local headers) reads another extent; "
      "README: central directory disagreeing with local headers")
def _():
    z = Zip()
    a, b = ok_entries()
    z.add(a)
    z.add(b, local={"csize": b.csize + 7, "usize": b.usize + 100})
    return z.finish()


@case("zip-local-name-mismatch", "zip", "refuse",
      "the local header names `pkg/evil.py`, the central directory `pkg/mod.py`: zipfile "
      "fails ('File name in directory and header differ'), unzip warns and uses "
      "`pkg/mod.py`, a streaming reader writes `pkg/evil.py`")
def _():
    z = Zip()
    a, b = ok_entries()
    z.add(a)
    z.add(b, local={"name": b"pkg/evil.py"})
    return z.finish()


@case("zip-local-flags-mismatch", "zip", "refuse",
      "the local header sets the data-descriptor flag, the central one does not: zipfile "
      "passes, unzip fails 'overlapped components (possible zip bomb)' (exit 12)")
def _():
    z = Zip()
    a, b = ok_entries()
    z.add(a)
    z.add(b, local={"flags": FLAG_DESCRIPTOR})
    return z.finish()


@case("zip-local-method-mismatch", "zip", "refuse",
      "the local header says stored, the central directory deflate: zipfile inflates "
      "(central) and passes, unzip uses the local method and fails 'bad CRC'")
def _():
    z = Zip()
    a, b = ok_entries()
    z.add(a)
    z.add(b, local={"method": STORED})
    return z.finish()


@case("zip-data-descriptor-mismatch", "zip", "refuse",
      "the data descriptor's CRC and sizes differ from the central directory's: zipfile and "
      "unzip use the central values and pass, a streaming reader trusts the descriptor; "
      "README: central directory disagreeing with local headers")
def _():
    z = Zip()
    e = Entry("pkg/mod.py", b"print('hello')\n", descriptor=True)
    off = len(z.out)
    z.raw(local_header(e) + e.payload + struct.pack("<4sIII", b"PK\x07\x08", e.crc ^ 1,
                                                    e.csize, e.usize + 1))
    z.central(e, off)
    return z.finish()


@case("zip-shared-local-header", "zip", "refuse",
      "two central entries (`pkg/a.py`, `pkg/b.py`) share one local header: zipfile fails "
      "on `pkg/b.py` (name differs), unzip -t fails 'overlapped components', unzip -p "
      "pkg/b.py extracts the shared bytes")
def _():
    z = Zip()
    a = Entry("pkg/a.py", b"x = 1\n")
    off = z.add(a)
    b = Entry("pkg/b.py", b"x = 1\n")
    z.central(b, off)
    return z.finish()


@case("zip-overlap-bomb", "zip", "refuse",
      "David Fifield's overlapping-files bomb: 100 members share one 512 KiB kernel through "
      "quoted local headers (10 KiB on disk, 50 MiB inflated): CPython 3.11 zipfile "
      "inflates it all, unzip refuses 'invalid zip file with overlapped components'")
def _():
    kernel = b"\x00" * (512 * 1024)
    kernel_z = deflate(kernel)
    n = 100
    names = [f"bomb/{i:03}".encode() for i in range(n)]
    # Build from the last member back: member i's stream quotes member i+1's local header in
    # a stored block, then continues with member i+1's stream, down to the kernel.
    streams, datas, headers, quotes = [None] * n, [None] * n, [None] * n, [b""] * n
    stream, data = kernel_z, kernel
    for i in reversed(range(n)):
        e = Entry(names[i], data, payload=stream)
        headers[i] = local_header(e)
        streams[i], datas[i] = stream, data
        if i:
            quotes[i - 1] = struct.pack("<BHH", 0, len(headers[i]), len(headers[i]) ^ 0xFFFF)
            stream = quotes[i - 1] + headers[i] + stream
            data = headers[i] + data
    z = Zip()
    offsets = []
    for i in range(n):
        offsets.append(len(z.out))
        z.raw(headers[i] + quotes[i])
    z.raw(kernel_z)
    for i in range(n):
        z.central(Entry(names[i], datas[i], payload=streams[i]), offsets[i])
    return z.finish()


@case("zip-inflates-beyond-declared", "zip", "refuse",
      "the deflate stream holds 64 KiB, the headers declare 1 KiB (CRC of all 64 KiB): "
      "zipfile stops at 1 KiB and fails the CRC, unzip extracts all 64 KiB without a word")
def _():
    data = b"A" * 65536
    e = Entry("pkg/big.txt", data, usize=1024)
    return simple_zip(e)


@case("zip-csize-too-small", "zip", "refuse",
      "the declared compressed size is 100 bytes short of the deflate stream: zipfile reads "
      "the truncated stream and fails the CRC, unzip fails 'invalid compressed data to "
      "inflate'")
def _():
    data = bytes(range(256)) * 64
    e = Entry("pkg/data.bin", data)
    e.csize -= 100
    return simple_zip(e)


@case("zip-csize-too-large", "zip", "refuse",
      "the declared compressed size runs 200 bytes into the next entry: zipfile and unzip "
      "stop at the deflate end marker and pass; the member's extent overlaps its neighbour "
      "(a sizes lie no extractor notices)")
def _():
    a = Entry("pkg/a.txt", b"hello\n" * 10)
    a.csize += 200
    return simple_zip(a, Entry("pkg/padding.bin", bytes(range(256)) * 2, method=STORED))


@case("zip-ratio-bomb", "zip", "refuse",
      "40 MiB of zeros deflated to 40 KiB (about 1030:1): zipfile and unzip inflate it all; "
      "README refuses decompression bombs")
def _():
    return simple_zip(Entry("bomb.bin", b"\x00" * (40 * 1024 * 1024)))


@case("zip-symlink-escape", "zip", "refuse",
      "Unix symlink `pkg/etc -> ../../etc`: unzip creates a link out of the tree, zipfile "
      "(no symlinks) writes a 9-byte file holding `../../etc`; README refuses links leaving "
      "the archive")
def _():
    return simple_zip(Entry("pkg/mod.py", b""), symlink("pkg/etc", "../../etc"))


@case("zip-symlink-absolute", "zip", "refuse",
      "Unix symlink `pkg/passwd -> /etc/passwd`: unzip creates it, zipfile writes a file "
      "holding the target")
def _():
    return simple_zip(Entry("pkg/mod.py", b""), symlink("pkg/passwd", "/etc/passwd"))


@case("zip-symlink-chain", "zip", "refuse",
      "`d/x -> ..` and `d/x/y -> ..` each look inside textually, but `d/x/y` resolved "
      "through `d/x` is `../..`: unzip lists two links and fails extracting `d/x/y` ('d/x "
      "exists but is not directory'), zipfile writes a file `d/x` and fails "
      "(NotADirectoryError)")
def _():
    return simple_zip(directory("d/"), symlink("d/x", ".."), symlink("d/x/y", ".."))


@case("zip-symlink-write-through", "zip", "refuse",
      "`d/link -> ..` then `d/link/evil.py`, a member under a symlink: unzip fails 'd/link "
      "exists but is not directory', zipfile writes a file `d/link` and fails "
      "(NotADirectoryError); the listing is not the tree")
def _():
    return simple_zip(directory("d/"), symlink("d/link", ".."),
                      Entry("d/link/evil.py", b"import os\n"))


@case("zip-absolute-name", "zip", "refuse",
      "`/tmp/evil.py`: both list it; unzip extracts to `tmp/evil.py` with a warning "
      "('stripped absolute path spec'); README refuses absolute paths")
def _():
    return simple_zip(Entry("/tmp/evil.py", b"import os\n"))


@case("zip-dotdot-name", "zip", "refuse",
      "`../evil.py`: both list it; unzip silently extracts `evil.py`, zipfile's extract "
      "sanitises to `evil.py`; README refuses `..` paths")
def _():
    return simple_zip(Entry("../evil.py", b"import os\n"))


@case("zip-backslash-name", "zip", "refuse",
      "`..\\evil.py` made by MS-DOS: zipfile on POSIX writes a file named `..\\evil.py`, "
      "unzip extracts `evil.py` ('appears to use backslashes as path separators'): a `..` "
      "path once `\\` is a separator")
def _():
    e = Entry("..\\evil.py", b"import os\n", made_by=20)
    e.ext_attr = 0x20
    return simple_zip(e)


@case("zip-drive-letter", "zip", "refuse",
      "`C:/evil.py`: zipfile and unzip on POSIX create a directory `C:`, on Windows it is "
      "an absolute path (zipfile strips the drive there)")
def _():
    return simple_zip(Entry("C:/evil.py", b"import os\n"))


@case("zip-nul-name", "zip", "refuse",
      "name bytes `pkg/ok.py\\0../../evil.py`: zipfile and unzip both cut at the NUL "
      "(`pkg/ok.py`); a reader keeping the bytes sees another path")
def _():
    return simple_zip(Entry(b"pkg/ok.py\x00../../evil.py", b"x = 1\n"))


@case("zip-cp437-name", "zip", "refuse",
      "name bytes `caf\\x82.py` without the UTF-8 flag: zipfile decodes CP437 (`café.py`), "
      "unzip keeps the raw byte (`caf\\x82.py`), a lossy UTF-8 reader sees `caf\\ufffd.py`: "
      "three names for one member")
def _():
    return simple_zip(Entry(b"pkg/caf\x82.py", b"x = 1\n"))


@case("zip-utf8-flag-invalid", "zip", "refuse",
      "the UTF-8 flag on invalid UTF-8 (`\\xff\\xfe`): zipfile cannot open the archive "
      "(UnicodeDecodeError), unzip lists and extracts it")
def _():
    return simple_zip(Entry(b"pkg/\xff\xfe.py", b"x = 1\n", flags=FLAG_UTF8))


@case("zip-unicode-path-extra", "zip", "refuse",
      "an Info-ZIP Unicode Path extra field (0x7075) names `../evil.py` on `ok.py`: unzip "
      "lists and extracts `../evil.py` (as `evil.py`), zipfile (3.11) ignores the field and "
      "lists `ok.py`")
def _():
    name = b"ok.py"
    upath = struct.pack("<BI", 1, zlib.crc32(name)) + b"../evil.py"
    extra = struct.pack("<HH", 0x7075, len(upath)) + upath
    return simple_zip(Entry(name, b"import os\n", extra=extra))


@case("zip-encrypted", "zip", "refuse",
      "the encrypted flag on a plain member: zipfile fails 'password required', unzip fails "
      "the password check (exit 82); nobody yields the bytes")
def _():
    return simple_zip(Entry("pkg/mod.py", b"print('hello')\n", flags=FLAG_ENCRYPTED))


@case("zip-method-bzip2", "zip", "refuse",
      "compression method 12 (bzip2): zipfile and unzip both decompress it; refused because "
      "wheels are stored/deflate and a member the walker cannot hash must be refused, not "
      "skipped")
def _():
    return simple_zip(Entry("pkg/mod.py", b"print('hello')\n" * 10, method=BZIP2,
                            version=46))


@case("zip-method-unknown", "zip", "refuse",
      "compression method 77: zipfile fails NotImplementedError, unzip skips the member "
      "'unsupported compression method 77' (exit 81)")
def _():
    e = Entry("pkg/mod.py", b"print('hello')\n", method=STORED)
    e.method = 77
    return simple_zip(e)


@case("zip-multi-disk", "zip", "refuse",
      "the end record says disk 1 of a multi-disk set: zipfile ignores it silently, unzip "
      "warns 'zipfile claims to be last disk of a multi-part archive'; a spanned archive is "
      "not a wheel")
def _():
    return simple_zip(*ok_entries(), disk=1, cd_disk=1)


@case("zip-comment-fake-eocd", "zip", "refuse",
      "the archive comment holds a local entry and central directory for `evil.py` and a "
      "fake end record: zipfile and unzip take the fake end record and list only `evil.py`, "
      "a streaming reader lists `pkg/mod.py` and `evil.py`, a reader honouring the real end "
      "record's comment length lists `pkg/mod.py`")
def _():
    z = Zip()
    a = Entry("pkg/mod.py", b"print('hello')\n")
    z.add(a)
    start = len(z.out)
    cd = central_header(a, 0)
    real_eocd_at = start + len(cd)
    comment_at = real_eocd_at + 22
    evil = Entry("evil.py", b"import os\n")
    hidden_local = local_header(evil) + evil.payload
    hidden_cd = central_header(evil, comment_at)
    fake_eocd = end_record(1, len(hidden_cd), comment_at + len(hidden_local))
    comment = hidden_local + hidden_cd + fake_eocd + b"trailing"
    return z.finish(comment)


@case("zip64-count-mismatch", "zip", "refuse",
      "the zip64 end record counts 2 entries, the classic one 1 (with a 1-entry size): "
      "zipfile takes zip64 and lists 2, unzip lists 2 and fails (exit 3, 'reported length "
      "of central directory is -132 bytes too long'), the zip crate lists 1")
def _():
    z = Zip()
    a, b = ok_entries()
    z.add(a)
    first_cd = len(z.cd[0])
    z.add(b)
    return z.finish(count=1, cd_size=first_cd, zip64=(2, first_cd + len(z.cd[1])))


@case("zip-local-only-entry", "zip", "refuse",
      "a complete local entry `evil.py` between two entries and in no central entry: "
      "zipfile and unzip never see it, a streaming reader (local-header scan, e.g. `bsdtar "
      "-xf -`) extracts it")
def _():
    z = Zip()
    a, b = ok_entries()
    z.add(a)
    z.local(Entry("evil.py", b"import os\n"))
    z.add(b)
    return z.finish()


@case("zip-file-and-dir", "zip", "refuse",
      "`pkg/x` as a file and `pkg/x/` as a directory: zipfile and unzip list both; "
      "extracting, unzip fails 'pkg/x exists but is not directory' and zipfile "
      "FileExistsError")
def _():
    return simple_zip(Entry("pkg/x", b"x = 1\n"), directory("pkg/x/"))


@case("zip-dot-segment", "zip", "refuse",
      "`a/./b.py` next to `a/b.py`: zipfile and unzip list two names, unzip writes one file "
      "`a/b.py` holding the second's bytes")
def _():
    return simple_zip(Entry("a/b.py", b"x = 1\n"), Entry("a/./b.py", b"x = 2\n"))


@case("zip-double-slash", "zip", "refuse",
      "`a//b.py` next to `a/b.py`: zipfile and unzip list two names, extraction writes one "
      "file `a/b.py`")
def _():
    return simple_zip(Entry("a/b.py", b"x = 1\n"), Entry("a//b.py", b"x = 2\n"))


@case("zip-empty-name", "zip", "refuse",
      "an entry with an empty name: zipfile lists `` and its extractall fails (IndexError), "
      "unzip's listing repeats the previous name and its extraction overwrites `pkg/mod.py` "
      "with the 4 bytes")
def _():
    return simple_zip(Entry("pkg/mod.py", b""), Entry(b"", b"data"))


@case("zip-dir-with-data", "zip", "refuse",
      "a directory entry `pkg/` carrying 12 bytes: zipfile and unzip list a directory and "
      "drop the bytes silently (hidden content)")
def _():
    d = Entry("pkg/", b"hidden bytes", mode=0o040755)
    return simple_zip(d, Entry("pkg/mod.py", b""))


# === zip: accept ===============================================================================

@case("zip-wheel", "zip", "accept", "a normal wheel written by zipfile (dist-info, RECORD)")
def _():
    return zipfile_bytes(wheel_files())


@case("zip-data-descriptors", "zip", "accept",
      "a wheel written by zipfile to a non-seekable stream: every entry has a data descriptor")
def _():
    return zipfile_bytes(wheel_files(), stream=True)


@case("zip64-forced", "zip", "accept",
      "a wheel written with force_zip64=True: zip64 extra fields on small members")
def _():
    return zipfile_bytes(wheel_files(), zip64=True)


@case("zip-empty", "zip", "accept", "an empty zip (the 22-byte end record alone)")
def _():
    return zipfile_bytes({})


@case("zip-explicit-dirs", "zip", "accept", "a wheel with explicit directory entries")
def _():
    files = {"demo/": None, "demo/sub/": None}
    files.update(wheel_files())
    files["demo/sub/data.txt"] = b"data\n"
    return zipfile_bytes(files)


@case("zip-symlink-inside", "zip", "accept",
      "a Unix symlink `pkg/link -> mod.py` that stays inside (zipfile sees a file holding "
      "`mod.py`, unzip a symlink)")
def _():
    return simple_zip(Entry("pkg/mod.py", b"x = 1\n"), symlink("pkg/link", "mod.py"))


@case("zip-wheel-comment", "zip", "accept", "a wheel with an archive comment")
def _():
    return zipfile_bytes(wheel_files(), comment=b"built reproducibly")


@case("zip-stored", "zip", "accept", "a wheel whose members are stored, not deflated")
def _():
    return zipfile_bytes(wheel_files(), compression=zipfile.ZIP_STORED)


@case("zip-utf8-name", "zip", "accept", "a UTF-8 member name (`café.py`) with the UTF-8 flag")
def _():
    files = wheel_files()
    files["demo/café.py"] = b"x = 1\n"
    return zipfile_bytes(files)


# === tar: refuse ===============================================================================

@case("tgz-second-gzip-member-traversal", "tar.gz", "refuse",
      "a second gzip member after a complete tar holds `../../../evil`: tarfile and GNU tar "
      "stop at the end blocks and list 2, `tar -i` (--ignore-zeros) lists `../../../evil` "
      "too; tarfile warns of non-zero data it never read")
def _():
    first = tar_stream(*ok_tar_blocks())
    second = tar_stream(tar_file("../../../evil", b"import os\n"))
    return gz(first) + gz(second)


@case("tgz-multistream-no-end-blocks", "tar.gz", "refuse",
      "a first gzip member with headers and no end blocks, a second with "
      "`pkg-1.0/hidden.py`: tarfile and GNU tar read both gzip members and list 3; a "
      "single-member gzip decoder lists 2")
def _():
    first = b"".join(ok_tar_blocks())
    second = tar_stream(tar_file("pkg-1.0/hidden.py", b"import os\n"))
    return gz(first) + gz(second)


@case("tar-data-after-end", "tar.gz", "refuse",
      "a member header after the two end blocks: tarfile and GNU tar stop and list 2, `tar "
      "-i` also lists `pkg-1.0/hidden.py`")
def _():
    return gz(tar_stream(*ok_tar_blocks(), END, tar_file("pkg-1.0/hidden.py", b"x\n"),
                         end=False))


@case("tar-lone-zero-block", "tar.gz", "refuse",
      "one zero block then `pkg-1.0/hidden.py`: tarfile stops silently at the zero block, "
      "GNU tar warns 'A lone zero block' and stops; a reader needing two zero blocks lists "
      "`hidden.py`")
def _():
    return gz(tar_stream(*ok_tar_blocks(), b"\x00" * 512,
                         tar_file("pkg-1.0/hidden.py", b"x\n")))


@case("tgz-bad-crc", "tar.gz", "refuse",
      "the gzip trailer's CRC is wrong: GNU tar fails (gzip 'invalid compressed data--crc "
      "error', exit 2), tarfile stops at the end blocks, never reads the trailer and passes")
def _():
    data = tar_stream(*ok_tar_blocks())
    return gz(data, crc=zlib.crc32(data) ^ 0xFFFF)


@case("tgz-bad-isize", "tar.gz", "refuse",
      "the gzip trailer's ISIZE is wrong: GNU tar fails (gzip 'length error', exit 2), "
      "tarfile passes without reading the trailer")
def _():
    data = tar_stream(*ok_tar_blocks())
    return gz(data, isize=len(data) + 1)


@case("tgz-trailing-garbage", "tar.gz", "refuse",
      "non-gzip bytes after the gzip member: GNU tar fails (gzip 'trailing garbage "
      "ignored', exit 2), tarfile passes without reading them")
def _():
    return gz(tar_stream(*ok_tar_blocks())) + b"this is not gzip\n" * 4


@case("tar-gnu-longname-huge", "tar.gz", "refuse",
      "a GNU long name of 1 MiB + 1 bytes: tarfile and GNU tar read it whole and list the "
      "name; over any sane cap on a path (memory per header is attacker-chosen)")
def _():
    name = b"pkg-1.0/" + b"a" * (1024 * 1024 + 1 - 8)
    return gz(tar_stream(gnu_long(name), tar_file("pkg-1.0/short", b"x\n", magic=GNU)))


@case("tar-pax-huge", "tar.gz", "refuse",
      "a 2 MiB pax header (one `comment` record): tarfile and GNU tar read it whole; memory "
      "per header is attacker-chosen")
def _():
    return gz(tar_stream(pax([("comment", b"c" * (2 * 1024 * 1024))]),
                         tar_file("pkg-1.0/setup.py", b"x\n")))


@case("tar-pax-path-traversal", "tar.gz", "refuse",
      "pax `path=../../evil` on `pkg-1.0/ok.py`: tarfile and GNU tar list `../../evil` (GNU "
      "tar strips `../../` on extract); README refuses `..` paths")
def _():
    return gz(tar_stream(pax([("path", "../../evil")]), tar_file("pkg-1.0/ok.py", b"x\n")))


@case("tar-pax-path-nul", "tar.gz", "refuse",
      "pax `path=pkg-1.0/ok.py\\0../../evil`: tarfile keeps the NUL and everything after "
      "it, GNU tar cuts at the NUL (`pkg-1.0/ok.py`)")
def _():
    return gz(tar_stream(pax([("path", b"pkg-1.0/ok.py\x00../../evil")]),
                         tar_file("pkg-1.0/x.py", b"x\n")))


@case("tar-gnu-and-pax-name", "tar.gz", "refuse",
      "a GNU long name `gnu/name.py`, then a pax path `pax/name.py`, then a header "
      "`ustar/name.py`: tarfile lists `gnu/name.py`, GNU tar `pax/name.py`")
def _():
    return gz(tar_stream(gnu_long("pkg-1.0/gnu/name.py"), pax([("path", "pkg-1.0/pax/name.py")]),
                         tar_file("pkg-1.0/ustar/name.py", b"x\n")))


@case("tar-two-gnu-longnames", "tar.gz", "refuse",
      "two GNU long names (`first.py`, `second.py`) before one header: tarfile lists "
      "`first.py`, GNU tar `second.py`")
def _():
    return gz(tar_stream(gnu_long("pkg-1.0/first.py"), gnu_long("pkg-1.0/second.py"),
                         tar_file("pkg-1.0/short.py", b"x\n", magic=GNU)))


@case("tar-longname-at-end", "tar.gz", "refuse",
      "a GNU long name with no header after it: tarfile fails ('end of file header'), GNU "
      "tar ignores it silently")
def _():
    return gz(tar_stream(*ok_tar_blocks(), gnu_long("pkg-1.0/orphan-name.py")))


@case("tar-pax-global-path", "tar.gz", "refuse",
      "a pax global header (`g`) with `path=evil.py` before `pkg-1.0/ok.py`: tarfile and "
      "GNU tar both apply it and list `evil.py`; a reader ignoring global headers lists "
      "`pkg-1.0/ok.py`")
def _():
    return gz(tar_stream(pax([("path", "evil.py")], typeflag=b"g", name="pax_global_header"),
                         tar_file("pkg-1.0/ok.py", b"x\n")))


@case("tar-pax-duplicate-keys", "tar.gz", "refuse",
      "one pax header with `path=pkg-1.0/a.py` then `path=pkg-1.0/b.py`: tarfile and GNU "
      "tar take the last (`b.py`), a reader taking the first lists `a.py`")
def _():
    return gz(tar_stream(pax([("path", "pkg-1.0/a.py"), ("path", "pkg-1.0/b.py")]),
                         tar_file("pkg-1.0/c.py", b"x\n")))


@case("tar-ustar-prefix-traversal", "tar.gz", "refuse",
      "the ustar prefix `../..` plus name `evil.py`: tarfile and GNU tar join them into "
      "`../../evil.py`; a reader ignoring the prefix lists `evil.py`")
def _():
    return gz(tar_stream(tar_file("evil.py", b"import os\n", prefix=b"../..")))


@case("tar-pax-linkpath-escape", "tar.gz", "refuse",
      "a symlink whose header target is `setup.py` and whose pax `linkpath` is `../../etc`: "
      "tarfile and GNU tar both use `../../etc`, which leaves the archive")
def _():
    return gz(tar_stream(*ok_tar_blocks(), pax([("linkpath", "../../etc")]),
                         tar_symlink("pkg-1.0/link", "setup.py")))


@case("tar-hardlink-with-data", "tar.gz", "refuse",
      "a hard link declaring 512 bytes that hold a header for `pkg-1.0/evil.py`: tarfile "
      "and GNU tar 1.34 both treat the link as data-less and list (and extract) `evil.py`; "
      "a reader that skips by the size field does not")
def _():
    hidden = tar_header("pkg-1.0/evil.py", size=0)
    link = tar_header("pkg-1.0/link", typeflag=b"1", linkname="pkg-1.0/setup.py", size=512)
    return gz(tar_stream(*ok_tar_blocks(), link, hidden))


@case("tar-dir-with-data", "tar.gz", "refuse",
      "a directory declaring 512 bytes that hold a header for `pkg-1.0/evil.py`: tarfile "
      "and GNU tar both list and extract `evil.py`; a reader that skips by the size field "
      "does not")
def _():
    hidden = tar_header("pkg-1.0/evil.py", size=0)
    d = tar_header("pkg-1.0/sub/", typeflag=b"5", mode=0o755, size=512)
    return gz(tar_stream(*ok_tar_blocks(), d, hidden))


@case("tar-regtype-trailing-slash", "tar.gz", "refuse",
      "an old-style regular file (type NUL) named `pkg-1.0/data/`: tarfile and GNU tar make "
      "it a directory; a reader going by the type flag lists a file")
def _():
    return gz(tar_stream(*ok_tar_blocks(), tar_header("pkg-1.0/data/", typeflag=b"\x00")))


@case("tar-unknown-type", "tar.gz", "refuse",
      "type flag `Z`: tarfile and GNU tar extract it as a regular file (GNU tar warns "
      "'Unknown file type'); a reader skipping unknown types drops it")
def _():
    return gz(tar_stream(*ok_tar_blocks(), tar_file("pkg-1.0/odd", b"payload\n", typeflag=b"Z")))


@case("tar-gnu-sparse", "tar.gz", "refuse",
      "a GNU sparse member (5 bytes stored at offset 1024, real size 2048): tarfile "
      "extracts 2048 bytes, GNU tar 1029")
def _():
    sparse = octal(1024, 12) + octal(5, 12)
    tail = bytearray(155)
    tail[386 - 345:386 - 345 + 24] = sparse
    tail[483 - 345:483 - 345 + 12] = octal(2048, 12)
    h = tar_header("pkg-1.0/sparse.bin", size=5, typeflag=b"S", magic=GNU,
                   gnu_tail=bytes(tail))
    return gz(tar_stream(*ok_tar_blocks(), h + pad(b"hello")))


@case("tar-fifo", "tar.gz", "refuse",
      "a FIFO member: tarfile and GNU tar create a FIFO (reading it blocks); not a file")
def _():
    return gz(tar_stream(*ok_tar_blocks(), tar_header("pkg-1.0/fifo", typeflag=b"6")))


@case("tar-chardev", "tar.gz", "refuse",
      "a character device 1,3 (/dev/null): as root, tarfile and GNU tar create the device "
      "node")
def _():
    return gz(tar_stream(*ok_tar_blocks(),
                         tar_header("pkg-1.0/null", typeflag=b"3", devmajor=1, devminor=3)))


@case("tar-blockdev", "tar.gz", "refuse",
      "a block device 8,0 (/dev/sda): as root, tarfile and GNU tar create the device node")
def _():
    return gz(tar_stream(*ok_tar_blocks(),
                         tar_header("pkg-1.0/disk", typeflag=b"4", devmajor=8, devminor=0)))


@case("tar-absolute-name", "tar.gz", "refuse",
      "`/tmp/evil.py`: tarfile lists it as is, GNU tar warns and strips the `/`; README "
      "refuses absolute paths")
def _():
    return gz(tar_stream(tar_file("/tmp/evil.py", b"import os\n")))


@case("tar-dotdot-name", "tar.gz", "refuse",
      "`pkg-1.0/../../evil.py`: tarfile lists it, GNU tar strips `pkg-1.0/../../` with a "
      "warning; README refuses `..` paths")
def _():
    return gz(tar_stream(*ok_tar_blocks(), tar_file("pkg-1.0/../../evil.py", b"import os\n")))


@case("tar-symlink-escape", "tar.gz", "refuse",
      "symlink `pkg-1.0/etc -> ../../etc`: tarfile and GNU tar create a link out of the "
      "tree; README refuses links leaving the archive")
def _():
    return gz(tar_stream(*ok_tar_blocks(), tar_symlink("pkg-1.0/etc", "../../etc")))


@case("tar-symlink-chain", "tar.gz", "refuse",
      "`d/x -> ..` and `d/x/y -> ..` each look inside textually: tarfile (3.11, no filter) "
      "writes `y -> ..` through `d/x` into the root, a link to the parent of the extraction "
      "directory; GNU tar fails 'Not a directory'")
def _():
    return gz(tar_stream(tar_dir("d/"), tar_symlink("d/x", ".."), tar_symlink("d/x/y", "..")))


@case("tar-symlink-write-through", "tar.gz", "refuse",
      "`d/link -> ..` then `d/link/evil.py`: tarfile (no filter) writes `evil.py` through "
      "the link into the root, GNU tar fails 'Cannot open: Not a directory'")
def _():
    return gz(tar_stream(tar_dir("d/"), tar_symlink("d/link", ".."),
                         tar_file("d/link/evil.py", b"import os\n")))


@case("tar-hardlink-missing", "tar.gz", "refuse",
      "a hard link to `pkg-1.0/nonexistent`: tarfile fails (KeyError), GNU tar lists it and "
      "fails to extract it ('Cannot hard link')")
def _():
    return gz(tar_stream(*ok_tar_blocks(), tar_hardlink("pkg-1.0/link", "pkg-1.0/nonexistent")))


@case("tar-hardlink-escape", "tar.gz", "refuse",
      "a hard link to `../x`: tarfile fails (KeyError), GNU tar strips the `../`; the "
      "target is outside the archive")
def _():
    return gz(tar_stream(*ok_tar_blocks(), tar_hardlink("pkg-1.0/link", "../x")))


@case("tar-bad-checksum-middle", "tar.gz", "refuse",
      "the second of three headers has a bad checksum: tarfile stops silently after the "
      "first member, GNU tar skips to the next header, lists the third and fails (exit 2)")
def _():
    return gz(tar_stream(tar_file("pkg-1.0/a.py", b"a\n"),
                         tar_file("pkg-1.0/b.py", b"b\n", bad_checksum=True),
                         tar_file("pkg-1.0/c.py", b"c\n")))


@case("tar-size-embedded-space", "tar.gz", "refuse",
      "a size field `0000 000003`: tarfile rejects the header and stops silently after 2 "
      "members, GNU tar reads size 0, then parses the data as a header and fails 'Skipping "
      "to next header'")
def _():
    h = tar_header("pkg-1.0/a.py", size_field=b"0000 000003\x00")
    return gz(tar_stream(*ok_tar_blocks(), h + pad(b"ab\n"), tar_file("pkg-1.0/b.py", b"b\n")))


@case("tar-duplicate-names", "tar.gz", "refuse",
      "`pkg-1.0/setup.py` twice with different bytes: tarfile and GNU tar list both and the "
      "last wins on disk; README refuses duplicate names")
def _():
    return gz(tar_stream(*ok_tar_blocks(), tar_file("pkg-1.0/setup.py", b"import os\n")))


@case("tar-file-and-dir", "tar.gz", "refuse",
      "`pkg-1.0/x` as a file then `pkg-1.0/x/` as a directory: GNU tar replaces the file "
      "with the directory, tarfile keeps the file")
def _():
    return gz(tar_stream(*ok_tar_blocks(), tar_file("pkg-1.0/x", b"x\n"), tar_dir("pkg-1.0/x/")))


# === tar: accept ===============================================================================

@case("tgz-sdist-pax", "tar.gz", "accept",
      "an sdist written by tarfile (PAX_FORMAT) with a path over 100 bytes (a pax header)")
def _():
    members = sdist_members()
    long = "demo-1.0/src/demo/" + "deeply/" * 14 + "nested.py"
    assert len(long) > 100
    members.append((tarinfo(long, 3), b"x\n\n"))
    return gz(tarfile_bytes(members))


@case("tgz-gnu-longname", "tar.gz", "accept",
      "a crate-like tar.gz written by tarfile (GNU_FORMAT) with a GNU long name under 1 KiB")
def _():
    members = sdist_members("demo-0.1.0")
    long = "demo-0.1.0/src/" + "module_" * 30 + ".rs"
    members.append((tarinfo(long, 3), b"//\n"))
    return gz(tarfile_bytes(members, tarfile.GNU_FORMAT))


@case("tgz-record-padding", "tar.gz", "accept",
      "trailing zero blocks beyond the two end blocks (a 10240-byte record, as GNU tar "
      "writes), built by hand")
def _():
    return gz(tar_stream(*ok_tar_blocks(), END, END))


@case("tgz-dot-slash", "tar.gz", "accept",
      "a `./`-prefixed tar (`./`, `./pkg/`, `./pkg/a.py`), as `tar -C dir -c .` writes")
def _():
    return gz(tar_stream(tar_dir("./"), tar_dir("./pkg/"), tar_file("./pkg/a.py", b"a = 1\n")))


@case("tgz-links-inside", "tar.gz", "accept",
      "a symlink `pkg-1.0/link -> setup.py` and a hard link to an earlier file")
def _():
    return gz(tar_stream(*ok_tar_blocks(), tar_symlink("pkg-1.0/link", "setup.py"),
                         tar_hardlink("pkg-1.0/hard", "pkg-1.0/setup.py")))


@case("tgz-gzip-fname", "tar.gz", "accept", "a gzip header with FNAME set (`demo-1.0.tar`)")
def _():
    return gz(tarfile_bytes(sdist_members()), fname=b"demo-1.0.tar")


@case("tgz-base256-size", "tar.gz", "accept",
      "a small file whose size field is base-256 (0x80 prefix): tarfile and GNU tar agree")
def _():
    size = b"\x80" + (7).to_bytes(11, "big")
    h = tar_header("pkg-1.0/b256.py", size_field=size, magic=GNU)
    return gz(tar_stream(*ok_tar_blocks(), h + pad(b"b = 256")))


@case("tgz-pax-size-override", "tar.gz", "accept",
      "a pax `size=512` on a header declaring 0 bytes, whose 512 bytes of data look like a "
      "header for `pkg-1.0/evil.py`: tarfile and GNU tar honour pax (one 512-byte file); a "
      "reader that ignored it would list `evil.py`")
def _():
    hidden = tar_header("pkg-1.0/evil.py", size=0)
    return gz(tar_stream(*ok_tar_blocks(), pax([("size", "512")]),
                         tar_header("pkg-1.0/blob.bin", size=0), hidden))


@case("tgz-empty", "tar.gz", "accept", "an empty tar.gz (end blocks and padding only)")
def _():
    return gz(tarfile_bytes([]))


@case("tar-plain-sdist", "tar", "accept", "an uncompressed sdist tar written by tarfile")
def _():
    return tarfile_bytes(sdist_members())


def main(argv):
    if len(argv) != 2:
        sys.exit(__doc__)
    out = argv[1]
    os.makedirs(out, exist_ok=True)
    cases, seen = [], {}
    for c in CASES:
        data = c["build"]()
        digest = hashlib.sha256(data).hexdigest()
        assert digest not in seen, f"{c['name']} has the same bytes as {seen[digest]}"
        seen[digest] = c["name"]
        with open(os.path.join(out, c["file"]), "wb") as f:
            f.write(data)
        cases.append({k: c[k] for k in ("name", "file", "format", "expect", "why")})
    names = [c["name"] for c in cases]
    assert len(set(names)) == len(names), "duplicate case names"
    with open(os.path.join(out, "cases.json"), "w", encoding="utf-8") as f:
        json.dump(cases, f, indent=1, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    main(sys.argv)
