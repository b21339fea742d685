"""A terminal that misbehaves (issue 10, items 1-3): the server trusts it only as far as the
app goes, and honest counters keep working whatever it sends.

A "rogue" is a real registered terminal (its own role, token and store) that sends raw
batches the app would never make. Each test names the attempt and what must hold.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest
from psycopg import errors, sql

from shopdesk.domain import codes
from shopdesk.shop import Shop
from shopdesk.sync import central
from shopdesk.sync.wire.direct import DirectTransport
from tests.sync.conftest import Counters, server_rows, sync_all
from tests.sync.fault_kit import foreign_key_violations, terminal_login, ticket_for
from tests.sync.test_roundtrip import register


@dataclass
class Rogue:
    """A registered terminal sending hand-made batches."""

    url: str
    reg: central.Registration
    seq: int = 0

    def push(self, *changes: dict[str, Any]) -> list[Any]:
        mutations = []
        for change in changes:
            self.seq += 1
            mutations.append({"id": uuid.uuid4().hex, "seq": self.seq, "kind": "row", **change})
        transport = DirectTransport(self.url, self.reg.role_name, self.reg.token)
        try:
            reply = transport.push({"device_id": self.reg.device_id, "protocol": 1,
                                    "app_version": "rogue", "mutations": mutations})
        except Exception:
            self.seq -= len(changes)  # the server recorded none of them
            raise
        finally:
            transport.close()
        return [(status, detail) for _, status, detail in reply["results"]]

    def connect(self, **kwargs: Any) -> psycopg.Connection[Any]:
        return psycopg.connect(self.url, user=self.reg.role_name, password=self.reg.token,
                               **kwargs)


def rogue_of(url: str, store: str = "Other St") -> Rogue:
    return Rogue(url, central.register_terminal(url, store, "rogue", codes.new_node_tag(),
                                                uuid.uuid4().hex))


@pytest.fixture
def shop_pair(counters: Counters) -> Iterator[tuple[Shop, Shop]]:
    a, b = counters.new("a"), counters.new("b")
    yield a, b


def customer_row(url: str, customer_id: str) -> dict[str, Any]:
    return server_rows(url, "customers")[customer_id]


# -- 1: operations and ownership -----------------------------------------------------


def test_a_terminal_cannot_delete_and_a_delete_never_spreads(
        counters: Counters, shop_pair: tuple[Shop, Shop]) -> None:
    """Attempt: a terminal of another store sends op=delete for a customer who has a
    ticket, and for the ticket; then a made-up op.
    Must hold: every one rejected with a reason saying shopdesk never deletes; the server
    still has both rows undeleted; the honest counters keep them, with no orphan and a
    clean foreign_key_check."""
    a, b = shop_pair
    ann = register(a, "Ann", "07400 123456")
    ticket = ticket_for(a, ann.id)
    sync_all(a, b)
    rogue = rogue_of(counters.url)

    results = rogue.push(
        {"table": "customers", "row": ann.id.hex, "op": "delete", "new": {}, "base": {}},
        {"table": "repair_tickets", "row": ticket.hex, "op": "delete", "new": {}, "base": {}},
        {"table": "customers", "row": ann.id.hex, "op": "truncate", "new": {}, "base": {}})

    assert [s for s, _ in results] == ["rejected"] * 3
    assert all("never deletes" in d["reason"] for _, d in results)
    assert ann.id.hex in server_rows(counters.url, "customers")
    assert ticket.hex in server_rows(counters.url, "repair_tickets")
    sync_all(a, b)
    for shop in (a, b):
        assert shop.customers.profile(ann.id).summary.code
        assert foreign_key_violations(shop) == []


def test_a_terminal_cannot_change_another_stores_rows_or_fixed_columns(
        counters: Counters, shop_pair: tuple[Shop, Shop]) -> None:
    """Attempt: a terminal of another store moves store A's ticket to collected, adds a
    status change to it, rewrites a customer's code and creation time, rewrites a status
    change; and (allowed) edits the shared customer's notes.
    Must hold: the ticket, its history, the code and the creation time are unchanged
    and each refusal names why; the customer edit of a shared table is applied."""
    a, b = shop_pair
    ann = register(a, "Ann", "07400 123456")
    ticket = ticket_for(a, ann.id)
    sync_all(a, b)
    rogue = rogue_of(counters.url)
    [change_id] = [r for r, d in server_rows(counters.url, "ticket_status_changes").items()
                   if d["ticket_id"] == ticket.hex]
    before = server_rows(counters.url, "repair_tickets")[ticket.hex]

    results = rogue.push(
        {"table": "repair_tickets", "row": ticket.hex, "op": "update",
         "new": {"status": "diagnosing"}, "base": {"status": "received"}},
        {"table": "ticket_status_changes", "row": uuid.uuid4().hex, "op": "insert",
         "new": {"ticket_id": ticket.hex, "from_status": "received", "to_status": "cancelled",
                 "actor": "rogue", "at": "2026-11-30T10:00:00.000000+00:00", "note": "",
                 "staff_id": None}, "base": {}},
        {"table": "customers", "row": ann.id.hex, "op": "update",
         "new": {"code": "XXXX-0001"}, "base": {}},
        {"table": "customers", "row": ann.id.hex, "op": "update",
         "new": {"created_at": "2001-01-01T00:00:00.000000+00:00"}, "base": {}},
        {"table": "ticket_status_changes", "row": change_id, "op": "update",
         "new": {"note": "rewritten"}, "base": {}},
        {"table": "customers", "row": ann.id.hex, "op": "update",
         "new": {"notes": "seen at the other store"}, "base": {"notes": None}})

    statuses = [s for s, _ in results]
    assert statuses == ["rejected"] * 5 + ["applied"]
    reasons = [d["reason"] for _, d in results[:5]]
    assert "another store" in reasons[0] and "another store" in reasons[1]
    assert "customers.code: cannot be changed" in reasons[2]
    assert "customers.created_at: cannot be changed" in reasons[3]
    assert "another store" in reasons[4] or "never changed" in reasons[4]
    assert server_rows(counters.url, "repair_tickets")[ticket.hex] == before
    assert customer_row(counters.url, ann.id.hex)["code"] == a.customers.profile(
        ann.id).summary.code
    assert customer_row(counters.url, ann.id.hex)["notes"] == "seen at the other store"


# -- 2: poisoned values --------------------------------------------------------------

POISON = [
    ("customer_type", "alien", "customers.customer_type: 'alien' is not one of"),
    ("updated_at", "not-a-date", "customers.updated_at: 'not-a-date' is not an ISO 8601"),
    ("date_of_birth", "31/02/1990", "customers.date_of_birth: '31/02/1990' is not a date"),
    ("date_of_birth", "1990-02-31", "customers.date_of_birth: '1990-02-31' is not a date"),
    ("notes", "x" * 2_000_000, "customers: the row is"),
    ("notes", "y" * 5000, "customers.notes: must be at most 4000 characters"),
    ("is_active", "yes", "customers.is_active: must be true or false"),
    ("first_name", 42, "customers.first_name: must be text"),
    ("merged_into", "not-an-id", "customers.merged_into: cannot be changed"),
]


@pytest.mark.parametrize(("column", "value", "reason"), POISON,
                         ids=[f"{c}={str(v)[:12]}" for c, v, _ in POISON])
def test_a_poisoned_value_is_refused_with_its_reason(
        counters: Counters, shop_pair: tuple[Shop, Shop], column: str, value: Any,
        reason: str) -> None:
    """Attempt: a terminal updates a customer with a value of the wrong type, choice,
    date or size (the values the issue found accepted).
    Must hold: rejected, the reason names the column and the rule; the server's row is
    unchanged; the honest counters sync on and their search and export still work."""
    a, b = shop_pair
    ann = register(a, "Ann", "07400 123456")
    sync_all(a, b)
    before = customer_row(counters.url, ann.id.hex)

    [(status, detail)] = rogue_of(counters.url).push(
        {"table": "customers", "row": ann.id.hex, "op": "update", "new": {column: value},
         "base": {}})

    assert status == "rejected" and reason in detail["reason"], detail
    assert customer_row(counters.url, ann.id.hex) == before
    bob = register(b, "Bob", "07400 123457")
    sync_all(a, b)
    assert [h.id for h in a.search("Bob Nowak")][:1] == [bob.id]


def test_a_poisoned_insert_does_not_reach_anyone(
        counters: Counters, shop_pair: tuple[Shop, Shop]) -> None:
    """Attempt: a terminal inserts a whole customer with an unknown column, a negative
    loyalty balance, a ticket with a status that does not exist, and a row whose id
    and primary key disagree.
    Must hold: all refused; nothing of them is on the server or any counter."""
    a, b = shop_pair
    ann = register(a, "Ann", "07400 123456")
    sync_all(a, b)
    good = dict(customer_row(counters.url, ann.id.hex))
    new_id, entry_id = uuid.uuid4().hex, uuid.uuid4().hex
    results = rogue_of(counters.url).push(
        {"table": "customers", "row": new_id, "op": "insert",
         "new": {**good, "id": new_id, "code": "ROGU-0001", "phone": "+447400123999",
                 "x_payload": "<script>"}, "base": {}},
        {"table": "loyalty_entries", "row": entry_id, "op": "insert",
         "new": {"id": entry_id, "customer_id": ann.id.hex, "kind": "adjust",
                 "source": "staff", "points": -500_000_000, "spend": 0, "reason": "",
                 "ticket_id": None, "ref_id": None, "expires_at": None, "staff_id": None,
                 "actor": "rogue", "created_at": "2026-11-24T09:00:00.000000+00:00"},
         "base": {}},
        {"table": "customers", "row": uuid.uuid4().hex, "op": "insert",
         "new": {**good, "id": new_id, "code": "ROGU-0002"}, "base": {}},
        {"table": "devices", "row": "1; DROP TABLE x", "op": "insert", "new": {}, "base": {}})
    assert [s for s, _ in results] == ["rejected"] * 4
    assert "x_payload: is not a column" in results[0][1]["reason"]
    assert "points: must be at least -100000000" in results[1][1]["reason"]
    assert "does not match the row id" in results[2][1]["reason"]
    assert "is not a row id" in results[3][1]["reason"]
    sync_all(a, b)
    for shop in (a, b):
        assert len(shop.search("Ann Nowak")) == 1
    assert new_id not in server_rows(counters.url, "customers")
    assert entry_id not in server_rows(counters.url, "loyalty_entries")


def test_a_counter_quarantines_a_row_it_cannot_store_and_goes_on(
        counters: Counters, shop_pair: tuple[Shop, Shop], tmp_path: Any) -> None:
    """Fault: a poisoned row reaches the server anyway (written there by an older server
    version, here by hand): a customer of type 'alien' with an updated_at of
    'not-a-date', next to a good new customer.
    Must hold: the counter stores the good row, quarantines the bad one with the reason
    (not stored at all: search and export keep working, no ValueError), says so in its
    status; a later good version of the row resolves the entry and is stored."""
    a, b = shop_pair
    ann = register(a, "Ann", "07400 123456")
    sync_all(a, b)
    bob = register(a, "Bob", "07400 123457")
    a.sync.run_once()
    with psycopg.connect(counters.url) as admin:
        admin.execute("UPDATE sync.rows SET data = data || '{\"customer_type\": \"alien\", "
                      "\"updated_at\": \"not-a-date\"}'::jsonb WHERE table_name = 'customers' "
                      "AND row_id = %s", (ann.id.hex,))

    b.sync.run_once()

    assert b.sync.status().quarantined == 1
    [held] = b.sync.quarantined()
    assert (held.kind, held.table, held.row_id) == ("refused", "customers", ann.id.hex)
    assert ("customers.customer_type: 'alien'" in held.reason
            or "customers.updated_at: 'not-a-date'" in held.reason)
    assert b.customers.profile(ann.id).values["customer_type"] == "individual"
    assert [h.id for h in b.search("Bob Nowak")][:1] == [bob.id]
    assert b.transfer.export(tmp_path / "all.csv") == 2
    with psycopg.connect(counters.url) as admin:
        fixed = {"customer_type": "business", "company": "Ann Ltd",
                 "updated_at": "2026-11-30T09:00:00.000000+00:00"}
        admin.execute("UPDATE sync.rows SET data = data || %s::jsonb WHERE table_name = "
                      "'customers' AND row_id = %s", (json.dumps(fixed), ann.id.hex))
    b.sync.run_once()
    assert b.sync.status().quarantined == 0
    assert b.customers.profile(ann.id).values["company"] == "Ann Ltd"


def test_an_unsendable_change_is_refused_alone_and_the_queue_goes_on(
        counters: Counters, shop_pair: tuple[Shop, Shop]) -> None:
    """Fault: a change holds text Postgres cannot store (a NUL character, written behind
    the form's back), between two good changes. Must hold: that change alone is refused
    with a reason naming it; the others reach the server and the other counter."""
    a, b = shop_pair
    ann = register(a, "Ann", "07400 123456")
    with a.store.write() as session:
        session.connection().exec_driver_sql(
            "UPDATE customers SET notes = 'bad' || char(0) || 'note' WHERE id = ?",
            (ann.id.hex,))
    bob = register(a, "Bob", "07400 123457")

    result = a.sync.run_once()
    b.sync.run_once()

    assert result.rejected == 1
    [refused] = a.sync.rejected()
    assert "NUL character" in refused.reason and refused.row_id == ann.id.hex
    assert {ann.id.hex, bob.id.hex} <= set(server_rows(counters.url, "customers"))
    assert [h.id for h in b.search("Bob Nowak")] == [bob.id]
    assert a.sync.status().pending == 0


# -- 3: stalls and resources ---------------------------------------------------------


def test_an_open_transaction_cannot_stall_the_fleets_pushes(
        counters: Counters, shop_pair: tuple[Shop, Shop]) -> None:
    """Attempt: terminal A pushes inside its own transaction and leaves it open (so it
    holds the commit-order lock), then, on a second login, keeps a transaction busy
    with short sleeps for longer than any push takes.
    Must hold: B's push completes within a few seconds each time (A's stalled sessions
    are ended by the server), with B's change on the server; A's held-open push is not
    half-applied."""
    a, b = shop_pair
    sync_all(a, b)
    register(a, "Ann", "07400 123456")
    _, role, token = terminal_login(a)
    a_batch = json.dumps(_engine_batch(a))

    idle = psycopg.connect(counters.url, user=role, password=token)
    idle.execute("SELECT public.shopdesk_push(%s, %s::jsonb)", (token, a_batch))
    bob = register(b, "Bob", "07400 123457")
    started = time.monotonic()
    b.sync.run_once()
    assert time.monotonic() - started < 5
    assert bob.id.hex in server_rows(counters.url, "customers")
    with pytest.raises(psycopg.OperationalError):
        idle.commit()  # its session was ended: nothing of the held push was kept
    idle.close()

    busy = psycopg.connect(counters.url, user=role, password=token, autocommit=False)
    stop = threading.Event()

    def keep_busy() -> None:
        try:
            busy.execute("SELECT public.shopdesk_push(%s, %s::jsonb)", (token, a_batch))
            while not stop.is_set():
                busy.execute("SELECT pg_sleep(0.5)")
        except psycopg.Error:
            pass

    hog = threading.Thread(target=keep_busy)
    hog.start()
    try:
        time.sleep(6)  # older than any legitimate push: the server may end it now
        carl = register(b, "Carl", "07400 123458")
        started = time.monotonic()
        b.sync.run_once()
        assert time.monotonic() - started < 5
        assert carl.id.hex in server_rows(counters.url, "customers")
    finally:
        stop.set()
        hog.join(10)
        busy.close()
    a.sync.run_once()  # A's own engine pushes its queue normally afterwards
    assert a.sync.status().pending == 0


def _engine_batch(shop: Shop) -> dict[str, Any]:
    from tests.sync.fault_kit import capture_batch

    return capture_batch(shop)


def test_terminal_roles_have_limits_and_no_temporary_tables(
        counters: Counters, shop_pair: tuple[Shop, Shop]) -> None:
    """Attempt: a terminal opens many connections, creates a temporary table, and looks
    at its own role's settings.
    Must hold: its 5th connection is refused (connection limit 4); CREATE TEMP TABLE is
    refused; its role carries statement and idle-in-transaction timeouts."""
    a, _ = shop_pair
    _, role, token = terminal_login(a)
    opened = []
    try:
        for _ in range(central.TERMINAL_CONNECTIONS):
            opened.append(psycopg.connect(counters.url, user=role, password=token))
        with pytest.raises(psycopg.OperationalError, match="too many connections"):
            psycopg.connect(counters.url, user=role, password=token).close()
    finally:
        for conn in opened:
            conn.close()
    with psycopg.connect(counters.url, user=role, password=token, autocommit=True) as conn:
        with pytest.raises(errors.InsufficientPrivilege):
            conn.execute("CREATE TEMP TABLE stash (x int)")
        settings = conn.execute("SELECT current_setting('statement_timeout'), "
                                "current_setting('idle_in_transaction_session_timeout')").fetchone()
    assert settings == ("1min", "5s")


def test_temp_file_limit_is_set_where_the_administrator_may_set_it(
        counters: Counters, supabase: Any) -> None:
    """Supabase reserves temp_file_limit to the platform: there the terminal gets the
    other limits and the join still works. A Postgres whose administrator was granted
    SET on it gives terminals the limit too."""
    def config_of(role: str) -> list[str]:
        with psycopg.connect(counters.url) as admin:
            return list(admin.execute("SELECT rolconfig FROM pg_roles WHERE rolname = %s",
                                      (role,)).fetchone()[0] or [])

    plain = central.register_terminal(counters.url, "Main St", "plain", codes.new_node_tag(),
                                      uuid.uuid4().hex)
    assert not any(c.startswith("temp_file_limit") for c in config_of(plain.role_name))
    with supabase.superuser() as su:
        su.execute("GRANT SET ON PARAMETER temp_file_limit TO postgres")
    try:
        granted = central.register_terminal(counters.url, "Main St", "granted",
                                            codes.new_node_tag(), uuid.uuid4().hex)
        assert "temp_file_limit=16MB" in config_of(granted.role_name)
    finally:
        with supabase.superuser() as su:
            su.execute("REVOKE SET ON PARAMETER temp_file_limit FROM postgres")


def test_a_terminal_changing_its_own_password_gains_nothing(
        counters: Counters, shop_pair: tuple[Shop, Shop]) -> None:
    """Postgres lets every role change its own password. Attempt: a terminal does, then
    calls the sync functions with a guessed token.
    Must hold: the new password logs it in, but every call still needs its real token
    (checked against a hash inside the functions): a guessed one is forbidden; the
    administrator's revoke still ends its access."""
    a, _ = shop_pair
    _, role, token = terminal_login(a)
    with psycopg.connect(counters.url, user=role, password=token, autocommit=True) as conn:
        conn.execute(sql.SQL("ALTER ROLE {} PASSWORD 'chosen-by-thief'").format(
            sql.Identifier(role)))
    with psycopg.connect(counters.url, user=role, password="chosen-by-thief",
                         autocommit=True) as conn, \
            pytest.raises(errors.InsufficientPrivilege, match="forbidden"):
        conn.execute("SELECT public.shopdesk_pull(%s, 0, 10, 0)", ("guessed",))
    central.revoke_terminal(counters.url, "a")
    with pytest.raises(psycopg.OperationalError, match="not permitted to log in"):
        psycopg.connect(counters.url, user=role, password="chosen-by-thief").close()
