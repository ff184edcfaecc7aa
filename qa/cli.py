"""The ``qa`` command: thin wrappers that parse options, call the library and print."""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import re
import shutil
import sys
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
import sqlite_utils

from qa import exports as exports_lib
from qa import queries, store
from qa.jobs import Compute, Outcome, Settings
from qa.redact import cli as redact_cli
from qa.rubric import (
    Rubric,
    RubricError,
    RubricSet,
    load_rubric,
    load_rubrics,
    rubric_of_call,
)
from qa.store import accounts, callbacks
from qa.text import clock as call_clock
from qa.transcribe import TranscriberConfig

if TYPE_CHECKING:
    from qa.auth import Viewer
    from qa.rubric import Rubric

# "auto": the mapping is unknown, so the agent's channel is decided from what is said.
CHANNELS: dict[str, int | None] = {"left": 0, "right": 1, "auto": None}


def _cli_viewer() -> Viewer:
    """Whoever can open the database file from a shell reads it all, as a lead does."""
    from qa.auth import LEAD, Viewer

    return Viewer("qa-cli", LEAD)


def _rubric(path: str | None) -> Rubric:
    from qa.rubric import RubricError, load_rubric

    try:
        return load_rubric(path)
    except RubricError as exc:
        raise click.ClickException(f"rubric error: {exc}") from None


def _rubrics(path: str | None) -> tuple[Rubric, RubricSet | None]:
    """A rubric or a rubric mapping (rubrics/queues.toml), errors as one line naming the key."""
    try:
        return load_rubrics(path)
    except RubricError as exc:
        raise click.ClickException(f"rubric error: {exc}") from None


def _transcriber_options(func: Any) -> Any:
    """The options that choose and tune the Whisper model (shared by transcribe and score)."""
    options = [
        click.option("--model", default=None, metavar="NAME|PATH",
                     help="faster-whisper model size or path [default: embedded tiny.en]"),
        click.option("--compute-type", default="int8", show_default=True,
                     help="CTranslate2 compute type (int8, float32, ...)"),
        click.option("--beam-size", default=2, show_default=True, type=click.IntRange(1, 20)),
        click.option("--batch-size", default=2, show_default=True, type=click.IntRange(0, 64),
                     help="decode this many clips of up to 30 s at once with faster-whisper's "
                          "BatchedInferencePipeline (0: sequential decoding; docs/cluster.md "
                          "has the measured choice)"),
        click.option("--agent-channel", type=click.Choice(list(CHANNELS)), default="left",
                     show_default=True, help="which stereo channel carries the agent"),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _redaction_options(func: Any) -> Any:
    """The options that redact personal data before scoring (score and watch)."""
    options = [
        click.option("--redact/--no-redact", default=None,
                     help="replace card, bank, id and phone numbers, e-mail and street "
                          "addresses by tags ([CARD]) before scoring and storing [default: "
                          "the rubric's shared.redact]"),
        click.option("--redacted-audio", default=None, metavar="DIR",
                     type=click.Path(file_okay=False),
                     help="with redaction: write each recording with the redacted spans "
                          "silenced to DIR/<call id>-<content hash>.wav (the dashboard plays it; "
                          "a redacted call without a copy offers no audio)"),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _redaction_settings(redact: bool | None, redacted_audio: str | None) -> dict[str, Any]:
    """The Settings fields for the redaction options."""
    return {"redact": redact, "redacted_audio": Path(redacted_audio) if redacted_audio else None}


def _check_redaction(settings: Settings) -> None:
    """A usage error when audio is to be redacted but the transcripts are not."""
    if settings.redacted_audio and not settings.redacting:
        raise click.UsageError("--redacted-audio needs redaction: --redact, or redact = true "
                               "in the rubric's [shared] table")


def _scale_options(func: Any) -> Any:
    """The options that spread a batch over processes or a Dask cluster (score and watch)."""
    options = [
        click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 256),
                     help="worker processes, each loading the model once (use the number of "
                          "CPU cores; 1 = in this process)"),
        click.option("--cluster", default=None, metavar="tcp://HOST:8786",
                     help="send transcription and scoring to this Dask scheduler; workers "
                          "must see the recordings at the same paths (docs/cluster.md)"),
        click.option("--cpu-threads", default=0, show_default=True, type=click.IntRange(0, 256),
                     help="CTranslate2 threads per worker [default: cores / workers; 1 on a "
                          "cluster]"),
    ]
    for option in reversed(options):
        func = option(func)
    return func


@contextlib.contextmanager
def _where(workers: int, cluster: str | None) -> Iterator[Compute | None]:
    """Where transcription and scoring run, for as long as the block lasts: a Dask cluster
    (one connection), worker processes (started once, the model loaded once in each), or
    None for this process. Dask is imported only here, and only for --cluster."""
    if cluster is not None:
        if importlib.util.find_spec("distributed") is None:
            raise click.UsageError("--cluster needs Dask: pip install 'call-qa-coach[cluster]'")
        from distributed import Client

        from qa.cluster import compute_on_cluster

        with Client(cluster) as client:
            yield partial(compute_on_cluster, address=client)
    elif workers > 1:
        from qa.workers import WorkerPool

        with WorkerPool(workers) as pool:
            yield pool
    else:
        yield None


def _db_option(func: Any) -> Any:
    return click.option("--db", "db_path", default=store.DEFAULT_DB, show_default=True,
                        envvar="QA_DB", type=click.Path(dir_okay=False),
                        help="SQLite database file")(func)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="call-qa-coach")
def main() -> None:
    """Call QA Coach: score customer-service calls against a rubric, locally."""
    # Everything this tool writes (database, its log, redacted recordings, exports) is about
    # customers: readable by its owner only, whatever the shell's umask.
    os.umask(0o077)


