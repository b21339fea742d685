"""Delivery through real loopback providers: Twilio and WhatsApp Cloud API stand-ins with
their error bodies, and a real SMTP server with STARTTLS. Faults end with every due
message delivered exactly once."""

from __future__ import annotations

import itertools
import json
import os
from datetime import timedelta
from pathlib import Path
from uuid import UUID

import pytest

from shopdesk.domain.device_rules import DeviceInput
from shopdesk.services.repairs.tickets import TicketDeviceIntake, TicketIntake
from shopdesk.shop import Shop
from tests.conftest import Clock
from tests.messaging.conftest import configure, customer
from tests.messaging.fakes import Mailbox, Providers

pytestmark = pytest.mark.usefixtures("secrets_env")


def ready_ticket(shop: Shop, code: str) -> tuple[UUID, str]:
    found = shop.customers.by_code(code)
    assert found is not None
    saved = shop.tickets.intake(TicketIntake(found.id, [TicketDeviceIntake(
        "Cracked screen", device=DeviceInput(make="Apple", model="iPhone 12"))]))
    ticket = saved.ticket.summary
    shop.tickets.change_status(ticket.id, "in_repair")
    shop.tickets.change_status(ticket.id, "ready")
    return ticket.id, ticket.number


def statuses(shop: Shop, code: str) -> dict[str, str]:
    return {m.template or m.purpose: m.status
            for m in shop.messaging.history(code).entries if m.direction == "out"}


def test_ready_for_pickup_goes_out_by_sms_once(shop: Shop, providers: Providers) -> None:
    configure(shop, providers)
    code = customer(shop)
    _, number = ready_ticket(shop, code)
    report = shop.messaging.deliver()
    assert report.sent == 3  # welcome, ticket received, ready (the reminder waits 7 days)
    bodies = [s.body for s in providers.sent_to("+447400123456")]
    assert any(f"your repair {number} is ready for pickup at Fix-It Corner" in b
               for b in bodies)
    assert len(bodies) == 3
    assert shop.messaging.deliver().sent == 0  # nothing twice
    assert statuses(shop, code)["ready_for_pickup"] == "sent"
    assert statuses(shop, code)["uncollected_reminder"] == "queued"


def test_email_over_starttls_with_html_and_plain_parts(
        shop: Shop, smtp: tuple[Mailbox, int]) -> None:
    box, port = smtp
    configure(shop, smtp_port=port, channels="email")
    code = customer(shop, preferred="email")
    shop.messaging.send(code, "welcome")
    report = shop.messaging.deliver()
    assert report.sent == 2 and report.failed == 0  # the automatic welcome and this one
    assert all(box.tls) and len(box.messages) == 2
    mail = box.messages[0]
    assert mail["From"] == "Fix-It Corner <desk@fixit.example>"
    assert mail["To"] == "ana@example.com"
    assert mail["Subject"] == "Welcome to Fix-It Corner"
    kinds = [part.get_content_type() for part in mail.walk()]
    assert "text/plain" in kinds and "text/html" in kinds


def test_whatsapp_uses_the_approved_template_outside_the_window(
        shop: Shop, providers: Providers) -> None:
    configure(shop, providers, channels="whatsapp")
    code = customer(shop, preferred="whatsapp")
    _, number = ready_ticket(shop, code)
    shop.messaging.deliver()
    sent = {json.loads(s.body)["name"]: s for s in providers.sent if s.api == "whatsapp"}
    assert set(sent) == {"welcome_v2", "repair_received", "repair_ready"}
    ready = sent["repair_ready"].payload
    assert ready["to"] == "447400123456" and ready["type"] == "template"
    params = [p["text"] for p in ready["template"]["components"][0]["parameters"]]
    assert params == ["Ana", number, "Fix-It Corner"]
    assert ready["biz_opaque_callback_data"].split(":")[0] in {
        str(m.id) for m in shop.messaging.history(code).entries}


def test_whatsapp_without_a_template_falls_back_to_sms(shop: Shop, providers: Providers) -> None:
    configure(shop, providers, channels="whatsapp,sms")
    shop.settings.set("messaging.whatsapp.templates", "")
    code = customer(shop, preferred="whatsapp")
    report = shop.messaging.deliver()
    assert report.failed == 1 and report.sent == 1
    history = shop.messaging.history(code)
    failed = [m for m in history.failures if m.channel == "whatsapp"]
    assert failed and "approved template" in (failed[0].last_error or "")
    assert [s.api for s in providers.sent] == ["twilio"]


