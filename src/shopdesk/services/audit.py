"""The hash-chained audit trail: append inside a write, verify, read (spec 13.2)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from shopdesk.domain.permissions import Permission
from shopdesk.models import AuditEntry
from shopdesk.models.base import table_of
from shopdesk.services.store import Actor, Store

GENESIS = "0" * 64


@dataclass(frozen=True)
class AuditRecord:
    seq: int
    at: datetime
    actor: str
    action: str
    entity: str
    entity_id: str
    detail: dict[str, Any]


@dataclass(frozen=True)
class VerifyReport:
    ok: bool
    checked: int
    problem: str = ""
    bad_seq: int | None = None


def _json(detail: dict[str, Any]) -> str:
    return json.dumps(detail, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=str)


def _digest(node: str, at: str, staff_id: str, actor: str, action: str, entity: str,
            entity_id: str, detail: str, prev: str) -> str:
    payload = "\x1f".join([node, at, staff_id, actor, action, entity, entity_id, detail, prev])
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


class AuditTrail:
    """Appends entries within the caller's write transaction; reads for managers.

    Safe from any thread: appends only happen inside `Store.write()`, which
    serializes them, so the chain head read here cannot race.
    """

    def __init__(self, store: Store) -> None:
        self._store = store

    def append(self, session: Session, actor: Actor, action: str, entity: str,
               entity_id: UUID | str, detail: dict[str, Any]) -> None:
        self.append_many(session, actor, [(action, entity, entity_id, detail)])

    def append_many(self, session: Session, actor: Actor,
                    entries: Sequence[tuple[str, str, UUID | str, dict[str, Any]]]) -> None:
        node = self._store.node_tag
        prev = session.scalar(
            select(AuditEntry.hash).where(AuditEntry.node == node)
            .order_by(AuditEntry.seq.desc()).limit(1)
        ) or GENESIS
        at = self._store.clock()
        at_text = at.isoformat(timespec="microseconds")
        staff = str(actor.staff_id) if actor.staff_id else ""
        rows = []
        for action, entity, entity_id, detail in entries:
            detail_text = _json(detail)
            digest = _digest(node, at_text, staff, actor.name, action, entity, str(entity_id),
                             detail_text, prev)
            rows.append({
                "node": node, "at": at, "staff_id": actor.staff_id, "actor": actor.name,
                "action": action, "entity": entity, "entity_id": str(entity_id),
                "detail": detail_text, "prev_hash": prev, "hash": digest,
            })
            prev = digest
        session.connection().execute(insert(table_of(AuditEntry)), rows)

    def verify(self) -> VerifyReport:
        """Recompute every chain; the first broken link is reported."""
        heads: dict[str, str] = {}
        checked = 0
        with self._store.read() as session:
            result = session.execute(select(AuditEntry).order_by(AuditEntry.seq)).scalars()
            for entry in result.yield_per(2000):
                prev = heads.get(entry.node, GENESIS)
                if entry.prev_hash != prev:
                    return VerifyReport(False, checked, "an entry before it was removed or "
                                        "altered (previous-hash mismatch)", entry.seq)
                digest = _digest(entry.node, entry.at.isoformat(timespec="microseconds"),
                                 str(entry.staff_id) if entry.staff_id else "", entry.actor,
                                 entry.action, entry.entity, entry.entity_id, entry.detail,
                                 entry.prev_hash)
                if digest != entry.hash:
                    return VerifyReport(False, checked, "its content was altered "
                                        "(hash mismatch)", entry.seq)
                heads[entry.node] = entry.hash
                checked += 1
        return VerifyReport(True, checked)

    def entries(self, entity: str | None = None, entity_id: UUID | str | None = None,
                limit: int = 200) -> list[AuditRecord]:
        """Newest first. Reading the audit log is itself a manager's right."""
        self._store.require(Permission.READ_AUDIT)
        query = select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(limit)
        if entity:
            query = query.where(AuditEntry.entity == entity)
        if entity_id is not None:
            query = query.where(AuditEntry.entity_id == str(entity_id))
        with self._store.read() as session:
            return [
                AuditRecord(e.seq, e.at, e.actor, e.action, e.entity, e.entity_id,
                            json.loads(e.detail))
                for e in session.scalars(query)
            ]
