"""The sync command line, run as staff and IT run it: `python -m shopdesk ...` in subprocesses
against a real Postgres, with no OS keyring (the credential is kept in a private file of the
data directory).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg
import pytest

from shopdesk import paths
from shopdesk.cli import main
from shopdesk.db import dbkey
from shopdesk.domain.customer_rules import CustomerInput
from shopdesk.models import Customer
from shopdesk.shop import Shop
from shopdesk.sync import central
from tests.conftest import fresh_root
from tests.sync.conftest import Counters, sync_all
from tests.sync.rest_server import rest_server
from tests.sync.supabase_like import SupabaseLike

NO_KEYRING = "keyring.backends.fail.Keyring"
FIRST = ["Ada", "Ben", "Cleo", "Dan", "Eve", "Finn", "Gus", "Hana", "Ivo", "Jo", "Kai", "Lea",
         "Max", "Nia", "Oto", "Pia", "Rui"]
LAST = ["Berg", "Cruz", "Diaz", "Egan", "Frey", "Gall", "Holm", "Ito", "Juul", "Kerr"]
SUMMARY = re.compile(r"pushed (\d+), rejected (\d+), conflicts (\d+), pulled (\d+)")


class Counter:
    """One data directory driven only through the command line."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.token: str | None = None
        self.env: dict[str, str] = {}
        self.last_err = ""

    def run(self, *args: str, code: int = 0) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if k != "SHOPDESK_SYNC_TOKEN"}
        env["PYTHON_KEYRING_BACKEND"] = NO_KEYRING
        if self.token:
            env["SHOPDESK_SYNC_TOKEN"] = self.token
        env.update(self.env)
        done = subprocess.run([sys.executable, "-m", "shopdesk", *args, "--data-dir",
                               str(self.root)], capture_output=True, text=True, env=env,
                              timeout=120)
        assert done.returncode == code, (args, done.returncode, done.stdout, done.stderr)
        if code:
            assert done.stderr.count("\n") == 1, done.stderr  # one line, a reason
        return done

    def json(self, *args: str) -> Any:
        return json.loads(self.run(*args, "--json").stdout)

    def join(self, url: str, name: str, *extra: str) -> str:
        out = self.run("central", "join", url, "--store", "Main St", "--name", name,
                       *extra).stdout
        # No OS keyring in these processes: the credential is kept in a private file of
        # the data directory (issue 11), where every later command finds it.
        assert "readable by you only" in out, out
        assert "SHOPDESK_SYNC_TOKEN=" not in out  # never printed when it could be kept
        return out

    def sync(self) -> tuple[int, ...]:
        """One `shopdesk sync`: (pushed, rejected, conflicts, pulled); stderr in last_err."""
        done = self.run("sync")
        found = SUMMARY.search(done.stdout)
        assert found and done.stdout.count("\n") == 1, done.stdout
        self.last_err = done.stderr
        return tuple(int(n) for n in found.groups())

    def import_csv(self, tmp: Path, *rows: str) -> None:
        source = tmp / f"{self.root.name}-{uuid.uuid4().hex[:6]}.csv"
        source.write_text("first_name,last_name,phone\n" + "\n".join(rows) + "\n",
                          encoding="utf-8")
        assert "imported" in self.run("import", "customers", str(source)).stdout


@pytest.fixture
def counter(template_db: Path, tmp_path: Path) -> Iterator[Any]:
    def make(name: str) -> Counter:
        return Counter(fresh_root(template_db, tmp_path / name))
    yield make


@pytest.fixture
def empty_db(supabase: SupabaseLike) -> Iterator[str]:
    """A database with no shopdesk schema yet, whose URL carries the admin's password."""
    name = f"shopdesk_cli_{uuid.uuid4().hex[:8]}"
    yield supabase.create_database(name)
    supabase.drop_database(name)


