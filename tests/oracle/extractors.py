#!/usr/bin/env python3
"""What real extractors see in an archive: test oracle for `repro store verify --deep`.

    python3 tests/oracle/extractors.py FILE...

Prints one JSON object:

    {"tools": {"python": "3.11.7", "unzip": "UnZip 6.00 …", "gnu-tar": "tar (GNU tar) 1.34"},
     "missing": ["unzip"],
     "files": {FILE: {EXTRACTOR: {"ok": bool, "error": "…", "warnings": ["…"],
                                  "members": [{"path", "kind", "size", "sha256"?, "link"?,
                                               "symlink_as_file"?}]}}}}

Zips (`.whl`, `.zip`) go to `python-zipfile` and `unzip`; tars (`.tar.gz`, `.tgz`, `.crate`,
`.tar`) to `python-tarfile` and `gnu-tar`. An extractor whose tool is not installed is left
out and named in `missing`.

Nothing is extracted to disk (a hostile archive's links can write outside any temporary
directory, and CI runs as root): each tool lists the archive and hands member bytes over in
memory or on a pipe.

- python-zipfile: `infolist()`, then every non-directory member read through `open()` (which
  checks its CRC). zipfile knows no symlinks: a Unix symlink (made by Unix, `S_IFLNK` in the
  external attributes) is a file whose content is the link target; such members carry
  `"symlink_as_file": true` and a warning.
- unzip: `zipinfo -l -T` for the listing (kind from the name's trailing `/` and the Unix mode),
  `unzip -t` for the integrity check, `unzip -p` per member for the bytes (a symlink's bytes
  are its target). Exit status 1 is a warning, 2 and above an error. A password is always
  given (`-P`), so an encrypted member fails instead of prompting.
- python-tarfile: iteration (`next()`), then `extractfile()` for every regular member; hard
  links are checked by resolving their target. tarfile stops silently at the first zero block
  or at a header it cannot parse; non-zero bytes it never reached, and gzip errors met when
  reading on to the end, are reported as warnings.
- gnu-tar: `tar -tv --full-time --numeric-owner --quoting-style=escape` for the listing
  (`name -> target` for symlinks, `name link to target` for hard links), `tar -xO
  --occurrence=N` per file for the bytes. Exit status 2 is an error; every stderr line is a
  warning.

Paths are reported as each tool gives them; bytes that are not UTF-8 appear as `\\xNN`.
"""
import hashlib
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tarfile
import tempfile
import zipfile

PASSWORD = "repro-oracle-no-password"
TIMEOUT = 300
ENV = dict(os.environ, LC_ALL="C.UTF-8", TZ="UTC")


def text(s):
    """A str safe for JSON: undecodable bytes (surrogate escapes) become `\\xNN`."""
    if isinstance(s, bytes):
        return s.decode("utf-8", "backslashreplace")
    return s.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def result():
    return {"ok": True, "error": "", "warnings": [], "members": []}


def fail(r, message):
    r["ok"] = False
    r["error"] = message if not r["error"] else r["error"] + "; " + message


def digest(stream):
    h, n = hashlib.sha256(), 0
    for chunk in iter(lambda: stream.read(1 << 20), b""):
        h.update(chunk)
        n += len(chunk)
    return h.hexdigest(), n


def run(argv, **kw):
    return subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, env=ENV,
                          timeout=TIMEOUT, **kw)


def lines(b):
    return [text(line) for line in b.splitlines() if line.strip()]


# --- zip ---------------------------------------------------------------------------------------

def python_zipfile(path):
    r = result()
    try:
        zf = zipfile.ZipFile(path)
    except Exception as e:  # noqa: BLE001 - any failure to open is the finding
        fail(r, f"{type(e).__name__}: {e}")
        return r
    with zf:
        for info in zf.infolist():
            # Not info.is_dir(): it raises IndexError on an empty name.
            is_dir = info.filename.endswith("/")
            m = {"path": text(info.filename), "kind": "dir" if is_dir else "file",
                 "size": info.file_size}
            mode = info.external_attr >> 16
            if info.create_system == 3 and stat.S_ISLNK(mode) and not is_dir:
                m["symlink_as_file"] = True
                r["warnings"].append(
                    f"{text(info.filename)}: a Unix symlink; zipfile extracts it as a file "
                    "holding the link target")
            if not is_dir:
                try:
                    with zf.open(info) as f:
                        m["sha256"], m["size"] = digest(f)
                except Exception as e:  # noqa: BLE001
                    fail(r, f"{text(info.filename)}: {type(e).__name__}: {e}")
            r["members"].append(m)
    return r


ZIPINFO_LINE = re.compile(
    rb"^(\S+)\s+(\S+)\s+(\S+)\s+(\d+)\s+(\S+)\s+(\d+)\s+(\S+)\s+(\d{8}\.\d{6}) (.*)$")


ZIPINFO_FRAME = re.compile(
    rb"^(Archive: |Zip file size: |\d+ files?, \d+ bytes? uncompressed|Empty zipfile\.$)")


