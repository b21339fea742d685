"""The sync screens on real counters: status bar, sync panel, merge screen, profile banner.

Real Postgres (tests/sync/conftest.py), real SQLite data directories, real Qt
widgets offscreen; the window's own sync thread does the window's counter's
rounds, and the tests wait on its `report` signal (never sleep).
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterator
from itertools import pairwise
from typing import Any
from uuid import UUID

import pytest
from PySide6.QtCore import Qt, QTimer
from sqlalchemy import text

from shopdesk.domain.customer_rules import CustomerInput
from shopdesk.services.demo.demo import generate
from shopdesk.shop import Shop
from shopdesk.sync.engine import default_transport
from shopdesk.sync.runner import RunnerReport
from shopdesk.sync.wire.direct import DirectTransport
from shopdesk.ui.app import build_main_window
from shopdesk.ui.main_window import MainWindow
from tests.sync.conftest import Counters, server_rows, sync_all
from tests.sync.fault_tools import open_ticket, register
from tests.ui.conftest import open_window, worker_threads

Report = Callable[[RunnerReport], bool]


@pytest.fixture(autouse=True)
def _gc_on_gui_thread() -> Iterator[None]:
    # As the app does (shopdesk.ui.common.gc): no automatic collection on a worker thread.
    gc.disable()
    yield
    gc.collect()
    gc.enable()


@pytest.fixture
def windows(counters: Counters) -> Iterator[list[MainWindow]]:
    """Windows opened by a test; shut down (sync thread joined) before the shops close."""
    opened: list[MainWindow] = []
    yield opened
    for window in opened:
        window.shutdown()
    assert worker_threads() == [], "a sync or worker thread outlived its window"


def show(qtbot, shop: Shop, windows: list[MainWindow]) -> MainWindow:  # type: ignore[no-untyped-def]
    window = open_window(qtbot, shop)
    windows.append(window)
    return window


def next_report(qtbot, window: MainWindow, check: Report = lambda _r: True,  # type: ignore[no-untyped-def]
                timeout: int = 15000) -> RunnerReport:
    """The next round's report from the window's sync thread that passes `check`."""
    with qtbot.waitSignal(window.sync_ui.bridge.report, timeout=timeout,
                          check_params_cb=check) as blocker:
        pass
    report: RunnerReport = blocker.args[0]
    return report


def first_report(qtbot, window: MainWindow) -> RunnerReport:  # type: ignore[no-untyped-def]
    """The report of the window's first round (it may have come while the window opened)."""
    bridge = window.sync_ui.bridge
    qtbot.waitUntil(lambda: bridge.last_report is not None, timeout=15000)
    assert bridge.last_report is not None
    return bridge.last_report


def status_text(window: MainWindow) -> str:
    return window.sync_ui.status.text


def bad_transport(state: dict[str, Any]) -> DirectTransport:
    """A real transport to a port where nothing listens: the network is down."""
    return DirectTransport("postgresql://127.0.0.1:9/shopdesk", state["role_name"], "x")


def same_phone_on_two_counters(counters: Counters) -> tuple[Shop, Shop, UUID, UUID, UUID, UUID]:
    """Ann on counter A and Bea on counter B, same phone, a ticket each; both synced."""
    a, b = counters.new("a"), counters.new("b")
    ann = register(a, "Ann", "07400 123456")
    bea = register(b, "Bea", "+44 7400 123456", last="Smith")
    t_ann, t_bea = open_ticket(a, ann, 1), open_ticket(b, bea, 2)
    sync_all(a, b)
    assert [c.kind for c in a.sync.conflicts()] == ["duplicate_phone"]
    return a, b, ann, bea, t_ann, t_bea


# -- status bar -----------------------------------------------------------------


def test_status_bar_of_a_counter_that_never_joined(qtbot, shop: Shop,  # type: ignore[no-untyped-def]
                                                   windows: list[MainWindow]) -> None:
    window = show(qtbot, shop, windows)
    qtbot.waitUntil(lambda: window.sync_ui.bridge.joined is False)
    qtbot.waitUntil(lambda: status_text(window) == "Not connected to a store – 0 changes waiting")
    assert not window.sync_ui.bridge.running
    assert not window.sync_ui.status.badge.isVisible()
    assert [t.name for t in worker_threads() if t.name == "shopdesk-sync"] == []
    panel = window.sync_ui.open_panel()
    qtbot.waitUntil(lambda: panel.data is not None)
    assert not panel.sync_button.isEnabled()
    assert "has not joined" in panel.sync_button.toolTip()
    assert "shopdesk central join" in panel.values["store"].text()


