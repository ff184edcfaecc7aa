"""Call QA Coach: local transcription, rubric scoring and coaching for customer-service calls."""

import sys


def _load_sqlite_utils() -> None:
    """Import sqlite_utils without pandas when pandas is not loaded yet.

    sqlite_utils imports pandas whenever it is installed (the dashboard installs it), only to
    store ``pandas.Timestamp`` values as text, which this project never hands it; that import
    was half a second of every ``qa`` command's start-up. pandas stays importable afterwards."""
    if "sqlite_utils" in sys.modules or "pandas" in sys.modules:
        return
    sys.modules["pandas"] = None  # type: ignore[assignment]  # sqlite_utils' try: ImportError
    try:
        import sqlite_utils  # noqa: F401
    finally:
        del sys.modules["pandas"]


_load_sqlite_utils()
