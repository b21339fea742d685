"""The right to be forgotten across counters and the central database (issue 15).

Real counters (data directories) joined to a real Supabase-like Postgres: an erasure
made on one counter reaches the server and every other counter, including one that
was offline for weeks and edited the customer meanwhile; merged copies and unresolved
duplicates of the person are erased with them, and nothing brings the data back.
"""

from __future__ import annotations

import json
import uuid
from typing import Any
from uuid import UUID

import psycopg
import pytest

from shopdesk.domain import codes
from shopdesk.errors import ValidationError
from shopdesk.models.personal import ERASED_PHONE_PREFIX
from shopdesk.shop import Shop
from shopdesk.sync import central
from shopdesk.sync.wire.direct import DirectTransport
from tests.conftest import Clock
from tests.sync.conftest import Counters, server_rows, sync_all
from tests.sync.fault_tools import local_rows, open_ticket, register

SECRETS = ("Zoltan", "Secretname", "zoltan@secret.example", "7400123456", "Hidden Road",
           "likes cats", "cracked by his son", "second phone 7911")


def _everything_on_server(url: str) -> str:
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT table_name, data::text FROM sync.rows").fetchall()
        claims = conn.execute("SELECT value FROM sync.claims").fetchall()
    return "\n".join(f"{t} {d}" for t, d in rows) + "\n".join(c[0] for c in claims)


def _everything_local(shop: Shop) -> bytes:
    """The database file itself, write-ahead log included: what a thief would read."""
    data = b""
    for suffix in ("", "-wal"):
        path = shop.db_path.with_name(shop.db_path.name + suffix)
        if path.exists():
            data += path.read_bytes()
    return data


def _zoltan(shop: Shop) -> UUID:
    zoltan = register(shop, "Zoltan", "07400 123456", email="zoltan@secret.example",
                      last="Secretname")
    shop.customers.update(zoltan, {"address_line1": "12 Hidden Road", "notes": "likes cats",
                                   "city": "Leeds"})
    return zoltan


def _assert_gone(shop: Shop, customer: UUID) -> None:
    row = local_rows(shop, "SELECT * FROM customers WHERE id = :i", i=customer.hex)[0]
    assert (row["first_name"], row["last_name"], row["email"], row["notes"]) == (
        "Erased", "customer", None, None)
    assert row["phone"].startswith(ERASED_PHONE_PREFIX) and row["is_active"] == 0
    assert row["city"] == "Leeds"  # coarse location is kept (models/personal.py)
    assert local_rows(shop, "SELECT 1 FROM customer_erasures WHERE customer_id = :i",
                      i=customer.hex)
    assert shop.search("zoltan") == [] and shop.search("secretname") == []
    data = _everything_local(shop)
    for secret in SECRETS:
        assert secret.encode() not in data, f"{secret!r} is still in {shop.root}"
    assert shop.audit.verify().ok


def test_erasure_reaches_the_server_and_every_counter(counters: Counters) -> None:
    """Fault: a customer with a ticket and a support case is erased on counter a.
    Must hold: on the server and on counter b the personal values are placeholders,
    kept records (ticket, device) stay under the code, the tombstone is everywhere,
    the phone and e-mail claims are gone, and the audit trails still verify."""
    a, b = counters.new("a"), counters.new("b")
    zoltan = _zoltan(a)
    ticket = open_ticket(a, zoltan, 1)
    a.support.open(zoltan, "Screen cracked by his son", "He says it was cracked by his son")
    sync_all(a, b)
    assert b.customers.profile(zoltan).summary.first_name == "Zoltan"
    assert b.search("zoltan")

    result = a.erasure.forget(zoltan, "Written request of 2026-11-20")
    assert result.queued and [t.id for t in result.customers] == [zoltan]
    sync_all(a, b)

    server = _everything_on_server(counters.url)
    for secret in SECRETS:
        assert secret not in server
    stone = server_rows(counters.url, "customer_erasures")[zoltan.hex]
    assert stone["reason"] == "Written request of 2026-11-20"
    assert server_rows(counters.url, "repair_tickets")[ticket.hex]["customer_id"] == zoltan.hex
    for shop in (a, b):
        _assert_gone(shop, zoltan)
        assert shop.tickets.get(ticket).summary.customer_id == zoltan
        assert shop.sync.status().rejected == 0
    assert next(e.action for e in b.audit.entries(entity="customer")) == "erase"