def _existing_db(db_path: str) -> sqlite_utils.Database:
    """Open the database of a command that only reads (or changes what is there): a wrong
    path is a one-line error, never a new empty database file."""
    if not Path(db_path).is_file():
        raise click.ClickException(f"no database at {db_path} (score calls into it with "
                                   "qa score, or pass --db / set QA_DB)")
    return store.open_db(db_path)


@main.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="write JSON here")
@click.option("--call-id", default=None, help="call id [default: file name]")
@click.option("--agent", default=None, help="agent id to record in the transcript")
@click.option("--redact", is_flag=True,
              help="replace card, bank, id and phone numbers, e-mail and street addresses by "
                   "tags ([CARD]) in the transcript; metadata.redacted counts them")
@click.option("--redacted-audio", default=None, metavar="FILE",
              type=click.Path(dir_okay=False),
              help="with --redact: also write the recording with those spans silenced (WAV)")
@_transcriber_options
def transcribe(file: str, output: str | None, call_id: str | None, agent: str | None,
               redact: bool, redacted_audio: str | None, model: str | None, compute_type: str,
               beam_size: int, batch_size: int, agent_channel: str) -> None:
    """Transcribe one recording into the transcript JSON format."""
    if redacted_audio and not redact:
        raise click.UsageError("--redacted-audio needs --redact")
    from qa.audio import AudioError, load_call
    from qa.transcribe import get_transcriber

    try:
        audio = load_call(file)
    except AudioError as exc:
        raise click.ClickException(f"{file}: {exc}") from None
    config = TranscriberConfig(model=model, compute_type=compute_type, beam_size=beam_size,
                               batch_size=batch_size)
    transcript = get_transcriber(config).transcribe_call(
        audio, call_id or Path(file).stem, CHANNELS[agent_channel], agent)
    if redact:
        from qa.redact import redact_transcript, redacted_spans, write_redacted_audio

        transcript, _ = redact_transcript(transcript)
        if redacted_audio:
            write_redacted_audio(audio.channels, audio.sample_rate,
                                 redacted_spans(transcript), redacted_audio)
            click.echo(f"{file}: redacted audio -> {redacted_audio}", err=True)
    if output:
        transcript.save(output)
        click.echo(f"{file}: {len(transcript.utterances)} utterances -> {output}", err=True)
    else:
        click.echo(transcript.to_json())


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@_db_option
@click.option("--rubric", "rubric_path", default=None, type=click.Path(exists=True),
              help="rubric TOML, or a rubric mapping picking one per queue "
                   "(docs/forms.md) [default: rubrics/default.toml]")
@click.option("--manifest", default=None, type=click.Path(exists=True, dir_okay=False),
              help="CSV with columns file, call_id, agent, call_time, customer, queue")
@click.option("--filename-pattern", default=None, metavar="REGEX",
              help="regex with named groups (agent, call_id, call_time, customer, queue) "
                   "matched against file names not in the manifest")
@click.option("--rescore", is_flag=True, help="score again even if already scored")
@click.option("--remove-after", is_flag=True,
              help="delete PATHS (files and folders) once the batch has ended, scored or "
                   "not: for uploads that are not to be kept")
@_redaction_options
@_scale_options
@_transcriber_options
def score(paths: tuple[str, ...], db_path: str, rubric_path: str | None, manifest: str | None,
          filename_pattern: str | None, rescore: bool, remove_after: bool, redact: bool | None,
          redacted_audio: str | None, workers: int, cluster: str | None, cpu_threads: int,
          model: str | None, compute_type: str, beam_size: int, batch_size: int,
          agent_channel: str) -> None:
    """Score recordings and transcripts (files or folders, recursively) into the database.

    Calls already scored from the same content with the same rubric are skipped. The exit
    code is 1 if any file failed.
    """
    from qa.batch import ManifestError, run_batch
    rubric, rubrics = _rubrics(rubric_path)
    settings = Settings(rubric, TranscriberConfig(model=model, compute_type=compute_type,
                                                  beam_size=beam_size, batch_size=batch_size,
                                                  cpu_threads=cpu_threads),
                        agent_channel=CHANNELS[agent_channel], rescore=rescore,
                        **_redaction_settings(redact, redacted_audio), rubrics=rubrics)
    _check_redaction(settings)
    db = store.open_db(db_path)
    bar: Any = None

    def on_start(total: int) -> None:
        nonlocal bar
        bar = click.progressbar(length=total, label="Scoring", file=sys.stderr,
                                show_pos=True, item_show_func=lambda o: o.path[-40:] if o else "")
        bar.__enter__()

    def on_outcome(outcome: Outcome) -> None:
        bar.update(1, outcome)
        if outcome.status in ("failed", "unscorable"):
            click.echo(f"\n{outcome.path}: {outcome.status}: {outcome.error}", err=True)

    try:
        with _where(workers, cluster) as compute:
            run_id, outcomes = run_batch(list(paths), settings, db, manifest, filename_pattern,
                                         on_start, on_outcome, compute=compute)
    except ManifestError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
        if remove_after:
            for path in paths:
                if Path(path).is_dir() and not Path(path).is_symlink():
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    Path(path).unlink(missing_ok=True)
    _print_summary(run_id, outcomes)
    if any(o.status == "failed" for o in outcomes):
        sys.exit(1)


def _print_summary(run_id: int, outcomes: list[Outcome]) -> None:
    rows = [(o.call_id or Path(o.path).name, o.agent or "-", o.status,
             "-" if o.overall is None else f"{o.overall:.1f}", str(o.findings) if o.findings
             else "", f"{o.seconds:.1f}") for o in outcomes]
    header = ("call", "agent", "status", "overall", "findings", "secs")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    click.echo()
    for row in [header, *rows]:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))
    counts = {s: sum(o.status == s for o in outcomes)
              for s in ("scored", "skipped", "unscorable", "failed")}
    click.echo(f"\nrun {run_id}: {len(outcomes)} file(s): " +
               ", ".join(f"{n} {s}" for s, n in counts.items()))


