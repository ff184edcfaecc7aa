#!/usr/bin/env bash
# Install Call QA Coach into .venv and run the main job on the embedded defaults: transcribe and
# score every sample call into qa.db (no network needed once installed) and print the summary.
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e .

.venv/bin/qa score sample_calls --manifest sample_calls/manifest.csv --db "${QA_DB:-qa.db}"
