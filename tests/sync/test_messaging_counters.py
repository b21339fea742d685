"""Messaging across counters: the same ticket moved to ready on two offline counters is
one message; a counter offline keeps its automations until the server has them; messages
and their statuses sync, so every counter shows the same history."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from shopdesk.models.sync import SYNCED_BY_NAME
from shopdesk.shop import Shop
from tests.messaging.conftest import configure, customer
from tests.messaging.fakes import TWILIO_TOKEN, WA_TOKEN, Providers
from tests.sync.conftest import Counters, server_rows, sync_all


@pytest.fixture
def providers() -> Iterator[Providers]:
    fake = Providers()
    yield fake
    fake.down()


@pytest.fixture(autouse=True)
def messaging_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOPDESK_TWILIO_AUTH_TOKEN", TWILIO_TOKEN)
    monkeypatch.setenv("SHOPDESK_WHATSAPP_TOKEN", WA_TOKEN)


def _ticket(shop: Shop, code: str) -> str:
    from shopdesk.domain.device_rules import DeviceInput
    from shopdesk.services.repairs.tickets import TicketDeviceIntake, TicketIntake

    found = shop.customers.by_code(code)
    assert found is not None
    saved = shop.tickets.intake(TicketIntake(found.id, [TicketDeviceIntake(
        "Battery", device=DeviceInput(make="Samsung", model="Galaxy S21"))]))
    shop.tickets.change_status(saved.ticket.summary.id, "in_repair")
    return str(saved.ticket.summary.id)


def test_messaging_tables_are_synced() -> None:
    for table in ("messages", "message_receipts", "message_templates", "appointments",
                  "verification_codes"):
        assert table in SYNCED_BY_NAME
    assert "node" in SYNCED_BY_NAME["messages"].immutable


def test_same_ticket_ready_on_two_offline_counters_is_one_message(
        counters: Counters, providers: Providers, central_url: str) -> None:
    a, b = counters.new("a"), counters.new("b")
    for shop in (a, b):
        configure(shop, providers, channels="sms")
    code = customer(a)
    ticket = _ticket(a, code)
    sync_all(a, b)
    from uuid import UUID

    # Both counters go offline and both mark the repair ready.
    a.tickets.change_status(UUID(ticket), "ready")
    b.tickets.change_status(UUID(ticket), "ready")
    # Offline: the automations wait for the server's word.
    a.messaging.deliver()
    b.messaging.deliver()
    assert [s for s in providers.sent if "ready for pickup" in s.body] == []
    sync_all(a, b)
    for _ in range(2):
        a.messaging.deliver()
        b.messaging.deliver()
        sync_all(a, b)
    ready = [s for s in providers.sent if "ready for pickup" in s.body]
    assert len(ready) == 1
    # Every due message went out exactly once, and both counters show the same history.
    assert sorted(s.body.split(",")[0] for s in providers.sent) == ["Hello Ana"] * 3
    rows = server_rows(central_url, "messages")
    assert {r["status"] for r in rows.values() if r["template"] == "ready_for_pickup"} == {"sent"}
    seen_a = {(m.template, m.status) for m in a.messaging.history(code).entries}
    seen_b = {(m.template, m.status) for m in b.messaging.history(code).entries}
    assert seen_a == seen_b
    # The copy the server refused on b is settled, not left for staff to review.
    assert [r for r in b.sync.rejected() if r.table == "messages"] == []


def test_manual_messages_do_not_wait_for_the_server(counters: Counters,
                                                   providers: Providers) -> None:
    a = counters.new("a")
    configure(a, providers, channels="sms")
    code = customer(a)
    a.messaging.send(code, "payment_due")
    report = a.messaging.deliver()  # not synced yet: only the hand-made one goes
    assert report.sent == 1 and len(providers.sent) == 1
    a.sync.run_once()
    assert a.messaging.deliver().sent == 1  # the welcome, now that the server has it
    assert len(providers.sent) == 2


def test_the_same_template_edited_on_two_counters_is_one_row(counters: Counters,
                                                            central_url: str) -> None:
    a, b = counters.new("a"), counters.new("b")
    a.messaging.save_template("ready_for_pickup", "en", body="A: {ticket_number} is ready")
    b.messaging.save_template("ready_for_pickup", "en", body="B: {ticket_number} is ready",
                              delay_minutes=10)
    sync_all(a, b)
    rows = [r for r in server_rows(central_url, "message_templates").values()
            if r["name"] == "ready_for_pickup"]
    assert len(rows) == 1
    for shop in (a, b):
        [view] = [t for t in shop.messaging.templates("en") if t.name == "ready_for_pickup"]
        assert view.body == rows[0]["body"] and view.customized
        assert shop.sync.status().quarantined == 0
