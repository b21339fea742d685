"""A counter restored from a backup resumes sync (issue 15): a restore is an explicit act,
told apart from a copied file (tests/sync/test_copies.py still pauses those). Changes
pushed after the backup was taken come back, changes made after the restore reach the
server, nothing is applied twice, numbers never collide, and a counter whose disk died
is rebuilt from the central database and its last backup, as the same terminal."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from shopdesk import paths
from shopdesk.cli import main as cli_main
from shopdesk.domain.customer_rules import CustomerInput
from shopdesk.shop import Shop
from shopdesk.sync.engine import SyncPaused
from tests.conftest import OWNER_SECRET
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


def _names(url: str) -> list[str]:
    return sorted(r["first_name"] for r in server_rows(url, "customers").values())


def _assert_unique_numbers(url: str) -> None:
    codes = [r["code"] for r in server_rows(url, "customers").values()]
    numbers = [r["number"] for r in server_rows(url, "repair_tickets").values()]
    assert len(set(codes)) == len(codes) and len(set(numbers)) == len(numbers)


def _ledger_is_gap_free(url: str, device_hex: str) -> bool:
    """Every position of the terminal used once: nothing applied twice, nothing skipped."""
    (count, last, top), = server_query(
        url, "SELECT count(*), max(m.device_seq), max(d.last_seq) FROM sync.mutations m "
             "JOIN sync.devices d ON d.id = m.device_id WHERE replace(d.id::text, '-', '') = %s",
        device_hex)
    return bool(count == last == top)


def test_restored_counter_resumes_and_nothing_pushed_earlier_is_lost(
        counters: Counters, capsys) -> None:  # type: ignore[no-untyped-def]
    a, b = counters.new("a"), counters.new("b")
    register(a, "Ann", "07400 123456")
    sync_all(a, b)
    bob = register(a, "Bob", "07400 123457")  # unsent when the backup is taken
    taken = a.backups.run("manual")
    assert taken.path is not None
    a.sync.run_once()  # Bob reaches the server after the backup
    cal = register(a, "Cal", "07400 123458")
    open_ticket(a, cal, 1)
    a.sync.run_once()  # so does Cal, with a ticket
    sync_all(b)
    root, device = a.root, a.sync.engine.state()
    assert device is not None

    report = a.restore_database(taken.path)

    assert report.resumes_sync
    a = counters.open(root)
    assert a.sync.status().paused_reason is None
    dee = register(a, "Dee", "07400 123459")  # made after the restore, before any sync
    open_ticket(a, dee, 2)
    a.sync.run_once()  # resumes: no SyncPaused, no fork
    sync_all(a, b)

    assert _names(counters.url) == ["Ann", "Bob", "Cal", "Dee"]
    assert a.customers.profile(cal).summary.name.startswith("Cal")  # pulled back
    codes = {a.customers.profile(c).summary.code for c in (bob, cal, dee)}
    assert len(codes) == 3  # Dee did not take Cal's code
    _assert_unique_numbers(counters.url)
    assert outbox(a) == [] and a.sync.status().paused_reason is None
    state = a.sync.engine.state()
    assert state is not None and state["device_id"] == device["device_id"]
    assert server_query(counters.url, "SELECT forks FROM sync.devices WHERE name = 'a'") == \
        [(0,)]
    assert server_query(counters.url, "SELECT count(*) FROM sync.mutations WHERE status = "
                                      "'rejected'") == [(0,)]
    assert _ledger_is_gap_free(counters.url, device["device_id"])
    for shop in (a, b):
        local = local_dump(shop)
        assert diff(local, server_dump(counters.url, local)) == []
    # The trail continues past the entries the server saw before the restore.
    assert cli_main(["audit", "verify", "--data-dir", str(root)]) == 0
    assert "matches the central server" in capsys.readouterr().out


def test_a_copy_of_a_restored_database_still_pauses(counters: Counters, tmp_path: Path) -> None:
    a = counters.new("a")
    register(a, "Ann", "07400 123456")
    a.sync.run_once()
    taken = a.backups.run("manual")
    assert taken.path is not None
    root = a.root
    a.restore_database(taken.path)
    shutil.copytree(root, tmp_path / "copy")  # restored, then copied elsewhere
    copy = counters.open(tmp_path / "copy")
    with pytest.raises(SyncPaused, match="copied"):
        copy.sync.run_once()


def test_counter_whose_disk_died_is_rebuilt_from_the_server_and_its_backup(
        counters: Counters, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    a, b = counters.new("a"), counters.new("b")
    ann = register(a, "Ann", "07400 123456")
    sync_all(a, b)
    nas = tmp_path / "nas"
    a.settings.set("backup.folder", str(nas))
    a.settings.set("shop.name", "Ann's Phones")  # settings are not synced
    a.staff.create("tomas", "Tomas", "technician", "tech-pass-9")  # nor are PINs
    scan = tmp_path / "consent.pdf"
    scan.write_bytes(b"%PDF consent of Ann" * 50)
    doc = a.documents.attach(ann, scan, "signed_form")[0]  # nor document files
    recovery = a.backups.recovery_key()
    taken = a.backups.run("manual")
    assert taken.path is not None and taken.path.parent == nas
    bob = register(a, "Bob", "07400 123457")
    a.sync.run_once()  # Bob reaches the server after the last backup
    state = a.sync.engine.state()
    assert state is not None
    a.close()
    shutil.rmtree(a.root)  # the disk died

    new_root = tmp_path / "new-computer"
    with Shop.open(new_root) as fresh:  # a new data directory, then the restore
        fresh.act_as_system("disaster recovery")
        report = fresh.restore_database(taken.path, recovery)
    assert report.resumes_sync and "sync-token" in report.keys
    a2 = Shop.open(new_root)
    counters.shops.append(a2)
    a2.sign_in("tomas", "tech-pass-9")  # staff and PINs came back
    a2.sign_out()
    a2.sign_in("owner", OWNER_SECRET)
    a2.sync.run_once()  # the same terminal, its credential from the backup: no join
    sync_all(a2, b)

    again = a2.sync.engine.state()
    assert again is not None and again["device_id"] == state["device_id"]
    assert again["db_path"] == str(paths.database_path(new_root))
    assert a2.customers.profile(bob).summary.name.startswith("Bob")  # from the server
    assert a2.settings.get("shop.name") == "Ann's Phones"
    assert a2.documents.read(doc.id) == scan.read_bytes()
    assert _names(counters.url) == ["Ann", "Bob"]
    eve = register(a2, "Eve", "07400 123458")
    sync_all(a2, b)
    assert b.customers.profile(eve).summary.name.startswith("Eve")
    _assert_unique_numbers(counters.url)
    local = local_dump(a2)
    assert diff(local, server_dump(counters.url, local)) == []
    assert cli_main(["audit", "verify", "--data-dir", str(new_root)]) == 0
    capsys.readouterr()
    assert a2.customers.register(CustomerInput(first_name="Fay", last_name="Nowak",
                                               phone="07400 123460")).customer
