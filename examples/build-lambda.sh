#!/bin/sh
# Build every AWS Lambda function of a tree of locked requirements, reproducibly.
#
#   repro build LOCKS… --target lambda-python3.12-x86_64 --output dist -- \
#       examples/build-lambda.sh REPRO_BINARY FUNCTIONS_DIR dist
#
# For each FUNCTIONS_DIR/**/requirements.txt: pip installs the locked requirements from the
# wheelhouse repro exported (no index, hashes required, wheels only, for the Lambda platform
# and Python version rather than the host's, no .pyc), into build/<function>/, and
# `repro pack` turns that folder into dist/<function>.zip with normalized metadata.
# repro build hands this script REPRO_WHEELHOUSE, REPRO_PLATFORMS, REPRO_PYTHON_VERSION and
# SOURCE_DATE_EPOCH in a normalized environment.
#
# pip writes the absolute path of the interpreter that ran it into the shebang of every
# console script it installs (`#!/root/.pyenv/versions/3.11.7/bin/python3.11`): a host path,
# other on every machine and absent from the Lambda runtime, which `repro build` reports as a
# hazard. Those shebangs are rewritten to `#!/usr/bin/env python3` (the runtime's interpreter
# is on its PATH), and the installed RECORD files' hashes follow, so the zips carry no host path.
set -eu
# A packed archive is a public file created under the umask, as `cp` or `zip` would create it;
# fix the umask so that the outputs' modes are the same on every machine (`--vary` varies it).
umask 022
repro=$1
functions=$2
dist=$3
: "${REPRO_WHEELHOUSE:?run me through repro build}"
platforms=""
for p in $REPRO_PLATFORMS; do platforms="$platforms --platform $p"; done
rm -rf build "$dist"
mkdir -p build "$dist"
find "$functions" -name requirements.txt | LC_ALL=C sort | while read -r req; do
    fn=$(dirname "$req" | sed "s|^$functions/||; s|/|-|g")
    mkdir -p "build/$fn"
    if grep -q '==' "$req"; then
        # shellcheck disable=SC2086
        python3 -m pip install --quiet --no-index --find-links "$REPRO_WHEELHOUSE" \
            --require-hashes --only-binary=:all: --no-compile --no-deps \
            $platforms --python-version "$REPRO_PYTHON_VERSION" --implementation cp \
            --target "build/$fn" -r "$req"
        python3 - "build/$fn" <<'PY'
import base64, hashlib, os, re, sys

root = sys.argv[1]
bin_dir = os.path.join(root, "bin")
portable = b"#!/usr/bin/env python3\n"
# `#!/abs/path/python3.11`, or distlib's launcher for a path too long for a shebang:
# `#!/bin/sh`, then `'''exec' /abs/path/python3.11 "$0" "$@"`, then `' '''`.
shebang = re.compile(
    rb"#![ \t]*/\S*python[0-9.]*(?:[ \t][^\n]*)?\n"
    rb"|#!/bin/sh\n'''exec' [^\n]*\n' '''\n"
)
fixed = {}
names = sorted(os.listdir(bin_dir)) if os.path.isdir(bin_dir) else []
for name in names:
    path = os.path.join(bin_dir, name)
    if os.path.islink(path) or not os.path.isfile(path):
        continue
    with open(path, "rb") as f:
        data = f.read()
    m = shebang.match(data)
    if m:
        data = portable + data[m.end():]
        with open(path, "wb") as f:
            f.write(data)
        fixed[name] = data
# RECORD lists each console script as `../../bin/NAME,sha256=…,SIZE`.
for top, _, files in os.walk(root):
    if not fixed or not (top.endswith(".dist-info") and "RECORD" in files):
        continue
    record = os.path.join(top, "RECORD")
    with open(record, "rb") as f:
        lines = f.read().split(b"\n")
    for i, line in enumerate(lines):
        path = line.split(b",", 1)[0].decode()
        parts = path.split("/")
        if path.startswith("../") and parts[-2:-1] == ["bin"] and parts[-1] in fixed:
            data = fixed[parts[-1]]
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
            lines[i] = b"%s,sha256=%s,%d" % (path.encode(), digest, len(data))
    with open(record, "wb") as f:
        f.write(b"\n".join(lines))
PY
    fi
    "$repro" pack -q "build/$fn" "$dist/$fn.zip"
done
