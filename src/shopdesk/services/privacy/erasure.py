"""The right to be forgotten (spec 13.1): `shop.erasure.forget(customer_id, reason)`.

A manager's decision. Everything identifying about the person is erased or
irreversibly pseudonymised in every table that holds it (the registry in
`models.personal` says how, column by column); what the law makes the shop keep
(invoices, service and device records for warranty) stays, under the customer's
pseudonymous code. Their document files are deleted (when no other record uses the
file), their audit keys destroyed (the sealed values in the trail can no longer be
read, and the chain still verifies), and the search index refreshed.

The erasure travels as a command in the outbox (kind ``erase``): the central server
erases the same rows, records a tombstone per customer and refuses personal values
for them from then on; every counter applies the tombstones it pulls
(`apply_pulled`), so a counter offline for weeks that edited the customer loses the
edit's personal values, and nothing brings them back.

Thread rule: any thread; writes serialize on `Store.write()`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from shopdesk.changes import Changes
from shopdesk.db import capture
from shopdesk.domain.permissions import Permission, Role
from shopdesk.errors import FieldError, NotFound, ValidationError
from shopdesk.services.audit import AuditTrail
from shopdesk.services.customers.documents import DocumentService
from shopdesk.services.privacy import scrub
from shopdesk.services.store import Actor, Store

REASON_MIN, REASON_MAX = 3, 500
SYNC_ACTOR = Actor(None, "sync (an erasure made on another counter)", Role.OWNER)


@dataclass(frozen=True)
class ErasureTarget:
    id: UUID
    code: str
    name: str
    why: str  # "asked", "merged record", "suspected duplicate (same phone)"
    erased: bool


@dataclass(frozen=True)
class ErasureResult:
    customers: list[ErasureTarget]
    rows: dict[str, int]
    documents_deleted: int
    queued: bool  # sent to the central server with the next sync
    changes: Changes


class ErasureService:
    """Plans and carries out erasures; applies the ones pulled from the server."""

    def __init__(self, store: Store, audit: AuditTrail, documents: DocumentService) -> None:
        self._store, self._audit, self._documents = store, audit, documents

    def plan(self, customer_id: UUID) -> list[ErasureTarget]:
        """Every record an erasure of `customer_id` reaches (itself first), for the
        confirmation staff see before they erase."""
        self._store.require(Permission.ERASE_CUSTOMERS)
        with self._store.read() as session:
            return self._targets(session.connection(), customer_id)

    def forget(self, customer_id: UUID, reason: str) -> ErasureResult:
        actor = self._store.require(Permission.ERASE_CUSTOMERS)
        reason = " ".join(reason.split())
        if not REASON_MIN <= len(reason) <= REASON_MAX:
            raise ValidationError(FieldError(
                "reason", "length", f"say why in {REASON_MIN} to {REASON_MAX} characters "
                "(the request and its date; no personal data)"))
        with self._store.write() as session:
            conn = session.connection()
            targets = self._targets(conn, customer_id)
            todo = [t for t in targets if not t.erased]
            if not todo:
                raise ValidationError(FieldError("customer", "erased",
                                                 "this customer was already erased"))
            now = self._store.clock()
            ids = [t.id.hex for t in targets]
            queued = capture.queue_command(conn, "erase", {
                "customers": ids, "reason": reason,
                "at": now.isoformat(timespec="microseconds"),
                "by": actor.staff_id.hex if actor.staff_id else None})
            # Not captured: the server erases the same rows and sends them back.
            with capture.paused(conn):
                done = scrub.erase_rows(conn, ids, erased_at=now, erased_by=actor.staff_id,
                                        reason=reason)
            self._audit.subject_keys.forget_cached(ids)
            # One entry per record erased (each profile's history ends with it); never
            # sealed: the record of the erasure must outlive the key it destroys.
            self._audit.append_many(session, actor, [("erase", "customer", t.id, {
                "code": t.code, "why": t.why, "asked": customer_id.hex, "reason": reason,
                "codes": [x.code for x in targets], "rows": done.rows}) for t in targets],
                seal=False)
        deleted = self._after(done)
        changes = self._store.publish(Changes(
            customers=frozenset(t.id for t in targets),
            documents=frozenset(t.id for t in targets)))
        return ErasureResult(targets, done.rows, deleted, queued, changes)

    # -- erasures pulled from the server -------------------------------------------------
    def apply_pulled(self, conn: Connection, tombstones: list[dict[str, Any]]
                     ) -> scrub.Scrubbed | None:
        """Erase here the customers whose tombstones a pull brought (inside the pull's
        transaction, capture off). Idempotent."""
        ids = [str(t.get("customer_id")) for t in tombstones if t.get("customer_id")]
        family = list(scrub.erasure_set(conn, ids))
        if not family:
            return None
        first = tombstones[0]
        at = datetime.fromisoformat(str(first.get("erased_at")))
        by = first.get("erased_by")
        done = scrub.erase_rows(conn, family, erased_at=at,
                                erased_by=UUID(hex=by) if by else None,
                                reason=str(first.get("reason") or "erased on another counter"))
        self._audit.subject_keys.forget_cached(family)
        with Session(bind=conn) as session:
            marks = ", ".join(f":c{n}" for n in range(len(family)))
            codes = {str(r[0]): str(r[1]) for r in session.execute(text(
                f"SELECT id, code FROM customers WHERE id IN ({marks})"),
                {f"c{n}": c for n, c in enumerate(family)})}
            self._audit.append_many(session, SYNC_ACTOR, [("erase", "customer", UUID(hex=c), {
                "code": codes.get(c, ""), "codes": sorted(codes.values()), "rows": done.rows,
                "reason": first.get("reason"), "via": "sync"}) for c in family], seal=False)
            session.flush()
        return done

    def after_pull(self, done: scrub.Scrubbed) -> int:
        """Once the pull committed: delete the erased customers' unused files."""
        return self._after(done)

    # -- helpers -----------------------------------------------------------------------
    def _after(self, done: scrub.Scrubbed) -> int:
        deleted = self._documents.discard_unused(done.document_hashes)
        with self._store.engine.connect() as conn:
            scrub.checkpoint(conn)
        return deleted

    @staticmethod
    def _targets(conn: Connection, customer_id: UUID) -> list[ErasureTarget]:
        family = scrub.erasure_set(conn, [customer_id])
        if customer_id.hex not in family:
            raise NotFound(f"no customer with id {customer_id}")
        marks = ", ".join(f":c{n}" for n in range(len(family)))
        rows = {str(r[0]): r for r in conn.execute(text(
            "SELECT c.id, c.code, c.first_name || ' ' || c.last_name, e.customer_id "
            "FROM customers c LEFT JOIN customer_erasures e ON e.customer_id = c.id "
            f"WHERE c.id IN ({marks})"), {f"c{n}": c for n, c in enumerate(family)})}
        order = [customer_id.hex, *sorted(k for k in family if k != customer_id.hex)]
        return [ErasureTarget(UUID(hex=k), rows[k][1], rows[k][2], family[k],
                              rows[k][3] is not None) for k in order]
