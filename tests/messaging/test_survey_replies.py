"""A score replied to the satisfaction survey lands in loyalty's feedback: the ticket's
answer with its CSAT and comment, feedback points, a complaint for a detractor; once,
however many delivery runs see the reply."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from shopdesk.models import Message
from shopdesk.shop import Shop
from tests.conftest import Clock
from tests.messaging.conftest import configure, customer
from tests.messaging.fakes import Providers
from tests.messaging.test_delivery import ready_ticket

pytestmark = pytest.mark.usefixtures("secrets_env")


def reply(shop: Shop, code: str, body: str, clock: Clock, channel: str = "sms") -> None:
    found = shop.customers.by_code(code)
    assert found is not None
    now = clock()
    with shop.store.write() as session:  # the reply as sync brings it from the webhook
        session.add(Message(
            id=uuid.uuid4(), customer_id=found.id, channel=channel, direction="in",
            purpose="manual", to_address="+447400000001", body=body, status="received",
            node="webhook", due_at=now, attempts=0, provider_id=f"SM{uuid.uuid4().hex}",
            created_at=now + timedelta(seconds=5), updated_at=now))


def surveyed(shop: Shop, providers: Providers, clock: Clock, **prefs: object) -> tuple[str, str]:
    """A customer who opted in, a repair collected, and the survey sent (no delay)."""
    configure(shop, providers, channels="sms")
    shop.messaging.save_template("satisfaction_survey", "en", delay_minutes=0)
    code = customer(shop, marketing_opt_in=True, **prefs)
    ticket_id, number = ready_ticket(shop, code)
    shop.tickets.pickup(ticket_id, "80", "card")
    shop.messaging.deliver()
    assert [s for s in providers.sent if "How did we do" in s.body]
    clock.advance(minutes=30)
    return code, number


def test_a_detractors_score_becomes_feedback_and_opens_one_complaint(
        shop: Shop, providers: Providers, clock: Clock) -> None:
    code, number = surveyed(shop, providers, clock)
    before = shop.loyalty.account(code).balance
    reply(shop, code, "2 - far too slow", clock)
    shop.messaging.deliver()
    shop.messaging.deliver()  # seen again: recorded once
    [answer] = shop.feedback.for_ticket(number)
    assert (answer.csat, answer.channel, answer.comment) == (2, "survey", "far too slow")
    assert answer.detractor and answer.complaint_number is not None
    assert shop.feedback.complaints_opened() == 1
    assert shop.loyalty.account(code).balance == before + 20  # the feedback points
    # The contact history's satisfaction figure agrees.
    assert shop.messaging.history(code).satisfaction == 2


def test_a_happy_score_earns_points_without_a_complaint_and_other_replies_are_not_scores(
        shop: Shop, providers: Providers, clock: Clock) -> None:
    code, number = surveyed(shop, providers, clock)
    reply(shop, code, "thanks!", clock)  # answers the survey, but with no score
    shop.messaging.deliver()
    assert shop.feedback.for_ticket(number) == []
    bea = customer(shop, phone="+447400123457", first="Bea", email="bea@example.com",
                   marketing_opt_in=True)
    reply(shop, bea, "5", clock)  # Bea was never surveyed
    shop.messaging.deliver()
    assert shop.feedback.for_ticket(number) == []
    assert shop.feedback.complaints_opened() == 0
