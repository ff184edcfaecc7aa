"""Lead: batch scoring from the browser. Pick a folder under the configured root (nothing
outside it) or upload recordings; the batch runs as ``qa score`` in its own process writing
to the same database, so it goes on, and its progress shows, across page reloads."""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import sys
import unicodedata
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from qa import queries, store
from qa.auth import LEAD, Viewer
from qa.batch import TRANSCRIPT_EXTENSIONS, ManifestError, plan_jobs
from qa.ui import common

UPLOAD_DIR = "uploads"
REDACTED_AUDIO_DIR = "redacted-audio"
_SAFE_NAME = re.compile(r"[^\w.-]+")  # \w: letters of any alphabet, digits, underscore


def scorable_suffixes() -> frozenset[str]:
    """File types a batch takes: recordings and transcripts (JSON, WebVTT, SRT, CSV, text)."""
    from qa.audio import AUDIO_EXTENSIONS

    return frozenset(AUDIO_EXTENSIONS) | TRANSCRIPT_EXTENSIONS


def within_root(root: Path, choice: str) -> Path:
    """The folder ``choice`` names (relative to ``root``), refusing anything outside ``root``
    (``..``, absolute paths, symlinks pointing out) or that is not an existing folder."""
    root = root.resolve()
    target = (root / choice.strip()).resolve()
    if target != root and not target.is_relative_to(root):
        raise ValueError(f"{choice!r} is outside the scoring root {root}")
    if not target.is_dir():
        raise ValueError(f"{choice!r} is not a folder under {root}")
    return target


def folders(root: Path, depth: int = 3, limit: int = 300) -> list[str]:
    """Folders under ``root`` (itself first as "."), relative, for the picker."""
    root = root.resolve()
    if not root.is_dir():
        return []
    found = ["."]
    for path in sorted(root.rglob("*")):
        if len(found) >= limit:
            break
        rel = path.relative_to(root)
        if (path.is_dir() and len(rel.parts) <= depth
                and not any(p.startswith(".") for p in rel.parts)
                and path.resolve().is_relative_to(root)):
            found.append(rel.as_posix())
    return found


def safe_name(name: str) -> str:
    """An uploaded file's name reduced to a plain file name (no folders, no odd characters),
    keeping its extension and its letters, accented or not: ``ü€.mp3`` becomes ``ü.mp3``."""
    base = Path(unicodedata.normalize("NFC", name).replace("\\", "/")).name
    stem, suffix = os.path.splitext(base)
    if not re.fullmatch(r"\.[A-Za-z0-9]{1,8}", suffix):
        stem, suffix = base, ""
    stem = _SAFE_NAME.sub("_", stem).strip("._-")[:120]
    return (stem or "upload") + suffix.lower()


def save_uploads(root: Path, files: list[Any]) -> Path:
    """Write uploaded recordings into a new folder under ``root/uploads``; returns it.

    The folders are private (0700) and the files too (0600): they are recordings of
    customers. Two uploads with the same name are both kept (``name-2.mp3``)."""
    uploads = root.resolve() / UPLOAD_DIR
    uploads.mkdir(parents=True, exist_ok=True, mode=0o700)
    folder = uploads / datetime.now(UTC).strftime("%Y%m%d-%H%M%S-%f")
    folder.mkdir(mode=0o700)
    allowed = scorable_suffixes()
    used: set[str] = set()
    for f in files:
        name = safe_name(f.name)
        stem, suffix = os.path.splitext(name)
        if suffix not in allowed:
            continue
        n = 1
        while name.casefold() in used:
            n += 1
            name = f"{stem}-{n}{suffix}"
        used.add(name.casefold())
        with os.fdopen(os.open(folder / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600),
                       "wb") as out:
            out.write(f.getvalue())
    return folder


@st.cache_resource(show_spinner=False)
def _processes() -> dict[int, subprocess.Popen[bytes]]:
    """Batch processes this server started (polled so finished ones are reaped)."""
    return {}


def score_command(db: Path, folder: Path, manifest: Path | None,
                  remove_after: bool = False) -> list[str]:
    """The ``qa score`` command line for a batch started from this page.

    ``remove_after``: delete ``folder`` when the batch ends (uploads the lead did not ask to
    keep). When the rubric redacts, a redacted copy of each recording is written beside the
    database (``redacted-audio/``): the dashboard never plays a redacted call's original.
    """
    from qa.rubric import load_rubric

    command = [sys.executable, "-m", "qa.cli", "score", str(folder), "--db", str(db)]
    if manifest is not None:
        command += ["--manifest", str(manifest)]
    if load_rubric(None).shared["redact"]:
        command += ["--redacted-audio", str(db.parent / REDACTED_AUDIO_DIR)]
    if remove_after:
        command.append("--remove-after")
    return command


def start(db: Path, folder: Path, manifest: Path | None,
          remove_after: bool = False) -> tuple[int, Path]:
    """Start ``qa score`` on ``folder`` in its own process (:func:`score_command`); returns
    its pid and log file."""
    log = db.parent / f".qa-batch-{datetime.now(UTC).strftime('%Y%m%d-%H%M%S-%f')}.log"
    command = score_command(db, folder, manifest, remove_after)
    # The log names files and reasons: private to the owner, like the database.
    with os.fdopen(os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as out:
        # Its own session: the batch keeps going if this page's server process restarts.
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True,
                                cwd=str(Path.cwd()))
    _processes()[proc.pid] = proc
    return proc.pid, log


