"""The first sync round of a counter restored from a backup (`shopdesk restore`).

A restored database is this same terminal, gone back in time: the server may hold
changes numbered after the backup's (pushed before the restore), and the counter
has made new ones since, numbered from the backup's position, which would collide.
A copied file is told apart from a restore by the marker the restore leaves in
``local_meta`` (``sync.restored``: the backup's outbox position); a copy has none and
still pauses (`SyncEngine.check_copy`, the server's ``device_fork``).

Resuming, under the write lock, before the round's push:

- the server says how far it has this terminal's changes (`hello`: ``last_seq``);
- changes made since the restore (numbered after the backup's position) are numbered
  after the higher of that and the backup's position, in their order; the backup's
  own changes keep their mutation ids and numbers (those the server has are
  answered from its ledger, never applied twice);
- the local numbers for customer codes, ticket numbers and the audit trail move past
  anything this counter's tag already used (the pull brings those rows back, from
  the backup's cursor), and an audit entry records the resume, so the next push
  carries an anchor newer than the one the server holds.

Runs on the sync thread (inside `SyncEngine.run_once`).
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, Engine, text

from shopdesk.domain.permissions import Role
from shopdesk.services.audit import AuditTrail
from shopdesk.services.backup.restore import RESTORED_META, SEQUENCES
from shopdesk.services.store import Actor, Store
from shopdesk.sync.wire.transport import Transport

_APART = 1_000_000_000_000  # numbers moved out of the way while renumbering


def resume_after_restore(engine: Engine, store: Store, audit: AuditTrail | None,
                         transport: Transport, state: dict[str, Any]) -> None:
    hello = transport.hello()
    server_last = int(hello.get("last_seq") or 0)
    anchor = hello.get("audit_anchor") if isinstance(hello.get("audit_anchor"), dict) else None
    with store.write_lock(), engine.begin() as conn:
        raw = conn.execute(text("SELECT value FROM local_meta WHERE key = :k"),
                           {"k": RESTORED_META}).scalar()
        marker = json.loads(raw) if raw else {}
        if raw is None or marker.get("renumbered"):
            return  # resumed already (another process, or a round that failed later)
        marked = int(marker["next_seq"])
        later = [r[0] for r in conn.execute(text(
            "SELECT device_seq FROM sync_outbox WHERE device_seq > :m ORDER BY device_seq"),
            {"m": marked})]
        start = max(server_last, marked)
        if later and start > marked:
            conn.execute(text("UPDATE sync_outbox SET device_seq = device_seq + :apart "
                              "WHERE device_seq > :m"), {"apart": _APART, "m": marked})
            conn.execute(text("UPDATE sync_outbox SET device_seq = :new WHERE device_seq = :old"),
                         [{"new": start + i + 1, "old": seq + _APART}
                          for i, seq in enumerate(later)])
        conn.execute(text("UPDATE sync_state SET next_seq = :n WHERE one = 1"),
                     {"n": start + len(later)})
        bump_numbers(conn, store.node_tag)
        if anchor and str(anchor.get("node")) == store.node_tag:
            conn.execute(text("UPDATE sqlite_sequence SET seq = max(seq, :s) "
                              "WHERE name = 'audit_log'"), {"s": int(anchor.get("seq") or 0)})
        conn.execute(text("UPDATE local_meta SET value = :v WHERE key = :k"),
                     {"k": RESTORED_META, "v": json.dumps({**marker, "renumbered": True})})
    if audit is not None:
        actor = Actor(None, "sync (restored counter)", Role.OWNER)
        with store.write() as session:
            audit.append(session, actor, "resume_after_restore", "sync",
                         str(state.get("device_id") or ""),
                         {"server_last_seq": server_last, "backup_position": marked,
                          "renumbered": len(later) if start > marked else 0})


def finish_restore(conn: Connection, tag: str) -> None:
    """After the resumed round's pull: the rows pushed before the restore are back, and
    with them the numbers they used; the counter is an ordinary one again."""
    bump_numbers(conn, tag)
    conn.execute(text("DELETE FROM local_meta WHERE key = :k"), {"k": RESTORED_META})


def bump_numbers(conn: Connection, tag: str) -> None:
    """Local sequences past every code and number with this counter's tag."""
    for table, column, name in SEQUENCES:
        used = conn.execute(text(
            f"SELECT max(CAST(substr({column}, instr({column}, :t) + length(:t)) AS INTEGER)) "
            f"FROM {table} WHERE instr({column}, :t) > 0"), {"t": f"{tag}-"}).scalar()
        if used:
            conn.execute(text(
                "INSERT INTO local_meta (key, value) VALUES (:k, :v) ON CONFLICT (key) DO "
                "UPDATE SET value = max(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER))"),
                {"k": f"seq.{name}", "v": str(int(used))})