def test_a_counter_offline_for_weeks_cannot_bring_the_data_back(counters: Counters) -> None:
    """Fault: counter c was offline for weeks; meanwhile it edited the customer (a new
    phone, a note), added a second ticket and opened a support case for them. Counter a
    erased the customer. c comes back.
    Must hold: the erasure wins: the server and every counter hold placeholders only
    (c's edits are accepted without their personal values, its new ticket is kept
    pseudonymised), nothing of c's queue is lost or rejected, and a later edit of the
    erased customer is refused on the counter itself."""
    clock = Clock()
    a, c = counters.new("a"), counters.new("c", clock=clock)
    zoltan = _zoltan(a)
    sync_all(a, c)
    # c goes offline: its changes queue up for weeks.
    clock.advance(days=3)
    c.customers.update(zoltan, {"secondary_phone": "07911 123456",
                                "notes": "second phone 7911 given at the counter"})
    second = open_ticket(c, zoltan, 2)
    c.support.open(zoltan, "Asks about his son's phone", "Zoltan Secretname asked again")
    clock.advance(days=25)
    a.erasure.forget(zoltan, "Erasure request by e-mail")
    a.sync.run_once()
    assert c.sync.status().pending > 0
    c.sync.run_once()  # pushes its weeks-old edits, then pulls the erasure
    sync_all(a, c)

    server = _everything_on_server(counters.url)
    for secret in SECRETS:
        assert secret not in server
    assert "07911 123456" not in server and "+447911123456" not in server
    for shop in (a, c):
        _assert_gone(shop, zoltan)
        assert shop.tickets.get(second).summary.customer_id == zoltan
        status = shop.sync.status()
        assert (status.pending, status.rejected) == (0, 0)
    case = next(iter(d for d in server_rows(counters.url, "support_tickets").values()))
    assert (case["subject"], case["description"]) == ("(erased)", "(erased)")

    # And no later change on any counter resurrects it.
    with pytest.raises(ValidationError, match="erased"):
        c.customers.update(zoltan, {"first_name": "Zoltan"})


class _Terminal:
    """A terminal of the store speaking to the server directly (no app in between)."""

    def __init__(self, url: str) -> None:
        self.reg = central.register_terminal(url, "Main St", "raw", codes.new_node_tag(),
                                             uuid.uuid4().hex)
        self.url, self.seq = url, 0

    def push(self, **mutation: Any) -> tuple[str, dict[str, Any]]:
        self.seq += 1
        transport = DirectTransport(self.url, self.reg.role_name, self.reg.token)
        try:
            reply = transport.push({"device_id": self.reg.device_id, "protocol": 1,
                                    "app_version": "t", "mutations": [
                                        {"id": uuid.uuid4().hex, "seq": self.seq, **mutation}]})
        finally:
            transport.close()
        (_, status, detail), = reply["results"]
        return status, detail