def running(pid: int | None) -> bool:
    """True while the batch process is alive (reaping it if it is ours and has ended)."""
    if not pid:
        return False
    proc = _processes().get(pid)
    if proc is not None:
        return proc.poll() is None
    return store.process_alive(pid)


def render() -> None:
    """The page."""
    who, conn = common.require(LEAD)
    settings = common.settings()
    st.title("Batch scoring")
    st.caption(f"Scoring root: `{settings.root}` (set with `--root` or QA_SCORE_ROOT). "
               f"Database: `{settings.db}`.")
    launch = queries.latest_launch(conn, who)
    busy = launch is not None and running(launch.get("pid"))
    if busy:
        _live_progress()
    elif launch is not None:
        _show_progress()
    if not settings.root.is_dir():
        st.error("The scoring root does not exist.")
        return
    folder_tab, upload_tab = st.tabs(["Folder on the server", "Upload recordings"])
    with folder_tab:
        choice = st.selectbox("Folder", folders(settings.root), key="batch-folder",
                              help="Folders under the scoring root")
        typed = st.text_input("…or type a folder under the root", key="batch-typed",
                              placeholder="e.g. 2025/03")
        try:
            folder = within_root(settings.root, typed or choice or ".")
        except ValueError as exc:
            st.error(str(exc))
            folder = None
        if folder is not None:
            manifest = folder / "manifest.csv"
            use_manifest = st.checkbox("Use manifest.csv from that folder",
                                       value=manifest.is_file(), key="batch-manifest",
                                       disabled=not manifest.is_file())
            if st.button("Score this folder", type="primary", disabled=busy,
                         key="batch-start", icon=":material/play_arrow:"):
                _launch(conn, who, settings.db, folder,
                        manifest if use_manifest and manifest.is_file() else None)
    with upload_tab:
        files = st.file_uploader("Recordings or transcript JSON",
                                 type=sorted(s.lstrip(".") for s in scorable_suffixes()),
                                 accept_multiple_files=True, key="batch-upload")
        keep = st.checkbox("Keep the uploaded files after scoring", value=False,
                           key="batch-upload-keep",
                           help="Unticked, the uploads are deleted once scored (recordings "
                                "are personal data); the review page can then play a call "
                                "only from its redacted copy, if any.")
        if st.button("Score the uploaded files", disabled=busy or not files,
                     key="batch-upload-start", icon=":material/upload:"):
            target = save_uploads(settings.root, list(files or []))
            _launch(conn, who, settings.db, target, None, remove_after=not keep)
    if busy:
        st.caption("A batch is running; start another when it has finished.")


def _launch(conn: sqlite3.Connection, who: Viewer, db: Path, folder: Path,
            manifest: Path | None, remove_after: bool = False) -> None:
    try:
        total = len(plan_jobs([str(folder)], str(manifest) if manifest else None))
    except ManifestError as exc:
        st.error(str(exc))
        total = -1
    if total == 0:
        st.warning("No recordings or transcripts in that folder.")
    if total <= 0:
        if remove_after:
            shutil.rmtree(folder, ignore_errors=True)
        return
    after = queries.last_run_id(conn, who)
    pid, log = start(db, folder, manifest, remove_after)
    queries.record_launch(conn, who, str(folder), str(manifest) if manifest else None, total,
                          after, pid, str(log))
    st.rerun()


@st.fragment(run_every=1.5)
def _live_progress() -> None:
    """The running batch's progress, refreshed every 1.5 s; the whole page reruns once it ends
    (so the start buttons come back)."""
    if not _show_progress():
        st.rerun()


def _show_progress() -> bool:
    """The newest batch: a progress bar and each file's outcome. True while it runs."""
    who, conn = common.require(LEAD)
    launch = queries.latest_launch(conn, who)
    if launch is None:
        return False
    alive = running(launch.get("pid"))
    run, files = launch["run"], launch["files"]
    done = len(files)
    total = max(launch["total"], done, 1)
    finished = run is not None and run["status"] == "finished"
    label = (f"Finished: {done} of {total} file(s)" if finished else
             f"Scoring {common.md(launch['path'])}: {done} of {total} file(s) done" if alive else
             f"Stopped before finishing: {done} of {total} file(s) done")
    st.subheader("Latest batch")
    st.progress(min(1.0, done / total), text=label)
    st.caption(f"Started by {common.md(launch['started_by'])} at "
               f"{launch['started_at'][:19].replace('T', ' ')} UTC")
    if files:
        df = pd.DataFrame(files)
        df["file"] = df["path"].map(lambda p: Path(p).name)
        st.dataframe(df[["file", "status", "call_id", "seconds", "error"]], hide_index=True,
                     width="stretch", column_config={
                         "file": "File", "status": "Status", "call_id": "Call",
                         "seconds": st.column_config.NumberColumn("Seconds", format="%.1f"),
                         "error": st.column_config.TextColumn("Reason", width="large")})
    if not alive and not finished and launch.get("log_path"):
        log = Path(launch["log_path"])
        if log.is_file():
            with st.expander("Batch output"):
                st.code(log.read_text(errors="replace")[-4000:])
    return alive


if __name__ == "__main__":
    render()
