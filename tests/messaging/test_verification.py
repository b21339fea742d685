"""Phone and e-mail verification (spec 1.3): 6-digit codes stored keyed-hashed, 10 minutes,
5 attempts, typed at the counter or replied; a changed number clears the badge."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest
from sqlalchemy import select

from shopdesk.errors import ValidationError
from shopdesk.models import Message, VerificationCode
from shopdesk.shop import Shop
from tests.conftest import Clock
from tests.messaging.conftest import configure, customer
from tests.messaging.fakes import Mailbox, Providers

pytestmark = pytest.mark.usefixtures("secrets_env")


def _start(shop: Shop, providers: Providers, channel: str = "sms") -> tuple[UUID, str]:
    configure(shop, providers)
    code = customer(shop, service_notifications=False)  # no welcome: only the code goes
    found = shop.customers.by_code(code)
    assert found is not None
    shop.verification.start(found.id, "phone", channel)
    shop.messaging.deliver()
    [sent] = [s for s in providers.sent if "verification code" in s.body
              or "auth_code" in s.body]
    digits = re.search(r"\b(\d{6})\b", sent.body)
    if sent.api == "whatsapp":  # the approved template carries the code as its parameter
        digits = re.search(r"'text': '(\d{6})'", str(sent.payload))
    assert digits is not None
    return found.id, digits.group(1)


def test_code_typed_at_the_counter(shop: Shop, providers: Providers) -> None:
    customer_id, code = _start(shop, providers)
    with shop.store.read() as session:
        row = session.scalar(select(VerificationCode))
        assert row is not None and code not in row.code_hash and len(row.code_hash) == 64
    wrong = "000000" if code != "000000" else "111111"
    assert shop.verification.confirm(customer_id, "phone", wrong) is False
    assert shop.verification.confirm(customer_id, "phone", code) is True
    profile = shop.customers.profile(customer_id)
    assert profile.verification.phone_verified_at is not None
    with shop.store.read() as session:
        row = session.scalar(select(VerificationCode))
        assert row is not None and row.verified_how == "code at the count"[:16]


def test_five_wrong_codes_lock_it(shop: Shop, providers: Providers) -> None:
    customer_id, code = _start(shop, providers)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        assert shop.verification.confirm(customer_id, "phone", wrong) is False
    with pytest.raises(ValidationError, match="too many wrong codes"):
        shop.verification.confirm(customer_id, "phone", code)


def test_a_code_expires_after_ten_minutes(shop: Shop, providers: Providers,
                                          clock: Clock) -> None:
    customer_id, code = _start(shop, providers)
    clock.advance(minutes=10, seconds=1)
    with pytest.raises(ValidationError, match="expired"):
        shop.verification.confirm(customer_id, "phone", code)


def test_a_changed_number_invalidates_the_code_and_the_badge(shop: Shop,
                                                             providers: Providers) -> None:
    customer_id, code = _start(shop, providers)
    assert shop.verification.confirm(customer_id, "phone", code)
    shop.verification.start(customer_id, "phone")
    shop.customers.update(customer_id, {"phone": "+447400999888"})
    assert shop.customers.profile(customer_id).verification.phone_verified_at is None
    with pytest.raises(ValidationError, match="changed since the code was sent"):
        shop.verification.confirm(customer_id, "phone", "123456")


def test_code_replied_by_sms(shop: Shop, providers: Providers, clock: Clock) -> None:
    customer_id, code = _start(shop, providers)
    now = clock()
    with shop.store.write() as session:  # the reply as sync brings it from the webhook
        session.add(Message(
            id=uuid.uuid4(), customer_id=customer_id, channel="sms", direction="in",
            purpose="manual", to_address="+447400123456", body=f"My code is {code}",
            status="received", node="webhook", due_at=now, attempts=0, provider_id="SMx1",
            created_at=now + timedelta(seconds=5), updated_at=now))
    report = shop.messaging.deliver()
    assert report.verified == 1
    assert shop.customers.profile(customer_id).verification.phone_verified_at is not None


def test_by_whatsapp_with_the_authentication_template(shop: Shop,
                                                      providers: Providers) -> None:
    customer_id, code = _start(shop, providers, channel="whatsapp")
    [sent] = [s for s in providers.sent if s.api == "whatsapp"]
    assert sent.payload["template"]["name"] == "auth_code"
    assert shop.verification.confirm(customer_id, "phone", code)


def test_email_code(shop: Shop, smtp: tuple[Mailbox, int]) -> None:
    box, port = smtp
    configure(shop, smtp_port=port, channels="email")
    code = customer(shop, preferred="email", service_notifications=False)
    found = shop.customers.by_code(code)
    assert found is not None
    shop.verification.start(found.id, "email")
    shop.messaging.deliver()
    text = box.messages[-1].get_payload()[0].get_payload(decode=True).decode()
    digits = re.search(r"\b(\d{6})\b", text)
    assert digits is not None
    assert shop.verification.confirm(found.id, "email", digits.group(1))
    assert shop.customers.profile(found.id).verification.email_verified_at is not None


def test_no_code_sent(shop: Shop) -> None:
    code = customer(shop)
    found = shop.customers.by_code(code)
    assert found is not None
    with pytest.raises(ValidationError, match="no phone verification code was sent"):
        shop.verification.confirm(found.id, "phone", "123456")
    assert datetime.now(UTC)  # the clock is untouched by a refusal
