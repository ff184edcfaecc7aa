"""CSV with one utterance per row: columns ``speaker``, ``start``, ``end``, ``text``.

Header names are matched case-insensitively and other columns are ignored; the delimiter may
be a comma, semicolon or tab. Times are seconds (``12.5``) or clock times (``00:00:12.500``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping

from qa.importers.common import Turn, build_transcript, parse_time
from qa.transcript import Transcript, TranscriptError

NAME = "CSV"
COLUMNS = ("speaker", "start", "end", "text")


def _header(text: str) -> tuple[str, dict[str, int]] | None:
    """(delimiter, column index by name) when the first line is a transcript header."""
    first = text.lstrip("\ufeff").split("\n", 1)[0].rstrip("\r")
    for delimiter in (",", ";", "\t"):
        try:
            cells = next(csv.reader([first], delimiter=delimiter), [])
        except csv.Error:  # a lone "\r" inside the line, an over-long field: not a header
            continue
        names = [n.strip().strip('"').strip().lower() for n in cells]
        if all(c in names for c in COLUMNS):
            return delimiter, {c: names.index(c) for c in COLUMNS}
    return None


def sniff(text: str) -> bool:
    """True when the first line names the speaker, start, end and text columns."""
    return _header(text) is not None


def parse(text: str, call_id: str, *, speaker_map: Mapping[str, str] | None = None,
          source: str | None = None) -> Transcript:
    """Build a Transcript from CSV text."""
    found = _header(text)
    if found is None:
        raise TranscriptError(f"{NAME}: the header must name the columns "
                              f"{', '.join(COLUMNS)}")
    delimiter, index = found
    rows = csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=delimiter)
    turns: list[Turn] = []
    try:
        next(rows)
        _read_rows(rows, index, turns)
    except csv.Error as exc:  # e.g. a field over the csv module's size limit
        raise TranscriptError(f"{NAME}: row {rows.line_num}: {exc}") from None
    return build_transcript(turns, call_id, NAME, speaker_map=speaker_map, source=source)


def _read_rows(rows: Iterator[list[str]], index: dict[str, int], turns: list[Turn]) -> None:
    """Append a turn to ``turns`` for each data row of ``rows``."""
    for line, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) <= max(index.values()):
            raise TranscriptError(f"{NAME}: row {line} has {len(row)} columns, the header "
                                  f"{max(index.values()) + 1} or more")
        times = []
        for column in ("start", "end"):
            value = row[index[column]]
            try:
                times.append(parse_time(value))
            except ValueError:
                raise TranscriptError(f"{NAME}: row {line}: {column} {value!r} is not seconds "
                                      "or HH:MM:SS.mmm") from None
        speaker = row[index["speaker"]].strip()
        if not speaker:
            raise TranscriptError(f"{NAME}: row {line} has no speaker")
        turns.append(Turn(speaker, times[0], times[1], row[index["text"]]))
