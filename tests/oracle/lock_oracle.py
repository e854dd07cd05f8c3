#!/usr/bin/env python3
"""Generate lockfiles with uv, pip-tools and pip, and record what pip and uv read in them.

The differential test (`tests/integration/differential.rs`) compares repro's parse of each
lock with these references, package by package:

- `pip.json`: what pip's own requirements-file parser (`pip._internal.req.req_file`, the code
  `pip install -r` runs) yields for a requirements file, one record per requirement with its
  file and line, name, pinned version, extras, marker (and whether it applies to the reference
  interpreter), hashes, and whether it is editable or a constraint.
- `uv.json`: what `uv pip install --dry-run --no-deps -r FILE` would install into an empty
  virtual environment of the reference interpreter (for requirements files and pylock.toml).

Usage:
    lock_oracle.py generate OUTDIR     # make the locks (needs PyPI), then `reference` each
    lock_oracle.py reference CASEDIR   # (re)write pip.json and uv.json for one case

Run it with a Python that has pip (>= 25.1, for `pip lock`), uv and pip-tools installed;
`uv` and `pip-compile` are taken from the same environment as the interpreter. Each case
directory gets a `COMMAND` file with the exact command that generated its lock. Nothing here
installs anything: uv runs with `--dry-run`, pip's parser only reads.
"""

import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

BIN = Path(sys.executable).parent
UV = shutil.which("uv", path=str(BIN)) or shutil.which("uv")
PIP_COMPILE = shutil.which("pip-compile", path=str(BIN)) or shutil.which("pip-compile")

# Resolution is frozen at this date, so regenerating gives the same locks.
EXCLUDE_NEWER = "2025-06-01T00:00:00Z"

# Real packages chosen for what they exercise: extras (requests[socks]), markers
# (colorama on Windows only, exceptiongroup before 3.11), a package with many wheels
# (charset-normalizer), sdist-only history (six has both), and a pure-Python tree.
INPUT = """\
requests[socks]==2.32.3
click==8.1.8
exceptiongroup==1.2.2 ; python_version < "3.11"
"""

PROJECT = """\
[project]
name = "diffdemo"
version = "0.1.0"
requires-python = ">=3.9"
dependencies = ["idna==3.10", "packaging>=24"]

[project.optional-dependencies]
cli = ["click==8.1.8"]

[dependency-groups]
dev = ["iniconfig==2.1.0"]

[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"
"""


