"""The privacy screens (issue 15), real widgets offscreen: consents on the profile,
forgetting from the window, the data archive, the audit browser, access alerts, the
reports on screen, ticket views in the trail, and the idle lock (driven directly:
no sleeps)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from uuid import UUID

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication

from shopdesk.errors import AuthenticationFailed
from shopdesk.services.repairs.tickets import TicketDeviceIntake, TicketIntake
from shopdesk.shop import Shop
from shopdesk.ui.main_window import MainWindow
from tests.core.repair_helpers import IPHONE, add_staff, phone_input
from tests.ui.test_profile import open_profile


def test_consents_show_on_the_profile_and_are_recorded_there(
        qtbot, window: MainWindow, shop: Shop, customers: dict[str, UUID]) -> None:
    open_profile(qtbot, window, customers["López"])
    panel = window.profile.privacy
    qtbot.waitUntil(lambda: panel.view is not None)
    email = panel.badges["marketing_email"]  # one compact badge a marketing channel
    assert (email.text(), email.tone) == ("E-mail", "off")
    assert email.toolTip() == "Marketing by e-mail: Not recorded"
    assert panel.badges["service_notifications"].text() == "Allowed · not refused"
    dialog = panel.open_consents()
    assert dialog is not None
    dialog.purpose.setCurrentIndex(dialog.purpose.findData("id_scan"))
    dialog.method.setCurrentIndex(dialog.method.findData("signed_form"))
    dialog.note.setText("form 2026/117")
    dialog.submit()
    qtbot.waitUntil(lambda: dialog.history.topLevelItemCount() == 1)
    qtbot.waitUntil(lambda: panel.badges["id_scan"].text().startswith("Given"))
    assert "Signed form" in panel.badges["id_scan"].text()
    assert shop.consent.allows(customers["López"], "id_scan")
    dialog.withdrawn.setChecked(True)
    dialog.submit()
    qtbot.waitUntil(lambda: panel.badges["id_scan"].text().startswith("Withdrawn"))
    assert dialog.history.topLevelItemCount() == 2


def test_forget_from_the_window_needs_the_code_typed(
        qtbot, window: MainWindow, shop: Shop, customers: dict[str, UUID]) -> None:
    ana = customers["López"]
    code = shop.customers.profile(ana).summary.code
    open_profile(qtbot, window, ana)
    panel = window.profile.privacy
    qtbot.waitUntil(lambda: panel.view is not None)
    assert panel.forget_button.isVisible() and panel.export_button.isVisible()
    dialog = panel.open_forget()
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.targets.topLevelItemCount() == 1)
    dialog.reason.setText("Written request of 20 Nov")
    assert not dialog.erase_button.isEnabled()
    dialog.confirm.setText("WRONG-0000")
    assert not dialog.erase_button.isEnabled()
    dialog.confirm.setText(code.lower())
    assert dialog.erase_button.isEnabled()
    with qtbot.waitSignal(panel.erased):
        dialog.erase_button.click()
    qtbot.waitUntil(lambda: window.profile.name.text() == "Erased customer")
    qtbot.waitUntil(lambda: panel.erased_note.isVisibleTo(window.profile))
    assert not panel.forget_button.isEnabled()
    assert shop.search("lopez") == []


def test_export_data_from_the_profile(qtbot, window: MainWindow, shop: Shop,
                                      customers: dict[str, UUID], tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from PySide6.QtWidgets import QMessageBox

    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "information",
                        lambda _parent, _title, text: shown.append(text))
    open_profile(qtbot, window, customers["Müller"])
    panel = window.profile.privacy
    qtbot.waitUntil(lambda: panel.view is not None)
    out = tmp_path / "muller.zip"
    panel.export_to(out)
    qtbot.waitUntil(lambda: bool(shown))
    with zipfile.ZipFile(out) as z:
        data = json.loads(z.read("data.json"))
    assert data["tables"]["customers"][0]["last_name"] == "Müller"
    assert "muller.zip" in shown[0]


def test_the_audit_browser_filters_and_pages(qtbot, window: MainWindow, shop: Shop,
                                             customers: dict[str, UUID]) -> None:
    for _ in range(3):
        for customer in customers.values():
            shop.customers.open_profile(customer)
    for n in range(110):
        shop.customers.update(customers["Dubois"], {"notes": f"note {n}"})
    browser = window.privacy_ui.open_audit()
    assert browser is not None
    qtbot.waitUntil(lambda: browser.page.total > 100)
    assert browser.table.topLevelItemCount() == 100 and browser.older.isEnabled()
    qtbot.keyClick(browser.table, Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: browser.page.offset == 100)
    assert browser.newer.isEnabled()
    browser.action.setCurrentText("view")
    browser.apply()
    qtbot.waitUntil(lambda: browser.page.total == 9 and browser.page.offset == 0)
    assert {browser.table.topLevelItem(i).text(3)
            for i in range(browser.table.topLevelItemCount())} == {"view"}
    browser.action.setCurrentText("update")
    browser.apply()
    qtbot.waitUntil(lambda: browser.page.total == 110)
    browser.table.setCurrentItem(browser.table.topLevelItem(0))
    assert '"note 109"' in browser.detail.toPlainText()  # opened: notes are sealed
    browser.grab().save(str(Path(shop.root) / "audit-browser.png"))


def test_access_alerts_in_the_status_bar_and_their_list(
        qtbot, window: MainWindow, shop: Shop) -> None:
    add_staff(shop, "sam", "front_desk")
    for _ in range(3):
        with pytest.raises(AuthenticationFailed):
            shop.staff.sign_in("sam", "wrong")
    window.privacy_ui.refresh_alerts()
    corner = window.privacy_ui.corner
    qtbot.waitUntil(lambda: corner.isVisibleTo(window) and corner.count == 1)
    assert corner.text() == "⚠ 1 access alert"
    with qtbot.waitSignal(corner.open_list):
        corner.click()
    dialog = window.privacy_ui.alerts_dialog
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.list.topLevelItemCount() == 1)
    assert "3 failed sign-ins for Sam" in dialog.list.topLevelItem(0).text(3)
    dialog.review_button.click()
    qtbot.waitUntil(lambda: dialog.list.topLevelItemCount() == 0)
    qtbot.waitUntil(lambda: not corner.isVisibleTo(window))


def test_reports_on_screen_and_as_pdf(qtbot, window: MainWindow, shop: Shop,
                                      tmp_path: Path) -> None:
    dialog = window.privacy_ui.open_reports("compliance")
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.report is not None)
    assert "Quarterly compliance review" in dialog.view.toPlainText()
    assert "Who can reach the data" in dialog.view.toPlainText()
    out = tmp_path / "review.pdf"
    dialog.save_to(out)
    qtbot.waitUntil(out.exists)
    assert out.read_bytes().startswith(b"%PDF")


def test_due_reports_are_made_by_a_child_process(qtbot, window: MainWindow,
                                                  shop: Shop) -> None:
    # The data-quality check is seconds to a minute of Python on a big shop: made in a
    # child process, it never holds this process's interpreter lock (the typing test).
    assert window.privacy_ui.reports_timer.isActive()  # not at once: after start-up
    assert shop.privacy_reports.due()
    window.privacy_ui.make_due_reports()
    qtbot.waitUntil(lambda: not shop.privacy_reports.due(), timeout=60_000)
    made = sorted(p.name.split("-20")[0] for p in (shop.root / "reports").glob("*.pdf"))
    assert made == ["compliance", "data-quality"]
    who = {e.actor for e in shop.audit.entries(entity="report")}
    assert len(who) == 1 and who.pop().startswith("command line: report")
    assert window.privacy_ui.reports_timer.isActive()  # checked again in a few hours


def test_ticket_and_device_views_reach_the_trail(qtbot, window: MainWindow, shop: Shop,
                                                 customers: dict[str, UUID]) -> None:
    ticket = shop.tickets.intake(TicketIntake(customers["López"], [TicketDeviceIntake(
        "Cracked", device=phone_input(IPHONE))])).ticket.summary
    device = shop.tickets.get(ticket.id).devices[0].device.id
    window.open_ticket(ticket.id)
    window.open_device(device)
    assert shop.access.pending >= 2
    window.privacy_ui.flush()
    qtbot.waitUntil(lambda: shop.access.pending == 0)
    seen = [(e.action, e.entity) for e in shop.audit.entries(limit=20)]
    assert ("view", "repair_ticket") in seen and ("view", "device") in seen


def _key(widget, key=Qt.Key.Key_A) -> None:  # type: ignore[no-untyped-def]
    QApplication.sendEvent(widget, QKeyEvent(QEvent.Type.KeyPress, key,
                                             Qt.KeyboardModifier.NoModifier, "a"))


def test_the_window_locks_when_idle_and_any_staff_pin_unlocks(
        qtbot, window: MainWindow, shop: Shop) -> None:
    add_staff(shop, "fred", "front_desk", secret="2468")
    shop.settings.set("security.lock_minutes", "1")
    idle = window.privacy_ui.idle
    idle.set_minutes(1)
    assert idle.timer.isActive() and idle.timer.interval() == 60_000
    idle.timer.stop()
    _key(window.search.box)  # any input restarts the countdown
    assert idle.timer.isActive()
    browser = window.privacy_ui.open_audit()
    assert browser is not None and browser.isVisible()
    idle.timer.timeout.emit()  # the countdown ran out (driven directly: no waiting)
    screen = idle.screen
    assert screen is not None and screen.isVisible()
    assert not window.centralWidget().isVisible() and not browser.isVisible()
    assert not idle.timer.isActive()
    screen.who.setCurrentIndex(screen.who.findData("fred"))
    screen.secret.setText("0000")
    screen.submit()
    assert idle.is_locked and "wrong username" in screen.error.text().lower()
    assert shop.actor is not None and shop.actor.name == "Olivia Owner"
    screen.secret.setText("2468")
    with qtbot.waitSignal(idle.unlocked):
        screen.submit()
    assert not idle.is_locked and window.centralWidget().isVisible()
    assert shop.actor is not None and shop.actor.name == "Fred"  # the one who unlocked
    assert "Fred" in window.who.text()
    assert not window.privacy_ui.audit_action.isEnabled()  # a front desk's menu now
    assert not window.staff_action.isEnabled()
    assert idle.timer.isActive()
    ana = shop.customers.search("ana")[0].id
    shop.customers.open_profile(ana)
    with shop.store.read() as session:
        actor = session.connection().exec_driver_sql(
            "SELECT actor FROM audit_log WHERE action = 'view' ORDER BY seq DESC LIMIT 1"
        ).scalar()
    assert actor == "Fred"  # what happens now is signed by the one who unlocked


def test_no_lock_when_the_setting_is_zero(qtbot, window: MainWindow, shop: Shop) -> None:
    idle = window.privacy_ui.idle
    idle.set_minutes(0)
    assert not idle.timer.isActive()
    _key(window.search.box)
    assert not idle.timer.isActive()
