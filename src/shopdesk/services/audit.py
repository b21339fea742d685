"""The hash-chained audit trail: append inside a write, verify, read (spec 13.2).

Tamper evidence, in layers (issue 10):
- each entry's hash covers the previous one on the same node, so an edit, insertion
  or removal in the middle breaks the chain;
- hashes are HMAC-SHA-256 with this data directory's audit key, which lives in the
  OS keyring (`services.keys`), so editing the file and rehashing the chain needs a
  secret the file does not hold; entries from before the key keep plain SHA-256, and
  a node never goes back to plain SHA-256 once keyed;
- `seq` is AUTOINCREMENT: SQLite remembers the highest number ever used, so removing
  the newest entries (or all of them) shows as a gap at the end;
- the newest entry (an anchor: node, seq, hash) goes to the central server with each
  sync and into each backup; `verify(anchor)` checks the chain still reaches it.

Personal values in an entry about a customer are sealed with that customer's own key
(`services.sealing.subject_keys`); the hash covers the ciphertext, so erasing the customer (which
destroys the key) leaves the chain whole. Readers get the values back while the key
exists, and "(erased)" after.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from shopdesk.domain.permissions import Permission
from shopdesk.models import AuditEntry, LocalMeta
from shopdesk.models.base import table_of
from shopdesk.services.keys import LocalKey
from shopdesk.services.sealing.subject_keys import SubjectKeys, split
from shopdesk.services.store import Actor, Store

GENESIS = "0" * 64
KEYED, PLAIN = "hmac-sha256", "sha256"


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
class AuditFilter:
    """What the manager's audit browser asks for; every part optional."""

    actor: str | None = None  # who (the name the entries carry)
    action: str | None = None
    entity: str | None = None
    entity_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None  # exclusive


@dataclass(frozen=True)
class AuditPage:
    records: list[AuditRecord]
    total: int
    offset: int


@dataclass(frozen=True)
class VerifyReport:
    ok: bool
    checked: int
    problem: str = ""
    bad_seq: int | None = None
    anchor: str = ""  # what the chain was checked against, for the report


@dataclass(frozen=True)
class Anchor:
    """The newest entry of a chain, kept elsewhere (server, backup) to check against."""

    node: str
    seq: int
    hash: str

    def as_json(self) -> dict[str, Any]:
        return {"node": self.node, "seq": self.seq, "hash": self.hash}

    @staticmethod
    def from_json(value: Any) -> Anchor | None:
        if not isinstance(value, dict):
            return None
        try:
            return Anchor(str(value["node"]), int(value["seq"]), str(value["hash"]))
        except (KeyError, TypeError, ValueError):
            return None


def _json(detail: dict[str, Any]) -> str:
    return json.dumps(detail, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=str)


def _digest(key: bytes | None, node: str, at: str, staff_id: str, actor: str, action: str,
            entity: str, entity_id: str, detail: str, prev: str) -> str:
    payload = "\x1f".join([node, at, staff_id, actor, action, entity, entity_id, detail, prev])
    if key is None:
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()
    return hmac.new(key, payload.encode("utf-8"), hashlib.sha256).hexdigest()