@main.command()
@click.argument("call_id")
@_db_option
def show(call_id: str, db_path: str) -> None:
    """Print a scored call: scores with reasons, coaching summary, findings, transcript."""
    db = _existing_db(db_path)
    call = store.get_call(db, call_id)
    if call is None:
        raise click.ClickException(f"no call {call_id!r} in {db_path}")
    overall = "not scored" if call["overall"] is None else f"{call['overall']:.1f}"
    if call.get("auto_fail"):
        overall += " (AUTO-FAIL)"
    elif call.get("pending"):
        overall += f" (pending: {call['pending']} question(s) to answer)"
    # A transcript without times (a chat, a script) has no length to show.
    length = ("no times (judged by words)" if call.get("timing") == "none"
              else f"{call['duration'] or 0:.0f} s")
    click.echo(f"Call {call['id']}  agent: {call['agent'] or '-'}  time: "
               f"{call['call_time'] or '-'}  duration: {length}  overall: {overall}")
    click.echo(f"source: {call['source_path']}  model: {call['model'] or '-'}  "
               f"rubric: {call['rubric_name'] or '-'} {call['rubric_version']}"
               + (f"  queue: {call['queue']}" if call.get("queue") else ""))
    if call.get("auto_fail"):
        click.echo(f"Overall 0: {call['auto_fail']}")
    if call.get("redacted") is not None:
        from qa.redact import describe_counts

        found = describe_counts(json.loads(call["redacted"]))
        copy = f"  audio copy: {call['redacted_audio']}" if call.get("redacted_audio") else ""
        click.echo(f"redacted: {found}{copy}")
    for later, ts in callbacks.called_back(db, call_id):
        click.echo(f"customer called back on {ts[:10]}: {later}")
    for earlier, ts in callbacks.callback_of(db, call_id):
        click.echo(f"repeat contact: the customer called on {ts[:10]}: {earlier}")
    if not call["scorable"]:
        click.echo(f"Not scorable: {call['unscorable_reason']}")
        return
    from qa.roles import describe

    if line := describe(json.loads(call["roles"]) if call.get("roles") else None):
        click.echo(line)
    click.echo("\nScores")
    for s in call["scores"]:
        value = (f"{s['score']:5.1f}" if s["applicable"] else
                 "pending" if s.get("pending") else "  n/a")
        gate = ""
        if s.get("auto_fail_below") is not None:
            missed = s["score"] is not None and s["score"] < s["auto_fail_below"]
            gate = "  [AUTO-FAIL: missed]" if missed else "  [auto-fail item]"
        click.echo(f"  {s['criterion']:<14} {value}  (weight {s['weight']:g})  {s['reason']}"
                   f"{gate}")
    summary = call["summary"] or {}
    if summary.get("coaching"):
        click.echo("\nTop coaching points")
        for item in summary["coaching"]:
            click.echo(f"  [{_clock(item['start'])}] {item['message']}")
            click.echo(f"      said: \"{item['quote']}\"")
            if item.get("suggestion"):
                click.echo(f"      try:  {item['suggestion']}")
    click.echo("\nFindings")
    for f in call["findings"]:
        marker = {"strength": "+", "coaching": "-"}.get(f["polarity"], " ")
        click.echo(f"  {marker} [{_clock(f['start'])}] {f['speaker']:<8} {f['label']:<22} "
                   f"\"{f['quote']}\"")
        click.echo(f"      {f['message']}")
        if f["suggestion"]:
            click.echo(f"      try: {f['suggestion']}")
    click.echo("\nTranscript")
    for u in call["utterances"]:
        click.echo(f"  [{_clock(u['start'])}] {u['speaker']:<8} {u['text']}")


def _clock(seconds: float) -> str:
    # Robust to a stored NaN or infinity (refused at load now; older databases may hold one).
    shown = call_clock(seconds or 0)
    return shown.zfill(5) if shown != "-" else "--:--"


@main.command("export")
@_db_option
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl", "parquet", "json",
                                                    "labeled"]),
              default="csv", show_default=True,
              help="csv (formula-safe cells), jsonl (one JSON object per line), parquet "
                   "(row groups; needs -o FILE or --what all), json (one call per element "
                   "with everything about it), labeled (the calls coaches marked, one labeled "
                   "transcript each, into --folder)")
@click.option("--what", type=click.Choice([*exports_lib.TABLES, "all"]), default="calls",
              show_default=True,
              help="which table: calls (machine and final scores side by side), scores (one "
                   "row per call and criterion), findings, marks (coaches' corrections of "
                   "findings), notes, reviews, acknowledgements, disputes, commitments, "
                   "transcript, audit; all: every table into --folder")
@click.option("--from", "start", type=click.DateTime(["%Y-%m-%d"]), default=None,
              metavar="YYYY-MM-DD",
              help="only calls on or after this day")
@click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), default=None,
              metavar="YYYY-MM-DD",
              help="only calls on or before this day")
@click.option("--agent", "agents", multiple=True, help="only this agent's calls (repeatable)")
@click.option("--queue", default=None, help="only calls of this queue (the manifest's queue)")
@click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True), default="-",
              help="the file to write [default: standard output]")
@click.option("--folder", default=None, type=click.Path(file_okay=False),
              help="with --what all or --format labeled: the folder to write into")
