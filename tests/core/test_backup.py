"""Backups (issue 15, spec 12): compressed, encrypted, verified when written, restored
whole or one customer at a time, and the hidden dangers: heavy writes during a backup,
a kill in the middle of one, a full disk, a backup from an older schema, the audit
anchor a backup keeps."""

from __future__ import annotations

import contextlib
import errno
import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command

from shopdesk import paths
from shopdesk.cli import main as cli_main
from shopdesk.db import cipher, dbkey, migrate
from shopdesk.domain.customer_rules import CustomerInput
from shopdesk.errors import ShopdeskError
from shopdesk.services.backup import archive, retention
from shopdesk.services.backup.backups import BackupFailed
from shopdesk.services.demo.demo import generate
from shopdesk.services.demo.demo_repairs import generate_repairs
from shopdesk.shop import Shop
from tests.core.repair_helpers import IPHONE, phone_input

REPO = Path(__file__).resolve().parents[2]


def _fill(shop: Shop, customers: int = 60) -> None:
    rows = ((n + 2, row) for n, row in enumerate(generate(customers, 5)))
    shop.transfer.import_rows(rows, customers)
    generate_repairs(shop.store, shop.audit, shop.staff, 1.0, 5, None)


def _dump(db: Path, skip: tuple[str, ...] = ("local_meta", "audit_log")) -> dict[str, list]:  # type: ignore[type-arg]
    con = dbkey.connect(db)
    try:
        return {t: sorted(con.execute(f'SELECT * FROM "{t}"').fetchall(), key=repr)
                for t in cipher.tables(con) if t not in skip}
    finally:
        con.close()


def _add_filler(shop: Shop, megabytes: int) -> None:
    """Incompressible rows, so a backup takes long enough to be interrupted."""
    con = dbkey.connect(shop.db_path)
    con.execute("CREATE TABLE IF NOT EXISTS filler (n INTEGER PRIMARY KEY, data BLOB)")
    con.execute(f"WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c "
                f"WHERE n < {megabytes * 1000}) INSERT INTO filler (data) "
                "SELECT randomblob(1000) FROM c")
    con.close()


@pytest.fixture
def filled(shop: Shop, tmp_path: Path) -> Shop:
    _fill(shop)
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(b"%PDF-1.4 signed repair consent of the customer " * 200)
    first = shop.customers.register(CustomerInput(
        first_name="Quentin", last_name="Zarathustra", phone="07400 999001")).customer.id
    shop.documents.attach(first, scan, "signed_form", "Consent")
    return shop


def test_backup_is_compressed_encrypted_verified_and_listed(filled: Shop) -> None:
    result = filled.backups.run("manual")
    assert result.ok and result.path is not None and result.path.exists()
    assert result.path.parent == paths.backups_dir(filled.root)
    assert result.path.name.endswith(".sdbackup") and not list(
        result.path.parent.glob("*.part"))
    raw = result.path.read_bytes()
    assert b"Zarathustra" not in raw and cipher.HEADER not in raw and b"%PDF" not in raw
    assert result.size < result.database_bytes / 2  # compressed
    assert result.documents == 1 and result.counts["customers"] == 61
    header = archive.read_header(result.path)
    assert header["node"] == filled.store.node_tag and header["schema"] == migrate.SCHEMA_HEAD
    assert "Zarathustra" not in json.dumps(header)
    [info] = filled.backups.available()
    assert (info.name, info.verified, info.reason) == (result.name, True, "manual")
    assert filled.backups.status().last_good_at is not None
    assert not filled.backups.status().overdue
    assert filled.backups.verify(result.path).ok
    audit = filled.audit.entries(entity="backup")
    assert audit[0].action == "backup" and audit[0].detail["ok"] is True


def test_restore_gives_back_the_database_documents_and_keys(filled: Shop) -> None:
    result = filled.backups.run("manual")
    assert result.path is not None
    at_backup = _dump(filled.db_path)
    anchor, _where = filled.backups.newest_anchor()  # the trail's end at the copy
    assert anchor is not None
    ann = filled.customers.register(CustomerInput(
        first_name="After", last_name="Backup", phone="07400 999002")).customer.id
    report = filled.restore_database(result.path)
    assert report.safety_backup and report.documents == 1 and "audit.key" in report.keys
    with Shop.open(filled.root) as again:
        again.act_as_system("test")
        assert _dump(again.db_path) == at_backup
        assert again.customers.count() == 61
        assert ann not in {h.id for h in again.search("After Backup")}
        verified = again.audit.verify(anchor, "the backup")
        assert verified.ok, verified.problem
        [doc] = again.documents.list(again.search("Zarathustra")[0].id)
        assert again.documents.read(doc.id).startswith(b"%PDF-1.4")
        assert again.audit.entries(entity="backup")[0].action == "restore"
        # The backup taken just before the restore is there, and holds "After".
        safety = paths.backups_dir(again.root) / report.safety_backup
        assert again.backups.verify(safety).ok