class AuditTrail:
    """Appends entries within the caller's write transaction; reads for managers.

    Safe from any thread: appends only happen inside `Store.write()`, which
    serializes them, so the chain head read here cannot race.
    """

    def __init__(self, store: Store) -> None:
        self._store = store
        self._key: LocalKey | None = None
        self.subject_keys = SubjectKeys(store.root)

    def _local_key(self, session: Session | None, create: bool) -> LocalKey | None:
        """This data directory's audit key; its id (not the key) is in local_meta."""
        if self._key is not None:
            return self._key
        if session is None:
            with self._store.read() as reading:
                key_id = reading.scalar(select(LocalMeta.value).where(
                    LocalMeta.key == "audit.key_id"))
        else:
            key_id = session.scalar(select(LocalMeta.value).where(
                LocalMeta.key == "audit.key_id"))
        if key_id is None:
            if not create or session is None:
                return None
            key_id = uuid.uuid4().hex
            first = (session.scalar(select(func.max(AuditEntry.seq))) or 0) + 1
            # From this entry on, every entry is keyed: verify refuses a plain one after it.
            session.add_all([LocalMeta(key="audit.key_id", value=key_id),
                             LocalMeta(key="audit.keyed_from", value=str(first))])
        self._key = LocalKey(self._store.root, "audit", keyring_name=f"audit-key-{key_id}",
                             create=create)
        return self._key

    def append(self, session: Session, actor: Actor, action: str, entity: str,
               entity_id: UUID | str, detail: dict[str, Any], *, seal: bool = True) -> None:
        self.append_many(session, actor, [(action, entity, entity_id, detail)], seal=seal)

    def append_many(self, session: Session, actor: Actor,
                    entries: Sequence[tuple[str, str, UUID | str, dict[str, Any]]], *,
                    seal: bool = True) -> None:
        """Append `entries` in the caller's write transaction. With `seal` (the default),
        personal values of entries about a customer are sealed with the customer's key;
        only an erasure's own record, which must outlive the key, is written unsealed."""
        if seal:
            entries = self._sealed(session, entries)
        node = self._store.node_tag
        prev = session.scalar(
            select(AuditEntry.hash).where(AuditEntry.node == node)
            .order_by(AuditEntry.seq.desc()).limit(1)
        ) or GENESIS
        at = self._store.clock()
        at_text = at.isoformat(timespec="microseconds")
        staff = str(actor.staff_id) if actor.staff_id else ""
        local_key = self._local_key(session, create=True)
        key = local_key.get() if local_key is not None else None
        rows = []
        for action, entity, entity_id, detail in entries:
            detail_text = _json(detail)
            digest = _digest(key, node, at_text, staff, actor.name, action, entity,
                             str(entity_id), detail_text, prev)
            rows.append({
                "node": node, "at": at, "staff_id": actor.staff_id, "actor": actor.name,
                "action": action, "entity": entity, "entity_id": str(entity_id),
                "detail": detail_text, "prev_hash": prev, "hash": digest,
                "alg": KEYED if key is not None else PLAIN,
            })
            prev = digest
        session.connection().execute(insert(table_of(AuditEntry)), rows)

    def _sealed(self, session: Session,
                entries: Sequence[tuple[str, str, UUID | str, dict[str, Any]]]
                ) -> list[tuple[str, str, UUID | str, dict[str, Any]]]:
        parts = []
        for action, entity, entity_id, detail in entries:
            clear, secret = split(entity, detail)
            subject = (self.subject_keys.subject_of(session, entity, str(entity_id), detail)
                       if secret else None)
            parts.append((action, entity, entity_id, detail, clear, secret, subject))
        keys = self.subject_keys.keys(session, {p[6] for p in parts if p[6]}, create=True)
        return [(action, entity, entity_id,
                 self.subject_keys.seal(keys[subject], subject, clear, secret) if subject
                 else detail)
                for action, entity, entity_id, detail, clear, secret, subject in parts]

    def opened(self, session: Session, rows: Sequence[AuditEntry]) -> list[AuditRecord]:
        """Records of `rows` with their sealed values opened (where the key still exists)."""
        details = [json.loads(e.detail) for e in rows]
        subjects = {SubjectKeys.subject_of_sealed(d) for d in details}
        keys = self.subject_keys.keys(session, {s for s in subjects if s}, create=False)
        out = []
        for e, d in zip(rows, details, strict=True):
            if "sealed" in d:
                subject = SubjectKeys.subject_of_sealed(d)
                d = self.subject_keys.open(keys.get(subject) if subject else None, d)
            out.append(AuditRecord(e.seq, e.at, e.actor, e.action, e.entity, e.entity_id, d))
        return out

    def anchor(self) -> Anchor | None:
        """The newest entry, to keep outside this file (server, backups)."""
        with self._store.read() as session:
            row = session.execute(select(AuditEntry.node, AuditEntry.seq, AuditEntry.hash)
                                  .order_by(AuditEntry.seq.desc()).limit(1)).first()
        return Anchor(row[0], row[1], row[2]) if row else None

    def verify(self, anchor: Anchor | None = None, anchor_source: str = "") -> VerifyReport:
        """Recompute every chain; report the first broken link, entries removed from the
        end, and whether the chain still holds `anchor` (kept on the server or in a
        backup): an entry the anchor names must be there, unchanged."""
        heads: dict[str, str] = {}
        keyed_nodes: set[str] = set()
        checked, last_seq = 0, 0
        local_key = self._local_key(None, create=False)
        key = local_key.get() if local_key is not None else None
        found_anchor = anchor is None
        with self._store.read() as session:
            keyed_from = int(session.scalar(select(LocalMeta.value).where(
                LocalMeta.key == "audit.keyed_from")) or 0) or None
            result = session.execute(select(AuditEntry).order_by(AuditEntry.seq)).scalars()
            for entry in result.yield_per(2000):
                must_be_keyed = entry.node in keyed_nodes or (
                    keyed_from is not None and entry.seq >= keyed_from)
                problem = self._check(entry, heads.get(entry.node, GENESIS), key,
                                      must_be_keyed)
                if problem:
                    return VerifyReport(False, checked, problem, entry.seq)
                if entry.alg == KEYED:
                    keyed_nodes.add(entry.node)
                if anchor is not None and entry.seq == anchor.seq:
                    if entry.node != anchor.node or entry.hash != anchor.hash:
                        return VerifyReport(False, checked, f"entry #{entry.seq} is not the one "
                                            f"{anchor_source or 'the anchor'} recorded: the "
                                            "trail was rewritten", entry.seq)
                    found_anchor = True
                heads[entry.node] = entry.hash
                checked += 1
                last_seq = entry.seq
            highest = session.connection().exec_driver_sql(
                "SELECT seq FROM sqlite_sequence WHERE name = 'audit_log'").scalar() or 0
        if highest > last_seq:
            return VerifyReport(False, checked, f"the newest entries were removed: numbering "
                                f"reached #{highest} but the trail ends at #{last_seq}",
                                last_seq + 1)
        if not found_anchor and anchor is not None:
            return VerifyReport(False, checked, f"entry #{anchor.seq}, which "
                                f"{anchor_source or 'the anchor'} recorded, is missing: "
                                "entries were removed", anchor.seq)
        source = f"; matches {anchor_source} (#{anchor.seq})" if anchor else ""
        return VerifyReport(True, checked, anchor=source)

    @staticmethod
    def _check(entry: AuditEntry, prev: str, key: bytes | None,
               keyed_before: bool) -> str:
        if entry.prev_hash != prev:
            return "an entry before it was removed or altered (previous-hash mismatch)"
        if entry.alg == PLAIN and keyed_before:
            return ("it is hashed without the audit key, though entries were keyed by then "
                    "(rewritten?)")
        if entry.alg == KEYED and key is None:
            return ("it is keyed, but this data directory's audit key is not on this "
                    "machine (OS keyring, or keys/audit.key), so it cannot be checked")
        digest = _digest(key if entry.alg == KEYED else None, entry.node,
                         entry.at.isoformat(timespec="microseconds"),
                         str(entry.staff_id) if entry.staff_id else "", entry.actor,
                         entry.action, entry.entity, entry.entity_id, entry.detail,
                         entry.prev_hash)
        if digest != entry.hash:
            return "its content was altered (hash mismatch)"
        return ""

    def browse(self, wanted: AuditFilter, offset: int = 0, limit: int = 100) -> AuditPage:
        """One page of the whole trail, newest first, filtered (a manager's right)."""
        self._store.require(Permission.READ_AUDIT)
        conditions = [getattr(AuditEntry, name) == value for name, value in (
            ("actor", wanted.actor), ("action", wanted.action), ("entity", wanted.entity),
            ("entity_id", wanted.entity_id)) if value]
        if wanted.since is not None:
            conditions.append(AuditEntry.at >= wanted.since)
        if wanted.until is not None:
            conditions.append(AuditEntry.at < wanted.until)
        with self._store.read() as session:
            total = session.scalar(select(func.count()).select_from(AuditEntry)
                                   .where(*conditions)) or 0
            rows = list(session.scalars(select(AuditEntry).where(*conditions)
                                        .order_by(AuditEntry.seq.desc())
                                        .offset(max(0, offset)).limit(max(1, limit))))
            return AuditPage(self.opened(session, rows), int(total), max(0, offset))

    def choices(self) -> dict[str, list[str]]:
        """The actors, actions and entities the trail holds (for the browser's filters)."""
        self._store.require(Permission.READ_AUDIT)
        with self._store.read() as session:
            return {name: sorted(str(v) for v in session.scalars(
                        select(getattr(AuditEntry, name)).distinct()))
                    for name in ("actor", "action", "entity")}

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
            return self.opened(session, list(session.scalars(query)))
