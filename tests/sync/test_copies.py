"""Fault test 17 (sync-anchors section 5): a counter's database copied to a second
data directory, and a database file restored from an older backup in place.
Neither may mix its changes with the original's, and neither may lose any.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from shopdesk import paths
from shopdesk.shop import Shop
from shopdesk.sync.engine import SyncPaused
from tests.sync.conftest import Counters, server_rows, sync_all
from tests.sync.fault_tools import (
    diff,
    local_dump,
    open_ticket,
    outbox,
    register,
    server_dump,
    server_query,
)


def _ledger_size(url: str) -> int:
    return int(server_query(url, "SELECT count(*) FROM sync.mutations")[0][0])


def _names(url: str) -> list[str]:
    return sorted(r["first_name"] for r in server_rows(url, "customers").values())


def _assert_unique_numbers(url: str) -> None:
    codes = [r["code"] for r in server_rows(url, "customers").values()]
    numbers = [r["number"] for r in server_rows(url, "repair_tickets").values()]
    assert len(set(codes)) == len(codes) and len(set(numbers)) == len(numbers)


def _assert_matches_server(url: str, *shops: Shop) -> None:
    for shop in shops:
        local = local_dump(shop)
        assert diff(local, server_dump(url, local)) == []


def test_copied_data_directory_pauses_then_joins_as_a_new_counter(
        counters: Counters, tmp_path: Path) -> None:
    """Fault: counter A's whole data directory is copied to A2 while A is closed (with
    one unsynced edit inside); both are opened and make different changes.
    Must hold: A2's first round raises SyncPaused naming the copy and pushes nothing;
    after A2 joins again it has a new node tag and device, and its changes (made
    before and after the join) reach the server, as do A's; the edit both carried
    over is applied once; nothing is on the server twice; every counter equals it."""
    a, b = counters.new("a"), counters.new("b")
    ann = register(a, "Ann", "07400 123456")
    sync_all(a, b)
    a.customers.update(ann, {"city": "Leeds"})  # unsynced, travels with the copy
    a.close()
    shutil.copytree(a.root, tmp_path / "a2")
    a, a2 = counters.open(a.root), counters.open(tmp_path / "a2")
    a.customers.update(ann, {"postcode": "LS1 4AP"})
    open_ticket(a, register(a, "Cal", "07400 123457"), 1)
    a2.customers.update(ann, {"notes": "prefers e-mail"})
    dee = register(a2, "Dee", "07400 123458")
    open_ticket(a2, dee, 2)  # same customer code and ticket number as Cal's
    ledger, state_a = _ledger_size(counters.url), a.sync.engine.state()
    assert state_a is not None

    with pytest.raises(SyncPaused) as paused:
        a2.sync.run_once()

    assert str(paths.database_path(a.root)) in str(paused.value)
    assert "copied" in str(paused.value)
    assert a2.sync.status().paused_reason == str(paused.value)
    assert _ledger_size(counters.url) == ledger and "Dee" not in _names(counters.url)
    with pytest.raises(SyncPaused):
        a2.sync.run_once()  # stays paused until staff act

    joined = a2.sync.join(counters.url, "Main St", "a2")
    state_a2 = a2.sync.engine.state()
    assert state_a2 is not None
    assert joined.node_tag != a.store.node_tag
    assert state_a2["device_id"] != state_a["device_id"]
    assert joined.queued == a2.sync.status().pending > 0
    assert a2.sync.status().paused_reason is None
    eve = register(a2, "Eve", "07400 123459")
    assert a2.customers.profile(eve).summary.code.startswith(joined.node_tag)
    sync_all(a, a2, b)

    assert _names(counters.url) == ["Ann", "Cal", "Dee", "Eve"]
    assert a.customers.profile(dee).summary.code.startswith(joined.node_tag)
    _assert_unique_numbers(counters.url)
    row = server_rows(counters.url, "customers")[ann.hex]
    assert (row["city"], row["postcode"], row["notes"]) == ("Leeds", "LS1 4AP",
                                                            "prefers e-mail")
    city_edits = server_query(counters.url, "SELECT count(*) FROM sync.rows "
                                            "WHERE table_name = 'sync_conflicts'")
    assert city_edits == [(0,)]  # the carried-over edit was not applied twice
    assert server_query(counters.url, "SELECT count(*) FROM sync.mutations "
                                      "WHERE status = 'rejected'") == [(0,)]
    assert outbox(a) == [] and outbox(a2) == []
    _assert_matches_server(counters.url, a, a2, b)


def test_database_restored_from_an_older_backup_is_detected(counters: Counters,
                                                            tmp_path: Path) -> None:
    """Fault: A's database file is restored, at the same path, from a backup taken
    before later changes were pushed (the backup even holds one of them unsent).
    Must hold: the server answers device_fork, the round raises SyncPaused and
    status().paused_reason explains it; the restored counter's new changes stay
    queued (nothing silently skipped); the backup's old change is not applied twice;
    after joining again everything reaches the server once."""
    a, b = counters.new("a"), counters.new("b")
    register(a, "Ann", "07400 123456")
    sync_all(a, b)
    register(a, "Bob", "07400 123457")  # unsent when the backup is taken
    db = paths.database_path(a.root)
    a.close()
    shutil.copyfile(db, tmp_path / "backup.db")
    a = counters.open(a.root)
    a.sync.run_once()  # Bob reaches the server; the device's last_seq moves on
    open_ticket(a, register(a, "Cal", "07400 123458"), 1)
    a.sync.run_once()
    a.close()
    for extra in db.parent.glob(db.name + "-*"):  # -wal / -shm of the newer file
        extra.unlink()
    shutil.copyfile(tmp_path / "backup.db", db)
    a = counters.open(a.root)
    dee = register(a, "Dee", "07400 123459")
    open_ticket(a, dee, 2)  # same customer code and ticket number as Cal's
    ledger = _ledger_size(counters.url)

    with pytest.raises(SyncPaused) as paused:
        a.sync.run_once()

    reason = a.sync.status().paused_reason
    assert reason == str(paused.value) and "restored" in reason
    assert _ledger_size(counters.url) == ledger  # Bob replayed from the ledger, Dee held
    assert dee.hex not in server_rows(counters.url, "customers")
    pending = {r["row_id"] for r in outbox(a) if r["status"] == "pending"}
    assert dee.hex in pending and a.sync.status().pending == len(outbox(a))
    assert server_query(counters.url, "SELECT forks FROM sync.devices WHERE name = 'a'") == [(1,)]

    a.sync.join(counters.url, "Main St", "a again")
    sync_all(a, b)

    assert _names(counters.url) == ["Ann", "Bob", "Cal", "Dee"]
    _assert_unique_numbers(counters.url)
    assert outbox(a) == [] and a.sync.status().paused_reason is None
    _assert_matches_server(counters.url, a, b)
