"""Lead: exports for a reporting team. One table or every table (a zip) of the calls of a
period, some agents and a queue, as CSV (formula-safe), JSON Lines or Parquet: what
``qa export`` writes, with the same final scores as the review page."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

import streamlit as st

from qa import auth, exports, queries
from qa.auth import LEAD, Viewer
from qa.ui import common

ALL = "all"
DESCRIPTIONS = {
    "calls": "one row per call: machine and final (coach overrides applied) scores side by "
             "side, overall and per criterion, review state, counts of notes, disputes and "
             "commitments",
    "scores": "one row per call and criterion: machine score, final score, the override's "
              "author and reason",
    "findings": "every finding: criterion, label, who, when, the quote, message and suggestion",
    "marks": "coaches' corrections of findings (right, wrong, added)",
    "notes": "coaches' notes",
    "reviews": "who reviewed and shared each call, and when",
    "acknowledgements": "agents' acknowledgements of shared reviews",
    "disputes": "agents' disputes and their resolutions",
    "commitments": "promises made to customers and whether they were kept",
    "transcript": "every utterance of every call",
    "audit": "the audit trail: every change a person made (before and after)",
    ALL: "every table above, one file each, in a zip",
}


def export_bytes(db_path: str | Path, who: Viewer, what: str, fmt: str,
                 flt: exports.ExportFilter) -> bytes:
    """The download: table ``what`` (or ``all``: every table zipped) in ``fmt``, built on its
    own connection (the download runs on a thread of its own) through a temporary file, so
    only the finished file is ever held. Leads only: the account is read again when the
    button is clicked, so one disabled or demoted since the page was drawn gets nothing."""
    exports.require_lead(who)
    conn = queries.connect(db_path)
    try:
        fresh = auth.current(conn, who)
        if fresh is None:
            raise queries.AccessDenied("this account can no longer export")
        exports.require_lead(fresh)
        who = fresh
        with tempfile.TemporaryDirectory(prefix="qa-export-") as tmp:
            folder = Path(tmp)
            if what == ALL:
                target = folder / "export.zip"
                with target.open("wb") as out:
                    exports.write_zip(conn, who, fmt, out, folder / "tables", flt)
            else:
                target = folder / f"{what}{exports.SUFFIXES[fmt]}"
                if fmt == "csv":
                    # A byte-order mark, so spreadsheets read the accents right.
                    target.write_bytes(b"\xef\xbb\xbf")
                    with target.open("a", encoding="utf-8", newline="") as text:
                        exports.write(exports.table(conn, who, what, flt), fmt, text)
                else:
                    exports.write_table_file(conn, who, what, fmt, target, flt)
            return target.read_bytes()
    finally:
        conn.close()


# Both read every call's row: cached until the data changes (``version``).
@st.cache_data(show_spinner=False, max_entries=64, ttl=3600)
def _queues(db_path: str, version: int, who: Viewer) -> list[str]:
    """The queues the calls name."""
    conn = queries.connect(db_path)
    try:
        return exports.queues(conn, who)
    finally:
        conn.close()


@st.cache_data(show_spinner=False, max_entries=64, ttl=3600)
def _count(db_path: str, version: int, who: Viewer, flt: exports.ExportFilter) -> int:
    """How many calls the filter chooses."""
    conn = queries.connect(db_path)
    try:
        return exports.count_calls(conn, who, flt)
    finally:
        conn.close()


def _download(db_path: Path, who: Viewer, what: str, fmt: str, flt: exports.ExportFilter
              ) -> Callable[[], bytes]:
    """The file, made only when the button is clicked."""
    return lambda: export_bytes(db_path, who, what, fmt, flt)


def render() -> None:
    """The page."""
    who, conn = common.require(LEAD)
    st.title("Exports")
    st.caption("The calls and everything about them, for a reporting team: the same tables "
               "as `qa export`. Final scores are the review page's (coach overrides applied). "
               "CSV cells a spreadsheet would run as formulas get a leading `'`.")
    cols = st.columns([2, 3, 2])
    period = common.period_input(conn, who, "exports-period", 90, cols[0])
    chosen = tuple(cols[1].multiselect("Agents", common.cached("agents", conn, who),
                                       key="exports-agents", placeholder="Whole team"))
    db_path, version = str(common.settings().db), queries.data_version(conn)
    exports.require_lead(who)  # before any cached answer is looked up
    queues = _queues(db_path, version, who)
    queue = None
    if queues:
        queue = cols[2].selectbox("Queue", [None, *queues], key="exports-queue",
                                  format_func=lambda q: "All queues" if q is None else q)
    else:
        cols[2].caption("No queue: the manifests had no `queue` column.")
    cols = st.columns([3, 2])
    what = cols[0].selectbox("Table", [*exports.TABLES, ALL], key="exports-table",
                             format_func=lambda t: "All tables (zip)" if t == ALL else t)
    fmt = cols[1].radio("Format", exports.FORMATS, key="exports-format", horizontal=True,
                        format_func={"csv": "CSV", "jsonl": "JSON Lines",
                                     "parquet": "Parquet"}.get)
    st.caption(common.md(DESCRIPTIONS[what]))
    flt = exports.ExportFilter(period.start, period.end, chosen, queue)
    calls = _count(db_path, version, who, flt)
    conn.close()
    suffix = ".zip" if what == ALL else exports.SUFFIXES[fmt]
    name = f"qa-{what}-{period.start}-{period.end}{suffix}"
    st.download_button(f"Export {what if what != ALL else 'all tables'} of {calls:,} calls",
                       data=_download(Path(db_path), who, what, fmt, flt),
                       file_name=name, key="exports-download", icon=":material/download:",
                       mime="application/zip" if what == ALL else exports.MIME_TYPES[fmt],
                       on_click="ignore")


if __name__ == "__main__":
    render()
