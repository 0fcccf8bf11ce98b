#!/usr/bin/env bash
# Set up, then run the main job: `dicomnet qrscp`, a DICOM archive listening on
# port 11112 of every interface as AE title QRSCP until Ctrl-C (or SIGTERM). It
# stores what it receives by C-STORE in ./archive (the instance files and their
# SQLite index, kept across runs) and answers C-ECHO, C-FIND, C-GET and C-MOVE
# from it, logging each association and operation. Extra arguments are qrscp
# options, e.g. `-md STORESCP=127.0.0.1:11113` for a C-MOVE destination; see
# `.venv/bin/dicomnet qrscp --help`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/dicomnet qrscp -v --storage ./archive "$@" 11112
