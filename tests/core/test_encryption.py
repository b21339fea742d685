"""Encryption at rest (issue 15): the database and document files are unreadable
without the key; the key lives in the OS keyring or comes from a passphrase; a plain
database from before encryption is converted in place, losing nothing, and a kill
during the conversion leaves the original as it was; a wrong or missing key is one
clear line and changes nothing."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backends.fail import Keyring as NoKeyring

from shopdesk import paths
from shopdesk.db import cipher, dbkey
from shopdesk.db.cipher import DatabaseKeyError
from shopdesk.db.dbkey import ENV_PASSPHRASE, KeyUnavailable
from shopdesk.domain.customer_rules import CustomerInput
from shopdesk.services.customers.document_files import MAGIC
from shopdesk.shop import Shop
from shopdesk.sync import credentials

REPO = Path(__file__).resolve().parents[2]
SECRET = "owner-pass-1"


def _register(shop: Shop, first: str, last: str, phone: str) -> None:
    shop.customers.register(CustomerInput(first_name=first, last_name=last, phone=phone))


def _plain_copy(encrypted: Path, key: cipher.DbKey, target: Path) -> None:
    """A plain SQLite file with the same content: a database from before encryption."""
    con = cipher.connect(encrypted, key)
    try:
        con.execute(f"ATTACH DATABASE '{target}' AS plain KEY ''")
        con.execute("SELECT sqlcipher_export('plain')")
        version = con.execute("PRAGMA user_version").fetchone()[0]
        con.execute(f"PRAGMA plain.user_version = {version}")
        con.execute("DETACH DATABASE plain")
    finally:
        con.close()


def _rows(db: Path, key: cipher.DbKey | None) -> dict[str, list[tuple[object, ...]]]:
    con = cipher.connect(db, key) if key else sqlite3.connect(db)
    try:
        names = [r[0] for r in con.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")]
        return {n: sorted(con.execute(f'SELECT * FROM "{n}"').fetchall(), key=repr)
                for n in names}
    finally:
        con.close()


@pytest.fixture
def memory_keyring() -> Iterator[object]:
    previous = keyring.get_keyring()
    ring = credentials.memory_keyring()
    keyring.set_keyring(ring)
    yield ring
    keyring.set_keyring(previous)


def test_database_file_reveals_nothing_without_the_key(shop: Shop) -> None:
    _register(shop, "Zbigniewa", "Quixotelli", "07400 123456")
    shop.close()
    raw = b"".join(p.read_bytes() for p in shop.root.glob("shopdesk.sqlite*"))
    assert not raw.startswith(cipher.HEADER)
    assert b"Zbigniewa" not in raw and b"Quixotelli" not in raw and b"owner" not in raw
    with pytest.raises(sqlite3.DatabaseError):  # what anyone with the file alone gets
        sqlite3.connect(shop.db_path).execute("SELECT * FROM customers").fetchall()


def test_wrong_passphrase_is_one_line_and_changes_nothing(
        shop: Shop, monkeypatch: pytest.MonkeyPatch) -> None:
    _register(shop, "Ann", "Lee", "07400 123456")
    shop.close()
    before = hashlib.sha256(shop.db_path.read_bytes()).hexdigest()
    monkeypatch.setenv(ENV_PASSPHRASE, "not the passphrase")
    with pytest.raises(DatabaseKeyError) as err:
        Shop.open(shop.root)
    assert "\n" not in str(err.value) and "wrong passphrase" in str(err.value)
    assert hashlib.sha256(shop.db_path.read_bytes()).hexdigest() == before
    assert not paths.backups_dir(shop.root).exists()
    done = subprocess.run([sys.executable, "-m", "shopdesk", "search", "Ann", "--data-dir",
                           str(shop.root)], capture_output=True, text=True, timeout=120,
                          env={**os.environ, ENV_PASSPHRASE: "not the passphrase"})
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.startswith("shopdesk: error: ") and done.stderr.count("\n") == 1
    assert hashlib.sha256(shop.db_path.read_bytes()).hexdigest() == before


def test_missing_key_says_how_to_give_it(shop: Shop, monkeypatch: pytest.MonkeyPatch) -> None:
    shop.close()
    monkeypatch.delenv(ENV_PASSPHRASE)
    with pytest.raises(KeyUnavailable) as err:
        Shop.open(shop.root)
    assert not err.value.new and ENV_PASSPHRASE in str(err.value)
    fresh = shop.root.parent / "fresh"
    with pytest.raises(KeyUnavailable) as made:
        Shop.open(fresh)  # a new database here, with no keyring and no passphrase
    assert made.value.new
    assert cipher.file_state(paths.database_path(fresh)) == "missing"


def test_key_in_the_keyring_follows_the_database(
        tmp_path: Path, memory_keyring: object, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_PASSPHRASE)
    with Shop.open(tmp_path / "a") as shop:
        shop.act_as_system("test")
        _register(shop, "Ann", "Lee", "07400 123456")
        salt = cipher.file_salt(shop.db_path)
    stored = memory_keyring.secrets  # type: ignore[attr-defined]
    assert ("shopdesk", dbkey.keyring_name(salt)) in stored
    assert not list((tmp_path / "a").rglob("*.key"))  # no key file beside the data
    (tmp_path / "a").rename(tmp_path / "moved")  # the folder moved: the key follows
    Shop.open(tmp_path / "moved").close()
    dbkey._cache.clear()
    keyring.set_keyring(NoKeyring())  # another computer: the keyring does not have it
    with pytest.raises(KeyUnavailable):
        Shop.open(tmp_path / "moved")


def test_plain_database_is_encrypted_in_place_with_nothing_lost(
        shop: Shop, tmp_path: Path) -> None:
    for n in range(30):
        _register(shop, f"Name{n}", "Plain", f"07400 1{n:05d}")
    key = shop.key
    shop.close()
    old = tmp_path / "old"
    old.mkdir()
    plain = paths.database_path(old)
    _plain_copy(shop.db_path, key, plain)
    earlier = paths.backups_dir(old)
    earlier.mkdir()
    (earlier / "shopdesk-20250101T000000Z-before-upgrade-to-0004.sqlite").write_bytes(
        plain.read_bytes())  # a plain copy an earlier upgrade left
    expected = _rows(plain, None)

    with Shop.open(old) as opened:
        assert opened.customers.count() == 30
    assert cipher.file_state(plain) == "encrypted"
    assert _rows(plain, dbkey.existing(plain)) == expected
    raw = b"".join(p.read_bytes() for p in old.glob("shopdesk.sqlite*"))
    assert b"Name3" not in raw and b"Plain" not in raw  # no plain -wal left beside it
    copies = sorted(earlier.glob("*.sqlite"))
    assert any("before-encryption" in c.name for c in copies)
    assert all(cipher.file_state(c) == "encrypted" for c in copies)  # old copies too
    assert not list(old.glob("*.encrypting"))


def test_plain_document_files_are_encrypted_at_upgrade(shop: Shop, tmp_path: Path) -> None:
    customer = shop.customers.register(CustomerInput(
        first_name="Ann", last_name="Lee", phone="07400 123456")).customer.id
    scan = tmp_path / "id.png"
    scan.write_bytes(b"\x89PNG passport of Ann" * 40)
    info, _ = shop.documents.attach(customer, scan, "photo")
    stored = shop.documents.stored_path(info.id)
    assert stored.read_bytes().startswith(MAGIC) and b"passport" not in stored.read_bytes()
    # As it was before encryption: the plain file under its hash, no marker.
    stored.write_bytes(scan.read_bytes())
    with shop.store.write() as session:
        session.connection().exec_driver_sql(
            "DELETE FROM local_meta WHERE key = 'documents.encrypted'")
    shop.close()
    with Shop.open(shop.root) as again:
        again.act_as_system("test")
        assert stored.read_bytes().startswith(MAGIC)
        assert b"passport" not in stored.read_bytes()
        assert again.documents.read(info.id) == scan.read_bytes()


def _filled_plain_database(root: Path, template: Path, key: cipher.DbKey) -> Path:
    """A plain database big enough that encrypting it takes a while (~60 MB)."""
    root.mkdir(parents=True)
    plain = paths.database_path(root)
    _plain_copy(template, key, plain)
    con = sqlite3.connect(plain)
    con.execute("CREATE TABLE filler (n INTEGER PRIMARY KEY, data BLOB)")
    con.execute("WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 60000)"
                " INSERT INTO filler SELECT n, randomblob(1000) FROM c")
    con.commit()
    con.close()
    return plain


def test_kill_during_conversion_leaves_the_original_intact(
        template_db: Path, tmp_path: Path) -> None:
    key = dbkey.existing(template_db)
    plain = _filled_plain_database(tmp_path / "old", template_db, key)
    before = _rows(plain, None)
    child = subprocess.Popen([sys.executable, "-c", "import sys\nfrom shopdesk.shop import "
                              "Shop\nShop.open(sys.argv[1]).close()", str(plain.parent)],
                             cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    work = plain.with_name(plain.name + ".encrypting")
    deadline = time.monotonic() + 120
    while not (work.exists() and work.stat().st_size > 1 << 20):
        assert child.poll() is None, f"the conversion ended before it could be killed: " \
                                     f"{child.stderr.read() if child.stderr else ''}"
        assert time.monotonic() < deadline
        time.sleep(0.005)
    child.kill()  # SIGKILL: a power cut in the middle of sqlcipher_export
    child.wait()
    assert cipher.file_state(plain) == "plain"
    con = sqlite3.connect(plain)
    assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    con.close()
    assert _rows(plain, None) == before
    with Shop.open(plain.parent) as shop:  # the next start converts it, from the start
        assert shop.customers.count() == len(before["customers"])
    assert cipher.file_state(plain) == "encrypted" and not work.exists()
    after = _rows(plain, dbkey.existing(plain))
    opening = after.pop("local_meta")  # the first open notes this counter's tag
    assert after == {k: v for k, v in before.items() if k != "local_meta"}
    assert set(before["local_meta"]) <= set(opening)
