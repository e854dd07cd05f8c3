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
    fi
    "$repro" pack -q "build/$fn" "$dist/$fn.zip"
done
