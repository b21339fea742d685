"""Fault tests of the pull path and of merging (research file section 5, tests 6-9, 18).

Real Postgres, several counters (real SQLite files). A late-committing server
transaction is made by a terminal's own connection that pushes and does not commit.
Each test's docstring names the fault and what must hold.
"""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import psycopg
import pytest
from sqlalchemy import text

from shopdesk.shop import Shop
from shopdesk.sync.engine import default_transport
from shopdesk.sync.wire.transport import Retryable, Transport
from tests.conftest import Clock
from tests.sync.conftest import Counters, server_rows, sync_all
from tests.sync.fault_kit import (
    capture_batch,
    local_row,
    lock_waiters,
    outbox,
    terminal_login,
    wait_until,
)
from tests.sync.test_roundtrip import register

# -- helpers -------------------------------------------------------------------


def server_seq(url: str) -> int:
    with psycopg.connect(url) as conn:
        return int(conn.execute("SELECT value FROM sync.counter").fetchone()[0])


def customer_ids(shop: Shop) -> set[str]:
    with shop.store.read() as session:
        return set(session.connection().execute(text("SELECT id FROM customers")).scalars())


def customer_rows(shop: Shop) -> int:
    """Rows a registration makes: customer, preferences, loyalty account."""
    with shop.store.read() as session:
        return sum(int(session.connection().execute(text(
            f"SELECT count(*) FROM {t}")).scalar_one()) for t in (
            "customers", "customer_preferences", "customer_loyalty"))


def outbox_size(shop: Shop) -> int:
    with shop.store.read() as session:
        return int(session.connection().execute(
            text("SELECT count(*) FROM sync_outbox")).scalar_one())


def seqs_of(url: str, customer: UUID) -> list[int]:
    """Server sequence numbers of a customer's rows (customer, preferences, loyalty)."""
    with psycopg.connect(url) as conn:
        return [r[0] for r in conn.execute(
            "SELECT seq FROM sync.rows WHERE row_id = %s ORDER BY seq", (customer.hex,))]


def field_conflicts(shop: Shop, customer: UUID, column: str) -> list[dict[str, Any]]:
    return [c.details for c in shop.sync.conflicts()
            if c.kind == "field" and c.row_a == customer.hex and c.column == column]


def open_push(shop: Shop, batch: dict[str, Any], first: str | None = None) -> psycopg.Connection:
    """The terminal's own connection, pushing `batch` in a transaction left open
    (after `first`, a statement that starts the transaction earlier)."""
    _, role, token = terminal_login(shop)
    conn = psycopg.connect(shop.sync.engine.state()["central_url"],
                           user=role, password=token)
    if first:
        conn.execute(first)
    conn.execute("SELECT public.shopdesk_push(%s, %s::jsonb)", (token, json.dumps(batch)))
    return conn


class PageRecorder:
    """The real transport, keeping every pulled page's (table, row) pairs."""

    def __init__(self, real: Transport, pages: list[list[tuple[str, str]]]) -> None:
        self.real, self.pages = real, pages

    def hello(self) -> dict[str, Any]:
        return self.real.hello()

    def push(self, batch: dict[str, Any]) -> dict[str, Any]:
        return self.real.push(batch)

    def pull(self, cursor: int, limit: int, ack_floor: int) -> dict[str, Any]:
        page = self.real.pull(cursor, limit, ack_floor)
        self.pages.append([(c[0], c[1]) for c in page["changes"]])
        return page

    def close(self) -> None:
        self.real.close()


# -- 6: late-committing server transactions ---------------------------------------


def test_late_committing_push_is_not_skipped_by_the_cursor(counters: Counters) -> None:
    """Fault: A's push runs inside a server transaction that is still busy (a slow
    statement after it); B pushes meanwhile (it waits for A on the commit-order counter;
    A is working, not stalled, so the server does not end it); C pulls while both are
    uncommitted.
    Must hold: C's first pull sees neither; after A commits (then B), C's next pull has
    both; sequence order equals commit order (A's rows before B's); A's engine then
    settles its queue from the ledger."""
    a, b, c = counters.new("a"), counters.new("b"), counters.new("c")
    sync_all(a, b, c)  # each counter's own first records (its staff directory) out of the way
    ann, bob = register(a, "Ann", "07400 123456"), register(b, "Bob", "07400 123457")
    _, b_role, _ = terminal_login(b)
    late = open_push(a, capture_batch(a))
    errors: list[BaseException] = []

    def push_b() -> None:
        try:
            b.sync.run_once()
        except BaseException as exc:
            errors.append(exc)

    def busy_then_commit() -> None:
        late.execute("SELECT pg_sleep(2)")  # A's transaction works on, then commits
        late.commit()

    pusher, slow = threading.Thread(target=push_b), threading.Thread(target=busy_then_commit)
    try:
        slow.start()
        pusher.start()
        wait_until(lambda: len(lock_waiters(counters.url, b_role)) == 1, what="B's push")
        with psycopg.connect(counters.url, autocommit=True) as probe:
            blockers = probe.execute("SELECT pg_blocking_pids(%s)",
                                     (lock_waiters(counters.url, b_role)[0],)).fetchone()[0]
        assert blockers == [late.info.backend_pid]  # B waits for A's open transaction
        c.sync.run_once()
        assert customer_ids(c) == set()
        slow.join(30)
    finally:
        late.close()
    pusher.join(30)
    assert errors == []

    c.sync.run_once()

    assert customer_ids(c) == {ann.id.hex, bob.id.hex}
    assert max(seqs_of(counters.url, ann.id)) < min(seqs_of(counters.url, bob.id))
    assert c.sync.status().cursor == server_seq(counters.url)
    a.sync.run_once()
    assert a.sync.status().pending == 0 and b.sync.status().pending == 0


