#!/usr/bin/env bash
# Set up, then run the main job. Until the association server lands (#4) that is
# the dicomnet command itself; it will become `dicomnet qrscp`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/dicomnet --version
