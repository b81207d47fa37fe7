#!/usr/bin/env bash
# Installs the tools nobody at pace wrote that tests/consumers_cli.rs feeds
# pace's files to, all from package registries, into this folder (ignored
# by git). Idempotent: a second run with everything in place takes a second.
#
#   node_modules/       parse-jtl (npm), pinned by package-lock.json
#   .venv/              junitparser and xmlschema (PyPI), pinned below
#   xsd/junit-10.xsd    the Jenkins xunit plugin's JUnit schema, as pytest's
#                       source distribution ships it (MIT, Gregory Boissinot)
#
# The Ant JUnit schema (windyroad) is in no registry package: it is
# committed as tests/fixtures/junit/JUnit.xsd with its source and licence.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"

PYTEST_SDIST=8.3.4
PY_PACKAGES=(junitparser==3.2.0 xmlschema==3.4.3)

if [ ! -f node_modules/parse-jtl/package.json ]; then
    npm ci --no-audit --no-fund --loglevel=error
fi

if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
if ! .venv/bin/python -c 'import junitparser, xmlschema' 2>/dev/null; then
    .venv/bin/pip install --quiet --disable-pip-version-check "${PY_PACKAGES[@]}"
fi

if [ ! -f xsd/junit-10.xsd ]; then
    tmp="$(mktemp -d)"
    trap 'rm -rf "$tmp"' EXIT
    .venv/bin/pip download --quiet --disable-pip-version-check --no-deps \
        --no-binary :all: "pytest==$PYTEST_SDIST" -d "$tmp"
    mkdir -p xsd
    tar -xzf "$tmp/pytest-$PYTEST_SDIST.tar.gz" -C "$tmp" \
        "pytest-$PYTEST_SDIST/testing/example_scripts/junit-10.xsd"
    mv "$tmp/pytest-$PYTEST_SDIST/testing/example_scripts/junit-10.xsd" xsd/junit-10.xsd
fi
echo "consumers ready in $here"
