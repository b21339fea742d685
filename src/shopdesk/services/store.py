"""Plumbing every service shares: sessions, the one write lock, this node's tag, a clock."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from uuid import UUID

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from shopdesk.changes import Changes
from shopdesk.db.cipher import DbKey
from shopdesk.db.engine import session_factories
from shopdesk.domain import codes
from shopdesk.domain.permissions import Permission, Role, allowed
from shopdesk.errors import NotSignedIn, PermissionDenied
from shopdesk.models import LocalMeta
from shopdesk.models.base import utcnow


@dataclass(frozen=True)
class Actor:
    """Who is acting: a signed-in staff member, or a named system process (CLI, import)."""

    staff_id: UUID | None
    name: str
    role: Role

    @property
    def label(self) -> str:
        return self.name


class Store:
    """Owns the session factories and serializes every local write.

    Thread rules: `read()` may be used from any thread (one session per call);
    `write()` takes a process-wide lock, so writes from the UI's worker, the CLI
    and the sync thread never interleave, and begins IMMEDIATE so another
    process queues instead of failing.
    """

    def __init__(self, root: Path, engine: Engine,
                 clock: Callable[[], datetime] = utcnow, db_key: DbKey | None = None) -> None:
        self.root = root
        self.engine = engine
        # The database's key, for code that opens it on its own connection (sync,
        # backups) and the keys derived from it (document files). None: found again.
        self.db_key = db_key
        self._reader, self._writer = session_factories(engine)
        self._lock = threading.RLock()
        self.clock = clock
        self.actor: Actor | None = None
        self._listeners: list[Callable[[Changes], None]] = []
        self.node_tag = self._ensure_node_tag()

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self._reader() as session, session.begin():
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        with self._lock, self._writer() as session, session.begin():
            yield session

    def write_lock(self) -> threading.RLock:
        """The lock `write()` holds, for a writer with its own connection (sync)."""
        return self._lock

    def subscribe(self, listener: Callable[[Changes], None]) -> None:
        """Call `listener` after every committed write (on the writing thread)."""
        self._listeners.append(listener)

    def unsubscribe(self, listener: Callable[[Changes], None]) -> None:
        self._listeners.remove(listener)

    def publish(self, changes: Changes) -> Changes:
        if not changes.empty:
            # A copy: another thread may unsubscribe while this one publishes.
            for listener in list(self._listeners):
                listener(changes)
        return changes

    def require(self, permission: Permission) -> Actor:
        actor = self.actor
        if actor is None:
            raise NotSignedIn("sign in first")
        if not allowed(actor.role, permission):
            raise PermissionDenied(
                f"{actor.role.label} staff may not {permission.value.replace('_', ' ')}"
            )
        return actor

    def _ensure_node_tag(self) -> str:
        with self.write() as session:
            row = session.get(LocalMeta, "node_tag")
            if row is None:
                row = LocalMeta(key="node_tag", value=codes.new_node_tag())
                session.add(row)
            return row.value

    def next_sequence(self, session: Session, name: str, count: int = 1) -> int:
        """Reserve `count` numbers of a local sequence; returns the first one."""
        row = session.scalar(select(LocalMeta).where(LocalMeta.key == f"seq.{name}"))
        first = int(row.value) + 1 if row else 1
        if row is None:
            session.add(LocalMeta(key=f"seq.{name}", value=str(first + count - 1)))
        else:
            row.value = str(first + count - 1)
        return first
