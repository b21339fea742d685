"""A customer file's rows as the import takes them, and what the import reports.

The header is checked (names in any case; required, unknown and repeated columns),
each record becomes a row, or a `Rejected` as it is read (broken quotes, values
beyond the header), the export's cells are unguarded, and the rejects file is written in the
file's own delimiter through the formula guard. Pure file handling; any thread.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

from shopdesk.domain.customer_rules import CustomerInput
from shopdesk.errors import FieldError, ValidationError
from shopdesk.services.customers import csv_read
from shopdesk.services.customers.csv_read import CsvFormat, RecordReader
from shopdesk.services.customers.csv_write import GuardedWriter, replacing

REQUIRED_COLUMNS = ("first_name", "last_name", "phone")
# Columns an export writes that an import accepts and ignores (they are
# assigned anew by the importing counter), and the columns a rejects file adds,
# so a rejects file, once fixed, imports as it is.
EXPORT_ONLY = ("id", "code", "is_active", "created_at", "updated_at")
REJECTS_ONLY = ("line", "field", "reason")
KNOWN_COLUMNS = frozenset({*CustomerInput.field_names(), "address", *EXPORT_ONLY,
                           *REJECTS_ONLY})
MAX_REJECT_CELL = 10_000  # a rejects file is for people: a 1 MB cell is cut

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Rejected:
    line: int
    field: str
    reason: str
    row: dict[str, str]


@dataclass
class ImportReport:
    """What an import did. `stopped` says why it ended before the end of the file
    (None when it read everything); rows from `resume_line` on were not imported."""

    total: int = 0
    imported: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    rejects_path: Path | None = None
    seconds: float = 0.0
    format: CsvFormat | None = None
    header: list[str] = field(default_factory=list)  # the file's columns, as read
    imported_ids: list[UUID] = field(default_factory=list)
    stopped: str | None = None
    resume_line: int | None = None
    rejects_error: str | None = None  # why the rejects file could not be written

    @property
    def cancelled(self) -> bool:
        return self.stopped == "cancelled"

    def summary(self) -> str:
        """One line: 'imported 3 of 8 rows in 0.1 s' (of the rows read, if it stopped)."""
        read = "the " if self.stopped else ""
        return (f"imported {self.imported} of {read}{self.total} rows"
                f"{' read' if self.stopped else ''} in {self.seconds:.1f} s")

    def stop_reason(self) -> str | None:
        """Why and where the import stopped, and what to do; None when it did not."""
        if self.stopped is None:
            return None
        where = (f"rows from line {self.resume_line} on were not imported"
                 if self.resume_line else "the rest of the file was not imported")
        return (f"import {self.stopped} ({where}; the {self.imported} rows imported before "
                "are saved; importing the file again adds the rest and reports the rows "
                "already imported as duplicates)")


def _as_bool(text: str) -> bool:
    return text.strip().lower() in ("1", "true", "yes", "y", "on")


def input_from_row(row: dict[str, str]) -> CustomerInput:
    """A CSV row as typed input; `address` fills the first address line."""
    values: dict[str, Any] = {}
    for key, raw in row.items():
        if key is None or key in EXPORT_ONLY or key in REJECTS_ONLY:
            continue
        text = (raw or "").strip()
        if key == "address":
            if text and not row.get("address_line1"):
                values["address_line1"] = text
        elif key in ("marketing_opt_in", "service_notifications"):
            if text:
                values[key] = _as_bool(text)
        elif key == "date_of_birth":
            values[key] = text or None
        elif text:
            values[key] = text
    return CustomerInput(**values)


def check_header(header: list[str], fmt: CsvFormat, text: str = "") -> None:
    """Refuse a header with a required column missing, an unknown or a repeated one;
    `text`, the header line as written, lets the refusal name a better delimiter."""
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    unknown = [c for c in header if c and c not in KNOWN_COLUMNS]
    errors = [FieldError(c, "missing_column", "column is required in the header row")
              for c in missing]
    errors += [FieldError(c, "unknown_column", "is not a customer field") for c in unknown]
    for name in dict.fromkeys(c for c in header if c and header.count(c) > 1):
        places = [str(i + 1) for i, c in enumerate(header) if c == name]
        errors.append(FieldError(name, "duplicate_column",
                                 f"appears more than once in the header (columns "
                                 f"{', '.join(places)}); keep one"))
    if errors:
        message = f"read as {fmt.describe()}"
        likely = csv_read.detect_delimiter(text, set(KNOWN_COLUMNS)) if text else fmt.delimiter
        if likely != fmt.delimiter:
            message += f"; it looks {csv_read.DELIMITERS[likely]}-separated"
        errors.append(FieldError("header", "format", message))
        raise ValidationError(errors)


def check_rejects_path(target: Path, source: Path) -> None:
    """Refuse, before anything is imported, a rejects file that could not be written."""
    def refuse(message: str) -> ValidationError:
        return ValidationError(FieldError("rejects", "rejects_path", message))
    if target.resolve() == source.resolve():
        raise refuse(f"{target} is the file being imported")
    if target.is_dir():
        raise refuse(f"{target} is a folder; give a file name")
    if not target.parent.is_dir():
        raise refuse(f"cannot write {target}: the folder {target.parent} does not exist")
    if target.exists() and not os.access(target, os.W_OK):
        raise refuse(f"cannot write {target}: it is read-only")
    try:
        fd, probe = tempfile.mkstemp(dir=target.parent, prefix=".shopdesk-")
    except OSError as exc:
        raise refuse(f"cannot write in {target.parent}: {exc.strerror or exc}") from None
    os.close(fd)
    os.unlink(probe)


def rows_of(reader: RecordReader,
            header: list[str]) -> Iterator[tuple[int, dict[str, str] | Rejected]]:
    named = [(i, name) for i, name in enumerate(header) if name]
    unnamed = len(named) < len(header)
    for record in reader:
        if record.fields is None:
            values = record.text.rstrip("\r\n").split(reader.delimiter)
            yield record.line, Rejected(record.line, "row", record.error, dict(zip(
                header, values, strict=False)))
            continue
        fields = [csv_read.unguard(v) for v in record.fields]
        row = {name: fields[i] if i < len(fields) else "" for i, name in named}
        extra = [(i + 1, v) for i, v in enumerate(fields)
                 if v.strip() and (i >= len(header) or not header[i])] \
            if unnamed or len(fields) > len(header) else []
        if extra:
            shown = ", ".join(f"'{v[:40]}' (column {n})" for n, v in extra)
            yield record.line, Rejected(record.line, "row", (
                f"has {len(fields)} values but the header names {len(named)} columns: "
                f"extra values {shown}"), row)
            continue
        yield record.line, row


def write_rejects(path: Path, header: list[str], rejected: list[Rejected],
                  delimiter: str) -> None:
    """The rejected rows, in the file's own delimiter, every cell guarded."""
    with replacing(path) as handle:
        writer = GuardedWriter(handle, delimiter)
        writer.row(["line", "field", "reason", *header])
        for r in rejected:
            writer.row([r.line, r.field, r.reason, *(
                r.row.get(h, "")[:MAX_REJECT_CELL] for h in header)])
