"""Messaging fixtures: loopback providers (Twilio, WhatsApp Cloud API), a real SMTP server
with STARTTLS, an in-memory keyring, and a shop configured to use them."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keyring
import pytest

from shopdesk.domain.customer_rules import CustomerInput
from shopdesk.shop import Shop
from shopdesk.sync import credentials
from tests.messaging.fakes import (
    PHONE_NUMBER_ID,
    SID,
    TWILIO_TOKEN,
    WA_TOKEN,
    Mailbox,
    Providers,
    free_port,
    self_signed,
)


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[Any]:
    previous = keyring.get_keyring()
    ring = credentials.memory_keyring()
    keyring.set_keyring(ring)
    yield ring
    keyring.set_keyring(previous)


@pytest.fixture
def providers() -> Iterator[Providers]:
    fake = Providers()
    yield fake
    fake.down()


@pytest.fixture
def smtp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Mailbox, int]]:
    """aiosmtpd on 127.0.0.1 that requires STARTTLS with a certificate made here; the
    client trusts it through SSL_CERT_FILE (as a shop would with its own CA)."""
    from aiosmtpd.controller import Controller

    cert, key = self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    box = Mailbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port, tls_context=context,
                            require_starttls=True)
    controller.start()
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    yield box, port
    controller.stop()


def configure(shop: Shop, providers: Providers | None = None, smtp_port: int | None = None,
              channels: str = "sms,whatsapp,email") -> None:
    s = shop.settings
    s.set("messaging.quiet_hours", "")
    s.set("messaging.channels", channels)
    s.set("shop.name", "Fix-It Corner")
    if providers is not None:
        s.set("messaging.sms.account_sid", SID)
        s.set("messaging.sms.from_number", "+447400000001")
        s.set("messaging.sms.base_url", providers.url)
        s.set("messaging.sms.rate_per_second", "50")
        s.set("messaging.whatsapp.phone_number_id", PHONE_NUMBER_ID)
        s.set("messaging.whatsapp.base_url", providers.url)
        s.set("messaging.whatsapp.templates",
              "ready_for_pickup=repair_ready,ticket_received=repair_received,"
              "welcome=welcome_v2,verification=auth_code")
        s.set("messaging.whatsapp.rate_per_second", "50")
    if smtp_port is not None:
        s.set("messaging.email.smtp_host", "127.0.0.1")
        s.set("messaging.email.smtp_port", str(smtp_port))
        s.set("messaging.email.starttls", "true")
        s.set("messaging.email.from", "desk@fixit.example")
        s.set("messaging.email.rate_per_second", "50")


@pytest.fixture
def secrets_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOPDESK_TWILIO_AUTH_TOKEN", TWILIO_TOKEN)
    monkeypatch.setenv("SHOPDESK_WHATSAPP_TOKEN", WA_TOKEN)
    monkeypatch.setenv("SHOPDESK_MESSAGING_TIMEOUT", "2")


def customer(shop: Shop, phone: str = "+447400123456", first: str = "Ana",
             email: str = "ana@example.com", preferred: str = "sms", **prefs: Any) -> str:
    saved = shop.customers.register(CustomerInput(
        first_name=first, last_name="Silva", phone=phone, email=email,
        preferred_contact=preferred, **prefs))
    return saved.customer.code