def test_backup_taken_during_heavy_writes_restores_consistent(filled: Shop,
                                                              tmp_path: Path) -> None:
    stop = threading.Event()
    written: list[int] = []

    def write() -> None:
        n = 0
        while not stop.is_set():
            filled.customers.register(CustomerInput(
                first_name=f"Busy{n}", last_name="Writer", phone=f"07411 {n:06d}"))
            written.append(n)
            n += 1

    writer = threading.Thread(target=write)
    writer.start()
    try:
        while len(written) < 5:
            time.sleep(0.01)
        result = filled.backups.run("manual")
    finally:
        stop.set()
        writer.join()
    assert result.path is not None and len(written) > 5
    key = filled.backups.recovery_key()
    with Shop.open(tmp_path / "elsewhere") as other:
        other.act_as_system("test")
        report = other.restore_database(result.path, key)
    with Shop.open(tmp_path / "elsewhere") as restored:
        restored.act_as_system("test")
        con = dbkey.connect(restored.db_path)
        assert cipher.integrity(con) == "ok"
        counts = cipher.counts(con)
        # Each registration wrote its customer, preferences, loyalty and audit entry in
        # one transaction: the copy has all of them or none, for every customer.
        orphans = con.execute(
            "SELECT count(*) FROM customers c WHERE NOT EXISTS (SELECT 1 FROM "
            "customer_preferences p WHERE p.customer_id = c.id) OR NOT EXISTS (SELECT 1 "
            "FROM customer_loyalty l WHERE l.customer_id = c.id)").fetchone()[0]
        con.close()
        assert orphans == 0
        assert counts["customers"] == report.counts["customers"]
        assert 61 < counts["customers"] <= 61 + len(written)
        assert restored.audit.verify().ok