def test_a_hostile_terminal_cannot_write_personal_data_back(counters: Counters) -> None:
    """Fault: after the erasure, a terminal sends the old name straight to the server as
    an update of the erased customer, a new document row for them, and a malformed
    tombstone for someone else.
    Must hold: the update is applied without the name, the document keeps
    placeholders, the bad tombstone is refused with a reason and erases nobody."""
    a = counters.new("a")
    zoltan = _zoltan(a)
    other = register(a, "Other", "07400 654321")
    a.sync.run_once()
    a.erasure.forget(zoltan, "Request in person")
    a.sync.run_once()
    raw = _Terminal(counters.url)
    status, _ = raw.push(kind="row", table="customers", row=zoltan.hex, op="update",
                         new={"first_name": "Zoltan", "email": "zoltan@secret.example"},
                         base={"first_name": "Erased", "email": None})
    assert status == "applied"
    row = server_rows(counters.url, "customers")[zoltan.hex]
    assert (row["first_name"], row["email"]) == ("Erased", None)
    doc = uuid.uuid4().hex
    status, _ = raw.push(kind="row", table="customer_documents", row=doc, op="insert", new={
        "id": doc, "customer_id": zoltan.hex, "kind": "photo",
        "title": "Zoltan at the counter", "filename": "zoltan.jpg", "content_hash": "a" * 64,
        "size": 10, "added_by": None, "added_at": "2026-11-24T09:00:00.000000+00:00"})
    assert status == "applied"
    stored = server_rows(counters.url, "customer_documents")[doc]
    assert (stored["title"], stored["filename"], stored["content_hash"]) == (
        "erased document", "erased", "0" * 64)
    status, detail = raw.push(kind="row", table="customer_erasures", row=other.hex,
                              op="insert", new={"customer_id": other.hex,
                                                "erased_at": "yesterday", "erased_by": None,
                                                "reason": "x"})
    assert status == "rejected" and "erased_at" in detail["reason"]
    status, detail = raw.push(kind="erase", customers=["not-an-id"], reason="x", at=None)
    assert status == "rejected" and "32 hex digits" in detail["reason"]
    assert other.hex not in server_rows(counters.url, "customer_erasures")
    assert server_rows(counters.url, "customers")[other.hex]["first_name"] == "Other"
    a.sync.run_once()
    _assert_gone(a, zoltan)


def test_merged_and_duplicate_copies_are_erased_with_the_person(counters: Counters) -> None:
    """Fault: the person was registered on two offline counters (a duplicate), one
    copy was then merged with a third record, and a fourth duplicate is still
    unresolved. The customer is erased from the merged-away copy's code.
    Must hold: every copy (merge survivor, merged record, unresolved duplicate) is
    erased on the server and on every counter, and the duplicate report is closed."""
    a, b = counters.new("a"), counters.new("b")
    first = register(a, "Zoltan", "07400 123456", email="zoltan@secret.example",
                     last="Secretname")
    copy = register(b, "Zoltan", "+44 7400 123456", last="Secretname")
    sync_all(a, b)
    conflicts = a.sync.duplicates_of(first)
    assert conflicts
    third = register(a, "Zoli", "07400 111222", email="zoli@secret.example",
                     last="Secretname")
    a.sync.merge(first, third)  # third was the same person: merged into first
    sync_all(a, b)
    a.erasure.forget(third, "Request at the counter")  # named by the merged-away record
    sync_all(a, b)
    for shop in (a, b):
        for customer in (first, copy, third):
            row = local_rows(shop, "SELECT first_name, email FROM customers WHERE id = :i",
                             i=customer.hex)[0]
            assert (row["first_name"], row["email"]) == ("Erased", None), (shop.root, customer)
        assert shop.sync.conflicts() == []
    stones = server_rows(counters.url, "customer_erasures")
    assert {first.hex, copy.hex, third.hex} <= set(stones)
    server = _everything_on_server(counters.url)
    assert "Secretname" not in server and "zoli@secret" not in server


def test_erasure_on_a_standalone_counter_travels_when_it_joins(counters: Counters) -> None:
    """Fault: a counter erases a customer before it ever joined a store, then joins.
    Must hold: the customer reaches the server already pseudonymised, with its
    tombstone; no duplicate report appears for the placeholder numbers."""
    a = counters.new("a", join=False)
    zoltan = _zoltan(a)
    ann = register(a, "Ann", "07400 999888")
    a.erasure.forget(zoltan, "Request before the shop went online")
    a.erasure.forget(ann, "Request before the shop went online")
    a.sync.join(counters.url, "Main St", "a")
    a.sync.run_once()
    assert a.sync.status().rejected == 0
    assert {zoltan.hex, ann.hex} <= set(server_rows(counters.url, "customer_erasures"))
    assert "Secretname" not in _everything_on_server(counters.url)
    assert server_rows(counters.url, "sync_conflicts") == {}
    details = [json.loads(r[0]) for r in psycopg.connect(counters.url).execute(
        "SELECT result::text FROM sync.mutations").fetchall()]
    assert all(d.get("status") != "rejected" for d in details)
