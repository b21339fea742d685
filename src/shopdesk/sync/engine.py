"""One sync round: push the outbox, then pull the server's changes page by page.

Promises:
- Pushes are idempotent: every change carries its mutation id and its
  gap-free position; a retried or duplicated push is answered from the
  server's ledger, never applied twice.
- A page of pulled changes, the cursor and the settled outbox entries commit
  in one local transaction, with capture off (no echo). A crash mid-pull
  leaves the cursor where it was; the page is applied again, identically.
- A pull never overwrites a row that has a local change the server has not
  yet seen (the server's write checkpoint, `device_last_seq`, says which).
- Rejected changes stay in the outbox with the server's reason; they never
  block the ones behind them.
- A pulled row this counter cannot store is quarantined with the reason, never
  stored half-way, and never stops the rest (`sync.apply`).
- Calls adapt to the server's limits (issue 11): a push batch or pull page the
  server cuts off (`Timeout`) is retried at a quarter of its size at once, and the
  sizes grow back after successes; the identical oversized call is never repeated.
- The newest audit entry (an anchor) goes to the server with the pushes, so the
  trail can be checked against a copy this counter cannot rewrite.
- A database restored from a backup with `shopdesk restore` (marked so by the
  restore, unlike a copied file) resumes: the first round asks the server how far
  it has this terminal's changes (`hello`), numbers the changes made since the
  restore after that position (the backup's own changes keep their ids and
  numbers, and the server answers them from its ledger), and pulls from the
  backup's cursor, so everything pushed since the backup comes back (`restored`).

Thread rule: a round runs on the calling thread (the sync thread, or the
CLI); `run_once` holds a lock so two rounds never overlap in one process.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from uuid import UUID

from sqlalchemy import Connection, event, text

from shopdesk.changes import Changes
from shopdesk.db import capture
from shopdesk.db.engine import make_engine
from shopdesk.models.sync import SYNCED_BY_NAME
from shopdesk.services.audit import AuditTrail
from shopdesk.services.store import Store
from shopdesk.sync import credentials
from shopdesk.sync.apply import PageApplier, orphans
from shopdesk.sync.restored import RESTORED_META, finish_restore, resume_after_restore
from shopdesk.sync.wire.direct import DirectTransport
from shopdesk.sync.wire.transport import (
    PULL_REPLY,
    PUSH_REPLY,
    Forbidden,
    ProtocolError,
    RestTransport,
    Timeout,
    Transport,
    TransportError,
    expect,
)

PROTOCOL = 1
APP_VERSION = "0.5"
log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]  # (rows pulled so far, rows to pull in all)


class PageHook(Protocol):
    """A step run on each pulled page inside its transaction (capture off), and once it
    committed; `services.privacy.pulled.PulledPrivacy` applies erasures and consents."""

    def after_page(self, conn: Connection, by_table: dict[str, list[Any]]) -> Any: ...

    def after_commit(self, effects: Any) -> None: ...


class SyncPaused(TransportError):
    """Sync is stopped until staff act (copied database, revoked terminal)."""


@dataclass
class RoundResult:
    pushed: int = 0
    rejected: int = 0
    conflicts: int = 0
    pulled: int = 0
    changes: Changes = field(default_factory=Changes)


def crash_point(name: str) -> None:
    """Fault-test hook: die here, as a power cut would, when the tests ask for it."""
    if os.environ.get("SHOPDESK_SYNC_CRASH_AT") == name:
        os._exit(70)


class SyncEngine:
    """Runs sync rounds for one data directory (see the module docstring)."""

    MIN_PAGE = 50

    def __init__(self, store: Store, db_path: Any,
                 transport_factory: Callable[[dict[str, Any]], Transport] | None = None,
                 *, page_size: int = 10000, push_batch: int = 200,
                 protocol: int = PROTOCOL, audit: AuditTrail | None = None,
                 page_hook: PageHook | None = None) -> None:
        self._store, self._audit = store, audit
        self._hook = page_hook
        self._db_path = str(db_path)
        # Its own connection, foreign keys off: see make_engine.
        base = make_engine(db_path, store.db_key, foreign_keys=False)
        event.listen(base, "connect", _bulk_pragmas)
        self._engine = base.execution_options(sqlite_immediate=True)
        self._reader = base  # plain BEGIN: reading the state never waits for a writer
        # A page is one local transaction. A first sync inserts rows with random ids
        # into several indexes, so each commit rewrites most of their leaf pages:
        # 10k rows a commit instead of 2k made the first sync of 600k rows ~1.5x
        # faster (5k: 67 s, 10k: 61 s, 20k: 58 s but +65 MB; the server caps at 20k).
        # These are the largest sizes; the ones in use adapt (sync_state).
        self._factory = transport_factory or default_transport
        self.page_size, self.push_batch, self.protocol = page_size, push_batch, protocol
        self._round = threading.Lock()
        self._applier = PageApplier()

    def close(self) -> None:
        self._engine.dispose()

    # -- state -----------------------------------------------------------------
    def state(self) -> dict[str, Any] | None:
        with self._reader.connect() as conn:
            row = conn.execute(text("SELECT * FROM sync_state WHERE one = 1")).mappings().first()
            return dict(row) if row else None

    def check_copy(self, state: dict[str, Any]) -> None:
        if state.get("paused_reason"):
            raise SyncPaused(state["paused_reason"])
        here = os.path.normcase(self._db_path)
        if state["db_path"] and os.path.normcase(state["db_path"]) != here:
            reason = (f"this database was copied or moved from {state['db_path']}; sync is "
                      "paused so the two copies cannot mix their changes. Run `shopdesk "
                      "central join URL --store NAME` to register this copy as a new counter")
            self._set(paused_reason=reason)
            raise SyncPaused(reason)

    def _restored(self) -> bool:
        with self._engine.connect() as conn:
            return conn.execute(text("SELECT 1 FROM local_meta WHERE key = :k"),
                                {"k": RESTORED_META}).first() is not None

    def clear_error(self) -> None:
        """Staff fixed what failed (a replaced key): the last error no longer stands."""
        self._set(last_error=None)

    def _set(self, **values: Any) -> None:
        sets = ", ".join(f"{k} = :{k}" for k in values)
        with self._store.write_lock(), self._engine.begin() as conn:
            conn.execute(text(f"UPDATE sync_state SET {sets} WHERE one = 1"), values)

    def _size(self, state: dict[str, Any], column: str, largest: int) -> int:
        return max(1, min(largest, int(state.get(column) or largest)))

    def _resize(self, state: dict[str, Any], column: str, size: int) -> None:
        if state.get(column) != size:
            state[column] = size
            self._set(**{column: size})

    # -- a round ---------------------------------------------------------------
    def run_once(self, progress: Progress | None = None) -> RoundResult:
        with self._round:
            state = self.state()
            if state is None or not state["device_id"]:
                raise SyncPaused("this counter has not joined a store: run "
                                 "`shopdesk central join URL --store NAME`")
            self.check_copy(state)
            transport = self._factory(state)
            result = RoundResult()
            try:
                resumed = self._restored()
                if resumed:
                    resume_after_restore(self._engine, self._store, self._audit, transport,
                                         state)
                    state = self.state() or state
                self._push_all(transport, state, result)
                self._pull_all(transport, state, result, progress)
                if resumed:  # the rows pushed before the restore are back: their numbers too
                    with self._store.write_lock(), self._engine.begin() as conn:
                        finish_restore(conn, self._store.node_tag)
            except TransportError as exc:
                self._set(last_error=str(exc))
                raise
            finally:
                transport.close()
            self._set(last_error=None, last_sync_at=self._store.clock().isoformat())
            return result

    # -- push ------------------------------------------------------------------
    def _push_all(self, transport: Transport, state: dict[str, Any], result: RoundResult) -> None:
        anchor = self._audit_anchor()
        sent_anchor = anchor is None or json.loads(state.get("audit_anchor") or "null") == anchor
        while True:
            size = self._size(state, "push_batch", self.push_batch)
            with self._engine.connect() as conn:
                rows = conn.execute(text(
                    "SELECT device_seq, mutation_id, kind, table_name, row_id, op, new_values, "
                    "base_values FROM sync_outbox WHERE status = 'pending' AND device_seq > 0 "
                    "ORDER BY device_seq LIMIT :n"), {"n": size}).all()
            if not rows and sent_anchor:
                return
            batch = {"device_id": state["device_id"], "protocol": self.protocol,
                     "app_version": APP_VERSION, "mutations": [_mutation(r) for r in rows],
                     "audit_anchor": anchor}
            try:
                reply = expect(transport.push(batch), PUSH_REPLY, "push")
            except Timeout:
                if size == 1:
                    raise
                self._resize(state, "push_batch", max(1, size // 4))
                continue
            crash_point("after_push_before_ack")
            self._settle(reply.get("results") or [], result)
            error = reply.get("error")
            if error:
                self._push_error(error, reply)
            if reply.get("audit_anchor") is not None:
                self._set(audit_anchor=json.dumps(reply["audit_anchor"]))
            sent_anchor = True
            if size < self.push_batch and len(rows) == size:
                self._resize(state, "push_batch", min(self.push_batch, size * 2))
            if len(rows) < size:
                return

    def _audit_anchor(self) -> dict[str, Any] | None:
        with self._engine.connect() as conn:
            row = conn.execute(text("SELECT node, seq, hash FROM audit_log "
                                    "ORDER BY seq DESC LIMIT 1")).first()
        return {"node": row[0], "seq": int(row[1]), "hash": row[2]} if row else None

    def _push_error(self, error: str, reply: dict[str, Any]) -> None:
        if error == "device_fork":
            reason = ("the central server already has different changes numbered as this "
                      "counter's: this database is a copy or was restored from a backup. "
                      "Sync is paused; run `shopdesk central join URL --store NAME` to "
                      "register it as a new counter (its unsent changes are kept)")
            self._set(paused_reason=reason)
            raise SyncPaused(reason)
        if error == "upgrade_required":
            raise self._upgrade_required(reply.get("min_protocol"))
        raise ProtocolError(f"the central server refused the changes: {error} "
                            f"{json.dumps({k: v for k, v in reply.items() if k != 'results'})}")

    def _upgrade_required(self, min_protocol: Any) -> ProtocolError:
        return ProtocolError(f"the central server needs a newer shopdesk (sync protocol "
                             f"{min_protocol}, this one speaks {self.protocol}); "
                             "unsent changes are kept until you upgrade")

    def _settle(self, results: Iterable[Any], result: RoundResult | None = None) -> None:
        """Record the server's answers: applied and conflicted leave the outbox."""
        results = _results(results)
        if result is not None:
            for _seq, status, _detail in results:
                result.pushed += 1
                result.rejected += status == "rejected"
                result.conflicts += status == "conflict"
        if results:
            with self._store.write_lock(), self._engine.begin() as conn:
                self._settle_in(conn, results)

    @staticmethod
    def _settle_in(conn: Connection, results: list[Any]) -> None:
        done = [{"s": s} for s, status, _ in results if status != "rejected"]
        rejected = [{"s": s, "r": json.dumps(d)} for s, status, d in results
                    if status == "rejected"]
        if done:
            conn.execute(text("DELETE FROM sync_outbox WHERE device_seq = :s"), done)
        if rejected:
            conn.execute(text("UPDATE sync_outbox SET status = 'rejected', result = :r "
                              "WHERE device_seq = :s AND status = 'pending'"), rejected)

    # -- pull ------------------------------------------------------------------
    def _pull_all(self, transport: Transport, state: dict[str, Any], result: RoundResult,
                  progress: Progress | None) -> None:
        # `state` was read at the start of the round; pushing moves neither the
        # cursor nor the write checkpoint, so it is still current here.
        start = cursor = int(state["pull_cursor"])
        pulled: list[Changes] = []
        stored: dict[str, set[str]] = defaultdict(set)
        with self._engine.connect() as conn:
            floor = int(conn.execute(text(
                "SELECT coalesce(min(device_seq) - 1, :last) FROM sync_outbox "
                "WHERE status = 'pending' AND device_seq > 0"),
                {"last": state.get("device_last_seq", 0)}).scalar_one())

        def fetch(at: int) -> dict[str, Any]:
            size = self._size(state, "pull_page", self.page_size)
            while True:
                try:
                    page = expect(transport.pull(at, size, floor), PULL_REPLY, "pull")
                except Timeout:
                    if size <= self.MIN_PAGE:
                        raise
                    size = max(self.MIN_PAGE, size // 4)
                    self._resize(state, "pull_page", size)
                    continue
                if size < self.page_size and page["has_more"]:
                    self._resize(state, "pull_page", min(self.page_size, size * 2))
                return page

        # The next page is fetched while this one is applied (a first sync spends
        # about as long waiting on the server as writing SQLite). Safe: a page
        # only moves the cursor when it commits, and settling twice is a no-op.
        with ThreadPoolExecutor(1, thread_name_prefix="shopdesk-sync-fetch") as fetcher:
            ahead: Future[dict[str, Any]] = fetcher.submit(fetch, cursor)
            while True:
                page = ahead.result()
                if int(page.get("min_protocol") or 0) > self.protocol:
                    # Told even with nothing to push: an old counter must not keep
                    # pulling rows it may no longer understand.
                    raise self._upgrade_required(page["min_protocol"])
                if page["has_more"]:
                    ahead = fetcher.submit(fetch, int(page["next_cursor"]))
                changes = self._apply_page(page, stored)
                result.pulled += len(page["changes"])
                pulled.append(changes)  # united once at the end: per page it grew quadratically
                cursor = int(page["next_cursor"])
                if progress is not None:
                    progress(cursor - start, max(int(page["server_seq"]) - start, cursor - start))
                if not changes.empty:
                    self._store.publish(changes)
                if not page["has_more"]:
                    result.changes = Changes.union([result.changes, *pulled])
                    break
        if stored:
            with self._store.write_lock(), self._engine.begin() as conn:
                orphans(conn, stored)

    def _apply_page(self, page: dict[str, Any], stored: dict[str, set[str]]) -> Changes:
        last = int(page["device_last_seq"])
        touched: dict[str, set[UUID]] = defaultdict(set)
        with self._store.write_lock(), self._engine.begin() as conn, capture.paused(conn):
            self._settle_in(conn, _results(page["results"]))
            dirty = {(t, r) for t, r in conn.execute(text(
                "SELECT table_name, row_id FROM sync_outbox WHERE status = 'pending' "
                "AND device_seq > :last AND kind = 'row'"), {"last": last})}
            by_table: dict[str, list[tuple[str, int, bool, Any]]] = defaultdict(list)
            for change in page["changes"]:
                if not (isinstance(change, list) and len(change) == 5):
                    raise ProtocolError("the central server sent a change that is not "
                                        "[table, row, seq, deleted, data]")
                table, row_id, seq, deleted, data = change
                if (table, row_id) in dirty:
                    continue  # our own newer change is on its way; the server's answer follows
                by_table[str(table)].append((row_id, seq, bool(deleted), data))
            for table, items in by_table.items():
                self._applier.apply_table(conn, table, items, touched)
                if table in SYNCED_BY_NAME:
                    stored[table].update(str(r) for r, _, d, _ in items if not d)
            effects = self._hook.after_page(conn, by_table) if self._hook else None
            if effects is not None:
                touched["customers"].update(effects.customers)
            crash_point("mid_pull_before_commit")
            conn.execute(text(
                "UPDATE sync_state SET pull_cursor = :c, device_last_seq = :d, "
                "pull_target = :t, server_epoch = :e WHERE one = 1"),
                {"c": int(page["next_cursor"]), "d": last, "t": int(page["server_seq"]),
                 "e": page.get("epoch")})
        if self._hook is not None and effects is not None:
            self._hook.after_commit(effects)
        return Changes(customers=frozenset(touched["customers"]),
                       devices=frozenset(touched["devices"]),
                       tickets=frozenset(touched["tickets"]),
                       support=frozenset(touched["support"]),
                       loyalty=bool(touched["loyalty"]), feedback=bool(touched["feedback"]),
                       remote=True)


def _results(raw: Iterable[Any]) -> list[tuple[int, str, Any]]:
    """The server's [seq, status, detail] answers, checked."""
    out = []
    for item in raw:
        if not (isinstance(item, list) and len(item) == 3 and isinstance(item[0], int)
                and item[1] in ("applied", "conflict", "rejected")):
            raise ProtocolError("the central server sent an answer that is not "
                                "[seq, status, detail]")
        out.append((item[0], item[1], item[2]))
    return out


def _bulk_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # 32 MB of page cache (SQLite's default is 2 MB) for this connection only:
    # a first sync's index pages stay in memory instead of being re-read and
    # spilled (600k rows: 70 s -> 61 s; 64 or 128 MB gained nothing more).
    dbapi_conn.execute("PRAGMA cache_size = -32768")


def _has_nul(raw: str | None) -> bool:
    """Whether JSON text holds a string with a NUL character (cheap test first)."""
    if not raw or "u0000" not in raw:
        return False

    def walk(value: Any) -> bool:
        if isinstance(value, str):
            return "\x00" in value
        if isinstance(value, dict):
            return any(walk(v) for v in value.values())
        if isinstance(value, list):
            return any(walk(v) for v in value)
        return False

    return walk(json.loads(raw))


def _mutation(row: Any) -> dict[str, Any]:
    seq, mutation_id, kind, table, row_id, op, new, base = row
    if _has_nul(new) or _has_nul(base):
        # Postgres cannot hold a NUL in text: the whole batch would be refused, every
        # round. The change keeps its place and is refused alone, with the reason.
        return {"id": mutation_id, "seq": seq, "kind": "void", "table": table, "row": row_id,
                "reason": f"{table or kind}: a value contains a NUL character, which the "
                          "central database cannot store"}
    payload = json.loads(new) if new else {}
    if kind != "row":
        return {"id": mutation_id, "seq": seq, "kind": kind, **payload}
    return {"id": mutation_id, "seq": seq, "kind": kind, "table": table, "row": row_id,
            "op": op, "new": payload, "base": json.loads(base) if base else {}}


def default_transport(state: dict[str, Any]) -> Transport:
    """The transport this counter joined with, and its credential from the keyring."""
    account = state["role_name"] or state["device_id"]
    root = data_root(state)
    token = credentials.load(account, root=root)
    if not token:
        raise Forbidden(f"no sync credential for this counter: it is kept in the OS keyring "
                        f"(account {account}) or in ${credentials.ENV_TOKEN}")
    if state["transport"] == "rest":
        # Its own variable: $SHOPDESK_SYNC_TOKEN must not stand in for the API key.
        api_key = credentials.load(f"{account}:apikey", env="SHOPDESK_SUPABASE_KEY",
                                   root=root) or ""
        return RestTransport(state["central_url"], api_key, token)
    return DirectTransport(state["central_url"], state["role_name"], token,
                           ca_file=ca_file(state))


def data_root(state: dict[str, Any]) -> Path | None:
    """The data directory this counter joined from (where its private files live)."""
    path = state.get("db_path")
    return Path(path).parent if path else None


def ca_file(state: dict[str, Any]) -> Path | None:
    """The central server's CA certificate given at join (kept in the data directory)."""
    root = data_root(state)
    return root / "certs" / "central-ca.pem" if root else None
