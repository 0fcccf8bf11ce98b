#!/usr/bin/env bash
# Set up, then run the whole test suite with branch coverage. The Upper Layer
# core (dicomnet.ul) must keep at least 95% branch coverage.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

status=0
.venv/bin/python -m pytest --cov=dicomnet --cov-branch --cov-report= "$@" || status=$?
if [ "$status" -eq 5 ]; then
    # pytest's "no tests collected": a suite that tests nothing is a failure here.
    echo "test: pytest collected no tests" >&2
    exit 1
fi
[ "$status" -eq 0 ] || exit "$status"

echo "Branch coverage of the Upper Layer core (dicomnet.ul):"
.venv/bin/python -m coverage report --include='src/dicomnet/ul/*' --fail-under=95
echo "Branch coverage of the whole package:"
.venv/bin/python -m coverage report