def test_setup_creates_then_is_current_and_never_shows_the_password(
        empty_db: str, counter: Any) -> None:
    admin = counter("admin")
    secret = urlsplit(empty_db).password
    first = admin.run("central", "setup", empty_db).stdout
    assert first.startswith("created the central schema") and "***" in first
    again = admin.run("central", "setup", empty_db).stdout
    assert "already current" in again
    assert secret and secret not in first + again
    bad = admin.run("central", "setup", "mysql://u:pw@host/db", code=2)
    assert bad.stderr.startswith("shopdesk: error: URL: must be a Postgres URL")
    with psycopg.connect(empty_db) as conn:
        assert conn.execute("SELECT version_num FROM sync.alembic_version").fetchone() == (
            central.CENTRAL_HEAD,)


def test_two_counters_sync_surface_and_resolve_a_duplicate(
        central_url: str, counter: Any, tmp_path: Path) -> None:
    a, b = counter("a"), counter("b")
    # Enough customers already on a for its first upload to be a large pull on b.
    a.import_csv(tmp_path, "Ann,Nowak,07400 123456", *(
        f"{first},{last},07400 2{n:05d}" for n, (first, last) in enumerate(
            (f, la) for f in FIRST for la in LAST)))
    admin = central_url
    joined = a.join(admin, "front desk")
    secret = urlsplit(admin).password or ""
    with dbkey.connect(paths.database_path(a.root)) as db:
        (kept,) = db.execute("SELECT central_url FROM sync_state").fetchone()
    assert secret and secret not in joined + kept  # the admin's login is not kept locally
    found = re.search(r"queued (\d+) existing records", joined)
    queued = int(found.group(1)) if found else -1
    assert queued == 3 * (1 + len(FIRST) * len(LAST))  # customer, preferences, loyalty each
    assert "no OS keyring" in joined and "readable by you only" in joined
    b.join(central_url, "back office")
    b.import_csv(tmp_path, "Bob,Kowal,+447400123456")  # the same phone, typed on b

    assert a.sync()[:3] == (queued, 0, 0)
    pushed_b, rejected_b, conflicts_b, pulled_b = b.sync()
    assert (pushed_b, rejected_b, conflicts_b) == (3, 0, 1) and pulled_b > queued
    assert "pulling [" in b.last_err  # a large pull shows the progress bar
    a.sync()

    # What a registered reaches b.
    hits = b.json("search", "Ann Nowak")["results"]
    assert hits and hits[0]["name"] == "Ann Nowak"
    status = b.json("sync", "status")
    assert status["joined"] and status["store"] == "Main St"
    assert status["device_name"] == "back office" and status["pending"] == 0
    assert status["open_conflicts"] == 1 and status["cursor"] == status["server_seq"] > 0
    assert status["last_sync_at"] and status["last_error"] is None
    assert status["paused_reason"] is None and status["transport"] == "direct"

    on_a, on_b = a.json("conflicts", "list"), b.json("conflicts", "list")
    assert [c["kind"] for c in on_a] == [c["kind"] for c in on_b] == ["duplicate_phone"]
    assert on_a[0]["id"] == on_b[0]["id"] and "+447400123456" in on_a[0]["summary"]
    text = b.run("conflicts", "list").stdout
    assert "a: " in text and "Ann Nowak" in text and "Bob Kowal" in text

    a.run("conflicts", "resolve", on_a[0]["id"][:10], "--distinct")
    a.sync()
    b.sync()
    assert b.json("conflicts", "list") == []
    closed = b.json("conflicts", "list", "--all")
    assert [(c["status"], c["resolution"]) for c in closed] == [("resolved", "distinct")]

    revoked = a.run("central", "revoke", central_url, "back office").stdout
    assert "revoked counter 'back office'" in revoked
    terminals = {t["name"]: t for t in a.json("central", "terminals", central_url)}
    assert {n: t["revoked"] for n, t in terminals.items()} == {
        "front desk": False, "back office": True}
    stopped = b.run("sync", code=5)
    assert "sync is stopped" in stopped.stderr and "revoked" in stopped.stderr


def test_unreachable_server_keeps_the_change_queued(
        central_url: str, counter: Any, tmp_path: Path) -> None:
    c = counter("c")
    nowhere = f"postgresql://postgres@/postgres?host={tmp_path / 'no-socket'}"
    c.join(nowhere, "cellar", "--admin-url", central_url)
    c.import_csv(tmp_path, "Dora,Lind,07400 123402")
    failed = c.run("sync", code=4)
    assert "cannot reach the central server" in failed.stderr
    pending = c.json("sync", "status")
    assert pending["pending"] == 3 and "unreachable" in pending["last_error"]
    assert "3 changes stay queued" in failed.stderr


