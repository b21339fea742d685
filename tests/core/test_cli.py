"""The command line: import with rejects, export round trip, settings, errors."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from shopdesk.cli import main
from shopdesk.shop import Shop

HEADER = "first_name,last_name,phone,email,address,customer_type,company,notes\n"


def run(*args: str, data_dir: Path) -> int:
    return main([*args, "--data-dir", str(data_dir)])


@pytest.fixture
def home(shop: Shop) -> Path:
    from shopdesk.domain.customer_rules import CustomerInput

    shop.customers.register(CustomerInput(first_name="Existing", last_name="Person",
                                          phone="07400 000001", email="taken@example.com"))
    return shop.root


def test_import_reports_and_writes_rejects(home: Path, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "customers.csv"
    source.write_text(HEADER + "\n".join([
        'Zoë,Okafor,07400 111111,zoe@example.com,"1 High St, Leeds",individual,,VIP',
        "Bad,Phone,12345,,,individual,,",
        "Dup,Existing,07400 000001,,,individual,,",
        "Dup,Email,07400 222222,TAKEN@example.com,,individual,,",
        "Acme,Ltd,07400 333333,,,business,Acme Repairs Ltd,",
        "No,Company,07400 444444,,,business,,",
        "Twin,One,07400 555555,,,individual,,",
        "Twin,Two,+447400555555,,,individual,,",
    ]) + "\n", encoding="utf-8")
    assert run("import", "customers", str(source), data_dir=home) == 3
    out = capsys.readouterr()
    assert "imported 3 of 8 rows" in out.out
    assert "line 3: phone:" in out.err and "line 4: phone:" in out.err
    rejects = list(csv.DictReader((tmp_path / "customers.rejects.csv").open(encoding="utf-8")))
    assert [(r["line"], r["field"]) for r in rejects] == [
        ("3", "phone"), ("4", "phone"), ("5", "email"), ("7", "company"), ("9", "phone")]
    assert "already belongs to existing customer" in rejects[1]["reason"]
    assert "line 8 of this file" in rejects[4]["reason"]
    assert rejects[0]["first_name"] == "Bad"
    with Shop.open(home) as shop:
        assert shop.customers.count() == 4
        zoe = shop.customers.search("okafor")[0]
        assert shop.customers.profile(zoe.id).values["address_line1"] == "1 High St, Leeds"
        assert shop.audit.verify().ok


def test_import_refuses_a_bad_header(home: Path, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "bad.csv"
    source.write_text("first_name,surname,phone\nA,B,07400111111\n")
    assert run("import", "customers", str(source), data_dir=home) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "last_name: column is required" in err and "surname: is not a customer field" in err
    assert run("import", "customers", str(tmp_path / "none.csv"), data_dir=home) == 1
    assert "no such file" in capsys.readouterr().err


@pytest.mark.parametrize("suffix", [".csv", ".json"])
def test_export_round_trips_into_another_counter(home: Path, tmp_path: Path,
                                                 suffix: str) -> None:
    target = tmp_path / f"all{suffix}"
    assert run("demo", "--customers", "40", data_dir=home) == 0
    assert run("export", "customers", str(target), data_dir=home) == 0
    if suffix == ".json":
        records = json.loads(target.read_text(encoding="utf-8"))
        assert len(records) == 41 and {"id", "code", "phone", "language"} <= set(records[0])
        return
    other = tmp_path / "other"
    assert run("import", "customers", str(target), data_dir=other) == 0
    with Shop.open(home) as a, Shop.open(other) as b:
        def people(shop: Shop) -> set[tuple[object, ...]]:
            rows = shop.customers.summaries(shop.customers.search_ids("", 1000))
            return {(c.first_name, c.last_name, c.phone, c.email, c.city) for c in rows}
        assert people(a) == people(b) and len(people(b)) == 41


def test_demo_generates_varied_valid_customers(tmp_path: Path) -> None:
    assert run("demo", "--customers", "300", data_dir=tmp_path / "d") == 0
    with Shop.open(tmp_path / "d") as shop:
        rows = shop.customers.summaries(shop.customers.search_ids("", 1000))
        assert len(rows) == 300
        assert len({c.phone[:3] for c in rows}) >= 5  # several countries
        assert any(not c.name.isascii() for c in rows)  # accents
        assert {c.customer_type for c in rows} == {"individual", "business"}
        assert not shop.needs_owner()


def test_settings_commands(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("settings", "set", "shop.name", "Fix-It Fast", data_dir=home) == 0
    assert run("settings", "get", "shop.name", data_dir=home) == 0
    assert capsys.readouterr().out.strip().endswith("Fix-It Fast")
    assert run("settings", "set", "shop.currency", "pounds", data_dir=home) == 1
    err = capsys.readouterr().err
    assert err.startswith("shopdesk: error: shop.currency:") and err.count("\n") == 1
    assert run("settings", "get", "nope", data_dir=home) == 1


def test_settings_and_staff_print_json(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("settings", "set", "shop.name", "Fix-It Fast", "--json", data_dir=home) == 0
    assert json.loads(capsys.readouterr().out) == {"shop.name": "Fix-It Fast"}
    assert run("settings", "get", "shop.name", "--json", data_dir=home) == 0
    assert json.loads(capsys.readouterr().out) == {"shop.name": "Fix-It Fast"}
    assert run("settings", "list", "--json", data_dir=home) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed["shop.name"] == "Fix-It Fast" and listed["phone.default_region"] == "GB"
    assert run("staff", "list", "--json", data_dir=home) == 0
    (owner,) = json.loads(capsys.readouterr().out)
    assert (owner["username"], owner["display_name"], owner["role"], owner["is_active"]) == (
        "owner", "Olivia Owner", "owner", True)
    assert set(owner) == {"id", "username", "display_name", "role", "secret_kind", "is_active",
                          "locked_until", "created_at"}  # the PIN's hash never leaves


# Every verb that prints records; each must take --json (nested verbs as "verb action").
RECORD_VERBS = ["search", "devices", "tickets", "settings", "staff", "sync",
                "central terminals", "conflicts list", "conflicts rejected",
                "tickets list", "tickets show", "tickets new", "tickets move", "tickets pickup",
                "support", "support list", "support show"]


@pytest.mark.parametrize("verb", RECORD_VERBS)
def test_verbs_that_print_records_take_json(verb: str) -> None:
    import argparse

    from shopdesk.cli import build_parser

    parser = build_parser()
    for word in verb.split():
        (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        parser = sub.choices[word]
    assert "--json" in parser._option_string_actions, f"shopdesk {verb} has no --json"


def test_console_entry_point_and_no_qt_for_commands(tmp_path: Path) -> None:
    code = ("import sys; from shopdesk.main import main; rc = main(['settings', 'list', "
            f"'--data-dir', {str(tmp_path / 'p')!r}]); "
            "assert 'PySide6' not in sys.modules, 'CLI loaded Qt'; sys.exit(rc)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert "phone.default_region = GB" in done.stdout
    bad = subprocess.run([sys.executable, "-m", "shopdesk", "frobnicate"],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1


def test_staff_add_from_stdin(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "shopdesk", "staff", "add", "olivia", "--name", "Olivia O",
         "--secret-stdin", "--data-dir", str(tmp_path / "s")],
        input="4821\n", capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"username": "olivia", "role": "owner"}
    with Shop.open(tmp_path / "s") as shop:
        assert shop.sign_in("olivia", "4821").display_name == "Olivia O"


@pytest.mark.parametrize("args,gui,data_dir", [
    ([], True, None), (["--data-dir", "D"], True, "D"), (["--data-dir=D"], True, "D"),
    (["gui", "--data-dir", "D"], True, "D"), (["audit", "verify"], False, None),
    (["--data-dir", "D", "search", "x"], False, "D"),
])
def test_no_command_means_the_window(args: list[str], gui: bool, data_dir: str | None) -> None:
    from shopdesk.cli import gui_data_dir, wants_gui

    assert wants_gui(args) is gui
    assert gui_data_dir(args) == data_dir


def test_logs_go_to_the_data_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import logging

    from shopdesk import logs

    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # restored after the test
    target = logs.configure(tmp_path)
    logging.getLogger("shopdesk.test").warning("hello from the test")
    for handler in logging.getLogger("shopdesk").handlers:
        handler.flush()
    assert target == tmp_path / "logs" / "shopdesk.log"
    assert "hello from the test" in target.read_text(encoding="utf-8")
    logger = logging.getLogger("shopdesk")
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
        handler.close()
