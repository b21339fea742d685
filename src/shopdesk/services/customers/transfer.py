"""Bulk import and export of customers (CSV and JSON).

Import reads the file as `csv_read` describes (encoding and delimiter detected,
header names in any case, broken quotes costing one row), validates every row with
the registration rules and inserts the valid ones in batches, each batch one
transaction with its audit entries. One customer per phone and per e-mail is
checked inside the transaction that inserts the batch (IMMEDIATE: no other
process writes in between), so two imports at once, or a registration during an
import, never duplicate a customer. A rejected row is reported with its line,
field and reason, and written to the rejects file.

However an import ends (done, cancelled, Ctrl-C, a database busy for too long, an
unexpected error), it returns its report: what was committed (whole batches only),
what was rejected, and, when it stopped early, why and from which line nothing was
imported. Export writes every cell through the formula guard of `csv_write`.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from shopdesk.changes import Changes
from shopdesk.domain import codes
from shopdesk.domain.customer_rules import CustomerInput, Policy, clean_customer
from shopdesk.domain.permissions import Permission
from shopdesk.errors import FieldError, ShopdeskError, ValidationError
from shopdesk.models import Customer, CustomerLoyalty, CustomerPreferences
from shopdesk.models.base import table_of
from shopdesk.services.audit import AuditTrail
from shopdesk.services.consent import register as consents
from shopdesk.services.customers import csv_read
from shopdesk.services.customers.csv_read import CsvFormat, RecordReader
from shopdesk.services.customers.csv_write import GuardedWriter
from shopdesk.services.customers.customer_views import CUSTOMER_COLUMNS, PREFERENCE_COLUMNS
from shopdesk.services.customers.customers import CustomerService, created_fields, derived_columns
from shopdesk.services.customers.import_file import (
    KNOWN_COLUMNS,
    ImportReport,
    Progress,
    Rejected,
    check_header,
    check_rejects_path,
    input_from_row,
    rows_of,
    write_rejects,
)
from shopdesk.services.settings import SettingsService
from shopdesk.services.store import Actor, Store

log = logging.getLogger(__name__)

BATCH = 2000  # rows a transaction inserts


@dataclass
class _Pending:
    line: int
    row: dict[str, str]
    clean: dict[str, Any]


class TransferService:
    """Import and export for managers; long runs report progress and may be cancelled
    (set the `cancel` event from any thread). Any thread."""

    def __init__(self, store: Store, audit: AuditTrail, settings: SettingsService,
                 customers: CustomerService) -> None:
        self._store = store
        self._audit = audit
        self._settings = settings
        self._customers = customers

    # -- import -------------------------------------------------------------------
    def inspect(self, path: Path, encoding: str | None = None,
                delimiter: str | None = None) -> CsvFormat:
        """How `path` will be read (encoding and delimiter detected unless given)."""
        return csv_read.inspect(Path(path), set(KNOWN_COLUMNS), encoding, delimiter)

    def import_csv(self, path: Path, progress: Progress | None = None,
                   rejects_path: Path | None = None, encoding: str | None = None,
                   delimiter: str | None = None, cancel: threading.Event | None = None,
                   rejects_file: bool = True) -> ImportReport:
        """Import a customer CSV; the file, its header and the rejects path are checked
        before any row is (ValidationError naming what is wrong). With `rejects_file`
        False no rejects file is written (the window shows them and saves on request:
        `save_rejects`)."""
        self._store.require(Permission.IMPORT_EXPORT)
        path = Path(path)
        fmt = self.inspect(path, encoding, delimiter)
        target = Path(rejects_path) if rejects_path else path.with_name(
            path.stem + ".rejects.csv")
        with path.open(encoding=fmt.encoding, newline="") as handle:
            reader = RecordReader(handle, fmt.delimiter)
            first = next(reader, None)
            if first is None:
                raise ValidationError(FieldError("file", "empty",
                                                 f"{path} is empty: no header row"))
            if first.fields is None:
                raise ValidationError(FieldError(
                    "header", "format", f"line {first.line}: {first.error}"))
            header = [csv_read.normalize_column(name) for name in first.fields]
            check_header(header, fmt, first.text)
            if rejects_file:
                check_rejects_path(target, path)
            reader.width = len(header)
            report = self.import_rows(rows_of(reader, header),
                                      max(fmt.lines - first.line, 0), progress, cancel)
        report.format, report.header = fmt, header
        if report.rejected and rejects_file:
            try:
                self.save_rejects(report, target)
                report.rejects_path = target
            except OSError as exc:  # checked before, yet gone (disk full...): say so
                report.rejects_error = f"cannot write {target}: {exc.strerror or exc}"
        return report

    @staticmethod
    def save_rejects(report: ImportReport, target: Path) -> None:
        """Write the report's rejected rows to `target` (CSV, the file's delimiter)."""
        write_rejects(Path(target), report.header, report.rejected,
                      report.format.delimiter if report.format else ",")

    def import_rows(self, rows: Iterable[tuple[int, dict[str, str] | Rejected]],
                    total: int, progress: Progress | None = None,
                    cancel: threading.Event | None = None) -> ImportReport:
        """Validate and insert (line, row) pairs; the engine under CSV import and demo."""
        actor = self._store.require(Permission.IMPORT_EXPORT)
        started = time.perf_counter()
        policy = self._settings.policy()
        today = self._store.clock().date()
        report = ImportReport(total=total)
        # Phones and e-mails of earlier lines of this file; the database is asked
        # inside each batch's transaction (see `_flush`).
        seen: dict[str, dict[str, int]] = {"phone": {}, "email": {}}
        batch: list[_Pending] = []
        done = line = 0
        try:
            for line, row in rows:
                done += 1
                self._take(line, row, policy, today, seen, batch, report)
                if len(batch) >= BATCH:
                    self._flush(actor, batch, report)
                    batch = []
                if cancel is not None and cancel.is_set():
                    self._flush(actor, batch, report)  # the current batch, then stop
                    batch = []
                    report.stopped, report.resume_line = "cancelled", line + 1
                    break
                if progress and (done % 500 == 0 or done == total):
                    progress(done, total)
            else:
                self._flush(actor, batch, report)
                batch = []
        except KeyboardInterrupt:
            report.stopped = "interrupted (Ctrl-C)"
        except ShopdeskError as exc:  # DatabaseBusy, a permission lost...
            report.stopped = f"stopped: {exc}"
        except Exception as exc:  # never lose the report to a surprise; log it whole
            log.exception("import stopped at line %s", line)
            report.stopped = f"stopped by an unexpected error: {exc!r}"
        if report.stopped and report.resume_line is None:
            report.resume_line = batch[0].line if batch else line
        if progress:
            progress(done, max(total, done))
        report.rejected.sort(key=lambda r: r.line)
        report.total = done
        report.seconds = time.perf_counter() - started
        return report

    @staticmethod
    def _take(line: int, row: dict[str, str] | Rejected, policy: Policy, today: date,
              seen: dict[str, dict[str, int]], batch: list[_Pending],
              report: ImportReport) -> None:
        """Validate one row: into `batch`, or into the report's rejects."""
        if isinstance(row, Rejected):  # rejected as it was read (broken quotes...)
            report.rejected.append(row)
            return
        try:
            clean = clean_customer(input_from_row(row), policy, today)
        except ValidationError as exc:
            reason = "; ".join(f"{e.field}: {e.message}" for e in exc.errors)
            report.rejected.append(Rejected(line, exc.errors[0].field, reason, row))
            return
        for key in ("phone", "email"):
            value = clean[key]
            if value and value in seen[key]:
                label = "phone" if key == "phone" else "e-mail"
                report.rejected.append(Rejected(
                    line, key, f"{label} {value} already belongs to line "
                               f"{seen[key][value]} of this file", row))
                return
        for key in ("phone", "email"):
            if clean[key]:
                seen[key][clean[key]] = line
        batch.append(_Pending(line, row, clean))

    def _flush(self, actor: Actor, batch: list[_Pending], report: ImportReport) -> None:
        """Insert `batch` in one transaction, minus rows whose phone or e-mail a customer
        already holds (checked here, inside the transaction, not from an earlier read)."""
        if not batch:
            return
        now = self._store.clock()
        late: list[Rejected] = []
        with self._store.write() as session:
            taken = {key: self._customers.holders(session, key, [p.clean[key] for p in batch])
                     for key in ("phone", "email")}
            keep = []
            for pending in batch:
                clash = next((k for k in ("phone", "email")
                              if pending.clean[k] and pending.clean[k] in taken[k]), None)
                if clash is None:
                    keep.append(pending)
                    continue
                value = pending.clean[clash]
                label = "phone" if clash == "phone" else "e-mail"
                late.append(Rejected(pending.line, clash, f"{label} {value} already belongs "
                                     f"to existing customer {taken[clash][value]}", pending.row))
            ids = self._insert(session, actor, [p.clean for p in keep], now)
        report.imported += len(ids)
        report.imported_ids += ids
        report.rejected.extend(late)
        self._store.publish(Changes(customers=frozenset(ids)))

    def _insert(self, session: Session, actor: Actor, batch: list[dict[str, Any]],
                now: datetime) -> list[uuid.UUID]:
        if not batch:
            return []
        first = self._store.next_sequence(session, "customer", len(batch))
        customers, prefs, loyalty, audit = [], [], [], []
        consent_rows: list[dict[str, Any]] = []
        for offset, clean in enumerate(batch):
            customer_id = uuid.uuid4()
            code = codes.customer_code(self._store.node_tag, first + offset)
            customers.append({
                "id": customer_id, "code": code, **derived_columns(clean),
                "registered_by": actor.staff_id,
                "created_at": now, "updated_at": now, "is_active": True,
                **{c: clean[c] for c in CUSTOMER_COLUMNS}})
            prefs.append({"customer_id": customer_id,
                          "marketing_consent_at": now if clean["marketing_opt_in"] else None,
                          **{c: clean[c] for c in PREFERENCE_COLUMNS}})
            loyalty.append({"customer_id": customer_id, "tier": "bronze",
                            "opened_at": now})
            consent_rows += consents.form_rows(customer_id, clean, clean["channel"], now,
                                               actor.staff_id, imported=True)
            audit.append(("create", "customer", customer_id,
                          {"code": code, "via": "import", "fields": created_fields(clean)}))
        # Core executemany: one prepared statement for the whole batch.
        connection = session.connection()
        connection.execute(insert(table_of(Customer)), customers)
        connection.execute(insert(table_of(CustomerPreferences)), prefs)
        connection.execute(insert(table_of(CustomerLoyalty)), loyalty)
        consents.insert_events(connection, consent_rows)
        self._audit.append_many(session, actor, audit)
        return [row["id"] for row in customers]

    # -- export -------------------------------------------------------------------
    EXPORT_COLUMNS = ("id", "code", *CustomerInput.field_names(), "is_active", "created_at",
                      "updated_at")

    def export(self, path: Path, progress: Progress | None = None,
               cancel: threading.Event | None = None) -> int:
        """Write every customer to `path` (.csv or .json); returns the count.

        The file appears complete or not at all, together with its audit entry."""
        actor = self._store.require(Permission.IMPORT_EXPORT)
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix not in (".csv", ".json"):
            raise ValidationError(FieldError("file", "file_type",
                                             "must end in .csv or .json"))
        if path.is_dir():
            raise ValidationError(FieldError("file", "folder", f"{path} is a folder"))
        total = self._customers.count()
        tmp = path.with_name(path.name + ".partial")
        count = 0
        try:
            with tmp.open("w", newline="", encoding="utf-8") as handle:
                writer = GuardedWriter(handle)
                if suffix == ".csv":
                    writer.row(self.EXPORT_COLUMNS)
                else:
                    handle.write("[\n")
                for record in self._records():
                    if suffix == ".csv":
                        writer.row(record.values())
                    else:
                        handle.write(("," if count else "") + json.dumps(
                            record, ensure_ascii=False, default=str) + "\n")
                    count += 1
                    if count % 1000 == 0:
                        if progress:
                            progress(count, total)
                        if cancel is not None and cancel.is_set():
                            raise ShopdeskError("export cancelled; no file was written")
                if suffix == ".json":
                    handle.write("]\n")
            with self._store.write() as session:
                self._audit.append(session, actor, "export", "customers", "*",
                                   {"count": count, "file": path.name})
                os.replace(tmp, path)  # inside: no audit entry without its file
        finally:
            if tmp.exists():
                tmp.unlink()
        if progress:
            progress(count, total)
        return count

    def _records(self) -> Iterator[dict[str, Any]]:
        with self._store.read() as session:
            query = select(Customer).order_by(Customer.created_at, Customer.code)
            for row in session.scalars(query).yield_per(1000):
                record: dict[str, Any] = {"id": str(row.id), "code": row.code}
                for column in CUSTOMER_COLUMNS:
                    value = getattr(row, column)
                    record[column] = value.isoformat() if hasattr(value, "isoformat") else value
                for column in PREFERENCE_COLUMNS:
                    record[column] = getattr(row.preferences, column)
                record["is_active"] = row.is_active
                record["created_at"] = row.created_at.isoformat()
                record["updated_at"] = row.updated_at.isoformat()
                yield {k: record.get(k) for k in self.EXPORT_COLUMNS}


__all__ = ["ImportReport", "Rejected", "TransferService"]
