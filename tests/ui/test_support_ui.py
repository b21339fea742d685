"""Support screens: new ticket dialog, complaint steps, escalation by role, resolve,
the overdue list, the profile's Support tab and support numbers in the search box."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

from PySide6.QtCore import Qt

from shopdesk.domain.support import STEPS
from shopdesk.shop import Shop
from shopdesk.ui.main_window import MainWindow
from tests.conftest import OWNER_SECRET, Clock
from tests.core.repair_helpers import TECH_SECRET, add_staff, counts
from tests.ui.test_repairs_ui import make_ticket, open_profile, open_ticket


def open_support(qtbot, window: MainWindow, support_id: UUID) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(window.support.loaded):
        window.open_support(support_id)


def test_complaint_from_profile_lands_on_its_page(qtbot, window: MainWindow, shop: Shop,
                                                   customers: dict[str, UUID]) -> None:
    open_profile(qtbot, window, customers["López"])
    tab = window.profile.support
    window.profile.tabs.setCurrentWidget(tab)
    qtbot.waitUntil(lambda: tab.loads > 0)
    assert tab.empty.isVisibleTo(tab)
    tab.new_button.click()
    dialog = window.support_dialog
    assert dialog is not None and dialog.isVisible()
    assert [dialog.priority.itemText(i) for i in range(dialog.priority.count())] == [
        "Low (72 h)", "Normal (24 h)", "High (8 h)", "Urgent (2 h)"]
    dialog.submit()  # no subject: refused under the field, nothing written
    qtbot.waitUntil(lambda: bool(dialog.errors["subject"].text()))
    assert dialog.isVisible()
    assert shop.support.for_customer(customers["López"]) == []
    qtbot.keyClicks(dialog.subject, "Screen flickers again")
    dialog.description.setPlainText("Two weeks after the screen repair")
    dialog.priority.setCurrentIndex(dialog.priority.findData("high"))
    dialog.complaint.setChecked(True)
    with qtbot.waitSignal(window.support.loaded, timeout=5000):
        dialog.ok.click()
    assert not dialog.isVisible()
    page = window.support
    assert window.stack.currentWidget() is page
    detail = page.detail
    assert detail is not None and detail.ticket.complaint
    assert detail.ticket.customer_id == customers["López"]
    assert page.title.text() == detail.ticket.number
    assert page.priority.text() == "High priority"
    assert page.level.text() == "Level: Front desk"
    assert page.steps_card.isVisibleTo(page)
    assert not page.overdue.isVisibleTo(page)
    # the profile's Support tab lists it; Esc goes back there
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    qtbot.keyClick(window, Qt.Key.Key_Escape)
    assert window.stack.currentWidget() is window.profile
    qtbot.waitUntil(lambda: tab.tree.topLevelItemCount() == 1)
    assert tab.texts(1) == ["Complaint: Screen flickers again"]


def test_complaint_steps_recorded_in_order(qtbot, window: MainWindow, shop: Shop,
                                           customers: dict[str, UUID]) -> None:
    saved = shop.support.open(customers["Dubois"], "Rude on the phone", "", complaint=True)
    support_id = saved.ticket.ticket.id
    open_support(qtbot, window, support_id)
    page = window.support
    for n, step in enumerate(STEPS):
        assert page.detail is not None and page.detail.next_complaint_step == step.value
        assert page.step_button.isEnabled()
        assert step.label in page.step_button.text()  # only ever the next step
        assert page.step_marks[n].text() == "→ Next"
        dialog = page.open_step()
        assert dialog is not None
        dialog.note.setPlainText(f"note {n + 1}")
        with qtbot.waitSignal(page.loaded):
            dialog.ok.click()
        assert page.step_marks[n].text() == "✓ Done"
        assert page.step_info[n].toolTip() == f"note {n + 1}"
    assert not page.step_button.isEnabled()
    assert page.detail is not None and page.detail.next_complaint_step is None
    assert shop.support.get(support_id).complaint_steps == tuple(s.value for s in STEPS)
    assert page.events.topLevelItem(0).text(2) == "Step 5: Satisfaction confirmation"
    assert page.events.topLevelItem(0).text(3) == "note 5"


def test_front_desk_escalation_is_refused_with_the_core_reason(
        qtbot, window: MainWindow, shop: Shop, customers: dict[str, UUID]) -> None:
    support_id = shop.support.open(customers["Müller"], "Disputed charge", "").ticket.ticket.id
    add_staff(shop, "fiona", "front_desk")
    shop.sign_in("fiona", TECH_SECRET)
    open_support(qtbot, window, support_id)
    page = window.support
    levels = [page.escalate_to.itemData(i) for i in range(page.escalate_to.count())]
    assert levels == ["supervisor", "manager", "owner"]
    before = counts(shop)
    page.note.setText("customer wants the manager")
    page.escalate_button.click()
    qtbot.waitUntil(lambda: bool(page.error.text()))
    assert "Only a supervisor or above" in page.error.text()
    assert counts(shop) == before
    assert shop.support.get(support_id).ticket.level == "front_desk"
    assert page.level.text() == "Level: Front desk"
    assert page.note.text() == "customer wants the manager"  # kept for another try


def test_owner_escalates_then_resolves_with_refund(qtbot, window: MainWindow, shop: Shop,
                                                   customers: dict[str, UUID]) -> None:
    ticket_id = make_ticket(shop, customers["López"])
    add_staff(shop, "sam", "supervisor")
    open_ticket(qtbot, window, ticket_id)
    window.ticket.support_button.click()  # prefilled with the repair ticket
    dialog = window.support_dialog
    assert dialog is not None and dialog.repair_ticket_id == ticket_id
    dialog.subject.setText("Charged twice for the screen")
    with qtbot.waitSignal(window.support.loaded, timeout=5000):
        dialog.ok.click()
    page = window.support
    qtbot.waitUntil(lambda: not page.loading)
    assert page.detail is not None
    support_id = page.detail.ticket.id
    assert page.repair_button.isVisibleTo(page)
    assert page.detail.ticket.repair_ticket_id == ticket_id
    page.escalate_to.setCurrentIndex(page.escalate_to.findData("manager"))
    page.note.setText("card statement shows two charges")
    with qtbot.waitSignal(page.loaded):
        page.escalate_button.click()
    assert page.level.text() == "Level: Manager"
    assert [page.escalate_to.itemData(i) for i in range(page.escalate_to.count())] == ["owner"]
    assert page.events.topLevelItem(0).text(2) == "Escalated: Front desk → Manager"
    assert page.events.topLevelItem(0).text(3) == "card statement shows two charges"
    # a supervisor may not refund: the dialog stays open with the core's reason
    shop.sign_in("sam", TECH_SECRET)
    resolve = page.open_resolve()
    assert resolve is not None
    resolve.resolution.setPlainText("Refunded the second charge")
    resolve.refund.setText("89.00")
    before = counts(shop)
    resolve.ok.click()
    qtbot.waitUntil(lambda: bool(resolve.error.text()))
    assert "may not give refunds" in resolve.error.text()
    assert "may not give refunds" in page.error.text()
    assert resolve.isVisible() and counts(shop) == before
    shop.sign_in("owner", OWNER_SECRET)
    with qtbot.waitSignal(page.loaded):
        resolve.ok.click()
    assert not resolve.isVisible()
    ticket = shop.support.get(support_id).ticket
    assert (ticket.status, ticket.refund) == ("resolved", Decimal("89.00"))
    assert page.status.text() == "Resolved"
    assert "Refund:</b> £89.00" in page.resolution.text()  # in the shop's currency
    assert not page.resolve_button.isEnabled() and not page.escalate_button.isEnabled()
    assert page.close_button.isEnabled()
    with qtbot.waitSignal(page.loaded):
        page.close_button.click()
    assert page.status.text() == "Closed"
    with qtbot.waitSignal(window.ticket.loaded):
        page.repair_button.click()
    assert window.stack.currentWidget() is window.ticket


def test_overdue_toggle_lists_ticket_past_due(qtbot, window: MainWindow, shop: Shop,
                                              clock: Clock, customers: dict[str, UUID]) -> None:
    urgent = shop.support.open(customers["López"], "No signal", "", priority="urgent")
    low = shop.support.open(customers["Dubois"], "Receipt copy", "", priority="low")
    urgent_number = urgent.ticket.ticket.number
    low_number = low.ticket.ticket.number
    clock.advance(hours=3)  # past the urgent target (2 h), not the low one (72 h)
    page = window.support_list
    with qtbot.waitSignal(page.loaded):
        qtbot.keyClick(window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier
                       | Qt.KeyboardModifier.ShiftModifier)
    assert window.stack.currentWidget() is page
    assert sorted(page.numbers()) == sorted([urgent_number, low_number])
    with qtbot.waitSignal(page.loaded):
        page.overdue_only.setChecked(True)
    assert page.numbers() == [urgent_number]
    row = page.tree.topLevelItem(0)
    assert row.text(6) == "Overdue" and row.text(3) == "Urgent"
    assert "López" in row.text(1)
    # resolving it elsewhere takes it off the list by itself
    with qtbot.waitSignal(page.loaded):
        window.ops.write(None, lambda: shop.support.resolve(urgent.ticket.ticket.id, "Fixed"))
    assert page.numbers() == []
    with qtbot.waitSignal(page.loaded):
        page.overdue_only.setChecked(False)
    page.tree.setCurrentItem(page.tree.topLevelItem(0))
    with qtbot.waitSignal(window.support.loaded):
        qtbot.keyClick(page.tree, Qt.Key.Key_Return)
    assert window.support.title.text() == low_number


def test_overdue_badge_on_the_page(qtbot, window: MainWindow, shop: Shop, clock: Clock,
                                   customers: dict[str, UUID]) -> None:
    saved = shop.support.open(customers["López"], "No signal", "", priority="urgent")
    clock.advance(hours=3)
    open_support(qtbot, window, saved.ticket.ticket.id)
    assert window.support.overdue.isVisibleTo(window.support)
    assert window.support.overdue.text() == "Overdue"


def test_typing_support_number_opens_support_page(qtbot, window: MainWindow, shop: Shop,
                                                  customers: dict[str, UUID]) -> None:
    number = shop.support.open(customers["Dubois"], "Question", "").ticket.ticket.number
    box = window.search.box
    box.setFocus()
    with qtbot.waitSignal(window.support.loaded, timeout=5000):
        qtbot.keyClicks(box, number.lower())
        qtbot.keyClick(box, Qt.Key.Key_Return)
    assert window.stack.currentWidget() is window.support
    assert window.support.title.text() == number
