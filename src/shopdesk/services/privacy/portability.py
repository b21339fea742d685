"""Data portability (spec 13.1): everything held about one person, as one ZIP archive.

The archive holds `data.json` (machine-readable: every row of every table that
belongs to the customer, driven by the registry in `models.personal`, so a table a
later feature adds is included without touching this module), the consent register
read out, the audit entries about the person with their sealed values opened, the
document files under `documents/`, and a `README.txt` saying what each part is.
Records merged into the customer (or the customer into) are the same person and are
included; a suspected duplicate that nobody confirmed is not (it may be someone
else). The export is recorded in the audit trail.

Thread rule: any thread (reads, then one write for the audit entry).
"""

from __future__ import annotations

import json
import os
import re
import zipfile
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

from sqlalchemy import Boolean, Connection, text

from shopdesk.domain.permissions import Permission
from shopdesk.domain.privacy.consent import current
from shopdesk.errors import FieldError, NotFound, ValidationError
from shopdesk.models import AuditEntry, Base
from shopdesk.models.base import Money
from shopdesk.models.personal import (
    CUSTOMER_PATH,
    NOT_EXPORTED,
    NOT_EXPORTED_COLUMNS,
    linked_tables,
)
from shopdesk.services.audit import AuditTrail
from shopdesk.services.consent import register
from shopdesk.services.customers.document_files import DocumentUnreadable
from shopdesk.services.customers.documents import DocumentService
from shopdesk.services.privacy.scrub import linked_rows
from shopdesk.services.store import Store

FORMAT = "shopdesk-personal-data/1"


@dataclass(frozen=True)
class ExportSummary:
    path: Path
    codes: list[str]
    rows: dict[str, int]
    documents: int
    size: int


def _plain(table: str, column: str, value: Any) -> Any:
    """A stored value as JSON: money in the shop's currency units, true/false."""
    if value is None:
        return None
    kind = Base.metadata.tables[table].columns[column].type
    if isinstance(kind, Money):
        return str((Decimal(int(value)) / 100).quantize(Decimal("0.01")))
    if isinstance(kind, Boolean):
        return bool(value)
    return value


def _safe(name: str) -> str:
    cleaned = re.sub(r"[^\w.\- ]+", "_", name).strip(" .") or "file"
    return cleaned[:80]