def test_offline_shows_changes_waiting_then_synced_after_a_round(
        qtbot, counters: Counters, windows: list[MainWindow]) -> None:  # type: ignore[no-untyped-def]
    a = counters.new("a")
    register(a, "Ann", "07400 123456")
    waiting = a.sync.status().pending  # Ann's three rows and the owner's directory entry
    a.sync.transport_factory = bad_transport
    window = show(qtbot, a, windows)

    report = first_report(qtbot, window)
    assert report.online is False and report.retrying_in is not None
    qtbot.waitUntil(
        lambda: status_text(window).startswith(f"Offline – {waiting} changes waiting"))
    assert "retrying in" in status_text(window)
    assert window.sync_ui.status.tone == "warn"

    # A write at the counter while offline: the count moves without a round.
    window.ops.write(None, lambda: a.customers.register(CustomerInput(
        first_name="Olu", last_name="Bello", phone="07400 123457")))
    qtbot.waitUntil(lambda: f"Offline – {waiting + 3} changes waiting" in status_text(window))

    a.sync.transport_factory = default_transport  # the network is back
    qtbot.keyClick(window.search.box, Qt.Key.Key_F9)  # Sync now
    report = next_report(qtbot, window, lambda r: r.online is True)
    assert report.status.pending == 0 and report.result is not None
    assert report.result.pushed == waiting + 3
    qtbot.waitUntil(lambda: status_text(window).startswith("Online · synced "))
    assert "waiting" not in status_text(window)
    assert len(server_rows(counters.url, "customers")) == 2


def test_window_stays_responsive_while_thousands_of_rows_are_pulled(
        qtbot, counters: Counters, windows: list[MainWindow]) -> None:  # type: ignore[no-untyped-def]
    b = counters.new("b")
    imported = b.transfer.import_rows(((n + 2, r) for n, r in enumerate(
        generate(3000, seed=5))), 3000).imported
    assert imported >= 2900
    b.sync.run_once()
    a = counters.new("a")

    ticks: list[float] = []
    reports: list[RunnerReport] = []
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    window = build_main_window(a)
    qtbot.addWidget(window)
    windows.append(window)
    window.sync_ui.bridge.report.connect(reports.append)
    timer.start()
    window.show()
    qtbot.waitUntil(lambda: any(r.result is not None and r.result.pulled for r in reports),
                    timeout=60000)
    timer.stop()

    pulled = sum(r.result.pulled for r in reports if r.result is not None)
    assert pulled >= 3 * imported  # customers, their preferences and loyalty rows
    assert len(ticks) > 20
    gaps = [later - earlier for earlier, later in pairwise(ticks)]
    assert max(gaps) < 0.2, f"the event loop stalled for {max(gaps) * 1000:.0f} ms"
    with a.store.read() as session:
        count = session.connection().execute(text("SELECT count(*) FROM customers")).scalar()
    assert count == imported
    qtbot.waitUntil(lambda: window.count_label.text().startswith(f"{imported:,} customers"))


# -- sync panel and merge screen --------------------------------------------------


def test_panel_lists_the_duplicate_and_the_merge_screen_merges_it(
        qtbot, counters: Counters, windows: list[MainWindow]) -> None:  # type: ignore[no-untyped-def]
    a, b, ann, bea, t_ann, t_bea = same_phone_on_two_counters(counters)
    window = show(qtbot, a, windows)
    banner = window.profile.sync_banner
    with qtbot.waitSignal(banner.loaded):
        window.open_customer(bea)  # on screen while the merge happens
    assert banner.labels[0].text().endswith("Ann Nowak")
    qtbot.waitUntil(lambda: window.sync_ui.status.badge.text() == "1")
    qtbot.mouseClick(window.sync_ui.status, Qt.MouseButton.LeftButton)
    panel = window.sync_ui.panel
    assert panel is not None and panel.isVisible()
    qtbot.waitUntil(lambda: panel.conflicts.topLevelItemCount() == 1)
    row = panel.conflicts.topLevelItem(0)
    assert row.text(0) == "Same phone"
    assert "Ann Nowak" in row.text(1) and "Bea Smith" in row.text(1)
    assert panel.review_button.isEnabled() and not panel.keep_button.isEnabled()

    panel.review()
    dialog = window.sync_ui.merge_dialog
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.sides is not None)
    left = 0 if dialog.ids[0] == ann else 1
    sides = dialog.sides
    assert sides is not None
    assert (sides[left].tickets, sides[1 - left].tickets) == (1, 1)
    assert "first_name" in dialog.groups and "phone" not in dialog.groups  # same phone
    dialog.groups["first_name"].button(1 - left).setChecked(True)  # keep Bea's first name
    keep = dialog.keep_left if left == 0 else dialog.keep_right
    assert keep.isEnabled() and not dialog.why.isVisible()
    with qtbot.waitSignal(dialog.merged) as merged:
        keep.click()
    assert merged.args == [ann]

    assert a.tickets.get(t_bea).summary.customer_id == ann  # moved at once, locally
    assert a.customers.profile(ann).summary.first_name == "Bea"
    qtbot.waitUntil(lambda: panel.conflicts.topLevelItemCount() == 0)
    # Sent: nothing waiting, and the report was made after the merge (no open conflict).
    next_report(qtbot, window, lambda r: (r.status.pending, r.status.open_conflicts) == (0, 0))

    sync_all(b)
    assert b.tickets.get(t_bea).summary.customer_id == ann
    assert b.tickets.get(t_ann).summary.customer_id == ann
    assert b.sync.conflicts() == []
    assert b.customers.profile(ann).summary.first_name == "Bea"
    assert server_rows(counters.url, "customers")[bea.hex]["merged_into"] == ann.hex
    qtbot.waitUntil(lambda: not window.sync_ui.status.badge.isVisible())

    # Bea's profile, still on screen, now points to the one kept.
    code = a.customers.profile(ann).summary.code
    qtbot.waitUntil(lambda: bool(banner.labels)
                    and banner.labels[0].text().endswith(f"Merged into {code} Bea Nowak"))
    with qtbot.waitSignal(window.profile.loaded):
        banner.buttons[0].click()  # Open
    assert window.profile.customer_id == ann
    assert window.profile.name.text() == "Bea Nowak"

    # The merged customer, reached again (search, recent), opens the one kept.
    window.show_search()
    with qtbot.waitSignal(window.profile.loaded):
        window.open_customer(bea)
    assert window.profile.customer_id == ann


