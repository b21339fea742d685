"""The data directory is the user's alone, and PINs can be made longer (issue 10, item 13).

POSIX modes are checked for real on real files (0700 folders, 0600 files, new ones
and ones left readable by an older version); the Windows ACL is built by icacls,
whose argument lists are checked here.
"""

from __future__ import annotations

import logging
import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from shopdesk import logs, paths
from shopdesk.cli import main
from shopdesk.db import migrate
from shopdesk.domain.customer_rules import CustomerInput
from shopdesk.errors import ValidationError
from shopdesk.services.printing.print_spool import PrintSpool
from shopdesk.shop import Shop
from tests.conftest import OWNER_SECRET

posix = pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes; Windows uses ACLs")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def modes(root: Path) -> dict[str, int]:
    out = {".": mode(root)}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder) / name
            out[str(path.relative_to(root))] = mode(path)
    return out


@pytest.fixture(autouse=True)
def _usual_umask() -> Iterator[None]:
    old = os.umask(0o022)  # what most systems give: files 0644, folders 0755
    yield
    os.umask(old)


@posix
def test_a_new_data_directory_is_private(tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # logs.configure sets it
    root = tmp_path / "new" / "shop"
    with Shop.open(root) as shop:
        shop.staff.create_owner("owner", "Owner", OWNER_SECRET)
        shop.sign_in("owner", OWNER_SECRET)
        customer = shop.customers.register(CustomerInput(
            first_name="Ana", last_name="Lima", phone="+447400123456")).customer.id
        scan = tmp_path / "scan.pdf"
        scan.write_bytes(b"%PDF-1.4 id")
        shop.consent.record(customer, "id_scan", True, "signed_form")
        shop.documents.attach(customer, scan, "id_scan")
        logs.configure(root)
        PrintSpool(root).keep(b"%PDF-1.4", "receipt", "R-1", "no printer")
        migrate.backup(paths.database_path(root), "test")
        found = modes(root)
    logger = logging.getLogger("shopdesk")
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
        handler.close()
    assert {"shopdesk.sqlite", "shopdesk.sqlite-wal", "shopdesk.sqlite-shm",
            "logs/shopdesk.log", "backups", "documents", "print-queue"} <= set(found)
    wrong = {name: oct(m) for name, m in found.items()
             if m != (0o700 if (root / name).is_dir() else 0o600)}
    assert wrong == {}


@posix
def test_an_existing_directory_is_narrowed_on_open(template_db: Path, tmp_path: Path) -> None:
    root = tmp_path / "old"
    (root / "backups").mkdir(parents=True)
    db = paths.database_path(root)
    db.write_bytes(template_db.read_bytes())
    (root / "backups" / "copy.sqlite").write_bytes(b"x")
    os.chmod(root, 0o755)
    os.chmod(db, 0o644)
    os.chmod(root / "backups", 0o755)
    os.chmod(root / "backups" / "copy.sqlite", 0o644)
    Shop.open(root).close()
    assert modes(root) == {".": 0o700, "shopdesk.sqlite": 0o600, "backups": 0o700,
                           "backups/copy.sqlite": 0o600}


@posix
def test_other_files_in_a_shared_folder_are_left_alone(template_db: Path,
                                                       tmp_path: Path) -> None:
    # --data-dir pointed at a folder that holds other things: shopdesk's own files
    # are narrowed, the folder and the rest are not touched.
    root = tmp_path / "desk"
    root.mkdir(mode=0o755)
    os.chmod(root, 0o755)
    (root / "script.sh").write_text("#!/bin/sh\n")
    os.chmod(root / "script.sh", 0o755)
    paths.database_path(root).write_bytes(template_db.read_bytes())
    Shop.open(root).close()
    assert mode(root) == 0o755 and mode(root / "script.sh") == 0o755
    assert mode(paths.database_path(root)) == 0o600


def test_windows_acl_commands() -> None:
    from shopdesk.private_files import icacls_commands, windows_account

    folder = Path("C:/Users/Ana María/AppData/Local/shopdesk")
    account = windows_account({"USERNAME": "ana", "USERDOMAIN": "SHOP-PC"})
    assert account == "SHOP-PC\\ana"
    assert windows_account({"USERNAME": "ana"}) == "ana"
    assert icacls_commands(folder, account) == [
        ["icacls", str(folder), "/inheritance:r", "/grant:r", "SHOP-PC\\ana:(OI)(CI)F",
         "/C", "/Q"],
        ["icacls", str(folder / "*"), "/reset", "/T", "/C", "/Q"],
    ]  # a list, not a shell line: the space in the path needs no quoting


def test_the_shop_may_require_longer_pins(shop: Shop, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    old = shop.staff.create("tomas", "Tomas", "technician", "1234")
    assert shop.staff.min_pin_length() == 4
    for bad in ("3", "9", "six"):
        with pytest.raises(ValidationError, match=r"security\.min_pin_length"):
            shop.settings.set("security.min_pin_length", bad)
    shop.settings.set("security.min_pin_length", "6")
    with pytest.raises(ValidationError) as exc:
        shop.staff.create("priya", "Priya", "technician", "12345")
    assert exc.value.errors[0].rule == "pin_length"
    assert "a PIN has 6 to 8 digits" in str(exc.value)
    with pytest.raises(ValidationError, match="6 to 8 digits"):
        shop.staff.update(old.id, secret="4321")  # a reset obeys it too
    shop.staff.update(old.id, secret="654321")
    shop.staff.create("priya", "Priya", "technician", "123456")
    shop.staff.create("kwame", "Kwame", "technician", "a long password")  # unchanged
    os.environ["SHOPDESK_NEW_SECRET"] = "1234"
    try:
        assert main(["staff", "add", "lee", "--name", "Lee", "--data-dir",
                     str(shop.root)]) == 1
    finally:
        del os.environ["SHOPDESK_NEW_SECRET"]
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "6 to 8 digits" in err


def test_raising_the_minimum_locks_nobody_out(shop: Shop) -> None:
    shop.staff.create("tomas", "Tomas", "technician", "1234")
    shop.settings.set("security.min_pin_length", "8")
    assert shop.sign_in("tomas", "1234").username == "tomas"