def export(db_path: str, fmt: str, what: str, start: Any, end: Any, agents: tuple[str, ...],
           queue: str | None, output: str, folder: str | None) -> None:
    """Export the calls for reporting: one table (CSV, JSON Lines or Parquet) or every table
    into a folder, for a period, agents and a queue; streamed in bounded memory. Final scores
    are the dashboard's (coach overrides applied). Also full JSON, or the calls coaches
    marked as labeled transcripts for `qa eval`."""
    if fmt == "labeled":
        _export_labeled(db_path, folder)
        return
    _existing_db(db_path).close()  # the schema, as every command that reads sees it
    flt = exports_lib.ExportFilter(start.date() if start else None,
                                   end.date() if end else None, agents, queue)
    conn = queries.connect(db_path)
    try:
        if fmt == "json":
            with click.open_file(output, "w", encoding="utf-8") as out:
                _export_json(conn, flt, out)
            return
        if what == "all":
            if not folder:
                raise click.UsageError("--what all writes one file per table: give --folder DIR")
            counts = exports_lib.write_all(conn, _cli_viewer(), fmt, Path(folder), flt)
            click.echo(f"{sum(counts.values())} rows in {len(counts)} tables written to "
                       f"{folder}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
            return
        table = exports_lib.table(conn, _cli_viewer(), what, flt)
        if fmt == "parquet":
            if output == "-":
                raise click.UsageError("Parquet is a binary file: give -o FILE")
            exports_lib.write_parquet(table, output)
            return
        with click.open_file(output, "w", encoding="utf-8") as out:
            exports_lib.write(table, fmt, out)
    finally:
        conn.close()


def _export_json(conn: Any, flt: exports_lib.ExportFilter, out: Any) -> None:
    """``{"calls": [...]}`` with everything about each chosen call, written call by call (never
    the whole set in memory)."""
    ids = exports_lib.table(conn, _cli_viewer(), "calls", flt)
    out.write('{"calls": [')
    first = True
    for row in ids.rows:
        full = queries.get_call(conn, _cli_viewer(), row[0])
        if full is None:  # removed since the listing began
            continue
        # Redaction counts per type; null when the call was stored unredacted.
        full["redacted"] = json.loads(full["redacted"]) if full.get("redacted") else None
        full["overall_final"] = full.pop("effective_overall")
        out.write(("\n" if first else ",\n")
                  + json.dumps(full, ensure_ascii=False, default=str))
        first = False
    out.write("\n]}\n")


def _export_labeled(db_path: str, folder: str | None) -> None:
    from qa import queries
    if not folder:
        raise click.UsageError("--format labeled writes one file per call: give --folder DIR")
    _existing_db(db_path).close()  # the schema, as every command that reads sees it
    conn = queries.connect(db_path)
    calls = queries.labeled_calls(conn, _cli_viewer())
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    for call in calls:
        name = re.sub(r"[^A-Za-z0-9._-]+", "_", call["call_id"]) or "call"
        (out / f"{name}.json").write_text(json.dumps(call, indent=2, ensure_ascii=False) + "\n",
                                          encoding="utf-8")
    click.echo(f"{len(calls)} labeled calls written to {out}")


@main.command("themes")
@_db_option
@click.option("--period", "days", type=click.IntRange(min=1), default=90, show_default=True,
              help="the last DAYS days with calls")
@click.option("--queue", help="only calls whose manifest's queue column is this")
@click.option("--theme", "theme_id", type=int, help="list every call of this theme")
@click.option("--no-update", is_flag=True, help="report the themes as stored, without first "
              "adding the calls scored since the last update")
def themes_command(db_path: str, days: int, queue: str | None, theme_id: int | None,
                   no_update: bool) -> None:
    """Complaint themes: the customers' problem statements grouped into root causes."""
    from datetime import timedelta

    from qa import queries
    from qa import themes as theme_lib
    db = store.open_db(db_path)
    if not no_update:
        done = theme_lib.update(db)
        click.echo(f"themes updated in {done.seconds:.1f} s: {done.calls} new or re-scored "
                   f"calls, {done.assigned} joined existing themes, {len(done.new_themes)} "
                   f"new themes, {done.pending} calls waiting for a theme")
    db.close()
    conn = queries.connect(db_path)
    bounds = queries.date_range(conn, _cli_viewer())
    if bounds is None:
        click.echo("no calls")
        return
    period = queries.Period(max(bounds[0], bounds[1] - timedelta(days=days - 1)), bounds[1])
    if theme_id is not None:
        for r in queries.theme_calls(conn, _cli_viewer(), theme_id, period, queue, limit=10**9):
            score = "-" if r["overall"] is None else f"{r['overall']:.0f}"
            click.echo(f"{r['call_id']}\t{(r['ts'] or '')[:16]}\t{r['agent'] or '-'}\t{score}")
        return
    report = queries.themes(conn, _cli_viewer(), period, queue)
    click.echo(f"{period.start} to {period.end}: {report.calls} calls in {len(report.themes)} "
               f"themes, {report.waiting} waiting for a theme, {report.no_statement} with no "
               "problem statement found")
    if queue and not report.queues:
        click.echo("no call has a queue (no 'queue' column in the manifests): --queue ignored")
    elif queue:
        click.echo(f"queue: {queue}")
    if not report.repeat_known:
        click.echo("repeat contacts: not known (no call has a customer id)")
    for t in report.themes:
        flags = " NEW" if t["new"] else (" GROWING" if t["growing"] else "")
        score = "-" if t["mean_score"] is None else f"{t['mean_score']:.0f}"
        repeat = "" if t["repeat_share"] is None else f", repeat contacts {t['repeat_share']:.0%}"
        weeks = " ".join(str(n) for n in list(t["weeks"].values())[-8:])
        click.echo(f"\n[{t['id']}] {t['name']}{flags}\n    {t['size']} calls, mean score "
                   f"{score}{repeat}; by week (last 8): {weeks}")
        for ex in t["examples"]:
            click.echo(f"    {ex['call_id']}: \u201c{ex['quote']}\u201d")
    if report.themes:
        click.echo("\n(qa themes --theme ID lists a theme's calls)")


@main.command()
@_db_option
@click.option("--mistakes", is_flag=True, help="also list each disagreement")
def calibrate(db_path: str, mistakes: bool) -> None:
    """How far the machine agrees with the coaches' marks, and coaches with each other."""
    from qa import queries
    _existing_db(db_path).close()
    conn = queries.connect(db_path)
    report = queries.calibration_report(conn, _cli_viewer())
    click.echo(f"{report.marked_calls} calls marked by coaches, {report.double_marked_calls} "
               "by two or more")
    click.echo(f"\n{'machine vs coaches':<22} {'P':>6} {'R':>6} {'F1':>6} {'kappa':>6} "
               f"{'agree':>6} {'coach':>6} {'machine':>8}")
    for label, stats in report.machine.items():
        agreement = report.machine_agreement[label]
        click.echo(f"{label:<22} {stats.precision:6.3f} {stats.recall:6.3f} {stats.f1:6.3f} "
                   f"{_kappa(agreement.kappa):>6} {agreement.observed:6.3f} "
                   f"{stats.support:6d} {stats.tp + stats.fp:8d}")
    if report.double_marked_calls:
        click.echo(f"\n{'coach vs coach':<22} {'kappa':>6} {'agree':>6} {'units':>6}")
        for label, agreement in report.coaches.items():
            click.echo(f"{label:<22} {_kappa(agreement.kappa):>6} {agreement.observed:6.3f} "
                       f"{agreement.units:6d}")
    if mistakes:
        for d in report.disagreements + report.coach_disagreements:
            click.echo(f"{d.call_id}#{d.utterance} {d.label:<21} {d.first:<14} {d.second:<18} "
                       f"{d.text}")


def _kappa(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


@main.command("eval")
@click.argument("folder", type=click.Path(exists=True, file_okay=False))
@click.option("--rubric", "rubric_path", default=None, type=click.Path(exists=True))
@click.option("--json", "as_json", is_flag=True, help="print JSON instead of a table")
@click.option("--mistakes", is_flag=True, help="also list each disagreement")
@click.option("--from-audio", is_flag=True,
              help="transcribe the recording beside each labeled script and evaluate on the "
                   "machine transcript, labels carried over by time (also prints word error rates)")
@_transcriber_options
def eval_command(folder: str, rubric_path: str | None, as_json: bool, mistakes: bool,
                 from_audio: bool, model: str | None, compute_type: str, beam_size: int,
                 batch_size: int, agent_channel: str) -> None:
    """Precision, recall and F1 per label on labeled transcripts in FOLDER."""
    from qa.evaluate import (
        evaluate_calls,
        load_labeled,
        transcribe_labeled,
        transcript_text,
        word_error_rate,
    )
    from qa.transcript import TranscriptError

    rubric = _rubric(rubric_path)
    wer: dict[str, float] = {}
    try:
        if from_audio:
            config = TranscriberConfig(model=model, compute_type=compute_type,
                                       beam_size=beam_size, batch_size=batch_size)
            pairs = transcribe_labeled(folder, config, CHANNELS[agent_channel])
            calls = [machine for _, machine in pairs]
            wer = {s.call_id: round(word_error_rate(transcript_text(s), transcript_text(m)), 4)
                   for s, m in pairs}
        else:
            calls = load_labeled(folder)
    except TranscriptError as exc:
        raise click.ClickException(str(exc)) from None
    result = evaluate_calls(calls, rubric)
    if as_json:
        out = result.to_dict()
        if from_audio:
            out["word_error_rate"] = wer
        click.echo(json.dumps(out, indent=2))
    else:
        for call_id, rate in wer.items():
            click.echo(f"WER {rate:6.1%}  {call_id}")
        source = "machine transcripts of the recordings" if from_audio else "labeled calls"
        click.echo(f"{result.calls} {source} in {folder}\n")
        click.echo(f"{'label':<22}{'precision':>10}{'recall':>8}{'f1':>7}{'support':>9}")
        for label, s in result.labels.items():
            click.echo(f"{label:<22}{s.precision:>10.3f}{s.recall:>8.3f}{s.f1:>7.3f}"
                       f"{s.support:>9}")
    if mistakes:
        for m in result.mistakes:
            click.echo(f"{m.kind:<7} {m.label:<21} {m.call_id}#{m.utterance}: {m.text}",
                       err=as_json)


@main.group(invoke_without_command=True)
@_db_option
@click.option("--status", default="open", show_default=True,
              type=click.Choice([*store.COMMITMENT_STATUSES, "all"]),
              help="which promises to list")
@click.option("--agent", default=None, help="only this agent's calls")
@click.pass_context
def commitments(ctx: click.Context, db_path: str, status: str, agent: str | None) -> None:
    """List the promises agents made to customers (id, what, who, when, channel, who marked
    them), or mark one: `qa commitments done ID` / `qa commitments broken ID`."""
    if ctx.invoked_subcommand is not None:
        return
    db = _existing_db(db_path)
    moment = store.now()
    for row in store.list_commitments(db, None if status == "all" else status, agent):
        when = row["when_text"] or "no time given"
        due = f", due {row['due_at'][:16].replace('T', ' ')}" if row.get("due_at") else ""
        if due and row["status"] == "open" and row["due_at"] < moment:
            due += " OVERDUE"
        marked = (f" by {row['updated_by'] or '?'} at {row['updated_at']}"
                  if row["status"] != "open" and row.get("updated_at") else "")
        flag = f" ({row['flag']}: {row['flag_call_id']})" \
            if row["status"] == "open" and row.get("flag") else ""
        click.echo(f"#{row['id']} [{row['status']}{marked}]{flag} {row['call_id']} "
                   f"@{_clock(row['start'])} {row['agent'] or '-'} ({row['kind']}, "
                   f"{row['who']}, {when}{due}"
                   f"{', ' + row['channel'] if row['channel'] else ''}): \"{row['quote']}\"")


def _mark_commitment(db_path: str, commitment_id: int, status: str, by: str | None,
                     note: str | None) -> None:
    """Set a promise's status as ``by`` (an account's own role applies: an agent's account
    is refused) or, without --by, as the person running the command (who holds the database
    file, so acts as a lead), recording who and when."""
    import getpass

    from qa import queries
    from qa.auth import LEAD, Viewer

    store.open_db(db_path)  # schema up to date
    conn = queries.connect(db_path)
    try:
        if by:
            account = accounts.find_account(conn, by)
            viewer = (Viewer(account["name"], account["role"], account["agent"]) if account
                      else Viewer(by, LEAD))
        else:
            viewer = Viewer(f"{getpass.getuser()} (command line)", LEAD)
        row = queries.set_commitment_status(conn, viewer, commitment_id, status, note)
    except queries.AccessDenied:
        raise click.ClickException(f"{by} may not change commitments (coaches and leads "
                                   "only)") from None
    except (LookupError, ValueError) as exc:
        raise click.ClickException(str(exc.args[0])) from None
    finally:
        conn.close()
    click.echo(f"#{row['id']} {row['call_id']}: {row['status']} (by {row['updated_by']} at "
               f"{row['updated_at']})")


def _mark_options(func: Any) -> Any:
    func = click.option("--note", default=None, help="why (stored with the status)")(func)
    func = click.option("--by", default=None,
                        help="who marks it (an account name; default: you, as a lead)")(func)
    # --db before or after the subcommand: `qa commitments --db x.db done 5` works too.
    func = click.option("--db", "db_path", default=None, type=click.Path(dir_okay=False),
                        help="SQLite database file [default: that of `qa commitments`]")(func)
    return click.argument("commitment_id", type=int)(func)


def _parent_db(db_path: str | None) -> str:
    """The subcommand's --db, else the group's (itself defaulting to $QA_DB or qa.db)."""
    if db_path:
        return db_path
    parent = click.get_current_context().parent
    return str(parent.params["db_path"]) if parent else store.DEFAULT_DB


@commitments.command("done")
@_mark_options
def commitments_done(commitment_id: int, db_path: str | None, by: str | None,
                     note: str | None) -> None:
    """Mark a promise kept (ID from `qa commitments`)."""
    _mark_commitment(_parent_db(db_path), commitment_id, "done", by, note)


@commitments.command("broken")
@_mark_options
def commitments_broken(commitment_id: int, db_path: str | None, by: str | None,
                       note: str | None) -> None:
    """Mark a promise broken (ID from `qa commitments`)."""
    _mark_commitment(_parent_db(db_path), commitment_id, "broken", by, note)


@commitments.command("reopen")
@_mark_options
def commitments_reopen(commitment_id: int, db_path: str | None, by: str | None,
                       note: str | None) -> None:
    """Mark a promise open again (a mistaken done or broken)."""
    _mark_commitment(_parent_db(db_path), commitment_id, "open", by, note)


@main.command()
@_db_option
@click.option("--limit", default=20, show_default=True)
def runs(db_path: str, limit: int) -> None:
    """List recent batch runs with counts of scored, skipped, unscorable and failed files."""
    db = _existing_db(db_path)
    store.close_dead_runs(db)
    for run in store.list_runs(db, limit):
        if run["status"] == "running":  # counts are written at the end: show them live
            counts = store.run_counts(db, run["id"])
            run.update(counts, files=sum(counts.values()))
        click.echo(f"run {run['id']}  {run['started_at']}  {run['status']:<9} "
                   f"files {run['files']}: {run['scored']} scored, {run['skipped']} skipped, "
                   f"{run['unscorable']} unscorable, {run['failed']} failed")
        for failure in store.run_failures(db, run["id"]):
            click.echo(f"    {failure['path']}: {failure['status']}: {failure['error']}")


@main.command()
@click.argument("folder", type=click.Path(exists=True, file_okay=False))
@_db_option
@click.option("--rubric", "rubric_path", default=None, type=click.Path(exists=True),
              help="rubric TOML, or a rubric mapping picking one per queue "
                   "(docs/forms.md) [default: rubrics/default.toml]")
@click.option("--filename-pattern", default=None, metavar="REGEX",
              help="regex with named groups (agent, call_id, call_time, customer, queue) "
                   "matched against file names")
@click.option("--interval", default=5.0, show_default=True, type=click.FloatRange(0.05),
              help="seconds between looks at the folder")
@click.option("--settle", default=10.0, show_default=True, type=click.FloatRange(0),
              help="a file is scored once its size and time have not changed for this long")
@click.option("--once", is_flag=True,
              help="exit once every file present has been scored (for cron)")
@_redaction_options
@_scale_options
@_transcriber_options
def watch(folder: str, db_path: str, rubric_path: str | None, filename_pattern: str | None,
          interval: float, settle: float, once: bool, redact: bool | None,
          redacted_audio: str | None, workers: int, cluster: str | None,
          cpu_threads: int, model: str | None, compute_type: str, beam_size: int, batch_size: int,
          agent_channel: str) -> None:
    """Score recordings as they land in FOLDER, each once it has stopped growing.

    Files already scored (same content, same rubric) are skipped, so the watcher can be
    restarted at any time. Each batch of newly settled files is one run in `qa runs`. The
    exit code is 1 if any file failed.
    """
    from qa.watch import watch as watch_folder

    rubric, rubrics = _rubrics(rubric_path)
    settings = Settings(rubric,
                        TranscriberConfig(model=model, compute_type=compute_type,
                                          beam_size=beam_size, batch_size=batch_size,
                                          cpu_threads=cpu_threads),
                        agent_channel=CHANNELS[agent_channel],
                        **_redaction_settings(redact, redacted_audio), rubrics=rubrics)
    _check_redaction(settings)
    db = store.open_db(db_path)

    failed = 0

    def on_outcome(outcome: Outcome) -> None:
        nonlocal failed
        failed += outcome.status == "failed"
        detail = f" ({outcome.error})" if outcome.error else ""
        overall = "" if outcome.overall is None else f" {outcome.overall:.1f}"
        click.echo(f"{outcome.path}: {outcome.status}{overall}{detail}")

    click.echo(f"watching {folder} (every {interval:g} s, settle {settle:g} s); "
               "Ctrl-C to stop", err=True)
    try:
        with _where(workers, cluster) as compute:
            watch_folder(folder, settings, db, interval=interval, settle=settle, once=once,
                         compute=compute, filename_pattern=filename_pattern,
                         on_outcome=on_outcome)
    except KeyboardInterrupt:
        click.echo("stopped", err=True)
    if failed:  # as qa score: a cron job must see that files failed
        click.echo(f"{failed} file(s) failed", err=True)
        sys.exit(1)


@main.group()
def audit() -> None:
    """The audit trail: every change a person made (append-only)."""


@audit.command("export")
@_db_option
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default="csv",
              show_default=True, help="CSV (formula-safe) or JSON Lines, one row per change")
@click.option("--call", "call_id", default=None, help="only this call's history")
@click.option("-o", "--output", type=click.File("w", encoding="utf-8"), default="-")
def audit_export(db_path: str, fmt: str, call_id: str | None, output: Any) -> None:
    """Write the audit trail, oldest first, streamed row by row."""
    db = store.open_db(db_path)
    store.write_audit(store.iter_audit(db, call_id), fmt, output)


@main.group()
def users() -> None:
    """Dashboard accounts (passwords stored as Argon2 hashes)."""


@users.command("list")
@_db_option
def users_list(db_path: str) -> None:
    """The dashboard accounts: name, role, agent id (never the password hashes)."""
    from qa.auth import list_users

    db = _existing_db(db_path)
    accounts = list_users(db.conn)
    if not accounts:
        click.echo(f"no accounts in {db_path}: add one with qa users add NAME --role lead")
        return
    for user in accounts:
        click.echo(f"{user['name']}\t{user['role']}\t{user['agent'] or ''}"
                   + (f"\tsso {user['sso_email']}" if user["sso_email"] else "")
                   + ("\tdisabled" if user["disabled"] else ""))


def _read_password() -> str:
    """A new password: prompted for twice on a terminal, else the first line of stdin."""
    if sys.stdin.isatty():
        return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))
    return sys.stdin.readline().rstrip("\r\n")