def unzip_pattern(name):
    """unzip takes wildcard patterns; a backslash escapes a character."""
    return re.sub(rb"([\\*?\[\]])", rb"\\\1", name)


def info_zip(path):
    r = result()
    listing = run(["zipinfo", "-l", "-T", path])
    entries, notes = [], lines(listing.stderr)
    for raw in listing.stdout.splitlines():
        m = ZIPINFO_LINE.match(raw)
        if not m:
            if raw.strip() and not ZIPINFO_FRAME.match(raw):
                notes.append(text(raw))
            continue
        perms, host, usize, name = m.group(1), m.group(3), int(m.group(4)), m.group(9)
        if name.endswith(b"/"):
            kind = "dir"
        elif perms.startswith(b"l") and host == b"unx":
            kind = "symlink"
        else:
            kind = "file"
        entries.append((name, kind, usize))
    if listing.returncode >= 2:
        fail(r, f"zipinfo exit {listing.returncode}: " + " | ".join(notes))
    elif notes:
        r["warnings"] += [f"zipinfo: {x}" for x in notes]

    test = run(["unzip", "-t", "-P", PASSWORD, path])
    noise = re.compile(r"^(Archive:|\s+testing: .*OK$|No errors detected)")
    messages = [x for x in lines(test.stdout) if not noise.match(x)] + lines(test.stderr)
    if test.returncode >= 2:
        fail(r, f"unzip -t exit {test.returncode}: " + " | ".join(messages))
    elif test.returncode == 1:
        r["warnings"] += [f"unzip -t: {x}" for x in messages]

    counts = {}
    for name, _, _ in entries:
        counts[name] = counts.get(name, 0) + 1
    for name, kind, usize in entries:
        m = {"path": text(name), "kind": kind, "size": usize}
        if kind != "dir":
            if counts[name] > 1:
                r["warnings"].append(f"{text(name)}: listed {counts[name]} times; unzip -p "
                                     "cannot address the copies separately")
            else:
                p = run(["unzip", "-p", "-P", PASSWORD, path, unzip_pattern(name)])
                if p.returncode >= 2:
                    fail(r, f"unzip -p {text(name)}: exit {p.returncode}: "
                            + " | ".join(lines(p.stderr)))
                else:
                    if p.returncode == 1:
                        r["warnings"] += [f"unzip -p {text(name)}: {x}" for x in lines(p.stderr)]
                    if kind == "symlink":
                        m["link"] = text(p.stdout)
                    else:
                        m["sha256"] = hashlib.sha256(p.stdout).hexdigest()
                        m["size"] = len(p.stdout)
        r["members"].append(m)
    return r


# --- tar ---------------------------------------------------------------------------------------

def python_tarfile(path, fmt):
    r = result()
    try:
        tf = tarfile.open(path, "r:gz" if fmt == "tar.gz" else "r:")
    except Exception as e:  # noqa: BLE001
        fail(r, f"{type(e).__name__}: {e}")
        return r
    with tf:
        infos = []
        try:
            for ti in tf:
                infos.append(ti)
        except Exception as e:  # noqa: BLE001
            fail(r, f"after {len(infos)} members: {type(e).__name__}: {e}")
        for ti in infos:
            m = {"path": text(ti.name), "size": ti.size}
            if ti.isreg():
                m["kind"] = "file"
            elif ti.isdir():
                m["kind"] = "dir"
            elif ti.issym():
                m["kind"], m["link"] = "symlink", text(ti.linkname)
            elif ti.islnk():
                m["kind"], m["link"] = "hardlink", text(ti.linkname)
            elif ti.ischr():
                m["kind"] = "chardev"
            elif ti.isblk():
                m["kind"] = "blockdev"
            elif ti.isfifo():
                m["kind"] = "fifo"
            else:
                m["kind"] = "file"
                r["warnings"].append(f"{text(ti.name)}: unknown type {ti.type!r}, which "
                                     "tarfile extracts as a regular file")
            if m["kind"] in ("file", "hardlink"):
                try:
                    f = tf.extractfile(ti)
                    if f is not None and m["kind"] == "file":
                        m["sha256"], m["size"] = digest(f)
                except Exception as e:  # noqa: BLE001
                    fail(r, f"{text(ti.name)}: {type(e).__name__}: {e}")
            r["members"].append(m)
        # What tarfile never read: where it stopped, to the end of the (decompressed) stream.
        try:
            tf.fileobj.seek(tf.offset)
            rest, nonzero = 0, 0
            for chunk in iter(lambda: tf.fileobj.read(1 << 20), b""):
                rest += len(chunk)
                nonzero += len(chunk) - chunk.count(0)
            if nonzero:
                r["warnings"].append(f"tarfile stopped at byte {tf.offset}; {nonzero} non-zero "
                                     f"bytes follow in the remaining {rest}")
        except Exception as e:  # noqa: BLE001
            r["warnings"].append(f"reading on past byte {tf.offset}: {type(e).__name__}: {e}")
    return r


