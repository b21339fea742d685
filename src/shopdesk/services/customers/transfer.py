"""Bulk import and export of customers (CSV and JSON).

Import validates every row with the registration rules, imports the valid ones
in batches (each batch one transaction, with its audit entries), and reports
every rejected row with its line number, field and reason. A row whose phone
or e-mail already belongs to a customer (or to an earlier line) is rejected.
"""

from __future__ import annotations

import csv
import json
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

from shopdesk.changes import Changes
from shopdesk.domain import codes
from shopdesk.domain.customer_rules import CustomerInput, clean_customer
from shopdesk.domain.permissions import Permission
from shopdesk.errors import FieldError, ShopdeskError, ValidationError
from shopdesk.models import Customer, CustomerLoyalty, CustomerPreferences
from shopdesk.models.base import table_of
from shopdesk.services.audit import AuditTrail
from shopdesk.services.consent import register as consents
from shopdesk.services.customers.customer_views import CUSTOMER_COLUMNS, PREFERENCE_COLUMNS
from shopdesk.services.customers.customers import CustomerService, created_fields, derived_columns
from shopdesk.services.settings import SettingsService
from shopdesk.services.store import Store

REQUIRED_COLUMNS = ("first_name", "last_name", "phone")
# Columns an export writes that an import accepts and ignores (they are
# assigned anew by the importing counter).
EXPORT_ONLY = ("id", "code", "is_active", "created_at", "updated_at")
BATCH = 2000

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Rejected:
    line: int
    field: str
    reason: str
    row: dict[str, str]


@dataclass
class ImportReport:
    total: int = 0
    imported: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    rejects_path: Path | None = None
    seconds: float = 0.0


def _as_bool(text: str) -> bool:
    return text.strip().lower() in ("1", "true", "yes", "y", "on")


def input_from_row(row: dict[str, str]) -> CustomerInput:
    """A CSV row as typed input; `address` fills the first address line."""
    values: dict[str, Any] = {}
    for key, raw in row.items():
        if key is None or key in EXPORT_ONLY:
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


