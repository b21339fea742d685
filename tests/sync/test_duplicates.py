"""Fault tests 10-12 (sync-anchors section 5): the same person registered on two
offline counters, merges with late offline references, "different people",
and a pulled row that collides with a local unsynced one.
"""

from __future__ import annotations

from uuid import UUID

import pytest

from shopdesk.errors import ValidationError
from shopdesk.shop import Shop
from shopdesk.sync.engine import default_transport
from tests.sync.conftest import Counters, server_rows, sync_all
from tests.sync.fault_tools import (
    FaultyTransport,
    local_dump,
    local_rows,
    open_ticket,
    register,
    server_dump,
    server_query,
)


def _server_conflicts(url: str, kind: str | None = None) -> list[dict[str, object]]:
    found = [d for d in server_rows(url, "sync_conflicts").values()]
    return [d for d in found if kind is None or d["kind"] == kind]


def _rejected_on_server(url: str) -> int:
    return int(server_query(url, "SELECT count(*) FROM sync.mutations "
                                 "WHERE status = 'rejected'")[0][0])


def _same_person_offline(counters: Counters, field: str) -> tuple[Shop, Shop, UUID, UUID,
                                                                   UUID, UUID]:
    a, b = counters.new("a"), counters.new("b")
    if field == "phone":
        ann = register(a, "Ann", "07400 123456")
        bob = register(b, "Bea", "+44 7400 123456", last="Smith")
    else:
        ann = register(a, "Ann", "07400 123456", email="ann@example.com")
        bob = register(b, "Bea", "07400 654321", email="ann@example.com", last="Smith")
    return a, b, ann, bob, open_ticket(a, ann, 1), open_ticket(b, bob, 2)


@pytest.mark.parametrize("field", ["phone", "email"])
def test_same_contact_on_two_offline_counters_keeps_both(counters: Counters,
                                                          field: str) -> None:
    """Fault: two offline counters register the same phone (national vs E.164 spelling)
    or the same e-mail, with different names, and each opens a ticket.
    Must hold: both customers and both tickets exist on the server and on every
    counter; exactly one open duplicate conflict, seen on both counters; nothing
    rejected."""
    a, b, ann, bob, t_ann, t_bob = _same_person_offline(counters, field)

    sync_all(a, b)

    customers = server_rows(counters.url, "customers")
    tickets = server_rows(counters.url, "repair_tickets")
    assert {ann.hex, bob.hex} <= set(customers)
    assert {t_ann.hex, t_bob.hex} <= set(tickets)
    open_dups = [c for c in _server_conflicts(counters.url) if c["status"] == "open"]
    assert [c["kind"] for c in open_dups] == [f"duplicate_{field}"]
    assert {open_dups[0]["row_a"], open_dups[0]["row_b"]} == {ann.hex, bob.hex}
    assert _rejected_on_server(counters.url) == 0
    for shop in (a, b):
        assert shop.customers.profile(ann).summary.id == ann
        assert shop.customers.profile(bob).summary.id == bob
        assert shop.tickets.get(t_ann).summary.customer_id == ann
        assert shop.tickets.get(t_bob).summary.customer_id == bob
        seen = shop.sync.conflicts()
        assert [c.kind for c in seen] == [f"duplicate_{field}"]
        assert seen[0].id == open_dups[0]["id"]
        assert [c.id for c in shop.sync.duplicates_of(ann)] == [seen[0].id]
        assert [c.id for c in shop.sync.duplicates_of(bob)] == [seen[0].id]
        status = shop.sync.status()
        assert (status.pending, status.rejected, status.open_conflicts) == (0, 0, 1)


def _pickup(shop: Shop, ticket: UUID) -> None:
    shop.tickets.change_status(ticket, "in_repair")
    shop.tickets.change_status(ticket, "ready")
    shop.tickets.pickup(ticket, "40", "cash")


def _points(url: str, customer: UUID) -> float:
    """The customer's balance on the server: the sum of their ledger entries."""
    return float(sum(r["points"] for r in server_rows(url, "loyalty_entries").values()
                     if r["customer_id"] == customer.hex))


