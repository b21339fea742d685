"""This counter's sync, as the app, the CLI and the tests see it (`shop.sync`).

Joining a store, the status bar's figures, the conflicts and rejected changes
the server reported, and the two staff decisions that travel as commands: a
duplicate merge and a conflict resolution. Merges are applied here at once
(so the counter shows the merged customer immediately) and on the server when
the command arrives; the server's result then comes back through pull.

Any thread. Network work happens only in `run_once` (the sync thread or CLI).
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, text

from shopdesk import private_files
from shopdesk.changes import Changes
from shopdesk.db import capture
from shopdesk.domain import codes
from shopdesk.domain.permissions import Permission
from shopdesk.errors import FieldError, NotFound, ValidationError
from shopdesk.models.sync import CUSTOMER_REFS
from shopdesk.services.audit import Anchor, AuditTrail
from shopdesk.services.customers.customers import derived_columns
from shopdesk.services.store import Store
from shopdesk.sync import central, credentials
from shopdesk.sync.engine import (
    PageHook,
    Progress,
    RoundResult,
    SyncEngine,
    ca_file,
    default_transport,
)
from shopdesk.sync.joining import queue_everything, recode, renumber
from shopdesk.sync.views import (
    Conflict,
    JoinResult,
    QuarantinedRow,
    RejectedChange,
    SyncStatus,
    conflict_of,
)
from shopdesk.sync.wire.poke import ListenPoke, Poke, can_listen
from shopdesk.sync.wire.realtime import RealtimePoke
from shopdesk.sync.wire.transport import Forbidden, RestTransport, Transport, TransportError


class SyncService:
    def __init__(self, store: Store, db_path: Path, audit: AuditTrail,
                 page_hook: PageHook | None = None) -> None:
        self._store, self._db_path, self._audit = store, db_path, audit
        self._page_hook = page_hook
        self._engine: SyncEngine | None = None
        self.transport_factory = default_transport
        self._kept: tuple[tuple[Any, ...], Transport] | None = None

    @property
    def engine(self) -> SyncEngine:
        if self._engine is None:
            self._engine = SyncEngine(self._store, self._db_path, self._transport,
                                      audit=self._audit, page_hook=self._page_hook)
        return self._engine

    def _transport(self, state: dict[str, Any]) -> Transport:
        """The transport for a round. The default one stays open between rounds:
        the runner pulls every second, and a new TLS connection to a Supabase
        database each time would cost more than the pull itself."""
        if self.transport_factory is not default_transport:
            return self.transport_factory(state)  # tests' fault-injecting factories
        key = (state["device_id"], state["central_url"], state["role_name"], state["transport"])
        if self._kept is None or self._kept[0] != key:
            self._close_kept()
            self._kept = (key, default_transport(state))
        return _KeptOpen(self._kept[1])

    def _close_kept(self) -> None:
        if self._kept is not None:
            self._kept[1].close()
            self._kept = None

    def close(self) -> None:
        self._close_kept()
        if self._engine is not None:
            self._engine.close()

    def poke(self) -> Poke | None:
        """What wakes this counter when another one pushed (None: it polls only). A
        direct connection LISTENs; a REST counter subscribes to Supabase Realtime's
        broadcast; through a transaction pooler it polls (backing off while idle)."""
        state = self.engine.state()
        if not state or not state.get("device_id"):
            return None
        account = state["role_name"] or state["device_id"]
        if state.get("transport") == "rest":
            key = credentials.load(f"{account}:apikey", env="SHOPDESK_SUPABASE_KEY",
                                   root=self._store.root)
            # The project's own host; $SHOPDESK_REALTIME_URL lets a proxy or a test stand in.
            where = os.environ.get("SHOPDESK_REALTIME_URL") or state["central_url"]
            return RealtimePoke(where, key) if key else None
        if state.get("transport") != "direct" or not can_listen(state["central_url"]):
            return None
        token = credentials.load(account, root=self._store.root)
        if not token:
            return None
        return ListenPoke(state["central_url"], state["role_name"], token,
                          ca_file=ca_file(state))

    def run_once(self, progress: Progress | None = None) -> RoundResult:
        try:
            return self.engine.run_once(progress)
        except Forbidden:
            self._close_kept()  # a new credential (after a join) needs a new login
            raise

    # -- joining ---------------------------------------------------------------
    def join(self, url: str, store_name: str, device_name: str | None = None, *,
             transport: str = "direct", admin_url: str | None = None,
             api_key: str | None = None) -> JoinResult:
        """Register this data directory as a counter of `store_name`.

        A first join queues everything already in the local database; a
        second join (a copied or restored file) gets a new identity and
        renumbers the unsent changes under it, so nothing is skipped.
        """
        if transport not in ("direct", "rest"):
            raise ValidationError(FieldError("transport", "choice", "must be direct or rest"))
        if transport == "rest":
            # The REST URL only reaches the sync functions; registering needs the database.
            if not url.startswith(("http://", "https://")):
                raise ValidationError(FieldError("url", "http", "transport rest needs the "
                                                 "project's https:// URL"))
            if not admin_url:
                raise ValidationError(FieldError("admin_url", "required", "transport rest "
                                                 "registers through the central Postgres: "
                                                 "give its postgresql:// URL"))
        name = (device_name or f"counter {self._store.node_tag}").strip()
        instance = uuid.uuid4().hex
        tag = self._store.node_tag
        try:
            reg = central.register_terminal(admin_url or url, store_name, name, tag, instance,
                                               transport)
        except central.CentralError as exc:
            if "already belongs" not in str(exc):
                raise
            tag = codes.new_node_tag()  # a copy keeps numbering apart from its original
            reg = central.register_terminal(admin_url or url, store_name, name, tag, instance,
                                               transport)
        kept = credentials.save(reg.role_name, reg.token, self._store.root)
        if api_key:
            credentials.save(f"{reg.role_name}:apikey", api_key, self._store.root)
        with self._store.write() as session:
            conn = session.connection()
            before = conn.execute(text("SELECT device_id FROM sync_state")).first()
            if tag != self._store.node_tag:
                conn.execute(text("UPDATE local_meta SET value = :t WHERE key = 'node_tag'"),
                             {"t": tag})
            # The counter logs in as its own role with its token: an admin's
            # user and password in the URL must not be kept in the database.
            kept_url = central.without_login(url) if transport == "direct" else url
            values = {"d": reg.device_id, "n": name, "s": reg.store, "u": kept_url,
                      "r": reg.role_name, "t": transport, "p": str(self._db_path), "i": instance}
            if before is None:
                conn.execute(text(
                    "INSERT INTO sync_state (one, capture, next_seq, device_id, device_name, "
                    "store_name, central_url, role_name, transport, db_path, db_instance_id, "
                    "pull_cursor, pull_target, device_last_seq) VALUES (1, 1, 0, :d, :n, :s, :u, "
                    ":r, :t, :p, :i, 0, 0, 0)"), values)
                queued = queue_everything(conn)
            else:
                if tag != self._store.node_tag:
                    with capture.paused(conn):
                        recode(conn, self._store.node_tag, tag)
                conn.execute(text(
                    "UPDATE sync_state SET capture = 1, device_id = :d, device_name = :n, "
                    "store_name = :s, central_url = :u, role_name = :r, transport = :t, "
                    "db_path = :p, db_instance_id = :i, device_last_seq = 0, "
                    "paused_reason = NULL, last_error = NULL WHERE one = 1"), values)
                queued = renumber(conn)
        self._store.node_tag = tag
        nowhere = kept is credentials.Kept.NOWHERE
        secret_file = (str(credentials.secret_file(self._store.root, reg.role_name))
                       if kept is credentials.Kept.FILE else None)
        return JoinResult(name, reg.store, tag, queued, kept.value, secret_file,
                          reg.token if nowhere else None)

    def audit_anchor(self) -> tuple[Anchor | None, str]:
        """The newest audit entry kept outside this file, and where it was kept: the
        central server's copy when it answers, else the one it last acknowledged.
        (None, "") for a counter that never joined."""
        state = self.engine.state()
        if not state or not state.get("device_id"):
            return None, ""
        try:
            transport = self.transport_factory(state)
            try:
                hello = transport.hello()
            finally:
                transport.close()
            anchor = Anchor.from_json(hello.get("audit_anchor"))
            if anchor is not None:
                return anchor, "the central server"
        except TransportError:
            pass
        try:
            kept = json.loads(state.get("audit_anchor") or "null")
        except ValueError:
            kept = None
        anchor = Anchor.from_json(kept)
        return (anchor, "the anchor the central server last acknowledged") if anchor else (
            None, "")

    # -- credentials -------------------------------------------------------------
    def set_api_key(self, key: str) -> str:
        """Replace a REST counter's project API key (rotated or retired at Supabase) in
        place, without joining again. The key is tried first: a refused key is not kept.
        Returns a note for staff ('' when all is well)."""
        self._store.require(Permission.MANAGE_STAFF)
        state = self.engine.state()
        if not state or not state.get("device_id"):
            raise ValidationError(FieldError("counter", "joined", "this counter has not "
                                             "joined a store"))
        if state.get("transport") != "rest":
            raise ValidationError(FieldError("key", "transport", "only a counter that "
                                             "syncs over REST uses an API key"))
        key = key.strip()
        if not key or any(c.isspace() for c in key):
            raise ValidationError(FieldError("key", "format", "give the key as one word"))
        account = state["role_name"] or state["device_id"]
        token = credentials.load(account, root=self._store.root) or ""
        probe = RestTransport(state["central_url"], key, token)
        note = ""
        try:
            probe.hello()
        except Forbidden as exc:
            raise ValidationError(FieldError("key", "refused", str(exc))) from None
        except TransportError as exc:
            note = f" (not checked: {exc})"
        finally:
            probe.close()
        credentials.save(f"{account}:apikey", key, self._store.root)
        self._close_kept()
        self.engine.clear_error()
        return note

    def set_ca_file(self, path: Path) -> Path:
        """Trust `path` (a PEM CA certificate) for the central server's TLS; kept in the
        data directory, where the transports look for it."""
        self._store.require(Permission.MANAGE_STAFF)
        data = Path(path).read_bytes() if Path(path).is_file() else b""
        if b"-----BEGIN CERTIFICATE-----" not in data:
            raise ValidationError(FieldError("file", "certificate", f"{path} is not a PEM "
                                             "certificate (-----BEGIN CERTIFICATE-----)"))
        target = self._store.root / "certs" / "central-ca.pem"
        private_files.private_dir(target.parent)
        target.write_bytes(data)
        private_files.private_file(target)
        self._close_kept()
        return target

    # -- what staff see --------------------------------------------------------
    def status(self) -> SyncStatus:
        with self._store.read() as session:
            conn = session.connection()
            row = conn.execute(text("SELECT * FROM sync_state WHERE one = 1")).mappings().first()
            counts: dict[str, int] = dict(conn.execute(text(
                "SELECT status, count(*) FROM sync_outbox GROUP BY status")).all())
            conflicts = conn.execute(text(
                "SELECT count(*) FROM sync_conflicts WHERE status = 'open'")).scalar_one()
            held = conn.execute(text(
                "SELECT count(*) FROM sync_quarantine WHERE status = 'open'")).scalar_one()
        s = dict(row) if row else {}
        return SyncStatus(
            joined=bool(s.get("device_id")), device_name=s.get("device_name"),
            store=s.get("store_name"), transport=s.get("transport"),
            central_url=central.redact(s["central_url"]) if s.get("central_url") else None,
            pending=int(counts.get("pending", 0)), rejected=int(counts.get("rejected", 0)),
            open_conflicts=int(conflicts), last_sync_at=s.get("last_sync_at"),
            last_error=s.get("last_error"), paused_reason=s.get("paused_reason"),
            cursor=int(s.get("pull_cursor") or 0), server_seq=int(s.get("pull_target") or 0),
            quarantined=int(held))

    def conflicts(self, include_resolved: bool = False) -> list[Conflict]:
        where = "" if include_resolved else "WHERE status = 'open'"
        with self._store.read() as session:
            rows = session.connection().execute(text(
                f"SELECT * FROM sync_conflicts {where} ORDER BY created_at DESC")).mappings().all()
        return [conflict_of(r) for r in rows]

    def conflict(self, conflict_id: str) -> Conflict:
        with self._store.read() as session:
            row = session.connection().execute(text(
                "SELECT * FROM sync_conflicts WHERE id = :i"),
                {"i": conflict_id}).mappings().first()
        if row is None:
            raise NotFound(f"no conflict {conflict_id}")
        return conflict_of(row)

    def duplicates_of(self, customer_id: UUID) -> list[Conflict]:
        return [c for c in self.conflicts() if c.duplicate_customers
                and customer_id.hex in (c.row_a, c.row_b)]

    def rejected(self) -> list[RejectedChange]:
        with self._store.read() as session:
            rows = session.connection().execute(text(
                "SELECT device_seq, table_name, row_id, op, result, new_values FROM sync_outbox "
                "WHERE status = 'rejected' ORDER BY device_seq")).all()
        return [RejectedChange(abs(r[0]), r[1], r[2], r[3],
                               str(json.loads(r[4] or "{}").get("reason", "rejected")),
                               json.loads(r[5] or "{}")) for r in rows]

    def quarantined(self, include_closed: bool = False) -> list[QuarantinedRow]:
        """Pulled rows this counter did not store, or stored pointing nowhere."""
        where = "" if include_closed else "WHERE status = 'open'"
        with self._store.read() as session:
            rows = session.connection().execute(text(
                "SELECT id, kind, table_name, row_id, reason, received_at, data FROM "
                f"sync_quarantine {where} ORDER BY id")).all()
        return [QuarantinedRow(r[0], r[1], r[2], r[3], r[4], r[5], _json_object(r[6]))
                for r in rows]

    def dismiss_quarantined(self, entry_id: int) -> None:
        """A manager has seen a quarantined row; it leaves the list (the row stays out)."""
        self._store.require(Permission.RESOLVE_CONFLICTS)
        with self._store.write() as session:
            gone = session.connection().execute(text(
                "UPDATE sync_quarantine SET status = 'dismissed' WHERE id = :i "
                "AND status = 'open'"), {"i": entry_id}).rowcount
        if not gone:
            raise NotFound(f"no open quarantined row number {entry_id}")

    def dismiss_rejected(self, device_seq: int) -> None:
        self._store.require(Permission.RESOLVE_CONFLICTS)
        with self._store.write() as session:
            gone = session.connection().execute(text(
                "DELETE FROM sync_outbox WHERE abs(device_seq) = :s AND status = 'rejected'"),
                {"s": device_seq}).rowcount
        if not gone:
            raise NotFound(f"no rejected change number {device_seq}")

    # -- staff decisions (queued as commands) ------------------------------------
    def resolve(self, conflict_id: str, resolution: str) -> Conflict:
        """Close a conflict: 'distinct' (different people), 'accepted' or 'dismissed'."""
        actor = self._store.require(Permission.RESOLVE_CONFLICTS)
        if resolution not in ("distinct", "accepted", "dismissed"):
            raise ValidationError(FieldError("resolution", "choice",
                                             "must be distinct, accepted or dismissed"))
        conflict = self.conflict(conflict_id)
        if conflict.status != "open":
            raise ValidationError(FieldError("conflict", "state", "is already resolved"))
        with self._store.write() as session:
            conn = session.connection()
            self._command(conn, "resolve", {"conflict": conflict_id, "resolution": resolution})
            conn.execute(text("UPDATE sync_conflicts SET status = 'resolved', resolution = :r "
                              "WHERE id = :i"), {"r": resolution, "i": conflict_id})
            self._audit.append(session, actor, "resolve_conflict", "conflict", conflict_id,
                               {"kind": conflict.kind, "resolution": resolution})
        return self.conflict(conflict_id)

    def merge(self, survivor: UUID, loser: UUID, take: tuple[str, ...] = ()) -> Changes:
        """Merge `loser` into `survivor`: its tickets, devices, history and points move,
        `take` names fields copied from the loser, and `loser` becomes a redirect."""
        actor = self._store.require(Permission.MERGE_CUSTOMERS)
        if survivor == loser:
            raise ValidationError(FieldError("customer", "different",
                                             "pick two different customers"))
        with self._store.write() as session:
            conn = session.connection()
            rows = {r["id"]: dict(r) for r in conn.execute(text(
                "SELECT * FROM customers WHERE id IN (:a, :b)"),
                {"a": survivor.hex, "b": loser.hex}).mappings()}
            if len(rows) != 2:
                raise NotFound("both customers must exist on this counter")
            if rows[loser.hex]["merged_into"] or rows[survivor.hex]["merged_into"]:
                raise ValidationError(FieldError("customer", "merged",
                                                 "one of these customers is already merged"))
            self._command(conn, "merge", {"survivor": survivor.hex, "loser": loser.hex,
                                          "take": list(take)})
            # Not captured: the server makes the same moves and sends them back.
            with capture.paused(conn):
                moved = self._merge_locally(conn, rows[survivor.hex], rows[loser.hex], take)
            self._audit.append(session, actor, "merge", "customer", survivor,
                               {"loser": loser.hex, "take": list(take), "moved": moved})
        return self._store.publish(Changes(customers=frozenset({survivor, loser})))

    def _merge_locally(self, conn: Connection, keep: dict[str, Any], gone: dict[str, Any],
                       take: tuple[str, ...]) -> int:
        moved = 0
        for table, column in CUSTOMER_REFS.items():
            if table in ("customer_loyalty", "customer_preferences"):
                continue
            moved += conn.execute(text(f"UPDATE {table} SET {column} = :k WHERE {column} = :g"),
                                  {"k": keep["id"], "g": gone["id"]}).rowcount
        # The loser's loyalty entries were re-pointed above (loyalty_entries is in
        # CUSTOMER_REFS): the survivor's balance is now the sum of both ledgers.
        fields = [f for f in take if f in keep and f not in
                  ("id", "code", "created_at", "merged_into", "is_active")]
        if fields:
            merged = {**keep, **{f: gone[f] for f in fields}}
            merged.update(derived_columns(merged))
            sets = ", ".join(f"{c} = :{c}" for c in [*fields, "name_key", "last_key", "words",
                                                       "phone_rev"])
            conn.execute(text(f"UPDATE customers SET {sets} WHERE id = :id"), merged)
        conn.execute(text("UPDATE customers SET merged_into = :k, is_active = 0 WHERE id = :g"),
                     {"k": keep["id"], "g": gone["id"]})
        conn.execute(text(
            "UPDATE sync_conflicts SET status = 'resolved', resolution = 'merged' "
            "WHERE status = 'open' AND ((row_a = :k AND row_b = :g) "
            "OR (row_a = :g AND row_b = :k))"),
            {"k": keep["id"], "g": gone["id"]})
        return moved

    @staticmethod
    def _command(conn: Connection, kind: str, payload: dict[str, Any]) -> None:
        capture.queue_command(conn, kind, payload)


class _KeptOpen:
    """A kept transport lent to one round: the round's close() leaves it open.
    (A direct connection that failed has already closed itself and reconnects.)"""

    def __init__(self, inner: Transport) -> None:
        self._inner = inner

    def hello(self) -> dict[str, Any]:
        return self._inner.hello()

    def push(self, batch: dict[str, Any]) -> dict[str, Any]:
        return self._inner.push(batch)

    def pull(self, cursor: int, limit: int, ack_floor: int) -> dict[str, Any]:
        return self._inner.pull(cursor, limit, ack_floor)

    def close(self) -> None:
        pass




def _json_object(raw: str | None) -> dict[str, Any]:
    try:
        value = json.loads(raw or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