@users.command("add")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(["lead", "coach", "agent"]))
@click.option("--agent", "agent_id", default=None, metavar="AGENT_ID",
              help="for --role agent: the agent id on their calls")
@click.option("--sso-email", default=None, metavar="EMAIL",
              help="the verified e-mail a single sign-on identity must have to sign in as "
                   "this account (the name is never matched)")
@_db_option
def users_add(name: str, role: str, agent_id: str | None, sso_email: str | None,
              db_path: str) -> None:
    """Create a dashboard account. The password is prompted for on a terminal (twice) and
    read from the first line of standard input otherwise; there is no default. It needs at
    least 10 characters and may not be a common password."""
    from qa.auth import AuthError, add_user

    password = _read_password()
    db = store.open_db(db_path)
    try:
        add_user(db.conn, name, role, password, agent_id, sso_email)
    except AuthError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"added {role} {name!r}" + (f" (agent {agent_id})" if agent_id else "") +
               (f" (single sign-on as {sso_email.strip()})" if sso_email else "") +
               f" to {db_path}")


@users.command("passwd")
@click.argument("name")
@_db_option
def users_passwd(name: str, db_path: str) -> None:
    """Set a new password for an account (read like qa users add; the same policy)."""
    _reset_password(name, _read_password(), db_path)


