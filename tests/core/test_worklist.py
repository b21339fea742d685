"""Today's work (the start screen's four questions) and a customer's open tickets."""

from __future__ import annotations

from uuid import UUID

from shopdesk.domain.device_rules import DeviceInput
from shopdesk.services.repairs.tickets import TicketDeviceIntake, TicketIntake
from shopdesk.shop import Shop
from tests.conftest import Clock
from tests.core.repair_helpers import customer, imei


def ticket(shop: Shop, customer_id: UUID, digits: str, *moves: str) -> UUID:
    saved = shop.tickets.intake(TicketIntake(customer_id, [TicketDeviceIntake(
        "Cracked screen", device=DeviceInput(make="Apple", model="iPhone 13",
                                             imei=imei(digits)))]))
    for status in moves:
        shop.tickets.change_status(saved.ticket.summary.id, status)
    return saved.ticket.summary.id


def test_counts_are_exact_items_longest_waiting_first_and_limited(
        shop: Shop, clock: Clock) -> None:
    ana = customer(shop)
    ready = [ticket(shop, ana, f"3539111000000{n}", "diagnosing", "in_repair", "ready")
             for n in range(4)]
    clock.advance(hours=1)
    approval = ticket(shop, ana, "35391110000010", "awaiting_approval")
    parts = ticket(shop, ana, "35391110000011", "diagnosing", "awaiting_parts")
    groups = {g.key: g for g in shop.work.today(limit=3)}
    assert list(groups) == ["ready", "overdue", "awaiting_approval", "awaiting_parts"]
    assert groups["ready"].count == 4  # exact, though only three are listed
    assert [i.ticket_id for i in groups["ready"].items] == ready[:3]  # longest waiting first
    assert groups["overdue"].count == 0 and groups["overdue"].items == ()
    assert [i.ticket_id for i in groups["awaiting_approval"].items] == [approval]
    assert [i.ticket_id for i in groups["awaiting_parts"].items] == [parts]
    item = groups["awaiting_parts"].items[0]
    assert item.customer_name == "Ana López" and item.devices == "Apple iPhone 13"
    assert not item.overdue


def test_overdue_is_past_the_promised_day_and_follows_the_setting(
        shop: Shop, clock: Clock) -> None:
    ana = customer(shop)
    late = ticket(shop, ana, "35391110000020", "diagnosing")
    done = ticket(shop, ana, "35391110000021", "diagnosing", "in_repair", "ready")
    clock.advance(days=3)  # promised 3 days after intake: due today, not yet late
    fresh = ticket(shop, ana, "35391110000022")
    assert shop.work.today()[1].count == 0
    clock.advance(days=1)
    groups = {g.key: g for g in shop.work.today()}
    assert [i.ticket_id for i in groups["overdue"].items] == [late]  # a ready one never is
    assert groups["overdue"].items[0].overdue
    assert done in [i.ticket_id for i in groups["ready"].items]
    shop.settings.set("repairs.promised_days", "10")
    assert shop.work.today()[1].count == 0
    shop.settings.set("repairs.promised_days", "0")
    assert {i.ticket_id for i in shop.work.today()[1].items} == {late, fresh}


def test_open_tickets_per_customer_ready_first(shop: Shop) -> None:
    ana = customer(shop)
    ben = customer(shop, "07400 222333", "Ben")
    nobody = customer(shop, "07400 444555", "Cleo")
    first = ticket(shop, ana, "35391110000030", "diagnosing")
    ready = ticket(shop, ana, "35391110000031", "diagnosing", "in_repair", "ready")
    ticket(shop, ben, "35391110000032", "cancelled")
    found = shop.work.open_tickets([ana, ben, nobody])
    assert set(found) == {ana}
    assert [t.ticket_id for t in found[ana].tickets] == [ready, first]
    assert found[ana].ready == 1
