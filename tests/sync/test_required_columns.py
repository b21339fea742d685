"""The server refuses an insert that lacks a column a row requires (central c0006).

Before, the server checked only the columns an insert sent: a terminal could insert a
ticket without `customer_id`, the server kept it, and every counter pulled a row it
could not store and quarantined it. Each test names the attempt and what must hold.
"""

from __future__ import annotations

import uuid
from typing import Any

import psycopg
import pytest

from shopdesk.shop import Shop
from shopdesk.sync.rules import RULES, required_columns
from tests.sync.conftest import Counters, server_rows, sync_all
from tests.sync.fault_kit import raw_write, ticket_for
from tests.sync.fault_tools import register
from tests.sync.test_hostile_terminal import rogue_of


@pytest.fixture
def shop_pair(counters: Counters) -> tuple[Shop, Shop]:
    return counters.new("a"), counters.new("b")


def _synced_ticket(counters: Counters, a: Shop, b: Shop) -> tuple[uuid.UUID, dict[str, Any]]:
    """A customer of counter a with a ticket, synced to b; her id and the ticket's
    row as the server holds it (a valid row to copy)."""
    ann = register(a, "Ann", "07400 123456")
    ticket = ticket_for(a, ann)
    sync_all(a, b)
    return ann, dict(server_rows(counters.url, "repair_tickets")[ticket.hex])


def _row_ids(url: str) -> set[tuple[str, str]]:
    with psycopg.connect(url) as conn:
        return {(r[0], r[1]) for r in conn.execute("SELECT table_name, row_id FROM sync.rows")}


def test_an_insert_missing_a_required_column_is_refused_and_nothing_is_stored(
        counters: Counters, shop_pair: tuple[Shop, Shop]) -> None:
    """Attempt: a terminal of another store inserts a ticket without `customer_id`, a
    ticket whose `customer_id` is null, and a customer without `code` and `country`
    (every value it does send is valid).
    Must hold: each refused, the reason naming the table, the column and the rule;
    nothing new on the server; the honest counters sync on with nothing quarantined."""
    a, b = shop_pair
    ann, good_ticket = _synced_ticket(counters, a, b)
    url = counters.url
    good_customer = dict(server_rows(url, "customers")[ann.hex])
    before = _row_ids(url)
    t1, t2, c1 = uuid.uuid4().hex, uuid.uuid4().hex, uuid.uuid4().hex
    no_customer = {k: v for k, v in good_ticket.items() if k != "customer_id"}

    results = rogue_of(url).push(
        {"table": "repair_tickets", "row": t1, "op": "insert",
         "new": {**no_customer, "id": t1, "number": "R-ROGUE-1"}, "base": {}},
        {"table": "repair_tickets", "row": t2, "op": "insert",
         "new": {**good_ticket, "id": t2, "number": "R-ROGUE-2", "customer_id": None},
         "base": {}},
        {"table": "customers", "row": c1, "op": "insert",
         "new": {k: v for k, v in good_customer.items() if k not in ("code", "country")}
         | {"id": c1, "phone": "+447400123999"}, "base": {}})

    assert [s for s, _ in results] == ["rejected"] * 3
    reasons = [d["reason"] for _, d in results]
    assert reasons[0] == ("repair_tickets.customer_id: is required in a new row "
                          "(NOT NULL, no default); this insert left it out")
    assert reasons[1] == ("repair_tickets.customer_id: is required in a new row "
                          "(NOT NULL, no default); this insert sent null")
    assert reasons[2] == ("customers.code: is required in a new row (NOT NULL, no default); "
                          "this insert left it out (also missing: country)")
    assert _row_ids(url) == before
    sync_all(a, b)
    for shop in (a, b):
        assert shop.sync.status().quarantined == 0
        assert shop.sync.quarantined() == []