def test_timestamp_cursor_would_lose_a_late_commit_but_the_sequence_does_not(
        counters: Counters) -> None:
    """Fault: A's server transaction starts first (so its rows carry the earlier now()),
    B pushes and commits, C pulls, and only then does A push and commit.
    Must hold: C's next pull delivers A's rows (its cursor is the commit-order
    sequence). Negative control: a cursor 'updated_at > latest seen' misses them."""
    a, b, c = counters.new("a"), counters.new("b"), counters.new("c")
    ann, bob = register(a, "Ann", "07400 123456"), register(b, "Bob", "07400 123457")
    batch = capture_batch(a)
    _, role, token = terminal_login(a)
    late = psycopg.connect(counters.url, user=role, password=token)
    try:
        late.execute("SELECT now()")  # the transaction (and its timestamp) starts here
        b.sync.run_once()
        c.sync.run_once()
        assert customer_ids(c) == {bob.id.hex}
        with psycopg.connect(counters.url) as admin:
            seen_until = admin.execute("SELECT max(updated_at) FROM sync.rows WHERE seq <= %s",
                                       (c.sync.status().cursor,)).fetchone()[0]
        late.execute("SELECT public.shopdesk_push(%s, %s::jsonb)", (token, json.dumps(batch)))
        late.commit()
    finally:
        late.close()

    c.sync.run_once()

    assert customer_ids(c) == {ann.id.hex, bob.id.hex}
    with psycopg.connect(counters.url) as admin:
        by_timestamp = {r[0] for r in admin.execute(
            "SELECT row_id FROM sync.rows WHERE updated_at > %s", (seen_until,))}
    assert ann.id.hex not in by_timestamp  # the negative control: lost by a timestamp cursor
    assert min(seqs_of(counters.url, ann.id)) > max(seqs_of(counters.url, bob.id))


# -- 7: one big transaction across page boundaries ---------------------------------


def test_rows_of_one_transaction_cross_page_boundaries_exactly_once(counters: Counters) -> None:
    """Fault: 50 customers (150 rows) committed in one server transaction, so they share
    one updated_at; the puller's page holds 7 rows.
    Must hold: every row is delivered exactly once, over ceil(150 / 7) pages; the
    puller has all 50 customers and its cursor equals the server's sequence."""
    a, b = counters.new("a"), counters.new("b")
    sync_all(a, b)  # each counter's own first records (its staff directory) out of the way
    rows = [(n, {"first_name": f"Page{n}", "last_name": "Nowak", "phone": f"07400 1230{n:02d}"})
            for n in range(50)]
    assert a.transfer.import_rows(rows, len(rows)).imported == 50
    a.sync.run_once()
    with psycopg.connect(counters.url) as admin:
        stamps = admin.execute("SELECT count(*), count(DISTINCT updated_at), "
                               "count(DISTINCT updated_by) FROM sync.rows WHERE seq > %s",
                               (b.sync.status().cursor,)).fetchone()
    assert stamps == (150, 1, 1)  # one push, one transaction, one instant
    pages: list[list[tuple[str, str]]] = []
    b.sync.transport_factory = lambda state: PageRecorder(default_transport(state), pages)
    b.sync.engine.page_size = 7

    result = b.sync.run_once()

    delivered = [row for page in pages for row in page]
    assert len(delivered) == len(set(delivered)) == 150 == result.pulled
    assert all(len(page) == 7 for page in pages[:-1]) and len(pages) == 22
    assert len(customer_ids(b)) == 50
    assert b.sync.status().cursor == server_seq(counters.url)