def test_kill_during_a_backup_leaves_the_previous_backups_intact(filled: Shop) -> None:
    first = filled.backups.run("manual")
    assert first.path is not None
    _add_filler(filled, 40)
    folder = paths.backups_dir(filled.root)
    filled.close()
    child = subprocess.Popen(
        [sys.executable, "-c", "import sys\nfrom shopdesk.shop import Shop\n"
         "shop = Shop.open(sys.argv[1])\nshop.act_as_system('test')\n"
         "shop.backups.run('manual')", str(filled.root)],
        cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 180
    while not any(p.stat().st_size > 1 << 20 for p in folder.glob("*.part")):
        assert child.poll() is None, "the backup ended before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.005)
    child.kill()
    child.wait()
    assert list(folder.glob("*.part"))  # the unfinished one, under its temporary name
    with Shop.open(filled.root) as again:
        again.act_as_system("test")
        names = [i.name for i in again.backups.available()]
        assert names == [first.name]  # the cut-short file is not a backup
        assert again.backups.verify(first.path).ok
        second = again.backups.run("manual")  # cleans up what the killed one left
        assert second.ok and not list(folder.glob("*.part"))
        assert not list((again.root / "tmp").glob("snapshot-*"))


@contextlib.contextmanager
def _small_disk(where: Path, size_kb: int, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A folder on a filesystem of `size_kb` (a real tmpfs when this runs as root; else a
    write path that fails with ENOSPC past that size, as a full disk would)."""
    where.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_kb}k", "tmpfs",
                              str(where)], capture_output=True).returncode == 0
    if not mounted:
        real_seal = archive.ArchiveWriter._seal

        def seal(self: archive.ArchiveWriter, plain: bytes, number: int) -> tuple[int, int]:
            if self._out.tell() > size_kb * 1024:
                raise OSError(errno.ENOSPC, "No space left on device")
            return real_seal(self, plain, number)

        monkeypatch.setattr(archive.ArchiveWriter, "_seal", seal)
    try:
        yield where
    finally:
        if mounted:
            subprocess.run(["umount", str(where)], check=False)


def test_full_disk_is_reported_and_the_live_database_is_untouched(
        filled: Shop, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with _small_disk(tmp_path / "usb", 1024, monkeypatch) as usb:
        filled.settings.set("backup.folder", str(usb))
        first = filled.backups.run("manual")  # fits
        assert first.path is not None and first.path.parent == usb
        _add_filler(filled, 3)  # 3 MB of random bytes: the next one does not fit
        before = _dump(filled.db_path, skip=())
        with pytest.raises(BackupFailed) as failed:
            filled.backups.run("manual")
        message = str(failed.value)
        assert "full" in message and str(usb) in message and "\n" not in message
        assert not list(usb.glob("*.part"))
        assert [i.name for i in filled.backups.available()] == [first.name]
        assert filled.backups.verify(first.path).ok
        status = filled.backups.status()
        assert status.last is not None and status.last["ok"] is False
        assert "full" in status.last["problem"]
    after = _dump(filled.db_path, skip=())
    after.pop("local_meta"), before.pop("local_meta")  # the failure was recorded there
    after.pop("audit_log"), before.pop("audit_log")  # ... and in the audit trail
    assert after == before
    con = dbkey.connect(filled.db_path)
    assert cipher.integrity(con) == "ok"
    con.close()
    filled.customers.register(CustomerInput(first_name="Still", last_name="Writable",
                                            phone="07400 999003"))


def test_restore_of_a_backup_from_an_older_schema_upgrades_it(
        shop: Shop, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shop.customers.register(CustomerInput(first_name="Old", last_name="Schema",
                                          phone="07400 999004"))
    recovery = shop.backups.recovery_key()
    shop.engine.dispose()
    command.downgrade(migrate.alembic_config(shop.db_path), "0004")
    assert migrate.current_revision(shop.db_path) == "0004"
    # The backup an older shopdesk made of that database (this one's bookkeeping of
    # the result would need the newer audit columns, so it is left out).
    monkeypatch.setattr(type(shop.backups), "_record", lambda *_a, **_k: None)
    old = shop.backups.run("manual")
    assert old.path is not None and archive.read_header(old.path)["schema"] == "0004"
    with Shop.open(tmp_path / "new") as new:
        new.act_as_system("test")
        report = new.restore_database(old.path, recovery)
    assert report.upgraded and report.schema == "0004"
    monkeypatch.undo()
    with Shop.open(tmp_path / "new") as again:
        again.act_as_system("test")
        assert migrate.current_revision(again.db_path) == migrate.SCHEMA_HEAD
        assert [h.name for h in again.search("Schema")] == ["Old Schema"]


def test_the_backup_keeps_the_audit_anchor_and_audit_verify_checks_it(
        filled: Shop, capsys: pytest.CaptureFixture[str]) -> None:
    result = filled.backups.run("manual")
    assert result.path is not None
    anchor = filled.audit.anchor()
    with archive.ArchiveReader(result.path, filled.backups.backup_key()) as reader:
        kept = reader.manifest["audit_anchor"]
    assert anchor is not None and kept["seq"] < anchor.seq  # the backup's entry came later
    assert filled.backups.newest_anchor()[0] == type(anchor)(kept["node"], kept["seq"],
                                                              kept["hash"])
    assert cli_main(["audit", "verify", "--offline", "--data-dir", str(filled.root)]) == 0
    assert f"matches the backup {result.name}" in capsys.readouterr().out
    # Someone with the file and its key cuts the trail back before the backup's entry.
    con = dbkey.connect(filled.db_path)
    con.execute("DROP TRIGGER audit_log_no_delete")
    con.execute(f"DELETE FROM audit_log WHERE seq >= {kept['seq']}")
    con.execute("UPDATE sqlite_sequence SET seq = (SELECT max(seq) FROM audit_log) "
                "WHERE name = 'audit_log'")
    con.close()
    assert filled.audit.verify().ok  # the chain alone cannot tell
    assert cli_main(["audit", "verify", "--offline", "--data-dir", str(filled.root)]) == 1
    err = capsys.readouterr().err
    assert f"#{kept['seq']}" in err and result.name in err


def test_another_shops_backup_needs_its_recovery_key(filled: Shop, tmp_path: Path) -> None:
    result = filled.backups.run("manual")
    assert result.path is not None
    with Shop.open(tmp_path / "other") as other:
        other.act_as_system("test")
        with pytest.raises(ShopdeskError, match="another backup key"):
            other.restore_database(result.path)
        with pytest.raises(ShopdeskError, match="not a shopdesk recovery key"):
            other.restore_database(result.path, "not-a-key")
        assert other.customers.count() == 0  # nothing was restored


def test_restore_one_customer_puts_their_records_back_as_changes(filled: Shop,
                                                                 tmp_path: Path) -> None:
    ann = filled.customers.register(CustomerInput(
        first_name="Ann", last_name="Restorable", phone="07400 999005", city="Leeds")).customer
    device = filled.devices.register(ann.id, phone_input(IPHONE)).device
    scan = tmp_path / "id.png"
    scan.write_bytes(b"\x89PNG Ann's passport" * 30)
    filled.consent.record(ann.id, "id_scan", True, "signed_form")  # needed since issue 15
    doc = filled.documents.attach(ann.id, scan, "id_scan")[0]
    result = filled.backups.run("manual")
    assert result.path is not None
    code = filled.customers.profile(ann.id).summary.code
    # Damage after the backup: an edit to undo, a device and a document lost.
    filled.customers.update(ann.id, {"city": "Wrongtown"})
    con = dbkey.connect(filled.db_path)
    con.execute("DELETE FROM device_owners WHERE device_id = ?", (device.id.hex,))
    con.execute("DELETE FROM devices WHERE id = ?", (device.id.hex,))
    con.execute("DELETE FROM customer_documents WHERE id = ?", (doc.id.hex,))
    con.close()
    later = filled.customers.register(CustomerInput(
        first_name="Made", last_name="Later", phone="07400 999006")).customer.id
    seen: list[object] = []
    filled.store.subscribe(seen.append)

    report = filled.restores.customer(result.path, code.lower())

    assert report.seconds < 1.0
    assert report.updated.get("customers") == 1 and report.inserted.get("devices") == 1
    assert report.inserted.get("customer_documents") == 1
    profile = filled.customers.profile(ann.id)
    assert profile.summary.city == "Leeds"
    assert [d.id for d in profile.documents] == [doc.id]
    assert filled.documents.read(doc.id) == scan.read_bytes()
    assert filled.devices.history_of(IPHONE).device.id == device.id
    assert filled.customers.profile(later).summary.name == "Made Later"  # kept
    assert ann.id in seen[-1].customers  # type: ignore[attr-defined]
    assert filled.search("Leeds Restorable")[0].id == ann.id
    assert filled.audit.entries(entity="customer", entity_id=ann.id)[0].action == \
        "restore_customer"
    again = filled.restores.customer(result.path, code)
    assert not again.inserted and not again.updated  # already as in the backup
    with pytest.raises(ShopdeskError, match="no customer"):
        filled.restores.customer(result.path, "ZZZZ-9999")


def test_retention_keeps_a_week_of_days_five_weeks_and_a_year_of_months() -> None:
    now = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    backups = [(f"b{d}", now - timedelta(days=d)) for d in range(0, 400)]
    backups += [("same-day-earlier", now - timedelta(hours=30))]
    roles = retention.roles(backups, now)
    kept = {n for n, r in roles.items() if r}
    assert {f"b{d}" for d in range(7)} <= kept  # a week of days
    assert "same-day-earlier" not in kept  # b1 is that day's newest, and it is > 24 h old
    weeks = {b for b in kept if "weekly" in roles[b]}
    months = {b for b in kept if "monthly" in roles[b]}
    assert len(weeks) == 5 and len(months) == 12
    assert all(now - dict(backups)[b] < timedelta(days=366) for b in kept)
    assert len(kept) <= 7 + 5 + 12
    assert retention.to_delete([("only", now - timedelta(days=900))], now) == []  # newest


def test_backup_cli(filled: Shop, capsys: pytest.CaptureFixture[str]) -> None:
    root = str(filled.root)
    filled.close()
    assert cli_main(["backup", "now", "--json", "--data-dir", root]) == 0
    made = json.loads(capsys.readouterr().out)
    assert made["ok"] and Path(made["path"]).exists()
    assert cli_main(["backup", "list", "--json", "--data-dir", root]) == 0
    [listed] = json.loads(capsys.readouterr().out)
    assert listed["name"] == made["name"] and listed["verified"] is True
    assert cli_main(["backup", "verify", "--data-dir", root]) == 0
    assert "backup verified" in capsys.readouterr().out
    broken = Path(made["path"]).with_name("broken.sdbackup")
    data = bytearray(Path(made["path"]).read_bytes())
    data[len(data) // 2] ^= 0xFF
    broken.write_bytes(bytes(data))
    assert cli_main(["backup", "verify", str(broken), "--data-dir", root]) == 1
    err = capsys.readouterr().err
    assert err.startswith("shopdesk: error: backup broken.sdbackup is not usable") \
        and err.count("\n") == 1
    assert cli_main(["restore", "customer", "--data-dir", root]) == 2
    assert "needs a CODE and --from" in capsys.readouterr().err
    assert cli_main(["restore", str(broken.with_name("missing.sdbackup")), "--data-dir",
                     root]) == 2
    done = subprocess.run([sys.executable, "-m", "shopdesk", "restore", "customer",
                           "ZZZZ-0001", "--from", made["path"], "--data-dir", root],
                          capture_output=True, text=True, timeout=120, cwd=REPO)
    assert done.returncode == 1
    assert done.stderr == f"shopdesk: error: no customer ZZZZ-0001 in the backup " \
                          f"{made['name']}\n"
    assert cli_main(["restore", made["path"], "--data-dir", root]) == 0
    out = capsys.readouterr().out
    assert "restored " in out and "audit trail: intact" in out
