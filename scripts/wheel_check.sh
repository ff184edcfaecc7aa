#!/usr/bin/env bash
# The package on its own: build the wheel, install it (no extras) into a fresh virtualenv in a
# temporary folder outside the checkout, score a recording and a transcript there, start
# `qa dashboard` and check its health endpoint and sign-in page, then stop it.
#   scripts/wheel_check.sh [PYTHON]   PYTHON: the interpreter that builds the wheel and drives
#                                     the browser check [default: .venv/bin/python, else python3]
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PY=${1:-}
if [ -z "$PY" ]; then
    if [ -x .venv/bin/python ]; then PY=$ROOT/.venv/bin/python; else PY=python3; fi
fi
# The script works in a temporary folder: a path relative to the checkout must not break there.
case "$PY" in */*) PY=$(cd "$(dirname "$PY")" && pwd)/$(basename "$PY") ;; esac

WORK=$(mktemp -d "${TMPDIR:-/tmp}/qa-wheel.XXXXXX")
SERVER=""
cleanup() {
    if [ -n "$SERVER" ]; then kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT
step() { echo "wheel check: $*" >&2; }

step "building the wheel"
# setuptools builds in ./build: start from an empty one, so no file deleted since the last
# build slips into the wheel, and leave none behind.
rm -rf "$ROOT/build"
"$PY" -m pip wheel --quiet --no-deps --wheel-dir "$WORK/dist" "$ROOT" >/dev/null
rm -rf "$ROOT/build"
WHEEL=$(ls "$WORK"/dist/call_qa_coach-*.whl)
# The rubric must be in the wheel as a file (the checkout's copy is a symlink).
"$PY" - "$WHEEL" "$ROOT/rubrics/default.toml" <<'PYEOF'
import sys, zipfile
wheel, rubric = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as z:
    names = set(z.namelist())
    for needed in ("qa/rubrics/default.toml", "qa/ui/app.py", "qa/__main__.py", "qa/py.typed"):
        assert needed in names, f"{needed} missing from {wheel}"
    assert z.read("qa/rubrics/default.toml") == open(rubric, "rb").read(), "packaged rubric differs"
PYEOF

step "installing it into a fresh virtualenv in $WORK (no extras)"
python3 -m venv "$WORK/venv"
# (sed: this machine's pip configuration warns about every local index it skips)
"$WORK/venv/bin/python" -m pip install --quiet --disable-pip-version-check "$WHEEL" 2>&1 \
    | sed "/is ignored: it is neither a file nor a directory/d" >&2
QA=$WORK/venv/bin/qa
# Run from the temporary folder: nothing of the checkout (rubrics/, app.py, qa/) is in reach.
cd "$WORK"
for heavy in torch distributed dask; do
    if "$WORK/venv/bin/python" -c "import $heavy" 2>/dev/null; then
        echo "wheel check: $heavy is installed without any extra" >&2; exit 1
    fi
done
"$WORK/venv/bin/python" -m qa --help >/dev/null
# Output to a file, then grep: `cmd | grep -q` fails under pipefail when grep stops reading early.
"$QA" rubric show > rubric.toml
grep -q '^\[criteria\.' rubric.toml

step "scoring a recording and a transcript"
mkdir calls
cp "$ROOT/sample_calls/call03_parcel_missing.ogg" calls/
cp "$ROOT/sample_calls/call01_internet_outage.json" calls/  # alone: a transcript, not a sidecar
"$QA" score calls --db "$WORK/qa.db" > score.log 2>&1 || { cat score.log >&2; exit 1; }
grep -q "2 file(s): 2 scored" score.log || { cat score.log >&2; exit 1; }
# Without the cluster extra, --cluster is a usage error that says what to install.
if "$QA" score calls --db "$WORK/qa.db" --cluster tcp://127.0.0.1:1 2> cluster.log; then
    echo "wheel check: --cluster worked without Dask installed" >&2; exit 1
fi
grep -q "call-qa-coach\[cluster\]" cluster.log || { cat cluster.log >&2; exit 1; }
for call in call03_parcel_missing call01_internet_outage; do
    "$QA" show "$call" --db "$WORK/qa.db" > show.txt
    grep -q "^Scores" show.txt || { cat show.txt >&2; exit 1; }
done

step "starting qa dashboard"
PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$QA" dashboard --db "$WORK/qa.db" --port "$PORT" --address 127.0.0.1 > dashboard.log 2>&1 &
SERVER=$!
URL=http://127.0.0.1:$PORT
for _ in $(seq 1 120); do
    if "$PY" -c "import urllib.request, sys; sys.exit(urllib.request.urlopen('$URL/_stcore/health', timeout=2).status != 200)" 2>/dev/null; then
        break
    fi
    kill -0 "$SERVER" 2>/dev/null || { cat dashboard.log >&2; exit 1; }
    sleep 0.5
done
"$PY" -c "import urllib.request; r = urllib.request.urlopen('$URL/_stcore/health', timeout=5); assert r.read().strip() == b'ok'"
step "health endpoint answers ok"

# The sign-in form is drawn by the browser from the app's script: look at it in Chromium when
# Playwright and Debian's Chromium are here, else only check that the page itself is served.
if [ -x /usr/bin/chromium ] && "$PY" -c "import playwright.sync_api" 2>/dev/null; then
    "$PY" - "$URL" <<'PYEOF'
import sys
from playwright.sync_api import sync_playwright
with sync_playwright() as p:
    browser = p.chromium.launch(executable_path="/usr/bin/chromium",
                                args=["--headless", "--no-sandbox", "--disable-gpu"])
    tab = browser.new_page()
    tab.set_default_timeout(60_000)
    tab.goto(sys.argv[1])
    tab.get_by_role("textbox", name="Name").wait_for()
    tab.get_by_role("textbox", name="Password").wait_for()
    browser.close()
PYEOF
    step "sign-in page shows its Name and Password fields (Chromium)"
else
    "$PY" -c "import urllib.request; r = urllib.request.urlopen('$URL/signin', timeout=5); assert r.status == 200 and b'<div id=\"root\">' in r.read()"
    step "sign-in page served (no browser here to look at its form)"
fi
kill "$SERVER"
wait "$SERVER" 2>/dev/null || true
SERVER=""
step "passed"
