"""Fault tests 4, 5 and 16 (sync-anchors section 5): the app killed between two
steps of a round (a real child process that dies with os._exit), and the central
Postgres restarted in the middle of a round (a private pgserver instance).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from shopdesk.shop import Shop
from shopdesk.sync import central
from shopdesk.sync.engine import default_transport
from shopdesk.sync.wire.transport import Retryable
from tests.sync.conftest import Counters, server_rows, sync_all
from tests.sync.fault_tools import (
    FaultyTransport,
    diff,
    local_dump,
    local_rows,
    open_ticket,
    outbox,
    register,
    run_child,
    server_dump,
    server_query,
    token_of,
)
from tests.sync.supabase_like import SupabaseLike, cluster_dir

CRASHED = 70  # the exit status crash_point uses


def _ledger(url: str) -> list[tuple[Any, ...]]:
    return server_query(url, "SELECT device_id, device_seq, count(*) FROM sync.mutations "
                             "GROUP BY device_id, device_seq HAVING count(*) > 1")


def _ledger_size(url: str, terminal: str = "a") -> int:
    """How many changes of one terminal the server's ledger holds (the others push
    their own records too, e.g. their staff directory entries)."""
    return int(server_query(url, "SELECT count(*) FROM sync.mutations m JOIN sync.devices d "
                                 "ON d.id = m.device_id WHERE d.name = %s", terminal)[0][0])


def _assert_matches_server(url: str, *shops: Shop) -> None:
    for shop in shops:
        local = local_dump(shop)
        assert diff(local, server_dump(url, local)) == []


def test_killed_after_local_commit_before_push(counters: Counters,
                                               memory_keyring: Any) -> None:
    """Fault: the app process saves a customer and a ticket, then dies (os._exit)
    before any push. Must hold: the outbox survived with the changes; the next round
    pushes them once: one customer and one ticket on the server, one ledger entry per
    change, the outbox settled, and the other counter gets exactly one copy."""
    a, b = counters.new("a"), counters.new("b")
    child = run_child(a.root, token_of(a, memory_keyring.secrets), before_sync="\n".join([
        "from tests.sync.fault_tools import open_ticket, register",
        "ann = register(shop, 'Ann', '07400 123456')",
        "open_ticket(shop, ann, 1)",
        "import os; os._exit(70)"]))
    assert child.returncode == CRASHED, child.stderr
    queued = a.sync.status().pending
    assert queued >= 5  # customer, preferences, loyalty, device, ticket, ...
    assert server_rows(counters.url, "customers") == {}

    a.sync.run_once()
    sync_all(a, b)

    assert len(server_rows(counters.url, "customers")) == 1
    assert len(server_rows(counters.url, "repair_tickets")) == 1
    assert _ledger_size(counters.url) == queued and _ledger(counters.url) == []
    assert outbox(a) == []
    assert len(local_rows(b, "SELECT id FROM customers")) == 1
    _assert_matches_server(counters.url, a, b)


def test_killed_after_push_before_ack(counters: Counters,
                                      memory_keyring: Any) -> None:
    """Fault: a child process runs the round and dies right after the server committed
    the push, before the answer is recorded locally (crash point
    after_push_before_ack). Must hold: exit status 70; the local outbox still holds
    every change; the next round (in this process) is answered from the server's
    ledger: exactly one copy of each row, one ledger entry per change, the outbox
    settled."""
    a, b = counters.new("a"), counters.new("b")
    ann = register(a, "Ann", "07400 123456")
    ticket = open_ticket(a, ann, 1)
    a.customers.update(ann, {"city": "Leeds"})
    queued = a.sync.status().pending

    child = run_child(a.root, token_of(a, memory_keyring.secrets),
                      crash_at="after_push_before_ack")

    assert child.returncode == CRASHED, child.stderr
    assert _ledger_size(counters.url) == queued  # the server did apply the push
    assert a.sync.status().pending == queued  # ... but the counter never heard
    result = a.sync.run_once()
    assert result.pushed == queued
    sync_all(a, b)
    assert list(server_rows(counters.url, "customers")) == [ann.hex]
    assert list(server_rows(counters.url, "repair_tickets")) == [ticket.hex]
    assert server_rows(counters.url, "customers")[ann.hex]["city"] == "Leeds"
    assert _ledger_size(counters.url) == queued and _ledger(counters.url) == []
    assert outbox(a) == [] and a.sync.status().rejected == 0
    _assert_matches_server(counters.url, a, b)


def test_killed_mid_pull_before_commit(counters: Counters,
                                       memory_keyring: Any) -> None:
    """Fault: a child process pulls with small pages and dies while applying a page,
    before its local commit (crash point mid_pull_before_commit). Must hold: exit
    status 70; the cursor and the local tables are as they were; the next pull
    gives exactly the server's rows, none twice and none missing."""
    a, b = counters.new("a"), counters.new("b")
    for n in range(4):
        open_ticket(b, register(b, f"Pat{n}", f"07400 1230{n:02d}"), n)
    sync_all(b, a, rounds=1)  # A is up to date, then B writes more
    for n in range(4, 8):
        open_ticket(b, register(b, f"Pat{n}", f"07400 1230{n:02d}"), n)
    b.sync.run_once()
    before, cursor = local_dump(a), a.sync.status().cursor

    child = run_child(a.root, token_of(a, memory_keyring.secrets),
                      crash_at="mid_pull_before_commit", page_size=3)

    assert child.returncode == CRASHED, child.stderr
    assert a.sync.status().cursor == cursor
    assert local_dump(a) == before
    a.sync.engine.page_size = 3
    a.sync.run_once()
    assert len(local_rows(a, "SELECT id FROM customers")) == 8
    assert a.sync.status().pending == 0
    assert local_dump(a) == local_dump(b)
    _assert_matches_server(counters.url, a, b)