def _account_change(change: Any, db_path: str) -> None:
    """Run ``change(conn)`` (a qa.auth account change made as the operator); its refusal
    becomes the command's error."""
    from qa.auth import AccessDenied, AuthError

    db = store.open_db(db_path)
    try:
        change(db.conn)
    except (AuthError, LookupError, AccessDenied) as exc:
        raise click.ClickException(str(exc.args[0])) from None
    finally:
        db.conn.close()


def _reset_password(name: str, password: str, db_path: str) -> None:
    from qa.auth import OPERATOR, reset_password

    _account_change(lambda conn: reset_password(conn, OPERATOR, name, password), db_path)
    click.echo(f"password changed for {name!r}; its dashboard sessions are signed out")


@users.command("reset-password")
@click.argument("name")
@click.option("--password-stdin", is_flag=True,
              help="read the new password from the first line of standard input")
@_db_option
def users_reset_password(name: str, password_stdin: bool, db_path: str) -> None:
    """Give an account a new password: asked for twice on a terminal, or read from standard
    input with --password-stdin. The password policy applies; the account's sessions end."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif sys.stdin.isatty():
        password = str(click.prompt("New password", hide_input=True,
                                    confirmation_prompt=True))
    else:
        raise click.UsageError("no terminal to ask on: pipe the password in with "
                               "--password-stdin")
    _reset_password(name, password, db_path)


@users.command("disable")
@click.argument("name")
@_db_option
def users_disable(name: str, db_path: str) -> None:
    """Disable an account: it cannot sign in, and open dashboard sessions end on their next
    action. The last enabled lead cannot be disabled."""
    from qa.auth import OPERATOR, set_disabled

    _account_change(lambda conn: set_disabled(conn, OPERATOR, name, True), db_path)
    click.echo(f"{name!r} disabled")


@users.command("enable")
@click.argument("name")
@_db_option
def users_enable(name: str, db_path: str) -> None:
    """Enable a disabled account again (it signs in afresh: old sessions stay ended)."""
    from qa.auth import OPERATOR, set_disabled

    _account_change(lambda conn: set_disabled(conn, OPERATOR, name, False), db_path)
    click.echo(f"{name!r} enabled")


@users.command("set-role")
@click.argument("name")
@click.argument("role", type=click.Choice(["lead", "coach", "agent"]))
@click.option("--agent", "agent_id", default=None, metavar="AGENT_ID",
              help="for role agent: the agent id on their calls")
@_db_option
def users_set_role(name: str, role: str, agent_id: str | None, db_path: str) -> None:
    """Change an account's role. The last enabled lead cannot be demoted."""
    from qa.auth import OPERATOR, set_role

    _account_change(lambda conn: set_role(conn, OPERATOR, name, role, agent_id), db_path)
    click.echo(f"{name!r} is now {role}" + (f" (agent {agent_id})" if agent_id else ""))


