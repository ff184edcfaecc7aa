"""Every ``qa`` command pays the import of qa.cli: it must not load the heavy libraries.

``qa --help`` took 3.6 s when qa.cli imported faster-whisper, NLTK (and through it SciPy),
pandas (through sqlite_utils) and hashed a dummy password at import. Timing it in a test would
be flaky on a shared machine, so this checks what is imported; bench/batch_bench.py prints the
time.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

HEAVY = ("faster_whisper", "ctranslate2", "onnxruntime", "av", "torch", "sklearn", "scipy",
         "nltk", "pandas", "argon2", "tokenizers")


def _loaded(code: str) -> set[str]:
    """Top-level module names loaded by a fresh interpreter after running ``code``."""
    probe = (f"{code}\nimport json, sys\n"
             "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))")
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout
    return set(json.loads(out.strip().splitlines()[-1]))


def test_importing_the_cli_loads_no_heavy_library() -> None:
    assert _loaded("import qa.cli") & set(HEAVY) == set()


def test_help_runs_without_heavy_libraries() -> None:
    code = ("import sys\nfrom qa.cli import main\nsys.argv = ['qa', '--help']\n"
            "try:\n    main()\nexcept SystemExit:\n    pass")
    assert _loaded(code) & set(HEAVY) == set()


def test_scoring_a_transcript_does_not_load_the_speech_stack(tmp_path: Path) -> None:
    # A transcript needs no audio decoder, Whisper or VAD; only the text tools.
    script = ROOT / "sample_calls" / "call01_internet_outage.json"
    code = ("import sys\nfrom qa.cli import main\n"
            f"sys.argv = ['qa', 'score', {str(script)!r}, '--db', {str(tmp_path / 'x.db')!r}]\n"
            "try:\n    main()\nexcept SystemExit:\n    pass")
    loaded = _loaded(code + "\nfrom qa.text import stem\nassert stem('running') == 'run'")
    assert loaded & {"faster_whisper", "ctranslate2", "onnxruntime", "torch", "scipy",
                     "nltk", "av", "pandas"} == set()


def test_a_later_import_of_nltk_gets_the_whole_package() -> None:
    # The stemmer is loaded without NLTK's __init__; whoever imports NLTK afterwards must get
    # all of it, and the same stems.
    _loaded("from qa.text import stem\nassert stem('generously') == 'gener'\n"
            "import nltk\nfrom nltk.stem import PorterStemmer\n"
            "assert callable(nltk.word_tokenize)\n"
            "assert PorterStemmer().stem('generously') == 'gener'")


def test_sqlite_utils_leaves_pandas_importable() -> None:
    loaded = _loaded("import qa.store\nimport pandas\nassert pandas.DataFrame([1]).shape == (1, 1)")
    assert {"sqlite_utils", "pandas"} <= loaded