# -- server restart -------------------------------------------------------------

class PrivateServer:
    """A Supabase-like cluster of this test module only, so restarting it disturbs no
    other test."""

    def __init__(self, root: Path) -> None:
        self.cluster = SupabaseLike(root).start()
        self.restarts = 0

    def restart(self) -> None:
        self.cluster.restart()
        self.restarts += 1

    def new_database(self) -> str:
        url = self.cluster.create_database(f"shopdesk_{uuid.uuid4().hex[:10]}")
        central.setup(url)
        return url


@pytest.fixture(scope="module")
def private_pg() -> Iterator[PrivateServer]:
    with cluster_dir("private") as root:
        server = PrivateServer(root)
        yield server
        server.cluster.stop()


def test_server_restart_between_push_and_pull_and_mid_pull(
        private_pg: PrivateServer, template_db: Path, tmp_path: Path) -> None:
    """Fault: the central Postgres restarts right after a push was answered (before
    the pull); later it goes down between two pull pages of another counter and stays
    down for a while. Must hold: a restart costs one fresh login within the round (the
    round completes, nothing half-recorded); a server that stays down fails the round
    with Retryable, the cursor where the last applied page left it; once it is back,
    the next round succeeds with no new local write, and in the end every row is on
    the server and on both counters exactly once."""
    url = private_pg.new_database()
    counters = Counters(template_db, tmp_path, url)
    try:
        a, b = counters.new("a"), counters.new("b")
        for n in range(3):
            open_ticket(a, register(a, f"Ann{n}", f"07400 1230{n:02d}"), n)
            register(b, f"Bob{n}", f"07400 1231{n:02d}")
        a.sync.transport_factory = lambda state: FaultyTransport(
            default_transport(state), after_push=private_pg.restart)
        a.sync.run_once()
        assert private_pg.restarts == 1
        assert a.sync.status().pending == 0  # the push's answer was recorded
        assert a.sync.status().last_error is None

        b.sync.engine.page_size = 4
        b.sync.transport_factory = lambda state: FaultyTransport(
            default_transport(state), after_pull=private_pg.cluster.stop)
        with pytest.raises(Retryable):
            b.sync.run_once()
        assert 0 < b.sync.status().cursor < _server_seq_when_up(private_pg, url)
        assert b.sync.status().last_error

        a.sync.transport_factory = b.sync.transport_factory = default_transport
        sync_all(a, b)

        assert len(server_rows(url, "customers")) == 6
        assert len(server_rows(url, "repair_tickets")) == 3
        assert _ledger(url) == [] and outbox(a) == [] and outbox(b) == []
        assert a.sync.status().last_error is None and b.sync.status().last_error is None
        assert local_dump(a) == local_dump(b)
        _assert_matches_server(url, a, b)
    finally:
        counters.close()


def _server_seq_when_up(private_pg: PrivateServer, url: str) -> int:
    private_pg.cluster.start()
    return int(server_query(url, "SELECT value FROM sync.counter")[0][0])