@users.command("sso")
@click.argument("name")
@click.argument("email", required=False)
@_db_option
def users_sso(name: str, email: str | None, db_path: str) -> None:
    """Map a single sign-on e-mail to an account, or remove its mapping (no EMAIL)."""
    from qa.auth import AuthError, set_sso_email

    db = store.open_db(db_path)
    try:
        set_sso_email(db.conn, name, email)
    except (AuthError, LookupError) as exc:
        raise click.ClickException(str(exc.args[0])) from None
    click.echo(f"{name!r} signs in with single sign-on as {email.strip()}" if email
               else f"{name!r} no longer signs in with single sign-on")


@main.group()
def roles() -> None:
    """Who is the agent on a call: list calls a person must check, confirm or swap roles."""


@roles.command("review")
@_db_option
def roles_review(db_path: str) -> None:
    """List calls flagged "needs a person to confirm roles", least sure first."""
    from qa.roles import describe

    db = _existing_db(db_path)
    rows = store.roles_to_review(db)
    rows.sort(key=lambda r: json.loads(r["roles"] or "{}").get("confidence", 0))
    for row in rows:
        click.echo(f"{row['id']}  {row['agent'] or '-'}  "
                   f"{describe(json.loads(row['roles'] or '{}'))}")
    click.echo(f"{len(rows)} call(s) need a person to confirm roles", err=True)