def test_pull_cut_between_pages_resumes_from_its_cursor(counters: Counters) -> None:
    """Fault: the connection drops while the 5th page of a 7-row-page pull is in transit
    (the server answered, the counter never got it).
    Must hold: the round fails as Retryable with the first 4 pages kept; the next round
    asks from the 4th page's cursor (not from zero) and ends with every row exactly once."""
    a, b = counters.new("a"), counters.new("b")
    sync_all(a, b)  # each counter's own first records (its staff directory) out of the way
    rows = [(n, {"first_name": f"Cut{n}", "last_name": "Nowak", "phone": f"07400 1231{n:02d}"})
            for n in range(20)]
    assert a.transfer.import_rows(rows, len(rows)).imported == 20
    a.sync.run_once()
    b.sync.engine.page_size = 7
    asked: list[int] = []

    class CutAtPageFive(PageRecorder):
        def pull(self, cursor: int, limit: int, ack_floor: int) -> dict[str, Any]:
            asked.append(cursor)
            page = super().pull(cursor, limit, ack_floor)
            if len(self.pages) == 5:
                raise Retryable("connection reset while the page was in transit (test)")
            return page

    pages: list[list[tuple[str, str]]] = []
    b.sync.transport_factory = lambda state: CutAtPageFive(default_transport(state), pages)
    with pytest.raises(Retryable):
        b.sync.run_once()
    kept = b.sync.status().cursor
    assert kept == asked[4] > 0 and customer_rows(b) == 28  # four pages of 7 applied

    assert b.sync.run_once().pulled == 60 - 28

    assert asked[5] == kept
    applied = [row for page in pages[:4] + pages[5:] for row in page]
    assert len(applied) == len(set(applied)) == 60
    assert customer_rows(b) == 60 and len(customer_ids(b)) == 20
    assert b.sync.status().cursor == server_seq(counters.url)


# -- 8, 9: clocks never decide; concurrent field edits -------------------------------

NOW = Clock().now  # the test clocks' "correct" time


def edit_race(url: str, a: Shop, b: Shop, clocks: tuple[Clock, Clock],
              skew: tuple[datetime, datetime], first: str, n: int) -> tuple[Any, ...]:
    """A and B edit the same customer's notes offline (clocks set to `skew`) and each
    registers a customer; `first` syncs first. The outcome, in terms of A and B."""
    for clock in clocks:
        clock.now = NOW + timedelta(minutes=n)
    cust = register(a, f"Race{n}", f"07400 1234{n:02d}")
    sync_all(a, b)
    clocks[0].now, clocks[1].now = skew
    a.customers.update(cust.id, {"notes": "from A"})
    b.customers.update(cust.id, {"notes": "from B"})
    new_a, new_b = (register(s, f"New{s is b}{n}", f"07400 1235{n:01d}{s is b:d}") for s in (a, b))
    order = (a, b) if first == "A" else (b, a)
    sync_all(*order, rounds=1)
    sync_all(a, b)
    server = server_rows(url, "customers")
    label = {"from A": "A", "from B": "B"}
    seen = [field_conflicts(s, cust.id, "notes") for s in (a, b)]
    return (label[server[cust.id.hex]["notes"]],
            tuple(label[local_row(s, "customers", cust.id)["notes"]] for s in (a, b)),
            tuple(tuple((label[d["kept"]], label[d["overwritten"]]) for d in c) for c in seen),
            {new_a.id.hex, new_b.id.hex} <= customer_ids(a) & customer_ids(b),
            a.sync.status().cursor == b.sync.status().cursor,
            a.sync.status().pending + b.sync.status().pending)


def test_clock_skew_changes_no_outcome(counters: Counters) -> None:
    """Fault: A's clock says year 2000, B's runs a day ahead; both edit the same field
    offline and register a customer; they sync in one order, then the other.
    Must hold: the outcome is the same as with correct clocks: the later arrival wins
    on the server and both counters, one 'field' conflict keeps the earlier arrival's
    value, both new customers reach both counters, cursors agree, queues drain."""
    clocks = (Clock(), Clock())
    a, b = counters.new("a", clock=clocks[0]), counters.new("b", clock=clocks[1])
    skewed = (datetime(2000, 1, 1, 12, tzinfo=NOW.tzinfo), NOW + timedelta(days=1))
    outcomes = {}
    for n, (clock_name, skew) in enumerate([("correct", None), ("skewed", skewed)]):
        for m, first in enumerate("AB"):
            real = (NOW + timedelta(minutes=10 * n + m),) * 2
            outcomes[clock_name, first] = edit_race(counters.url, a, b, clocks, skew or real,
                                                    first, 2 * n + m)
    for first, later in (("A", "B"), ("B", "A")):
        expected = (later, (later, later), (((later, first),),) * 2, True, True, 0)
        assert outcomes["correct", first] == expected
        assert outcomes["skewed", first] == expected


