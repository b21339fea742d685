"""Writing CSV files a spreadsheet may open safely (OWASP "CSV Injection").

Excel, LibreOffice and Google Sheets run a cell that starts with ``=``, ``+``, ``-``
or ``@`` (or a tab or carriage return before one) as a formula: a customer named
``=HYPERLINK(...)`` would act when a manager opens an export. As OWASP advises,
every such cell gets a leading apostrophe, which spreadsheets take for "this is
text" (OWASP and ASVS 1.2.10 list = + - @ tab CR, ASVS adds NUL), and the csv module
quotes every cell that holds a delimiter, quote or line break (RFC 4180).

The guard covers every cell, phones included: ``+447400123456`` would otherwise be
read as a number (shown 4.474E+11). A cell that already starts with apostrophes
before a formula character gets one more, so `csv_read.unguard`, which drops exactly
one apostrophe from such a cell, gives back every value as it was: an export
re-imports unchanged, while ``'s-Hertogenbosch`` (no formula character after the
apostrophe) is left alone both ways.

Files are written to ``<name>.partial`` and renamed into place when complete.
Any thread.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

from shopdesk.services.customers.csv_read import GUARDED

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\x00")


def guard(value: str) -> str:
    """`value` as a cell no spreadsheet runs as a formula."""
    if value.startswith(_FORMULA_START) or GUARDED.match(value):
        return "'" + value
    return value


def cell(value: Any) -> str:
    """Any stored value as the text of a guarded cell (None as empty, booleans as words)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return guard(value if isinstance(value, str) else str(value))


class GuardedWriter:
    """A csv writer whose every cell passes through `cell`."""

    def __init__(self, handle: TextIO, delimiter: str = ",") -> None:
        self._writer = csv.writer(handle, delimiter=delimiter)

    def row(self, values: Iterable[Any]) -> None:
        self._writer.writerow([cell(v) for v in values])

    def rows(self, rows: Iterable[Sequence[Any]]) -> None:
        for values in rows:
            self.row(values)


@contextmanager
def replacing(path: Path, encoding: str = "utf-8") -> Iterator[TextIO]:
    """Write `path` through ``<path>.partial``; the file appears only when complete."""
    tmp = path.with_name(path.name + ".partial")
    try:
        with tmp.open("w", newline="", encoding=encoding) as handle:
            yield handle
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