def test_join_over_supabase_rest_and_sync(central_url: str, counter: Any,
                                         tmp_path: Path) -> None:
    e = counter("e")
    with rest_server(central_url, "anon-key-for-cli") as rest:
        joined = e.join(rest.url, "web only", "--transport", "rest", "--api-key",
                        "anon-key-for-cli", "--admin-url", central_url)
        assert "readable by you only" in joined  # the API key is kept beside the token
        e.import_csv(tmp_path, "Esme,Lund,07400 123403")
        assert e.sync()[:3] == (3, 0, 0)
        assert rest.calls and all(c.function.startswith("shopdesk_") for c in rest.calls)


def test_not_joined_says_to_join_first(counter: Any) -> None:
    d = counter("d")
    alone = d.run("sync", code=2)
    assert "has not joined a store" in alone.stderr and "central join" in alone.stderr


@pytest.mark.parametrize(("args", "named"), [
    (["central", "join", "postgresql://h/db", "--store", "S", "--transport", "pigeon"],
     "argument --transport: invalid choice: 'pigeon'"),
    (["central", "join", "postgresql://h/db"], "required: --store"),
    (["central", "join", "postgresql://h/db", "--store", "  "], "--store: give the store's name"),
    (["central", "join", "https://abcd.supabase.co", "--store", "S", "--transport", "rest",
      "--api-key", "k"], "--admin-url: needed with --transport rest"),
    (["central", "join", "postgresql://h/db", "--store", "S", "--api-key", "k"],
     "--api-key: only used with --transport rest"),
    (["central", "join", "http://h", "--store", "S"], "URL: must be a Postgres URL"),
    (["conflicts", "resolve", "feedfacecafe", "--distinct"],
     "ID: no conflict 'feedfacecafe' on this counter"),
    (["conflicts", "resolve", "feedfacecafe"], "one of the arguments --distinct"),
    (["conflicts", "resolve", "feedfacecafe", "--merge-into", "c"],
     "argument --merge-into: invalid choice: 'c'"),
    (["conflicts", "dismiss-rejected", "7"], "SEQ: no rejected change number 7"),
    (["conflicts", "dismiss-rejected", "x"], "argument SEQ: invalid int value: 'x'"),
    (["sync", "--json"], "--json: only with `shopdesk sync status`"),
])
def test_bad_arguments_name_the_field(data_dir: Path, args: list[str], named: str,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    try:
        code = main([*args, "--data-dir", str(data_dir)])
    except SystemExit as exc:  # argparse's own checks exit from inside parse_args
        code = int(exc.code or 0)
    err = capsys.readouterr().err
    assert code == 2 and named in err and err.count("\n") == 1, err
    with Shop.open(data_dir) as shop:
        assert shop.sync.status().joined is False and shop.sync.status().pending == 0


def test_merge_into_from_the_command_line(counters: Counters,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    a, b = counters.new("a"), counters.new("b")
    ann = a.customers.register(CustomerInput(first_name="Ann", last_name="Nowak",
                                             phone="07400 123456")).customer
    bob = b.customers.register(CustomerInput(first_name="Bob", last_name="Nowak",
                                             phone="07400 123456")).customer
    sync_all(a, b)
    root = str(a.root)
    assert main(["conflicts", "list", "--json", "--data-dir", root]) == 0
    (found,) = json.loads(capsys.readouterr().out)
    side = "a" if found["row_a"] == ann.id.hex else "b"
    assert main(["conflicts", "resolve", found["id"], "--merge-into", side,
                 "--data-dir", root]) == 0
    assert "merged" in capsys.readouterr().out
    again = main(["conflicts", "resolve", found["id"], "--merge-into", side, "--data-dir", root])
    assert again == 2 and "already resolved" in capsys.readouterr().err
    sync_all(a, b)
    assert b.sync.conflicts() == [] and a.sync.conflicts() == []
    with b.store.read() as session:
        loser = session.get(Customer, bob.id)
        assert loser is not None and loser.merged_into == ann.id
