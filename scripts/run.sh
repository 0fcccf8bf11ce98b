#!/usr/bin/env bash
# Set up, then run the main job: a Verification SCP (C-ECHO) listening on port
# 11112 of every interface until Ctrl-C. Test it from another terminal with
# `.venv/bin/dicomnet echoscu 127.0.0.1 11112` or DCMTK's `echoscu`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/dicomnet echoscp 11112
