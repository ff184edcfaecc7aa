#!/usr/bin/env bash
# Install Call QA Coach into .venv and run the main job on the embedded defaults: transcribe and
# score every sample call into qa.db (no network needed once installed), print the summary, and
# bring the dashboard up on http://localhost:8501 (QA_NO_DASHBOARD=1 stops after scoring).
set -euo pipefail
cd "$(dirname "$0")/.."
DB="${QA_DB:-qa.db}"

python3 -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e .

# Exit code 1 means some file failed; the summary says which, and the dashboard still comes up.
.venv/bin/qa score sample_calls --manifest sample_calls/manifest.csv --db "$DB" || true

if [ -n "${QA_NO_DASHBOARD:-}" ]; then
    exit 0
fi
# The dashboard needs an account; there is no default password, so the first one is asked for.
if .venv/bin/qa users list --db "$DB" | grep -q "^no accounts"; then
    if [ -t 0 ]; then
        read -r -p "Name for the first dashboard account (a QA lead): " name
        .venv/bin/qa users add "$name" --role lead --db "$DB"
    else
        echo "No dashboard account yet: run .venv/bin/qa users add NAME --role lead --db $DB" >&2
    fi
fi
exec .venv/bin/streamlit run app.py --server.headless=true -- --db "$DB" --root sample_calls