def test_concurrent_offline_field_edits_merge_by_field_then_by_arrival(
        counters: Counters) -> None:
    """Fault: A edits a customer's notes while B, offline, edits its address; later both
    edit the notes.
    Must hold: different fields both survive on every counter with no conflict; the same
    field resolves to the later arrival on every counter, and a 'field' conflict keeping
    the overwritten value is visible through shop.sync.conflicts() on all counters."""
    a, b, c = counters.new("a"), counters.new("b"), counters.new("c")
    ann = register(a, "Ann", "07400 123456")
    sync_all(a, b, c)
    a.customers.update(ann.id, {"notes": "prefers mornings"})
    b.customers.update(ann.id, {"address_line1": "12 Mill Lane"})
    sync_all(a, b, c)
    for shop in (a, b, c):
        row = local_row(shop, "customers", ann.id)
        assert row is not None
        assert (row["notes"], row["address_line1"]) == ("prefers mornings", "12 Mill Lane")
        assert shop.sync.conflicts() == []

    a.customers.update(ann.id, {"notes": "call before noon"})
    b.customers.update(ann.id, {"notes": "text only, never call"})
    a.sync.run_once()
    b.sync.run_once()  # arrives later: wins
    sync_all(a, b, c)

    assert server_rows(counters.url, "customers")[ann.id.hex]["notes"] == "text only, never call"
    for shop in (a, b, c):
        assert local_row(shop, "customers", ann.id)["notes"] == "text only, never call"
        assert local_row(shop, "customers", ann.id)["address_line1"] == "12 Mill Lane"
        [details] = field_conflicts(shop, ann.id, "notes")
        assert (details["overwritten"], details["kept"]) == ("call before noon",
                                                             "text only, never call")
        [conflict] = shop.sync.conflicts()
        assert "call before noon" in conflict.summary
        assert shop.sync.status().pending == 0


def test_local_edit_between_push_and_pull_is_not_overwritten(counters: Counters) -> None:
    """Fault: staff edit a customer on B after B's round pushed and before its pull
    brings another counter's newer version of the same customer.
    Must hold: the pull does not overwrite B's unsent edit (nor lose it); B's next round
    pushes it and the server's merged row (A's notes and B's address) comes back."""
    a, b = counters.new("a"), counters.new("b")
    ann = register(a, "Ann", "07400 123456")
    sync_all(a, b)
    a.customers.update(ann.id, {"notes": "from A"})
    a.sync.run_once()

    class EditBeforePull(PageRecorder):
        def pull(self, cursor: int, limit: int, ack_floor: int) -> dict[str, Any]:
            if not self.pages:
                b.customers.update(ann.id, {"address_line1": "7 Quay St"})
            return super().pull(cursor, limit, ack_floor)

    pages: list[list[tuple[str, str]]] = []
    b.sync.transport_factory = lambda state: EditBeforePull(default_transport(state), pages)
    b.sync.run_once()

    assert ("customers", ann.id.hex) in pages[0]  # A's version arrived ...
    row = local_row(b, "customers", ann.id)
    assert row is not None and row["address_line1"] == "7 Quay St"  # ... and did not win
    assert b.sync.status().pending == 1
    b.sync.transport_factory = default_transport
    sync_all(b, a)
    for shop in (a, b):
        row = local_row(shop, "customers", ann.id)
        assert row is not None and (row["notes"], row["address_line1"]) == ("from A",
                                                                            "7 Quay St")
        assert shop.sync.status().pending == 0 and shop.sync.conflicts() == []


# -- 18: no echo -------------------------------------------------------------------


def test_pulled_rows_never_echo_into_the_outbox(counters: Counters) -> None:
    """Fault: none; the classic sync loop (WatermelonDB #1219): pulled rows re-queued.
    Must hold: pulling 1002 rows into a fresh counter leaves its outbox empty; after it
    pushes its own change, the next pulls (its own row coming back) queue nothing, on
    either counter."""
    a, b = counters.new("a"), counters.new("b")
    sync_all(a, b)  # each counter's own first records (its staff directory) out of the way
    rows = [(n, {"first_name": f"Echo{n}", "last_name": "Nowak", "phone": f"07400 12{n:04d}"})
            for n in range(334)]
    assert a.transfer.import_rows(rows, len(rows)).imported == 334
    a.sync.run_once()
    assert outbox_size(a) == 0

    assert b.sync.run_once().pulled == 1002

    assert outbox_size(b) == 0 and len(customer_ids(b)) == 334
    bob = register(b, "Bob", "07400 999999")
    assert len(outbox(b)) == 3
    b.sync.run_once()
    assert outbox_size(b) == 0
    sync_all(b, a)
    assert outbox_size(b) == 0 and outbox_size(a) == 0
    assert bob.id.hex in customer_ids(a)