def run(args, cwd, env=None):
    """Run a command, failing loudly with its output."""
    full_env = dict(os.environ, **(env or {}))
    p = subprocess.run(args, cwd=cwd, env=full_env, capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed ({p.returncode}):\n{p.stdout}{p.stderr}")
    return p.stdout


def record_command(case, command):
    (case / "COMMAND").write_text(shlex.join(command).replace("'&&'", "&&") + "\n")


def generate(out):
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    case = out / "uv-pip-compile"
    case.mkdir(exist_ok=True)
    (case / "requirements.in").write_text(INPUT)
    cmd = [UV, "pip", "compile", "--generate-hashes", "--universal",
           "--exclude-newer", EXCLUDE_NEWER, "requirements.in", "-o", "requirements.txt"]
    run(cmd, case)
    record_command(case, ["uv", *cmd[1:]])

    case = out / "pip-compile"
    case.mkdir(exist_ok=True)
    (case / "requirements.in").write_text(INPUT)
    cmd = [PIP_COMPILE, "--quiet", "--generate-hashes", "--allow-unsafe", "--strip-extras",
           "--pip-args", f"--uploaded-prior-to {EXCLUDE_NEWER}",
           "requirements.in", "-o", "requirements.txt"]
    run(cmd, case)
    record_command(case, ["pip-compile", *cmd[1:]])

    case = out / "uv-export"
    case.mkdir(exist_ok=True)
    (case / "pyproject.toml").write_text(PROJECT)
    run([UV, "lock", "--exclude-newer", EXCLUDE_NEWER], case)
    cmd = [UV, "export", "--frozen", "--all-extras", "-o", "requirements.txt"]
    run(cmd, case)
    record_command(case, ["uv", "lock", "--exclude-newer", EXCLUDE_NEWER, "&&", "uv", *cmd[1:]])

    case = out / "pip-lock"
    case.mkdir(exist_ok=True)
    (case / "requirements.in").write_text(INPUT)
    cmd = [sys.executable, "-m", "pip", "lock", "--quiet", "--uploaded-prior-to", EXCLUDE_NEWER,
           "-r", "requirements.in", "-o", "pylock.toml"]
    run(cmd, case)
    record_command(case, ["pip", *cmd[3:]])

    for case in sorted(p for p in out.iterdir() if p.is_dir()):
        reference(case)


def pip_view(lock, case):
    """pip's own parse of a requirements file (and its includes)."""
    from pip._internal.network.session import PipSession
    from pip._internal.req.constructors import install_req_from_parsed_requirement
    from pip._internal.req.req_file import parse_requirements

    records = []
    for parsed in parse_requirements(str(lock), session=PipSession()):
        req = install_req_from_parsed_requirement(parsed)
        # comes_from: "-r /abs/path/requirements.txt (line 12)"
        where = parsed.comes_from.split(" ", 1)[1]
        path, line = where.rsplit(" (line ", 1)
        version = None
        if req.req is not None:
            pins = [s for s in req.req.specifier if s.operator in ("==", "===")]
            if len(pins) == 1 and len(req.req.specifier) == 1:
                version = pins[0].version
        if version is None and req.link is not None and req.link.is_wheel:
            version = req.link.filename.split("-")[1]
        records.append({
            "file": os.path.relpath(path, case),
            "line": int(line.rstrip(")")),
            "name": req.name,
            "version": version,
            "extras": sorted(req.extras),
            "marker": str(req.markers) if req.markers else None,
            "applies": bool(req.match_markers()),
            "hashes": sorted(f"{k}:{v}" for k, vs in req.hash_options.items() for v in vs),
            "editable": req.editable,
            "constraint": parsed.constraint,
        })
    return records


def uv_view(lock, case):
    """What `uv pip install --dry-run --no-deps` would install into an empty environment."""
    with tempfile.TemporaryDirectory() as tmp:
        venv = Path(tmp) / "venv"
        run([sys.executable, "-m", "venv", "--without-pip", str(venv)], case)
        out = subprocess.run(
            [UV, "pip", "install", "--dry-run", "--no-deps",
             "--python", str(venv / "bin" / "python"), "-r", str(lock)],
            cwd=case, capture_output=True, text=True)
        if out.returncode != 0:
            raise SystemExit(f"uv could not read {lock}:\n{out.stderr}")
        installs = []
        for line in (out.stdout + out.stderr).splitlines():
            if line.startswith(" + "):
                spec = line[3:].strip()
                if " @ " in spec:
                    # A local project: named by uv from its metadata; its path is the case's.
                    name, _url = spec.split(" @ ", 1)
                    installs.append({"name": name, "version": None, "local": True})
                else:
                    name, version = spec.split("==", 1)
                    installs.append({"name": name, "version": version})
        return sorted(installs, key=lambda r: r["name"])


def reference(case):
    case = Path(case).resolve()
    pyver = ".".join(map(str, sys.version_info[:3]))
    locks = [p for p in ("requirements.txt", "pylock.toml") if (case / p).exists()]
    for name in locks:
        lock = case / name
        if name.endswith(".txt"):
            (case / "pip.json").write_text(json.dumps(
                {"python": pyver, "packages": pip_view(lock, case)}, indent=1) + "\n")
        (case / "uv.json").write_text(json.dumps(
            {"python": pyver, "lock": name, "installs": uv_view(lock, case)}, indent=1) + "\n")


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("generate", "reference"):
        raise SystemExit(__doc__)
    {"generate": generate, "reference": reference}[sys.argv[1]](sys.argv[2])
