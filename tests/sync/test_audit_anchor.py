"""The audit trail's newest entry is anchored on the central server (issue 10, item 6):
cutting or rewriting the trail is found even by someone who can rewrite the whole file,
its key markers included, as long as the counter synced before."""

from __future__ import annotations

import json

import psycopg

from shopdesk.cli import main as cli_main
from shopdesk.db import dbkey
from tests.sync.conftest import Counters, sync_all
from tests.sync.test_roundtrip import register


def server_anchor(url: str, name: str) -> dict[str, object] | None:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT audit_anchor FROM sync.devices WHERE name = %s",
                           (name,)).fetchone()
    return row[0] if row else None


def test_each_sync_leaves_the_newest_entry_on_the_server(counters: Counters) -> None:
    a = counters.new("a")
    register(a, "Ann", "07400 123456")
    a.sync.run_once()
    newest = a.audit.anchor()
    assert newest is not None and server_anchor(counters.url, "a") == newest.as_json()
    a.customers.open_profile(a.search("Ann Nowak")[0].id)  # a view: an entry, no row change
    a.sync.run_once()
    assert server_anchor(counters.url, "a") == a.audit.anchor().as_json()  # type: ignore[union-attr]
    state = a.sync.engine.state()
    assert state is not None and json.loads(state["audit_anchor"])["seq"] == a.audit.anchor().seq  # type: ignore[union-attr]


def test_a_trail_cut_and_rewritten_with_its_markers_is_caught_by_the_anchor(
        counters: Counters, capsys) -> None:  # type: ignore[no-untyped-def]
    """Attack: with the file only, remove the newest entries, reset SQLite's counter and
    the key markers (so nothing local shows it). Must hold: `audit verify` fails against
    the server's anchor, one line naming the entry; `--offline` cannot see it."""
    a = counters.new("a")
    register(a, "Ann", "07400 123456")
    sync_all(a)
    newest = a.audit.anchor()
    assert newest is not None
    con = dbkey.connect(a.db_path)
    con.execute("DROP TRIGGER audit_log_no_delete")
    con.execute(f"DELETE FROM audit_log WHERE seq > {newest.seq - 2}")
    con.execute("UPDATE sqlite_sequence SET seq = (SELECT max(seq) FROM audit_log) "
                "WHERE name = 'audit_log'")
    con.execute("UPDATE sync_state SET audit_anchor = NULL")
    con.commit()
    con.close()

    assert cli_main(["audit", "verify", "--offline", "--data-dir", str(a.root)]) == 0
    capsys.readouterr()
    assert cli_main(["audit", "verify", "--data-dir", str(a.root)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"shopdesk: error: audit trail broken at entry #{newest.seq}")
    assert "the central server" in err and "\n" not in err
