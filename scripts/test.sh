#!/usr/bin/env bash
# Install everything the tests need into .venv, then run the linter and the whole test suite.
# This is the README's test command; CI runs exactly this (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."

# The dashboard's browser test drives Debian's Chromium (never a browser Playwright downloads).
if [ ! -x /usr/bin/chromium ] && [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null
fi

# The audio interruption test renders its calls with espeak-ng and sox.
if { ! command -v espeak-ng >/dev/null || ! command -v sox >/dev/null; } && [ "$(id -u)" = "0" ] \
        && command -v apt-get >/dev/null; then
    apt-get update -qq && apt-get install -y -qq espeak-ng sox >/dev/null
fi

python3 -m venv .venv
# The CPU build of torch first (the diarize extra needs it; unpinned it would be the CUDA one).
.venv/bin/python -m pip install --quiet --disable-pip-version-check torch==2.13.0
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[test,diarize,cluster,voice]"

.venv/bin/ruff check .
.venv/bin/mypy  # qa/, configured in pyproject.toml
.venv/bin/python -m pytest "$@"
# The built wheel, installed outside the checkout, scores calls and serves the dashboard.
scripts/wheel_check.sh .venv/bin/python