def test_merge_then_late_offline_reference_follows_the_redirect(counters: Counters) -> None:
    """Fault: after the same-phone collision, A merges B's customer into its own
    while counter C (synced before the merge, then offline) opens a ticket for the
    loser, and counter D (also offline) repeats the very same merge.
    Must hold: C's ticket is stored with the survivor on the server and on every
    counter; the loser is an inactive redirect everywhere; its devices, tickets and
    service history point at the survivor; the conflict is resolved everywhere;
    the repeated merge is refused locally on A and changes nothing on the server;
    every counter ends equal to the server."""
    a, b, ann, bob, _t_ann, t_bob = _same_person_offline(counters, "phone")
    _pickup(b, t_bob)  # service history and loyalty for the loser
    c, d = counters.new("c"), counters.new("d")
    sync_all(a, b, c, d)
    points = _points(counters.url, ann) + _points(counters.url, bob)
    [dup] = a.sync.duplicates_of(ann)

    a.sync.merge(ann, bob)
    t_late = open_ticket(c, bob, 3)  # C still believes in bob
    d.sync.merge(ann, bob)
    sync_all(a, b, c, d)

    assert server_rows(counters.url, "repair_tickets")[t_late.hex]["customer_id"] == ann.hex
    loser = server_rows(counters.url, "customers")[bob.hex]
    assert (loser["merged_into"], loser["is_active"]) == (ann.hex, 0)
    for table in ("devices", "repair_tickets", "customer_services", "device_owners"):
        refs = {r["customer_id"] for r in server_rows(counters.url, table).values()}
        assert bob.hex not in refs and ann.hex in refs, table
    assert _points(counters.url, ann) == points and _points(counters.url, bob) == 0
    [closed] = [x for x in _server_conflicts(counters.url) if x["id"] == dup.id]
    assert (closed["status"], closed["resolution"]) == ("resolved", "merged")
    assert _rejected_on_server(counters.url) == 0
    reference = server_dump(counters.url, local_dump(a))
    for shop in (a, b, c, d):
        assert shop.tickets.get(t_late).summary.customer_id == ann
        assert shop.tickets.get(t_bob).summary.customer_id == ann
        row = local_rows(shop, "SELECT merged_into, is_active FROM customers WHERE id = :i",
                         i=bob.hex)
        assert row == [{"merged_into": ann.hex, "is_active": 0}]
        assert shop.sync.conflicts() == [] and shop.sync.conflict(dup.id).status == "resolved"
        assert shop.sync.status().pending == 0
        assert local_dump(shop) == reference

    seq_before = server_query(counters.url, "SELECT value FROM sync.counter")[0][0]
    with pytest.raises(ValidationError) as refused:
        a.sync.merge(ann, bob)
    assert refused.value.errors[0].field == "customer"
    assert a.sync.status().pending == 0
    sync_all(a, d)
    assert server_query(counters.url, "SELECT value FROM sync.counter")[0][0] == seq_before
    merges = server_query(counters.url, "SELECT result->>'notes' FROM sync.mutations "
                                        "WHERE kind = 'merge' ORDER BY received_at")
    assert merges == [(None,), ("already merged",)]


def test_different_people_closes_the_pair_for_good(counters: Counters) -> None:
    """Fault: the same phone on two offline counters, and staff decide the two are
    different people. Must hold: resolve(id, 'distinct') closes the conflict on every
    counter and on the server, and later edits of both customers (names and e-mail
    while they still share the phone, then a new phone for one) never flag the pair
    again."""
    a, b, ann, bob, _t1, _t2 = _same_person_offline(counters, "phone")
    sync_all(a, b)
    [dup] = b.sync.conflicts()

    assert a.sync.resolve(dup.id, "distinct").status == "resolved"
    sync_all(a, b)

    for shop in (a, b):
        assert shop.sync.conflicts() == []
        assert shop.sync.conflict(dup.id).resolution == "distinct"
    b.customers.update(bob, {"last_name": "Smithson", "email": "bea@example.com"})
    a.customers.update(ann, {"first_name": "Anne"})
    sync_all(a, b)
    b.customers.update(bob, {"phone": "07400 999999"})
    a.customers.update(ann, {"city": "Leeds"})
    sync_all(a, b)
    for shop in (a, b):
        assert shop.sync.conflicts() == []
        assert [c.status for c in shop.sync.conflicts(include_resolved=True)] == ["resolved"]
    assert [c["status"] for c in _server_conflicts(counters.url)] == ["resolved"]
    assert server_rows(counters.url, "customers")[bob.hex]["last_name"] == "Smithson"
    assert a.customers.profile(bob).summary.email == "bea@example.com"
    assert b.customers.profile(ann).summary.first_name == "Anne"


