"""Access logging (spec 13.2): views of tickets, devices and result lists, and prints.

Opening a profile is recorded as it happens (`customers.open_profile`). The other
reads are many and cheap, so they are queued here (`record` only appends to a list:
safe to call on the GUI thread) and written to the audit trail in one transaction by
`flush`, which the window runs on its worker every few seconds and the command line
runs when it closes the shop. Each entry names who looked, as it was when they
looked, and `seen_at` says when (the entry's own time is when it was written).

Thread rule: `record` from any thread; `flush` from a thread that may write.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import text

from shopdesk.services.audit import AuditTrail
from shopdesk.services.store import Actor, Store

MAX_QUEUED = 5000  # a runaway caller cannot grow the queue without bound
SHOWN_IN_LIST = 50  # customers of a result list named in its entry (the first screens)


@dataclass(frozen=True)
class _Seen:
    actor: Actor
    at: datetime
    action: str
    entity: str
    entity_id: str
    detail: dict[str, Any]


class AccessLog:
    """A queue of reads to record; `flush` writes them. See the module docstring."""

    def __init__(self, store: Store, audit: AuditTrail) -> None:
        self._store, self._audit = store, audit
        self._queue: list[_Seen] = []
        self._writing = 0  # taken from the queue, not yet committed
        self._lock = threading.Lock()
        self.dropped = 0

    def record(self, action: str, entity: str, entity_id: UUID | str,
               detail: dict[str, Any] | None = None) -> None:
        """Queue one read by whoever is signed in (nothing when nobody is)."""
        actor = self._store.actor
        if actor is None:
            return
        seen = _Seen(actor, self._store.clock(), action, entity, str(entity_id),
                     dict(detail or {}))
        with self._lock:
            if len(self._queue) >= MAX_QUEUED:
                self.dropped += 1
                return
            self._queue.append(seen)

    def viewed_list(self, customer_ids: list[UUID], what: str = "search") -> None:
        """A result list staff looked at: the customers on it (the first screens)."""
        if customer_ids:
            self.record("view_list", "customers", what,
                        {"count": len(customer_ids),
                         "customers": [c.hex for c in customer_ids[:SHOWN_IN_LIST]]})

    @property
    def pending(self) -> int:
        """Reads not yet in the audit trail (queued, or being written)."""
        with self._lock:
            return len(self._queue) + self._writing

    def flush(self) -> int:
        """Write every queued read to the audit trail (one transaction); returns how many."""
        with self._lock:
            queue, self._queue = self._queue, []
            self._writing += len(queue)
        if not queue:
            return 0
        try:
            with self._store.write() as session:
                codes = self._codes(session, queue)
                by_actor: dict[Actor, list[tuple[str, str, str, dict[str, Any]]]] = {}
                for seen in queue:
                    detail = {**seen.detail, "seen_at": seen.at.isoformat()}
                    if "customers" in detail:
                        detail["codes"] = [codes.get(c, c) for c in detail.pop("customers")]
                    by_actor.setdefault(seen.actor, []).append(
                        (seen.action, seen.entity, seen.entity_id, detail))
                for actor, entries in by_actor.items():
                    self._audit.append_many(session, actor, entries)
        except BaseException:
            with self._lock:  # not lost: tried again with the next flush
                self._queue[:0] = queue
            raise
        finally:
            with self._lock:
                self._writing -= len(queue)
        return len(queue)

    @staticmethod
    def _codes(session: Any, queue: list[_Seen]) -> dict[str, str]:
        wanted = sorted({c for s in queue for c in s.detail.get("customers", [])})
        found: dict[str, str] = {}
        for i in range(0, len(wanted), 500):
            chunk = wanted[i:i + 500]
            marks = ", ".join(f":c{n}" for n in range(len(chunk)))
            found.update((str(r[0]), r[1]) for r in session.execute(text(
                f"SELECT id, code FROM customers WHERE id IN ({marks})"),
                {f"c{n}": c for n, c in enumerate(chunk)}))
        return found
