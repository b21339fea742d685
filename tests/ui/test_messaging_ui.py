"""Messaging in the window: the profile's Contacts tab, the templates editor's preview, the
appointments day view, messaging settings with a test message; the sender thread runs
with the window and never blocks it. Screenshots land in the test's tmp folder."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path
from uuid import UUID

import pytest
from PySide6.QtCore import QDate

from shopdesk.domain.messaging.rules import TEMPLATE_NAMES
from shopdesk.shop import Shop
from shopdesk.ui.main_window import MainWindow
from tests.messaging.conftest import configure
from tests.messaging.fakes import TWILIO_TOKEN, Providers


@pytest.fixture
def providers(monkeypatch: pytest.MonkeyPatch) -> Providers:
    monkeypatch.setenv("SHOPDESK_TWILIO_AUTH_TOKEN", TWILIO_TOKEN)
    monkeypatch.setenv("SHOPDESK_MESSAGING_TIMEOUT", "2")
    fake = Providers()
    yield fake  # type: ignore[misc]
    fake.down()


def test_contacts_tab_shows_the_timeline_and_logs_a_call(
        qtbot, window: MainWindow, shop: Shop, customers: dict[str, UUID],  # type: ignore[no-untyped-def]
        tmp_path: Path) -> None:
    ana = customers["López"]
    shop.messaging.send(ana, "welcome")
    window.open_customer(ana)
    tab = window.profile.contacts
    qtbot.waitUntil(lambda: tab.tree.topLevelItemCount() >= 1)  # the one sent by hand
    assert tab.tree.topLevelItem(0).text(1) in ("sms", "whatsapp", "email")
    loads = tab.loads
    window.shop.messaging.log_contact(ana, "call", "no_answer", "rang at 10")
    tab.load(ana)
    qtbot.waitUntil(lambda: tab.loads > loads)
    texts = [tab.tree.topLevelItem(i).text(3) for i in range(tab.tree.topLevelItemCount())]
    assert any("no answer: rang at 10" in t for t in texts)
    window.profile.tabs.setCurrentWidget(tab)
    window.resize(1366, 768)
    window.profile.grab().save(str(tmp_path / "contacts-tab.png"))


def test_templates_editor_previews_as_you_type(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    dialog = window.messaging_ui.open_templates()
    qtbot.waitUntil(lambda: dialog.names.count() == len(TEMPLATE_NAMES))
    dialog.names.setCurrentRow(TEMPLATE_NAMES.index("ready_for_pickup"))
    qtbot.waitUntil(lambda: "R-SAMPLE-0001" in dialog.preview.text())
    before = dialog.previews
    dialog.body.setPlainText("Hi {first_name}, come and get it!")
    qtbot.waitUntil(lambda: dialog.previews > before and "Hi Ana, come and get it!"
                    in dialog.preview.text())
    dialog.body.setPlainText("Hi {nickname}")
    qtbot.waitUntil(lambda: "unknown placeholder" in dialog.error.text())
    dialog.body.setPlainText("Ready: {ticket_number}")
    dialog.delay.setValue(15)
    dialog.save()
    qtbot.waitUntil(lambda: any(t.customized for t in window.shop.messaging.templates()))
    saved = next(t for t in window.shop.messaging.templates() if t.name == "ready_for_pickup")
    assert saved.body == "Ready: {ticket_number}" and saved.delay_minutes == 15
    dialog.close()


def test_appointments_day_view_books_and_cancels(
        qtbot, window: MainWindow, shop: Shop, customers: dict[str, UUID],  # type: ignore[no-untyped-def]
        tmp_path: Path) -> None:
    code = customers["Müller"]
    day = date.today() + timedelta(days=2)
    shop.appointments.book(code, datetime.combine(day, time(11, 0)).astimezone(),
                           "Battery swap")
    dialog = window.messaging_ui.open_appointments()
    dialog.day.setDate(QDate(day.year, day.month, day.day))
    qtbot.waitUntil(lambda: dialog.tree.topLevelItemCount() == 1)
    assert dialog.tree.topLevelItem(0).text(4) == "Battery swap"
    dialog.grab().save(str(tmp_path / "appointments.png"))
    dialog.tree.setCurrentItem(dialog.tree.topLevelItem(0))
    dialog.set_status("cancelled")
    qtbot.waitUntil(lambda: dialog.tree.topLevelItemCount() == 1
                    and dialog.tree.topLevelItem(0).text(6) == "cancelled")
    dialog.close()


def test_settings_test_message_and_the_sender_thread(
        qtbot, window: MainWindow, shop: Shop, customers: dict[str, UUID],  # type: ignore[no-untyped-def]
        providers: Providers, tmp_path: Path) -> None:
    configure(shop, providers, channels="sms")
    dialog = window.messaging_ui.open_settings()
    dialog.test_to["sms"].setText("+447400999999")
    dialog.send_test("sms")
    qtbot.waitUntil(lambda: dialog.results["sms"].text() == "Sent.")
    assert providers.sent_to("+447400999999")
    dialog.grab().save(str(tmp_path / "messaging-settings.png"))
    dialog.close()
    # The sender thread delivers what the window queues, off the GUI thread.
    shop.messaging.send(customers["López"], "payment_due")
    window.messaging_ui.runner.nudge()
    qtbot.waitUntil(lambda: len(providers.sent) >= 2, timeout=15000)