def unescape(s):
    """Undo `--quoting-style=escape` (C escapes, octal for other bytes)."""
    out, i = bytearray(), 0
    simple = {ord("a"): 7, ord("b"): 8, ord("f"): 12, ord("n"): 10, ord("r"): 13, ord("t"): 9,
              ord("v"): 11}
    while i < len(s):
        c = s[i]
        if c == ord("\\") and i + 1 < len(s):
            octal = re.match(rb"[0-7]{1,3}", s[i + 1:i + 4])
            if octal:
                out.append(int(octal.group(0), 8) & 0xFF)
                i += 1 + len(octal.group(0))
                continue
            out.append(simple.get(s[i + 1], s[i + 1]))
            i += 2
            continue
        out.append(c)
        i += 1
    return bytes(out)


TAR_LINE = re.compile(rb"^(\S)(\S{9}\S*)\s+(\S+)\s+(\S+)\s+(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) (.*)$")
UNKNOWN_TYPE = re.compile(rb" unknown file type \S+$")
TAR_KINDS = {b"-": "file", b"d": "dir", b"l": "symlink", b"h": "hardlink", b"c": "chardev",
             b"b": "blockdev", b"p": "fifo"}


def gnu_tar(path, fmt):
    r = result()
    z = ["-z"] if fmt == "tar.gz" else []
    listing = run(["tar", "-t", "-v", "--full-time", "--numeric-owner", "--quoting-style=escape",
                   *z, "-f", path])
    r["warnings"] += lines(listing.stderr)
    if listing.returncode >= 2:
        fail(r, f"tar -t exit {listing.returncode}")
    seen = {}
    for raw in listing.stdout.splitlines():
        m = TAR_LINE.match(raw)
        if not m:
            r["warnings"].append(f"unparsed listing line: {text(raw)}")
            continue
        kind = TAR_KINDS.get(m.group(1), "other:" + text(m.group(1)))
        size = int(m.group(4)) if m.group(4).isdigit() else 0
        rest, link = m.group(6), None
        unknown = UNKNOWN_TYPE.search(rest)
        if m.group(1) == b"?" and unknown:
            # GNU tar extracts an unknown type as a regular file, with a warning.
            rest, kind = rest[:unknown.start()], "file"
            r["warnings"].append(f"{text(unescape(rest))}: unknown file type, which GNU tar "
                                 "extracts as a regular file")
        if kind == "symlink" and b" -> " in rest:
            rest, link = rest.split(b" -> ", 1)
        elif kind == "hardlink" and b" link to " in rest:
            rest, link = rest.split(b" link to ", 1)
        name = unescape(rest)
        member = {"path": text(name), "kind": kind, "size": size}
        if link is not None:
            member["link"] = text(unescape(link))
        if kind == "file":
            seen[name] = seen.get(name, 0) + 1
            with tempfile.NamedTemporaryFile() as names:
                names.write(name + b"\x00")
                names.flush()
                p = run(["tar", "-x", "-O", *z, "-P", "--no-wildcards",
                         f"--occurrence={seen[name]}", "--null", "--verbatim-files-from",
                         "-T", names.name, "-f", path])
            if p.returncode >= 2:
                fail(r, f"tar -xO {text(name)}: exit {p.returncode}")
            r["warnings"] += [f"tar -xO {text(name)}: {x}" for x in lines(p.stderr)]
            if p.returncode < 2:
                member["sha256"] = hashlib.sha256(p.stdout).hexdigest()
                member["size"] = len(p.stdout)
        r["members"].append(member)
    return r


# --- driver ------------------------------------------------------------------------------------

def archive_format(path):
    name = path.lower()
    if name.endswith((".whl", ".zip")):
        return "zip"
    if name.endswith((".tar.gz", ".tgz", ".crate")):
        return "tar.gz"
    if name.endswith(".tar"):
        return "tar"
    with open(path, "rb") as f:
        head = f.read(2)
    return "tar.gz" if head == b"\x1f\x8b" else "zip" if head == b"PK" else "tar"


def tools():
    found = {"python": sys.version.split()[0]}
    if shutil.which("unzip") and shutil.which("zipinfo"):
        found["unzip"] = text(run(["unzip", "-v"]).stdout).splitlines()[0]
    tar = shutil.which("tar")
    if tar:
        version = text(run(["tar", "--version"]).stdout).splitlines()
        if version and "GNU tar" in version[0]:
            found["gnu-tar"] = version[0]
    return found


def main(files):
    found = tools()
    missing = [t for t in ("unzip", "gnu-tar") if t not in found]
    report = {"tools": found, "missing": missing, "files": {}}
    for path in files:
        fmt = archive_format(path)
        views = {}
        if fmt == "zip":
            views["python-zipfile"] = python_zipfile(path)
            if "unzip" in found:
                views["unzip"] = info_zip(path)
        else:
            views["python-tarfile"] = python_tarfile(path, fmt)
            if "gnu-tar" in found:
                views["gnu-tar"] = gnu_tar(path, fmt)
        report["files"][path] = views
    json.dump(report, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