def test_invalid_number_fails_for_good_with_twilios_reason(
        shop: Shop, providers: Providers) -> None:
    configure(shop, providers, channels="sms")
    providers.invalid_numbers.add("+447400123456")
    code = customer(shop)
    assert shop.messaging.deliver().failed == 1
    assert shop.messaging.deliver().sent == 0  # never retried
    failure = shop.messaging.history(code).failures[0]
    assert "21211" in (failure.last_error or "") and "not a valid phone number" in (
        failure.last_error or "")
    # The window's profile shows it; a copy went to the e-mail only if configured (not here).
    assert len(providers.requests) == 1


def test_opted_out_at_the_provider_stops(shop: Shop, providers: Providers) -> None:
    configure(shop, providers, channels="sms")
    providers.unsubscribed.add("+447400123456")
    code = customer(shop)
    shop.messaging.deliver()
    assert "21610" in (shop.messaging.history(code).failures[0].last_error or "")


def test_429_honours_retry_after_and_pauses_the_channel(
        shop: Shop, providers: Providers, clock: Clock) -> None:
    configure(shop, providers, channels="sms")
    customer(shop)
    customer(shop, phone="+447400123457", first="Bea", email="bea@example.com")
    providers.fail_next(429, headers={"Retry-After": "120"})
    report = shop.messaging.deliver()
    assert report.sent == 0 and report.retrying == 1 and report.waiting == 1
    clock.advance(seconds=60)
    assert shop.messaging.deliver().sent == 0  # still inside Retry-After
    clock.advance(seconds=61)
    assert shop.messaging.deliver().sent == 2
    assert len(providers.sent) == 2


def test_provider_down_for_an_hour_then_everything_goes_once(
        shop: Shop, providers: Providers, clock: Clock) -> None:
    configure(shop, providers, channels="sms")
    codes = [customer(shop, phone=f"+44740012345{i}", first=f"C{i}",
                      email=f"c{i}@example.com") for i in range(3)]
    providers.down()
    for _ in range(12):  # every five minutes for an hour, by the clock
        shop.messaging.deliver()
        clock.advance(minutes=5)
    assert providers.sent == []
    providers.up()
    clock.advance(hours=1)
    shop.messaging.deliver()
    assert sorted(s.to for s in providers.sent) == [f"+44740012345{i}" for i in range(3)]
    for code in codes:
        assert statuses(shop, code)["welcome"] == "sent"


def test_5xx_is_retried_with_backoff(shop: Shop, providers: Providers, clock: Clock) -> None:
    configure(shop, providers, channels="sms")
    code = customer(shop)
    providers.fail_next(503)
    report = shop.messaging.deliver()
    assert report.retrying == 1
    # A 5xx may come after Twilio queued it: the lookup is asked before a new attempt.
    clock.advance(minutes=2)
    report = shop.messaging.deliver()
    assert report.sent == 1
    assert len(providers.sent) == 1 and statuses(shop, code)["welcome"] == "sent"


def test_accepted_but_the_answer_was_lost_is_reconciled_not_resent(
        shop: Shop, providers: Providers, clock: Clock) -> None:
    configure(shop, providers, channels="sms")
    code = customer(shop)
    providers.accept_then_drop = 1
    report = shop.messaging.deliver()
    assert report.sent == 0 and report.retrying == 1
    clock.advance(minutes=5)
    report = shop.messaging.deliver()
    assert report.reconciled == 1
    assert len(providers.sent) == 1
    assert statuses(shop, code)["welcome"] == "sent"
    assert ("GET" in {method for method, _ in providers.requests})


