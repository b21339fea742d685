"""Plumbing every service shares: sessions, the one write lock, this node's tag, a clock."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from uuid import UUID

from sqlalchemy import Engine, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, SessionTransaction

from shopdesk.changes import Changes
from shopdesk.db.cipher import DbKey
from shopdesk.db.engine import DEFAULT_BUSY_SECONDS, is_busy, session_factories
from shopdesk.domain import codes
from shopdesk.domain.permissions import Permission, Role, allowed
from shopdesk.errors import DatabaseBusy, NotSignedIn, PermissionDenied
from shopdesk.models import LocalMeta
from shopdesk.models.base import utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Actor:
    """Who is acting: a signed-in staff member, or a named system process (CLI, import)."""

    staff_id: UUID | None
    name: str
    role: Role

    @property
    def label(self) -> str:
        return self.name


BUSY_MESSAGE = ("the database is busy (another shopdesk is importing or syncing?); "
                "try again")


class Store:
    """Owns the session factories and serializes every local write.

    Thread rules: `read()` may be used from any thread (one session per call) and
    never waits for a writer (WAL). `write()` takes a process-wide lock, so writes
    from the UI's worker, the CLI and the sync thread never interleave, and begins
    IMMEDIATE, so a uniqueness check inside it sees every committed row and holds
    until this transaction commits, across processes too. When another process
    holds the write lock, `write()` waits and retries with backoff for at most
    `busy_seconds`, then raises DatabaseBusy with a one-line message.
    """

    def __init__(self, root: Path, engine: Engine,
                 clock: Callable[[], datetime] = utcnow,
                 busy_seconds: float = DEFAULT_BUSY_SECONDS,
                 db_key: DbKey | None = None) -> None:
        self.root = root
        self.engine = engine
        # The database's key, for code that opens it on its own connection (sync,
        # backups) and the keys derived from it (document files). None: found again.
        self.db_key = db_key
        self._reader, self._writer = session_factories(engine)
        self._lock = threading.RLock()
        self.clock = clock
        self.busy_seconds = busy_seconds
        self.actor: Actor | None = None
        self._listeners: list[Callable[[Changes], None]] = []
        self._hooks: dict[str, list[Callable[..., None]]] = {}
        self.node_tag = self._ensure_node_tag()

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self._reader() as session, session.begin():
            try:
                yield session
            except OperationalError as exc:
                if is_busy(exc):  # not expected under WAL; a message, never a traceback
                    raise DatabaseBusy(BUSY_MESSAGE) from exc
                raise

    @contextmanager
    def write(self) -> Iterator[Session]:
        with self._lock:
            session, transaction = self._begin_immediate()
            with session, transaction:
                try:
                    yield session
                except OperationalError as exc:
                    if is_busy(exc):
                        raise DatabaseBusy(BUSY_MESSAGE) from exc
                    raise

    def _begin_immediate(self) -> tuple[Session, SessionTransaction]:
        """A session whose IMMEDIATE transaction has begun: the write lock is held.

        BEGIN is the only statement of a write that waits for another process
        (in WAL mode a commit needs no further lock), so a busy database is
        retried here, before any of the caller's work, and never half-way.
        """
        deadline = time.monotonic() + self.busy_seconds
        delay = 0.02
        while True:
            session = self._writer()
            transaction = session.begin()
            try:
                session.connection()  # emits BEGIN IMMEDIATE (see db.engine)
                return session, transaction
            except OperationalError as exc:
                session.close()
                left = deadline - time.monotonic()
                if not is_busy(exc):
                    raise
                if left <= 0:
                    log.warning("database still busy after %.0f s; giving up", self.busy_seconds)
                    raise DatabaseBusy(BUSY_MESSAGE) from None
                time.sleep(min(delay, left))
                delay = min(delay * 2, 1.0)

    def write_lock(self) -> threading.RLock:
        """The lock `write()` holds, for a writer with its own connection (sync)."""
        return self._lock

    def subscribe(self, listener: Callable[[Changes], None]) -> None:
        """Call `listener` after every committed write (on the writing thread)."""
        self._listeners.append(listener)

    def unsubscribe(self, listener: Callable[[Changes], None]) -> None:
        self._listeners.remove(listener)

    def on_event(self, event: str, hook: Callable[..., None]) -> None:
        """Run `hook(session, actor, **data)` inside the transaction of every `emit(event)`:
        what it writes (an outbox message) commits or rolls back with the event itself."""
        self._hooks.setdefault(event, []).append(hook)

    def emit(self, session: Session, actor: Actor, event: str, **data: object) -> None:
        """Announce a domain event (`ticket_status`, `customer_registered`) to its hooks,
        in the writer's own transaction (the writer holds the write lock)."""
        for hook in self._hooks.get(event, ()):
            hook(session, actor, **data)

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
        # Read first: opening a shop must not need the write lock another process
        # may hold for a while (an import); only a new database writes its tag.
        with self.read() as session:
            row = session.get(LocalMeta, "node_tag")
            if row is not None:
                return row.value
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
