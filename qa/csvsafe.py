"""CSV that a spreadsheet opens as data, never as formulas (CSV injection).

A cell that begins with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return, which some
spreadsheets skip before looking) is run as a formula by Excel, LibreOffice and Google Sheets:
a transcript line ``=HYPERLINK("http://evil", "click")`` would become a live link. Every CSV
the tool writes goes through here, and such text cells get a leading single quote, as OWASP
recommends: the spreadsheet shows the text, and the quote tells a reader it was neutralised.
Numbers are left as numbers (a negative score is not text).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import IO, Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """``value`` as it can go in a CSV cell: text that a spreadsheet would run as a formula
    gets a leading ``'``; everything else is returned unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class SafeDictWriter(csv.DictWriter):
    """A :class:`csv.DictWriter` whose cells (and header) are neutralised by
    :func:`safe_cell`."""

    def writeheader(self) -> Any:
        """Write the header row (column names neutralised too)."""
        return self.writer.writerow([safe_cell(name) for name in self.fieldnames])

    def writerow(self, rowdict: Mapping[str, Any]) -> Any:
        """Write one row, each cell neutralised."""
        return super().writerow({k: safe_cell(v) for k, v in rowdict.items()})

    def writerows(self, rowdicts: Iterable[Mapping[str, Any]]) -> None:
        """Write rows, each cell neutralised."""
        for row in rowdicts:
            self.writerow(row)


def write_rows(out: IO[str], header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Write a header and rows of cells to ``out`` as CSV, every cell neutralised."""
    writer = csv.writer(out)
    writer.writerow([safe_cell(c) for c in header])
    for row in rows:
        writer.writerow([safe_cell(c) for c in row])


def frame_csv(frame: Any) -> bytes:
    """A pandas DataFrame as UTF-8 CSV bytes (with a byte-order mark, so spreadsheets read
    the accents right), every cell neutralised: for the dashboard's downloads."""
    out = io.StringIO()
    write_rows(out, [str(c) for c in frame.columns],
               (["" if _missing(v) else v for v in row]
                for row in frame.itertuples(index=False, name=None)))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _missing(value: Any) -> bool:
    """None or NaN (pandas' missing value): an empty cell."""
    return value is None or (isinstance(value, float) and value != value)