class TransferService:
    """Import and export for managers; long imports report progress. Any thread."""

    def __init__(self, store: Store, audit: AuditTrail, settings: SettingsService,
                 customers: CustomerService) -> None:
        self._store = store
        self._audit = audit
        self._settings = settings
        self._customers = customers

    # -- import -------------------------------------------------------------------
    def import_csv(self, path: Path, progress: Progress | None = None,
                   rejects_path: Path | None = None) -> ImportReport:
        self._store.require(Permission.IMPORT_EXPORT)
        path = Path(path)
        if not path.is_file():
            raise ShopdeskError(f"cannot read {path}: no such file")
        with path.open(newline="", encoding="utf-8-sig") as handle:
            total = max(sum(1 for _ in handle) - 1, 0)
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            header = [h.strip() for h in (reader.fieldnames or [])]
            reader.fieldnames = header
            self._check_header(header)
            rows = ((reader.line_num, row) for row in reader)
            report = self.import_rows(rows, total, progress)
        if report.rejected:
            report.rejects_path = rejects_path or path.with_name(path.stem + ".rejects.csv")
            self._write_rejects(report.rejects_path, header, report.rejected)
        return report

    @staticmethod
    def _check_header(header: list[str]) -> None:
        known = set(CustomerInput.field_names()) | {"address", *EXPORT_ONLY}
        missing = [c for c in REQUIRED_COLUMNS if c not in header]
        unknown = [c for c in header if c not in known]
        errors = [FieldError(c, "missing_column", "column is required in the header row")
                  for c in missing]
        errors += [FieldError(c, "unknown_column", "is not a customer field") for c in unknown]
        if errors:
            raise ValidationError(errors)

    def import_rows(self, rows: Iterable[tuple[int, dict[str, str]]], total: int,
                    progress: Progress | None = None) -> ImportReport:
        """Validate and insert (line, row) pairs; the engine under CSV import and demo."""
        actor = self._store.require(Permission.IMPORT_EXPORT)
        started = time.perf_counter()
        policy = self._settings.policy()
        today = self._store.clock().date()
        report = ImportReport(total=total)
        with self._store.read() as session:
            seen_phone: dict[str, str] = {
                p: f"existing customer {c}" for p, c in session.execute(
                    select(Customer.phone, Customer.code))}
            seen_email: dict[str, str] = {
                e: f"existing customer {c}" for e, c in session.execute(
                    select(Customer.email, Customer.code).where(
                        Customer.email.is_not(None))) if e}
        batch: list[dict[str, Any]] = []
        done = 0
        for line, row in rows:
            done += 1
            try:
                clean = clean_customer(input_from_row(row), policy, today)
            except ValidationError as exc:
                first = exc.errors[0]
                reason = "; ".join(f"{e.field}: {e.message}" for e in exc.errors)
                report.rejected.append(Rejected(line, first.field, reason, row))
            else:
                dup = self._duplicate(clean, seen_phone, seen_email, line)
                if dup:
                    report.rejected.append(Rejected(line, dup[0], dup[1], row))
                else:
                    batch.append(clean)
            if len(batch) >= BATCH:
                report.imported += self._insert_batch(actor, batch)
                batch = []
            if progress and (done % 500 == 0 or done == total):
                progress(done, total)
        if batch:
            report.imported += self._insert_batch(actor, batch)
        if progress:
            progress(done, max(total, done))
        report.total = done
        report.seconds = time.perf_counter() - started
        return report

    @staticmethod
    def _duplicate(clean: dict[str, Any], phones: dict[str, str], emails: dict[str, str],
                   line: int) -> tuple[str, str] | None:
        if clean["phone"] in phones:
            return "phone", f"phone {clean['phone']} already belongs to {phones[clean['phone']]}"
        if clean["email"] and clean["email"] in emails:
            return "email", f"e-mail {clean['email']} already belongs to {emails[clean['email']]}"
        phones[clean["phone"]] = f"line {line} of this file"
        if clean["email"]:
            emails[clean["email"]] = f"line {line} of this file"
        return None

    def _insert_batch(self, actor: Any, batch: list[dict[str, Any]]) -> int:
        now = self._store.clock()
        with self._store.write() as session:
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
                loyalty.append({"customer_id": customer_id, "points": 0, "tier": "bronze",
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
        self._store.publish(Changes(customers=frozenset(row["id"] for row in customers)))
        return len(batch)

    @staticmethod
    def _write_rejects(path: Path, header: list[str], rejected: list[Rejected]) -> None:
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["line", "field", "reason", *header])
            for r in rejected:
                writer.writerow([r.line, r.field, r.reason, *(r.row.get(h, "") for h in header)])

    # -- export -------------------------------------------------------------------
    EXPORT_COLUMNS = ("id", "code", *CustomerInput.field_names(), "is_active", "created_at",
                      "updated_at")

    def export(self, path: Path, progress: Progress | None = None) -> int:
        """Write every customer to `path` (.csv or .json); returns the count."""
        actor = self._store.require(Permission.IMPORT_EXPORT)
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix not in (".csv", ".json"):
            raise ValidationError(FieldError("file", "file_type",
                                             "must end in .csv or .json"))
        total = self._customers.count()
        tmp = path.with_name(path.name + ".partial")
        count = 0
        with tmp.open("w", newline="", encoding="utf-8") as handle:
            if suffix == ".csv":
                writer = csv.DictWriter(handle, fieldnames=self.EXPORT_COLUMNS)
                writer.writeheader()
            else:
                handle.write("[\n")
            for record in self._records():
                if suffix == ".csv":
                    writer.writerow({k: _csv_value(v) for k, v in record.items()})
                else:
                    handle.write(("," if count else "") + json.dumps(
                        record, ensure_ascii=False, default=str) + "\n")
                count += 1
                if progress and count % 1000 == 0:
                    progress(count, total)
            if suffix == ".json":
                handle.write("]\n")
        tmp.replace(path)
        if progress:
            progress(count, total)
        with self._store.write() as session:
            self._audit.append(session, actor, "export", "customers", "*",
                               {"count": count, "file": path.name})
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



def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value