def test_the_complete_insert_is_accepted_and_updates_may_send_some_columns(
        counters: Counters, shop_pair: tuple[Shop, Shop]) -> None:
    """Attempt: the same terminal sends the ticket again with every column, then an
    update of its status alone, then a re-sent insert of that existing row carrying
    one column (a restored copy's insert merges like an update).
    Must hold: all applied; the server's row is the sent row with the changes; both
    honest counters store it (the other store's ticket) and quarantine nothing."""
    a, b = shop_pair
    _, good_ticket = _synced_ticket(counters, a, b)
    url = counters.url
    rogue = rogue_of(url)
    t1 = uuid.uuid4().hex
    sent = {**good_ticket, "id": t1, "number": "R-ROGUE-1", "status": "received"}

    results = rogue.push(
        {"table": "repair_tickets", "row": t1, "op": "insert", "new": sent, "base": {}},
        {"table": "repair_tickets", "row": t1, "op": "update",
         "new": {"status": "diagnosing"}, "base": {"status": "received"}},
        {"table": "repair_tickets", "row": t1, "op": "insert",
         "new": {"deposit": 2500}, "base": {}})

    assert [s for s, _ in results] == ["applied"] * 3, results
    assert server_rows(url, "repair_tickets")[t1] == {**sent, "status": "diagnosing",
                                                      "deposit": 2500}
    sync_all(a, b)
    for shop in (a, b):
        assert shop.sync.quarantined() == []
        assert shop.tickets.get(uuid.UUID(hex=t1)).summary.status == "diagnosing"


def test_a_counters_incomplete_insert_is_rejected_alone_with_a_one_line_reason(
        counters: Counters, shop_pair: tuple[Shop, Shop]) -> None:
    """Fault: a counter's build has a bug: the insert of one new customer (Ann) leaves
    `country` out of the change it sends; another new customer (Bob) goes in the same
    push.
    Must hold: Ann's insert is rejected with a one-line reason naming
    `customers.country` and the rule, kept in the outbox as every rejected change is
    (status counts it, `rejected()` lists it); the changes that hang off Ann (her
    preferences) are refused as refusing a row's dependants always was; Bob reaches
    the server and the other counter; nothing is quarantined anywhere."""
    a, b = shop_pair
    ann = register(a, "Ann", "07400 123456")
    bob = register(a, "Bob", "07400 123457")
    raw_write(a, "UPDATE sync_outbox SET new_values = json_remove(new_values, '$.country') "
                 "WHERE table_name = 'customers' AND row_id = :r AND op = 'insert'", r=ann.hex)

    done = a.sync.run_once()

    assert done.rejected >= 1
    found = {(r.table, r.row_id): r for r in a.sync.rejected()}
    mine = found.pop(("customers", ann.hex))
    assert mine.reason == ("customers.country: is required in a new row (NOT NULL, no "
                           "default); this insert left it out")
    assert "\n" not in mine.reason and mine.op == "insert"
    for other in found.values():  # her preferences, loyalty account...: they refer to her
        assert f"refers to customers {ann.hex}, which the server does not have" in other.reason
    assert a.sync.status().rejected == done.rejected == len(found) + 1
    on_server = server_rows(counters.url, "customers")
    assert bob.hex in on_server and ann.hex not in on_server
    sync_all(a, b)
    assert b.customers.profile(bob).summary.code == a.customers.profile(bob).summary.code
    for shop in (a, b):
        assert shop.sync.quarantined() == []


def test_the_server_registry_marks_the_required_columns(counters: Counters) -> None:
    """Must hold: `central setup` wrote, for every synced table, exactly the columns the
    models require in a new row (NOT NULL, no SQL default, not the primary key)."""
    with psycopg.connect(counters.url) as conn:
        marked = {(r[0], r[1]) for r in conn.execute(
            "SELECT table_name, column_name FROM sync.columns WHERE required")}
    assert marked == {(t, c) for t in RULES for c in required_columns(t)}
    assert ("repair_tickets", "customer_id") in marked and ("customers", "id") not in marked