def test_profile_banner_reviews_a_duplicate_and_different_people_closes_it(
        qtbot, counters: Counters, windows: list[MainWindow]) -> None:  # type: ignore[no-untyped-def]
    a, b, ann, bea, _t_ann, _t_bea = same_phone_on_two_counters(counters)
    window = show(qtbot, a, windows)
    with qtbot.waitSignal(window.profile.sync_banner.loaded):
        window.open_customer(ann)
    banner = window.profile.sync_banner
    assert banner.isVisible()
    code = b.customers.profile(bea).summary.code
    assert banner.labels[0].text().endswith(f"Possible duplicate of {code} Bea Smith")
    banner.buttons[0].click()
    dialog = window.sync_ui.merge_dialog
    assert dialog is not None and dialog.ids == (ann, bea)
    qtbot.waitUntil(lambda: dialog.sides is not None)
    assert dialog.different.isEnabled()

    with qtbot.waitSignal(dialog.resolved):
        dialog.different.click()
    qtbot.waitUntil(lambda: not banner.isVisible())
    assert a.sync.conflicts() == []
    next_report(qtbot, window, lambda r: (r.status.pending, r.status.open_conflicts) == (0, 0))
    sync_all(b)
    assert b.sync.conflicts() == []
    [conflict] = server_rows(counters.url, "sync_conflicts").values()
    assert (conflict["status"], conflict["resolution"]) == ("resolved", "distinct")
    assert a.tickets.get(_t_bea).summary.customer_id == bea  # nothing moved