def _decide_roles(call_id: str, db_path: str, rubric_path: str | None, by: str | None,
                  swap: bool) -> None:
    from qa.roles import decide_call

    db = _existing_db(db_path)
    row = store.rubric_version_of(db, call_id)
    if row is None:
        raise click.ClickException(f"no call {call_id!r} in {db_path}")
    try:
        # Without --rubric: the rubric file the call was scored with, if it is unchanged.
        rubric = rubric_of_call(row[1], row[0]) if rubric_path is None else \
            load_rubric(rubric_path)
    except RubricError as exc:
        raise click.ClickException(f"rubric error: {exc}") from None
    if row[0] != rubric.label:
        # Re-scoring with another rubric would silently change every score, not just roles.
        raise click.ClickException(f"call {call_id!r} was scored with rubric {row[0]}, not "
                                   f"{rubric.label}: pass --rubric with that rubric's file")
    try:
        scored = decide_call(db, call_id, rubric, swap, by)
    except (LookupError, ValueError) as exc:
        raise click.ClickException(str(exc.args[0])) from None
    overall = "-" if scored.overall is None else f"{scored.overall:.1f}"
    click.echo(f"{call_id}: roles {'swapped' if swap else 'confirmed'}, re-scored: overall "
               f"{overall} (remembered for later runs)")


def _roles_options(func: Any) -> Any:
    func = click.option("--by", default=None, help="who decided (stored with the decision)")(func)
    func = click.option("--rubric", "rubric_path", default=None, type=click.Path(exists=True),
                        help="the call's rubric TOML [default: the rubric file the call was "
                             "scored with, else rubrics/default.toml]")(func)
    return _db_option(click.argument("call_id")(func))


@roles.command("swap")
@_roles_options
def roles_swap(call_id: str, db_path: str, rubric_path: str | None, by: str | None) -> None:
    """Swap agent and customer on a stored call, re-score it and remember the swap."""
    _decide_roles(call_id, db_path, rubric_path, by, swap=True)


@roles.command("confirm")
@_roles_options
def roles_confirm(call_id: str, db_path: str, rubric_path: str | None, by: str | None) -> None:
    """Confirm a call's roles as they are (clears the review flag; remembered)."""
    _decide_roles(call_id, db_path, rubric_path, by, swap=False)


@main.group("rubric")
def rubric_group() -> None:
    """The rubric: print the default one to start a custom rubric from."""


@rubric_group.command("show")
@click.option("--rubric", "rubric_path", default=None, type=click.Path(exists=True),
              help="print this rubric instead [default: $QA_RUBRIC, ./rubrics/default.toml, "
                   "else the one shipped with qa]")
def rubric_show(rubric_path: str | None) -> None:
    """Print the rubric TOML in use (``qa rubric show > my.toml`` to start a custom one)."""
    from qa.rubric import default_rubric_path

    path = Path(rubric_path) if rubric_path else default_rubric_path()
    _rubric(str(path))  # a broken rubric is reported, not printed as if usable
    click.echo(path.read_text(encoding="utf-8"), nl=False)


@main.command()
@_db_option
@click.option("--port", default=8501, show_default=True, type=click.IntRange(1, 65535),
              help="port to serve the dashboard on")
@click.option("--address", default="localhost", show_default=True,
              help="address to listen on (0.0.0.0: every interface)")
@click.option("--root", default="sample_calls", show_default=True,
              type=click.Path(file_okay=False),
              help="folder the batch page may score recordings from")
def dashboard(db_path: str, port: int, address: str, root: str) -> None:
    """Start the dashboard (Streamlit) on the database; Ctrl-C stops it."""
    import os

    # The app's path, not an import of it: that would load Streamlit into this process.
    app = Path(__file__).resolve().parent / "ui" / "app.py"
    command = [sys.executable, "-m", "streamlit", "run", str(app),
               "--server.headless=true", f"--server.port={port}", f"--server.address={address}",
               "--browser.gatherUsageStats=false",
               "--", "--db", str(Path(db_path).resolve()), "--root", str(Path(root).resolve())]
    if os.name == "posix":
        # Replace this process, so that stopping `qa dashboard` (its pid) stops the server.
        os.execv(sys.executable, command)
    import subprocess

    sys.exit(subprocess.call(command))


# `qa redact` lives beside the redaction it drives (qa/redact/cli.py).
main.add_command(redact_cli.command)

if __name__ == "__main__":
    main()
