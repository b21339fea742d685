"""The messaging command line, as a real subprocess: settings keys, send, outbox, deliver,
history, appointments, tickets moved by the CLI firing the same automations."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from shopdesk.shop import Shop
from tests.conftest import OWNER_SECRET
from tests.messaging.conftest import configure, customer
from tests.messaging.fakes import PHONE_NUMBER_ID, SID, TWILIO_TOKEN, Mailbox, Providers
from tests.messaging.test_delivery import ready_ticket

pytestmark = pytest.mark.usefixtures("secrets_env")


@pytest.fixture
def shop(data_dir: Path) -> Iterator[Shop]:
    """A shop on the real clock, as the command line's processes are."""
    opened = Shop.open(data_dir)
    opened.staff.create_owner("owner", "Olivia Owner", OWNER_SECRET)
    opened.sign_in("owner", OWNER_SECRET)
    yield opened
    opened.close()


def cli(root: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, SHOPDESK_TWILIO_AUTH_TOKEN=TWILIO_TOKEN,
               SHOPDESK_MESSAGING_TIMEOUT="2")
    return subprocess.run([sys.executable, "-m", "shopdesk", *args, "--data-dir", str(root)],
                          capture_output=True, text=True, env=env, input=stdin, timeout=120)


def configure_by_cli(root: Path, providers: Providers, smtp_port: int) -> None:
    for key, value in [
            ("messaging.email.smtp_host", "127.0.0.1"),
            ("messaging.email.smtp_port", str(smtp_port)),
            ("messaging.email.starttls", "true"),
            ("messaging.email.from", "desk@fixit.example"),
            ("messaging.sms.account_sid", SID),
            ("messaging.sms.from_number", "+447400000001"),
            ("messaging.sms.base_url", providers.url),
            ("messaging.whatsapp.phone_number_id", PHONE_NUMBER_ID),
            ("messaging.whatsapp.base_url", providers.url),
            ("messaging.quiet_hours", ""),
            ("shop.name", "Fix-It Corner")]:
        done = cli(root, "settings", "set", key, value)
        assert done.returncode == 0, done.stderr


def test_settings_keys_are_checked(shop: Shop) -> None:
    bad = cli(shop.root, "settings", "set", "messaging.email.starttls", "maybe")
    assert bad.returncode == 2 or bad.returncode == 1
    assert bad.stderr.startswith("shopdesk: error: ") and "true or false" in bad.stderr
    assert bad.stderr.count("\n") == 1
    port = cli(shop.root, "settings", "set", "messaging.email.smtp_port", "70000")
    assert port.returncode != 0 and "between 1 and 65535" in port.stderr
    url = cli(shop.root, "settings", "set", "messaging.sms.base_url", "ftp://x")
    assert url.returncode != 0 and "http(s) address" in url.stderr
    assert shop.settings.get("messaging.email.starttls") == "true"


def test_send_outbox_deliver_history(shop: Shop, providers: Providers,
                                     smtp: tuple[Mailbox, int]) -> None:
    box, port = smtp
    configure_by_cli(shop.root, providers, port)
    code = customer(shop)
    _, number = ready_ticket(shop, code)
    sent = cli(shop.root, "messages", "send", code, "--template", "payment_due", "--ticket",
               number, "--channel", "email", "--json")
    assert sent.returncode == 0, sent.stderr
    assert json.loads(sent.stdout)["channel"] == "email"
    outbox = cli(shop.root, "messages", "outbox", "--json")
    rows = json.loads(outbox.stdout)
    assert {r["template"] for r in rows} == {"welcome", "ticket_received", "ready_for_pickup",
                                            "uncollected_reminder", "payment_due"}
    deliver = cli(shop.root, "messages", "deliver")
    assert deliver.returncode == 0, deliver.stderr
    assert deliver.stdout.startswith("sent 4,")
    assert len(box.messages) == 1 and number in box.messages[0]["Subject"]
    history = json.loads(cli(shop.root, "messages", "history", code, "--json").stdout)
    assert {e["template"]: e["status"] for e in history["entries"]}["payment_due"] == "sent"
    plain = cli(shop.root, "messages", "history", code)
    assert "ready_for_pickup" in plain.stdout and "sms" in plain.stdout