class PortabilityService:
    """`export_data(customer_id, out)`: the person's data archive. Any thread."""

    def __init__(self, store: Store, audit: AuditTrail, documents: DocumentService) -> None:
        self._store, self._audit, self._documents = store, audit, documents

    def export_data(self, customer_id: UUID, out: Path) -> ExportSummary:
        actor = self._store.require(Permission.EXPORT_PERSONAL_DATA)
        out = Path(out)
        if out.suffix.lower() != ".zip":
            raise ValidationError(FieldError("file", "file_type", "must end in .zip"))
        if out.is_dir():
            raise ValidationError(FieldError("file", "folder", f"{out} is a folder"))
        now = self._store.clock()
        with self._store.read() as session:
            conn = session.connection()
            family = self._family(conn, customer_id)
            tables: dict[str, list[dict[str, Any]]] = {}
            for table in linked_tables():
                if table in NOT_EXPORTED or table not in Base.metadata.tables:
                    continue
                tables[table] = self._rows(conn, table, family)
            events = register.history(conn, family)
            consents = {c: {"current": [s.__dict__ | {"label": s.label}
                                        for s in current(e).values()],
                            "history": [e_.__dict__ for e_ in e]}
                        for c, e in events.items()}
            audit = self._audit_entries(session, family, tables)
        codes = [r["code"] for r in tables["customers"]]
        documents = tables.get("customer_documents", [])
        data = {"format": FORMAT, "generated_at": now.isoformat(),
                "customers": codes, "tables": tables, "consents": consents, "audit": audit,
                "documents": [{"id": d["id"], "title": d["title"], "kind": d["kind"],
                               "sha256": d["content_hash"],
                               "file": f"documents/{d['id']}-{_safe(d['filename'])}"}
                              for d in documents]}
        tmp = out.with_name(out.name + ".partial")
        files = 0
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("README.txt", _readme(codes, now, tables))
            archive.writestr("data.json", json.dumps(data, ensure_ascii=False, indent=1,
                                                     default=str))
            for doc, entry in zip(documents, data["documents"], strict=True):
                try:  # decrypted and checked against its hash
                    content = self._documents.read(UUID(hex=str(doc["id"])))
                except (NotFound, DocumentUnreadable):
                    continue  # erased, or never copied to this counter: listed, no file
                archive.writestr(entry["file"], content)
                files += 1
        os.replace(tmp, out)
        rows = {t: len(r) for t, r in tables.items() if r}
        with self._store.write() as session:
            self._audit.append(session, actor, "export_data", "customer", customer_id,
                               {"code": codes[0] if codes else "", "file": out.name,
                                "rows": rows, "documents": files})
        return ExportSummary(out, codes, rows, files, out.stat().st_size)

    @staticmethod
    def _family(conn: Connection, customer_id: UUID) -> list[str]:
        """The customer and the records merged with it (both ways)."""
        found = [customer_id.hex]
        if conn.execute(text("SELECT 1 FROM customers WHERE id = :c"),
                        {"c": customer_id.hex}).first() is None:
            raise NotFound(f"no customer with id {customer_id}")
        i = 0
        while i < len(found):
            for (other,) in conn.execute(text(
                    "SELECT merged_into FROM customers WHERE id = :c AND merged_into IS NOT NULL "
                    "UNION SELECT id FROM customers WHERE merged_into = :c"), {"c": found[i]}):
                if str(other) not in found:
                    found.append(str(other))
            i += 1
        return found

    @staticmethod
    def _rows(conn: Connection, table: str, family: list[str]) -> list[dict[str, Any]]:
        ids = linked_rows(conn, table, family)
        if not ids:
            return []
        pk = next(iter(Base.metadata.tables[table].primary_key.columns)).name
        columns = [c.name for c in Base.metadata.tables[table].columns
                   if (table, c.name) not in NOT_EXPORTED_COLUMNS]
        out = []
        for i in range(0, len(ids), 500):
            chunk = ids[i:i + 500]
            marks = ", ".join(f":r{n}" for n in range(len(chunk)))
            for row in conn.execute(text(
                    f"SELECT {', '.join(columns)} FROM {table} WHERE {pk} IN ({marks})"),
                    {f"r{n}": r for n, r in enumerate(chunk)}).mappings():
                out.append({c: _plain(table, c, row[c]) for c in columns})
        return out

    def _audit_entries(self, session: Any, family: list[str],
                       tables: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
        entity_tables = {"customer": "customers", "device": "devices",
                         "repair_ticket": "repair_tickets", "support_ticket": "support_tickets",
                         "service": "customer_services"}
        wanted: list[tuple[str, str]] = []
        for entity, table in entity_tables.items():
            pk = "id"
            for row in tables.get(table, []):
                wanted.append((entity, str(UUID(hex=str(row[pk])))))
        found: list[AuditEntry] = []
        for entity in entity_tables:
            ids = [i for e, i in wanted if e == entity]
            for i in range(0, len(ids), 500):
                chunk = ids[i:i + 500]
                found += list(session.query(AuditEntry).filter(
                    AuditEntry.entity == entity, AuditEntry.entity_id.in_(chunk)))
        found.sort(key=lambda e: e.seq)
        return [{"at": r.at.isoformat(), "by": r.actor, "action": r.action,
                 "entity": r.entity, "entity_id": r.entity_id, "detail": r.detail}
                for r in self._audit.opened(session, found)]


def _readme(codes: list[str], now: datetime, tables: dict[str, list[Any]]) -> str:
    listed = "\n".join(f"  - {t}: {len(r)} row(s)" for t, r in tables.items() if r)
    left_out = "\n".join(f"  - {t}: {why}" for t, why in NOT_EXPORTED.items()) + "\n" + \
        "\n".join(f"  - {t}.{c}: {why}" for (t, c), why in NOT_EXPORTED_COLUMNS.items())
    linked = ", ".join(sorted(CUSTOMER_PATH))
    return f"""Personal data held about customer {', '.join(codes)}
Made {now:%Y-%m-%d %H:%M} UTC by shopdesk (format {FORMAT}).

data.json    everything the shop holds about this person, machine-readable JSON (UTF-8):
             "tables": every row of every table that belongs to the customer, with all
             its columns, as stored (ids are 32 hex digits, times ISO 8601 in UTC, money
             in the shop's currency); records merged with this customer are included.
             "consents": each purpose's current state and the full history of grants
             and withdrawals: when, how, who recorded it.
             "audit": every entry of the shop's audit trail about these records: who
             looked at or changed what, and when.
             "documents": the files attached to the customer, with their SHA-256.
documents/   the attached files themselves.

Rows in this export:
{listed}

Tables that can hold a customer's data: {linked}.
Left out, and why:
{left_out}
"""