def test_rejected_change_shows_its_reason_and_dismiss_removes_it(
        qtbot, counters: Counters, windows: list[MainWindow]) -> None:  # type: ignore[no-untyped-def]
    a = counters.new("a")
    yara = register(a, "Yara", "07400 123401")
    window = show(qtbot, a, windows)
    qtbot.waitUntil(lambda: status_text(window).startswith("Online · synced"), timeout=15000)
    with a.store.write() as session:  # what the form would refuse: an older client's bug
        session.connection().execute(text("UPDATE customers SET first_name = '' WHERE id = :i"),
                                     {"i": yara.hex})
    next_report(qtbot, window, lambda r: r.status.rejected == 1)
    qtbot.waitUntil(lambda: window.sync_ui.status.badge.text() == "1")

    qtbot.keyClick(window.search.box, Qt.Key.Key_Y,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    panel = window.sync_ui.panel
    assert panel is not None and panel.isVisible()
    qtbot.waitUntil(lambda: panel.rejected_list.topLevelItemCount() == 1)
    row = panel.rejected_list.topLevelItem(0)
    code = a.customers.profile(yara).summary.code
    assert (row.text(0), row.text(2)) == ("Customer", "First name is required")
    assert row.text(1) == f"Edit of {code} Yara Nowak"
    assert "customers.first_name" in row.toolTip(2)
    assert panel.dismiss_rejected_button.isEnabled()
    panel.dismiss_rejected_button.click()
    qtbot.waitUntil(lambda: panel.rejected_list.topLevelItemCount() == 0)
    assert a.sync.rejected() == []
    qtbot.waitUntil(lambda: not window.sync_ui.status.badge.isVisible())


def test_technician_sees_why_merge_is_disabled(qtbot, counters: Counters,  # type: ignore[no-untyped-def]
                                               windows: list[MainWindow]) -> None:
    a, _b, ann, bea, _t_ann, _t_bea = same_phone_on_two_counters(counters)
    a.staff.create("tomas", "Tomás Novák", "technician", "1357")
    a.sign_in("tomas", "1357")
    window = show(qtbot, a, windows)
    panel = window.sync_ui.open_panel()
    qtbot.waitUntil(lambda: panel.conflicts.topLevelItemCount() == 1)
    assert not panel.dismiss_conflict_button.isEnabled()
    assert "supervisor" in panel.rights.text()
    [conflict] = a.sync.conflicts()
    dialog = window.sync_ui.open_merge(ann, bea, conflict.id)
    qtbot.waitUntil(lambda: dialog.sides is not None)
    for button in (dialog.keep_left, dialog.keep_right, dialog.different):
        assert not button.isEnabled()
        assert "supervisor" in button.toolTip()
    assert dialog.why.isVisible()
    assert "you are signed in as technician" in dialog.why.text()
    dialog.merge(0)  # refused before any write
    assert a.tickets.get(_t_bea).summary.customer_id == bea
    assert len(a.sync.conflicts()) == 1


def test_field_conflict_is_kept_as_the_server_resolved_it(
        qtbot, counters: Counters, windows: list[MainWindow]) -> None:  # type: ignore[no-untyped-def]
    a, b = counters.new("a"), counters.new("b")
    ann = register(a, "Ann", "07400 123456")
    sync_all(a, b)
    a.customers.update(ann, {"notes": "call after five"})
    b.customers.update(ann, {"notes": "e-mail only"})
    sync_all(a, b)  # B's edit arrives later and wins; A's is kept in the conflict
    [conflict] = a.sync.conflicts()
    window = show(qtbot, a, windows)
    panel = window.sync_ui.open_panel()
    qtbot.waitUntil(lambda: panel.conflicts.topLevelItemCount() == 1)
    row = panel.conflicts.topLevelItem(0)
    code = a.customers.profile(ann).summary.code
    assert row.text(0) == "Edited on two counters"
    assert row.text(1) == (f"Notes of {code} Ann Nowak: kept “e-mail only”, "
                           "overwrote “call after five”")
    assert panel.keep_button.isEnabled() and not panel.review_button.isEnabled()
    panel.keep_button.click()
    qtbot.waitUntil(lambda: panel.conflicts.topLevelItemCount() == 0)
    assert a.sync.conflict(conflict.id).resolution == "accepted"
    next_report(qtbot, window, lambda r: (r.status.pending, r.status.open_conflicts) == (0, 0))
    assert server_rows(counters.url, "sync_conflicts")[conflict.id]["resolution"] == "accepted"
    assert a.customers.profile(ann).values["notes"] == "e-mail only"


def test_a_row_the_counter_cannot_store_is_shown_and_can_be_dismissed(
        qtbot, counters: Counters, windows: list[MainWindow]) -> None:  # type: ignore[no-untyped-def]
    """A pulled row that breaks this counter's rules is counted in the status bar's badge
    and listed in the panel with its reason; a manager dismisses it."""
    import psycopg

    a, b = counters.new("a"), counters.new("b")
    ann = register(a, "Ann", "07400 123456")
    sync_all(a, b)
    with psycopg.connect(counters.url) as admin:
        admin.execute("UPDATE sync.rows SET data = data || '{\"customer_type\": \"alien\"}'"
                      "::jsonb WHERE table_name = 'customers' AND row_id = %s", (ann.hex,))
    window = show(qtbot, b, windows)
    next_report(qtbot, window, lambda r: r.status.quarantined == 1)
    qtbot.waitUntil(lambda: window.sync_ui.status.badge.text() == "1")
    qtbot.keyClick(window.search.box, Qt.Key.Key_Y,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    panel = window.sync_ui.panel
    assert panel is not None
    qtbot.waitUntil(lambda: panel.quarantine.rows.topLevelItemCount() == 1)
    row = panel.quarantine.rows.topLevelItem(0)
    assert row.text(0) == "Customer" and "customer_type" in row.text(2)
    assert panel.quarantine.dismiss_button.isEnabled()
    panel.quarantine.dismiss_button.click()
    qtbot.waitUntil(lambda: panel.quarantine.rows.topLevelItemCount() == 0)
    assert b.sync.quarantined() == []
