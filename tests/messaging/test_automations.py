"""Automations, consent and preferences: what gets queued, in which transaction, when,
on which channel and in which language."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from shopdesk.errors import ValidationError
from shopdesk.models import Message, TicketStatusChange
from shopdesk.shop import Shop
from tests.conftest import Clock
from tests.messaging.conftest import configure, customer
from tests.messaging.fakes import Providers
from tests.messaging.test_delivery import ready_ticket

pytestmark = pytest.mark.usefixtures("secrets_env")


def queued(shop: Shop, code: str) -> dict[str, str]:
    return {m.template or "": m.channel for m in shop.messaging.history(code).entries}


def test_each_status_change_queues_its_message_in_the_same_transaction(
        shop: Shop, providers: Providers) -> None:
    configure(shop, providers)
    code = customer(shop)
    ticket_id, _ = ready_ticket(shop, code)
    assert set(queued(shop, code)) == {"welcome", "ticket_received", "ready_for_pickup",
                                       "uncollected_reminder"}
    with shop.store.read() as session:
        change = session.scalar(select(TicketStatusChange).where(
            TicketStatusChange.ticket_id == ticket_id, TicketStatusChange.to_status == "ready"))
        message = session.scalar(select(Message).where(Message.template == "ready_for_pickup"))
        assert change is not None and message is not None
        # Written together: the same instant of the same transaction's clock reading.
        assert message.created_at <= change.at or abs(
            (message.created_at - change.at).total_seconds()) < 0.01


def test_a_refused_move_queues_nothing(shop: Shop, providers: Providers) -> None:
    configure(shop, providers)
    code = customer(shop)
    ticket_id, _ = ready_ticket(shop, code)
    before = len(shop.messaging.history(code).entries)
    with pytest.raises(ValidationError):
        shop.tickets.change_status(ticket_id, "received")  # not an allowed move
    assert len(shop.messaging.history(code).entries) == before


def test_marketing_never_goes_to_a_customer_who_has_not_opted_in(
        shop: Shop, providers: Providers) -> None:
    configure(shop, providers)
    no = customer(shop, marketing_opt_in=False)
    yes = customer(shop, phone="+447400123457", first="Bea", email="bea@example.com",
                   marketing_opt_in=True)
    with pytest.raises(ValidationError, match="not opted in"):
        shop.messaging.send(no, "satisfaction_survey")
    shop.messaging.send(yes, "satisfaction_survey")
    # Pickup fires the survey automatically: only for the one who opted in.
    for code in (no, yes):
        ticket_id, _ = ready_ticket(shop, code)
        shop.tickets.pickup(ticket_id, "50.00", "cash")
    assert "satisfaction_survey" not in queued(shop, no)
    assert "satisfaction_survey" in queued(shop, yes)
    # Opting out after it was queued: it is dropped at send time, never sent.
    found = shop.customers.by_code(yes)
    assert found is not None
    shop.customers.update(found.id, {"marketing_opt_in": False})
    shop.store.clock.advance(days=2)  # type: ignore[attr-defined]
    shop.messaging.deliver()
    surveys = [s for s in providers.sent if "How did we do" in s.body]
    assert surveys == []


def test_service_notifications_off_means_none(shop: Shop, providers: Providers) -> None:
    configure(shop, providers)
    code = customer(shop, service_notifications=False)
    ready_ticket(shop, code)
    assert queued(shop, code) == {}
    with pytest.raises(ValidationError, match="turned service notifications off"):
        shop.messaging.send(code, "ready_for_pickup")
    shop.messaging.deliver()
    assert providers.sent == []


def test_preferred_channel_then_fallbacks_with_an_address(shop: Shop,
                                                           providers: Providers) -> None:
    configure(shop, providers, channels="whatsapp,sms,email")
    by_sms = customer(shop, preferred="sms")
    by_mail = customer(shop, phone="+447400123457", first="Bea", email="bea@example.com",
                       preferred="email")
    in_person = customer(shop, phone="+447400123458", first="Cy", email="",
                         preferred="in_person")
    assert queued(shop, by_sms)["welcome"] == "sms"
    # E-mail is not configured in this shop: the first configured fallback with an address.
    assert queued(shop, by_mail)["welcome"] == "whatsapp"
    assert queued(shop, in_person)["welcome"] == "whatsapp"
    assert shop.messaging.send(by_sms, "welcome", channel="email").channel == "email"


def test_language_with_fallback_to_the_shop(shop: Shop, providers: Providers) -> None:
    configure(shop, providers)
    fr = customer(shop, language="fr")
    de = customer(shop, phone="+447400123457", first="Bea", email="bea@example.com",
                  language="de")
    bodies = {m.template: m.body for m in shop.messaging.history(fr).entries}
    assert bodies["welcome"].startswith("Bonjour Ana")
    bodies = {m.template: m.body for m in shop.messaging.history(de).entries}
    assert bodies["welcome"].startswith("Hello Bea")  # no German text: the shop's English


def test_quiet_hours_and_best_time_make_messages_wait(shop: Shop, providers: Providers,
                                                      clock: Clock) -> None:
    configure(shop, providers, channels="sms")
    shop.settings.set("messaging.quiet_hours", "21:00-08:00")
    shop.settings.set("messaging.timezone", "UTC")
    clock.now = datetime(2026, 11, 24, 22, 30, tzinfo=UTC)
    code = customer(shop)
    evening = customer(shop, phone="+447400123457", first="Bea", email="bea@example.com",
                       best_time="evening")
    assert shop.messaging.deliver().sent == 0
    [welcome] = [m for m in shop.messaging.history(code).entries]
    assert welcome.due_at == datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
    clock.now = datetime(2026, 11, 25, 8, 1, tzinfo=UTC)
    assert shop.messaging.deliver().sent == 1  # the evening customer still waits
    [later] = shop.messaging.history(evening).entries
    assert later.due_at == datetime(2026, 11, 25, 17, 0, tzinfo=UTC)
    clock.now = datetime(2026, 11, 25, 17, 5, tzinfo=UTC)
    assert shop.messaging.deliver().sent == 1


def test_a_switched_off_template_and_a_delay(shop: Shop, providers: Providers,
                                             clock: Clock) -> None:
    configure(shop, providers, channels="sms")
    shop.messaging.save_template("welcome", "en", enabled=False)
    shop.messaging.save_template("ready_for_pickup", "en", delay_minutes=30,
                                 body="Hi {first_name}, {ticket_number} is done!")
    code = customer(shop)
    _, number = ready_ticket(shop, code)
    assert "welcome" not in queued(shop, code)
    shop.messaging.deliver()
    assert not [s for s in providers.sent if "is done" in s.body]
    clock.advance(minutes=31)
    shop.messaging.deliver()
    assert [s.body for s in providers.sent if "is done" in s.body] == [
        f"Hi Ana, {number} is done!"]


def test_template_edits_are_checked(shop: Shop) -> None:
    with pytest.raises(ValidationError, match="unknown placeholder"):
        shop.messaging.save_template("welcome", "en", body="Hi {nickname}")
    with pytest.raises(ValidationError, match="body: must not be empty"):
        shop.messaging.save_template("welcome", "en", body="  ")
    subject, body = shop.messaging.preview("ready_for_pickup")
    assert "R-SAMPLE-0001" in body and "is ready" in subject


def test_the_uncollected_reminder_is_dropped_after_pickup(shop: Shop, providers: Providers,
                                                         clock: Clock) -> None:
    configure(shop, providers, channels="sms")
    code = customer(shop)
    ticket_id, _ = ready_ticket(shop, code)
    shop.tickets.pickup(ticket_id, "40.00", "cash")
    clock.advance(days=8)
    report = shop.messaging.deliver()
    assert report.cancelled == 1
    assert not [s for s in providers.sent if "still waiting" in s.body]


def test_enqueueing_writes_one_row_per_event(shop: Shop, providers: Providers) -> None:
    configure(shop, providers)
    code = customer(shop)
    ready_ticket(shop, code)
    with shop.store.read() as session:
        keys = session.scalars(select(Message.dedupe_key)).all()
        assert len(keys) == len(set(keys))
        assert session.scalar(select(func.count()).select_from(Message)) == 4


def test_a_shop_without_messaging_set_up_queues_nothing(shop: Shop) -> None:
    code = customer(shop)
    ready_ticket(shop, code)
    assert queued(shop, code) == {}  # no backlog waiting to burst out one day
    shop.settings.set("messaging.email.smtp_host", "smtp.example.com")
    shop.settings.set("messaging.email.from", "desk@example.com")
    later = customer(shop, phone="+447400123457", first="Bea", email="bea@example.com")
    assert set(queued(shop, later)) == {"welcome"}