def test_deliver_exit_codes(shop: Shop, providers: Providers) -> None:
    configure(shop, providers, channels="sms")
    customer(shop)
    providers.fail_next(503)
    retry = cli(shop.root, "messages", "deliver")
    assert retry.returncode == 4
    providers.invalid_numbers.add("+447400123457")
    customer(shop, phone="+447400123457", first="Bea", email="bea@example.com")
    failed = cli(shop.root, "messages", "deliver")
    assert failed.returncode == 1 and "21211" in failed.stderr


def test_tickets_moved_by_the_cli_fire_the_automations(shop: Shop,
                                                       providers: Providers) -> None:
    """`tickets move` and the window call the same service: the hook is in
    `TicketService`, so a move from either queues the same messages."""
    configure(shop, providers, channels="sms")
    code = customer(shop)
    found = shop.customers.by_code(code)
    assert found is not None
    from shopdesk.domain.device_rules import DeviceInput
    from shopdesk.services.repairs.tickets import TicketDeviceIntake, TicketIntake

    ticket = shop.tickets.intake(TicketIntake(found.id, [TicketDeviceIntake(
        "Cracked", device=DeviceInput(make="Apple", model="iPhone 13"))])).ticket.summary
    shop.tickets.change_status(ticket.id, "in_repair")
    moved = cli(shop.root, "tickets", "move", ticket.number, "ready")
    assert moved.returncode == 0, moved.stderr
    outbox = json.loads(cli(shop.root, "messages", "outbox", "--json").stdout)
    assert "ready_for_pickup" in {r["template"] for r in outbox}


def test_appointments_add_list_cancel(shop: Shop, providers: Providers) -> None:
    configure(shop, providers, channels="sms")
    code = customer(shop)
    added = cli(shop.root, "appointments", "add", code, "--at", "2030-12-02T10:30+00:00",
                "--reason", "Screen replacement", "--json")
    assert added.returncode == 0, added.stderr
    booked = json.loads(added.stdout)
    listed = json.loads(cli(shop.root, "appointments", "list", "--date", "2030-12-02",
                            "--json").stdout)
    assert [a["reason"] for a in listed] == ["Screen replacement"]
    assert cli(shop.root, "appointments", "list", "--date", "2030-12-03", "--json").stdout \
        .strip() == "[]"
    outbox = json.loads(cli(shop.root, "messages", "outbox", "--json").stdout)
    reminder = [r for r in outbox if r["template"] == "appointment_reminder"]
    assert reminder and reminder[0]["due_at"].startswith("2030-12-01T10:30")
    cancel = cli(shop.root, "appointments", "cancel", booked["id"])
    assert cancel.returncode == 0
    bad = cli(shop.root, "appointments", "list", "--date", "2 Dec")
    assert bad.returncode == 2 and "is not a date" in bad.stderr


def test_log_a_call_and_templates(shop: Shop) -> None:
    code = customer(shop)
    logged = cli(shop.root, "messages", "log", code, "--outcome", "no_answer", "--note",
                 "rang twice", "--json")
    assert logged.returncode == 0 and json.loads(logged.stdout)["channel"] == "call"
    edit = cli(shop.root, "messages", "templates", "welcome", "--body", "Hi {first_name}!",
               "--delay", "5")
    assert edit.returncode == 0, edit.stderr
    preview = cli(shop.root, "messages", "templates", "welcome", "--preview", code)
    assert "Hi Ana!" in preview.stdout
    bad = cli(shop.root, "messages", "templates", "welcome", "--body", "Hi {nick}")
    assert bad.returncode == 2 or bad.returncode == 1
    assert "unknown placeholder {nick}" in bad.stderr


def test_secrets_go_to_the_keyring_not_the_database(shop: Shop) -> None:
    done = cli(shop.root, "messages", "set-secret", "sms", stdin="")
    assert done.returncode != 0 and "standard input" in done.stderr
    with shop.store.read() as session:
        from sqlalchemy import select

        from shopdesk.models import Setting

        keys = set(session.scalars(select(Setting.key)))
    assert not any("token" in k or "password" in k for k in keys)


@pytest.mark.parametrize("verb", ["messages", "appointments"])
def test_verbs_without_an_action_fail_in_one_line(shop: Shop, verb: str) -> None:
    done = cli(shop.root, verb)
    assert done.returncode != 0
    assert done.stderr.startswith("shopdesk: error:") and done.stderr.count("\n") == 1