def test_a_synced_in_duplicate_does_not_freeze_editing(counters: Counters) -> None:
    """Fault: the same phone registered on two offline counters (both customers are
    kept). Must hold: before anyone resolves the duplicate, staff can still edit
    either customer's other fields on a counter that holds both, and the edit
    travels; typing the other customer's phone into an edit is still refused."""
    a, b, ann, bob, _t1, _t2 = _same_person_offline(counters, "phone")
    sync_all(a, b)
    assert len(a.sync.conflicts()) == 1

    assert a.customers.update(ann, {"city": "Leeds"}).customer.id == ann
    assert a.customers.update(bob, {"first_name": "Beatrice"}).customer.id == bob
    a.customers.update(bob, {"phone": "07400 999999"})
    with pytest.raises(ValidationError) as refused:
        a.customers.update(bob, {"phone": "07400 123456"})
    sync_all(a, b)

    assert refused.value.errors[0].field == "phone"
    assert b.customers.profile(ann).summary.city == "Leeds"
    assert b.customers.profile(bob).summary.first_name == "Beatrice"
    assert len(b.sync.conflicts()) == 1  # still open: nobody decided yet


def test_pulled_row_colliding_with_a_local_unsynced_row(counters: Counters) -> None:
    """Fault: B's customer with phone P arrives by pull at A while staff at A are
    registering their own customer with P (saved between A's pull fetching the page
    and applying it, so it is unsynced).
    Must hold: the pull completes with no local UNIQUE failure; both customers are
    on A; no conflict is shown until A pushes; after A's next round exactly one
    duplicate_phone conflict links the two, on both counters."""
    a, b = counters.new("a"), counters.new("b")
    sync_all(a, b)
    bea = register(b, "Bea", "+44 7400 123456", last="Smith")
    b.sync.run_once()
    typed: list[UUID] = []
    a.sync.transport_factory = lambda state: FaultyTransport(
        default_transport(state),
        after_pull=lambda: typed.append(register(a, "Ann", "07400 123456")))

    result = a.sync.run_once()

    [ann] = typed
    assert result.pulled >= 1
    phones = local_rows(a, "SELECT id, phone FROM customers ORDER BY first_name")
    assert phones == [{"id": ann.hex, "phone": "+447400123456"},
                      {"id": bea.hex, "phone": "+447400123456"}]
    assert a.sync.conflicts() == [] and a.sync.status().pending > 0
    assert ann.hex not in server_rows(counters.url, "customers")

    a.sync.transport_factory = default_transport
    sync_all(a, b)
    for shop in (a, b):
        [dup] = shop.sync.conflicts()
        assert dup.kind == "duplicate_phone" and {dup.row_a, dup.row_b} == {ann.hex, bea.hex}
        assert shop.sync.status().pending == 0
    assert local_dump(a) == local_dump(b)


def test_opposing_merges_on_two_counters_converge(counters: Counters) -> None:
    """Fault: after the same-phone collision, A merges B's customer into A's while
    counter D, offline, merges them the other way round (each staff member picked
    a different survivor). Must hold: the first merge to arrive wins; the second
    changes nothing on the server, and D's optimistic local merge (its moved
    tickets, devices and loyalty) is corrected by its next pull, so every counter
    ends equal to the server with both tickets under the survivor."""
    a, b, ann, bob, t_ann, t_bob = _same_person_offline(counters, "phone")
    d = counters.new("d")
    sync_all(a, b, d)

    a.sync.merge(ann, bob)
    d.sync.merge(bob, ann)
    sync_all(a, b, d)

    tickets = server_rows(counters.url, "repair_tickets")
    assert {tickets[t.hex]["customer_id"] for t in (t_ann, t_bob)} == {ann.hex}
    assert server_rows(counters.url, "customers")[ann.hex]["merged_into"] is None
    reference = server_dump(counters.url, local_dump(a))
    for shop in (a, b, d):
        assert shop.tickets.get(t_ann).summary.customer_id == ann
        assert local_dump(shop) == reference
        assert shop.sync.conflicts() == [] and shop.sync.status().pending == 0
