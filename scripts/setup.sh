#!/usr/bin/env bash
# Set up a development environment on a fresh Debian machine with Python 3:
# Debian's DCMTK (an interop test peer and benchmark peer), a virtual environment
# in .venv with dicomnet installed editable plus its test and lint tools.
# Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v echoscu >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq dcmtk >/dev/null
    elif command -v sudo >/dev/null 2>&1; then
        sudo apt-get update -qq
        sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dcmtk >/dev/null
    else
        echo "setup: DCMTK is missing and I cannot install it (not root); interop tests will be skipped" >&2
    fi
fi

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
# pip >= 25.1 understands PEP 735 dependency groups (--group).
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade "pip>=25.1"
.venv/bin/python -m pip install -q --disable-pip-version-check -e . --group dev
