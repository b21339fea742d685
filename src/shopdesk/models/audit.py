"""The append-only, hash-chained audit trail (spec 13.2).

Each row's `hash` covers its own content and the previous row's hash on the
same node, so changing, inserting or deleting a row in the middle breaks the
chain at that point. SQLite triggers (created by the migration) refuse UPDATE
and DELETE on this table. `seq` is AUTOINCREMENT, so a number is never used
twice, even after the newest rows were removed; `alg` says how `hash` was made:
'sha256' (entries written before issue 10) or 'hmac-sha256' with this data
directory's audit key, which lives in the OS keyring, so rewriting the chain
needs a secret that is not in the file.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from shopdesk.models.base import Base


class AuditEntry(Base):
    __tablename__ = "audit_log"
    __table_args__ = (
        CheckConstraint("length(hash) = 64", name="hash_length"),
        CheckConstraint("alg IN ('sha256','hmac-sha256')", name="alg"),
        Index("ix_audit_log_entity", "entity", "entity_id", "seq"),
        {"sqlite_autoincrement": True},
    )

    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    node: Mapped[str] = mapped_column(String(8))
    at: Mapped[datetime]
    staff_id: Mapped[uuid.UUID | None]
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(32))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(64))
    detail: Mapped[str] = mapped_column(Text)  # canonical JSON
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    alg: Mapped[str] = mapped_column(String(12), default="hmac-sha256")