def test_a_not_null_column_with_a_default_is_not_required_of_an_older_counter(
        counters: Counters) -> None:
    """Schema skew: a newer shopdesk's `central setup` registers a NOT NULL column with a
    SQL default (`customers.tier_hint`) that this counter does not know.
    Must hold: this (older) counter's new customer, which lacks it, is accepted."""
    a = counters.new("a")
    with psycopg.connect(counters.url) as admin:  # what the newer `central setup` does
        admin.execute("INSERT INTO sync.columns (table_name, column_name, kind, nullable, "
                      "max_length, required) VALUES ('customers', 'tier_hint', 'text', "
                      "false, 20, false)")
    cleo = register(a, "Cleo", "07400 123458")
    done = a.sync.run_once()
    assert done.rejected == 0 and a.sync.rejected() == []
    assert cleo.hex in server_rows(counters.url, "customers")


# Each synced table's required columns when it was first synced (or as of c0006 for
# the tables synced before). An older counter inserts rows without the columns it does
# not know, so a column added to a table here later must not be required: give it a
# `server_default` (or make it nullable). A new synced table gets its entry here.
REQUIRED_AT_FIRST_SYNC: dict[str, set[str]] = {
    "staff_directory": {"display_name", "role", "is_active", "node", "updated_at"},
    "customers": {"code", "first_name", "last_name", "phone", "country", "customer_type",
                  "is_active", "channel", "created_at", "updated_at"},
    "customer_preferences": {"preferred_contact", "best_time", "language",
                             "marketing_opt_in", "service_notifications"},
    "customer_loyalty": {"tier", "opened_at"},
    "loyalty_entries": {"customer_id", "kind", "source", "points", "spend", "reason",
                        "actor", "created_at"},
    "feedback": {"channel", "comment", "language", "sentiment", "categories", "actor",
                 "received_at"},
    "feedback_actions": {"category", "description", "started_on", "actor", "created_at"},
    "customer_documents": {"customer_id", "kind", "title", "filename", "content_hash",
                           "size", "added_at"},
    "devices": {"make", "model", "condition", "customer_id", "created_at", "updated_at"},
    "device_owners": {"device_id", "customer_id", "from_at"},
    "repair_tickets": {"number", "customer_id", "status", "deposit", "warranty_rework",
                       "created_at", "updated_at"},
    "ticket_devices": {"ticket_id", "device_id", "position", "fault", "checklist",
                       "pre_existing_faults", "accessories"},
    "ticket_status_changes": {"ticket_id", "to_status", "actor", "at", "note"},
    "ticket_work_lines": {"ticket_id", "position", "kind", "description", "quantity",
                          "unit_price", "created_at", "updated_at"},
    "customer_services": {"customer_id", "occurred_at", "kind", "description", "labour",
                          "total"},
    "service_parts": {"service_id", "name", "quantity", "unit_price"},
    "support_tickets": {"number", "customer_id", "priority", "status", "level", "complaint",
                        "subject", "description", "due_at", "created_at", "updated_at"},
    "support_events": {"ticket_id", "kind", "note", "actor", "at"},
    "customer_consents": {"customer_id", "purpose", "granted", "method", "at",
                          "recorded_at"},
    "customer_erasures": {"erased_at", "reason"},
    "appointments": {"customer_id", "day", "starts_at", "duration_minutes", "reason",
                     "status", "created_at", "updated_at"},
    "messages": {"channel", "direction", "purpose", "body", "status", "node", "due_at",
                 "attempts", "created_at", "updated_at"},
    "message_receipts": {"message_id", "provider_id", "status", "at"},
    "message_templates": {"name", "language", "enabled", "delay_minutes", "subject", "body",
                          "updated_at"},
    "verification_codes": {"customer_id", "item", "address", "code_hash", "channel", "node",
                           "expires_at", "attempts", "status", "created_at"},
}


@pytest.mark.parametrize("table", sorted(RULES))
def test_no_column_added_to_a_synced_table_is_required(table: str) -> None:
    """Must hold: a table's required columns are among those it required when first
    synced, so an older counter's inserts (without the newer columns) stay accepted."""
    assert table in REQUIRED_AT_FIRST_SYNC, (
        f"{table}: a new synced table; add its required columns to REQUIRED_AT_FIRST_SYNC")
    added = set(required_columns(table)) - REQUIRED_AT_FIRST_SYNC[table]
    assert not added, (f"{table}: {sorted(added)} would be required of counters that do not "
                       "know them yet; give each a server_default or make it nullable")
