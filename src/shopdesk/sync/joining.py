"""Joining a store: what a counter's outbox becomes when it registers with the server.

A first join queues every record already on the counter; a second join (a copied or
restored file) recodes its unsent records under the new node tag and renumbers the
unsent changes, so nothing is skipped and nothing collides. Used by SyncService.join
inside its write transaction.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

from shopdesk.db.capture import json_object_sql, synced_columns
from shopdesk.models.sync import SYNCED


def queue_everything(conn: Connection) -> int:
    total = 0
    for table in SYNCED:
        cols = synced_columns(conn, table)
        conn.execute(text(
            "INSERT INTO sync_outbox (device_seq, mutation_id, kind, table_name, row_id, op, "
            "new_values, status, attempts) SELECT (SELECT next_seq FROM sync_state) + "
            f"row_number() OVER (ORDER BY t.rowid), lower(hex(randomblob(16))), 'row', "
            f"'{table.name}', t.{table.pk}, 'insert', {json_object_sql('t', cols)}, "
            f"'pending', 0 FROM {table.name} AS t"))
        count = conn.execute(text(f"SELECT count(*) FROM {table.name}")).scalar_one()
        conn.execute(text("UPDATE sync_state SET next_seq = next_seq + :n"), {"n": count})
        total += count
    return int(total)

def recode(conn: Connection, old: str, new: str) -> None:
    # A copy numbered its unsent customers and tickets with the original's tag,
    # so the original may hold the same codes (a UNIQUE clash on every pull):
    # they take the new tag, in the row and in its queued insert alike.
    for table, column in (("customers", "code"), ("repair_tickets", "number"),
                          ("support_tickets", "number")):
        unsent = ("status = 'pending' AND kind = 'row' AND op = 'insert' "
                  f"AND table_name = '{table}'")
        conn.execute(text(
            f"UPDATE {table} SET {column} = replace({column}, :o, :n) WHERE "
            f"instr({column}, :o) > 0 AND id IN (SELECT row_id FROM sync_outbox "
            f"WHERE {unsent})"), {"o": f"{old}-", "n": f"{new}-"})
        conn.execute(text(
            f"UPDATE sync_outbox SET new_values = json_set(new_values, '$.{column}', "
            f"(SELECT {column} FROM {table} WHERE id = sync_outbox.row_id)) "
            f"WHERE {unsent} AND row_id IN (SELECT id FROM {table})"))

def renumber(conn: Connection) -> int:
    # Answered (rejected) entries move out of the way to negative numbers.
    conn.execute(text("UPDATE sync_outbox SET device_seq = -device_seq "
                      "WHERE status != 'pending' AND device_seq > 0"))
    seqs = [r[0] for r in conn.execute(text(
        "SELECT device_seq FROM sync_outbox WHERE status = 'pending' ORDER BY device_seq"))]
    conn.execute(text("UPDATE sync_outbox SET device_seq = device_seq + 1000000000000 "
                      "WHERE status = 'pending'"))
    conn.execute(text("UPDATE sync_outbox SET device_seq = :new WHERE device_seq = :old"),
                 [{"new": i + 1, "old": s + 1000000000000} for i, s in enumerate(seqs)])
    conn.execute(text("UPDATE sync_state SET next_seq = :n"), {"n": len(seqs)})
    return len(seqs)