def test_timeout_is_reconciled(shop: Shop, providers: Providers, clock: Clock,
                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOPDESK_MESSAGING_TIMEOUT", "0.3")
    configure(shop, providers, channels="sms")
    code = customer(shop)
    providers.slow_seconds = 0.8
    assert shop.messaging.deliver().retrying == 1
    providers.slow_seconds = 0
    clock.advance(minutes=5)
    shop.messaging.deliver()
    assert len(providers.sent) == 1 and statuses(shop, code)["welcome"] == "sent"


def test_whatsapp_lost_answer_becomes_unknown_never_resent(
        shop: Shop, providers: Providers, clock: Clock) -> None:
    configure(shop, providers, channels="whatsapp")
    code = customer(shop, preferred="whatsapp")
    providers.accept_then_drop = 1
    shop.messaging.deliver()
    clock.advance(minutes=20)
    report = shop.messaging.deliver()
    assert report.unknown == 1 and len(providers.sent) == 1
    unknown = [m for m in shop.messaging.outbox() if m.status == "unknown"]
    assert unknown and "cannot be asked" in (unknown[0].last_error or "")
    shop.messaging.resolve(unknown[0].id, sent=True)
    assert statuses(shop, code)["welcome"] == "sent"


def test_pacing_respects_the_rate_limit(shop: Shop, providers: Providers) -> None:
    configure(shop, providers, channels="sms")
    shop.settings.set("messaging.sms.rate_per_second", "20")
    for i in range(10):
        customer(shop, phone=f"+4474001234{i:02d}", first=f"P{i}", email=f"p{i}@example.com")
    shop.messaging.deliver()
    times = [s.at for s in providers.sent]
    assert len(times) == 10
    # 10 messages at 20/s, evenly spaced: at least 9/20 s from the first to the last,
    # and no two closer than the spacing allows (some slack for the clock's resolution).
    assert times[-1] - times[0] >= 9 / 20 - 0.02
    assert min(b - a for a, b in itertools.pairwise(times)) >= 1 / 20 - 0.02


def test_a_test_message_per_channel(shop: Shop, providers: Providers,
                                    smtp: tuple[Mailbox, int]) -> None:
    box, port = smtp
    configure(shop, providers, smtp_port=port)
    assert shop.messaging.test_message("sms", "+447400999999").status == "sent"
    assert shop.messaging.test_message("email", "it@fixit.example").status == "sent"
    assert box.messages[0]["Subject"] == "Fix-It Corner: test message"
    shop.settings.set("messaging.email.smtp_port", "1")  # nothing listens there
    failed = shop.messaging.test_message("email", "it@fixit.example")
    assert failed.status == "failed" and "cannot be reached" in (failed.last_error or "")


def test_the_shops_own_ca_file_and_a_refused_certificate(
        shop: Shop, smtp: tuple[Mailbox, int], monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path) -> None:
    box, port = smtp
    cert = os.environ["SSL_CERT_FILE"]
    monkeypatch.delenv("SSL_CERT_FILE")
    configure(shop, smtp_port=port, channels="email")
    code = customer(shop, preferred="email")
    report = shop.messaging.deliver()  # a certificate nobody vouches for: not sent
    assert report.sent == 0 and box.messages == []
    shop.settings.set("messaging.email.ca_file", cert)
    shop.store.clock.advance(minutes=5)  # type: ignore[attr-defined]
    shop.messaging.deliver()
    assert len(box.messages) == 1 and box.tls == [True]
    assert statuses(shop, code)["welcome"] == "sent"


def test_whatsapp_template_parameters_keep_the_values_it_was_queued_with(
        shop: Shop, providers: Providers) -> None:
    # An appointment's time and reason are not the customer's or the ticket's: they live
    # only in the text queued; the approved template gets them as its parameters.
    configure(shop, providers, channels="whatsapp")
    shop.settings.set("messaging.whatsapp.templates",
                      "welcome=welcome_v2,appointment_reminder=appt_reminder")
    code = customer(shop, preferred="whatsapp")
    starts = shop.store.clock() + timedelta(hours=3)
    shop.appointments.book(code, starts, "Battery check (iPhone 12)")
    shop.messaging.deliver()
    sent = {json.loads(s.body)["name"]: s.payload for s in providers.sent
            if s.api == "whatsapp"}
    assert "appt_reminder" in sent, sorted(sent)
    queued = next(m for m in shop.messaging.history(code).entries
                  if m.template == "appointment_reminder")
    params = [p["text"] for p in sent["appt_reminder"]["template"]["components"][0]["parameters"]]
    assert params[0] == "Ana" and params[1] == "Fix-It Corner"
    assert params[3] == "Battery check (iPhone 12)"
    assert params[2] and params[2] != "-" and params[2] in queued.body
