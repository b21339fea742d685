"""Loyalty and feedback in the window (issue 17): the profile's Loyalty tab, adjusting
points, the rules dialog, a scanned feedback form, and the nightly pass on its thread
never stalling the event loop."""

from __future__ import annotations

import os
import random
import tempfile
from datetime import timedelta
from decimal import Decimal
from itertools import pairwise
from pathlib import Path
from uuid import UUID

from PySide6.QtCore import QTimer
from sqlalchemy import func, select

from shopdesk.domain.loyalty import rules
from shopdesk.models import SupportTicket
from shopdesk.models.base import Money, UTCDateTime
from shopdesk.services.demo.demo import generate
from shopdesk.shop import Shop
from shopdesk.ui.loyalty.nightly_runner import NightlyRunner
from shopdesk.ui.main_window import MainWindow
from tests.core.test_loyalty import collect
from tests.ui.conftest import open_window
from tests.ui.stalls import clocks, stall_ms

# Screenshots to look at (docs/screenshots holds copies made the same way).
SHOTS = Path(os.environ.get("SHOPDESK_SHOTS", Path(tempfile.gettempdir()) / "shopdesk-shots"))


def open_loyalty(qtbot, window: MainWindow, customer: UUID) -> None:  # type: ignore[no-untyped-def]
    panel = window.profile.loyalty
    before = panel.loads
    with qtbot.waitSignal(window.profile.loaded):
        window.open_customer(customer)
    window.profile.tabs.setCurrentWidget(panel)
    qtbot.waitUntil(lambda: panel.loads > before and panel.customer_id == customer)


def test_profile_shows_balance_tier_progress_lots_and_history(
        qtbot, window: MainWindow, shop: Shop, customers: dict[str, UUID]) -> None:  # type: ignore[no-untyped-def]
    ana = customers["López"]
    collect(shop, ana, "620")
    shop.loyalty.adjust(ana, 40, "Posted a review on Instagram", source="social")
    open_loyalty(qtbot, window, ana)
    panel = window.profile.loyalty
    assert panel.balance.text() == "660 points"
    assert panel.tier.text() == "Silver tier"
    assert "to Gold" in panel.progress.format()
    assert panel.lots.topLevelItemCount() == 2
    kinds = [panel.history.topLevelItem(i).text(1)
             for i in range(panel.history.topLevelItemCount())]
    assert kinds == ["Adjusted", "Earned", "Tier"]  # a tier move is dated its day
    assert not panel.warning.isVisible()
    window.resize(1366, 768)
    SHOTS.mkdir(parents=True, exist_ok=True)
    window.grab().save(str(SHOTS / "loyalty-tab.png"))


def test_adjusting_points_needs_a_reason_and_refreshes_the_tab(
        qtbot, window: MainWindow, shop: Shop, customers: dict[str, UUID]) -> None:  # type: ignore[no-untyped-def]
    ana = customers["López"]
    open_loyalty(qtbot, window, ana)
    panel = window.profile.loyalty
    dialog = panel.adjust()
    assert dialog is not None
    dialog.points.setValue(25)
    dialog.save()
    qtbot.waitUntil(lambda: "reason" in dialog.error.text())
    assert dialog.error.text() == "reason: say why the points change"
    dialog.reason.setText("Birthday goodwill")
    before = panel.loads
    dialog.save()
    qtbot.waitUntil(lambda: panel.loads > before and panel.balance.text() == "25 points")
    assert shop.loyalty.balance(ana).balance == 25


def test_loyalty_rules_dialog_refuses_a_bad_rule_and_saves_good_ones(
        qtbot, window: MainWindow, shop: Shop) -> None:  # type: ignore[no-untyped-def]
    dialog = window.open_loyalty_rules()
    assert dialog is not None
    qtbot.waitUntil(lambda: "overspent" in dialog.overspent.text())
    dialog.fields["loyalty.tier_thresholds"].setText("silver=900,gold=100,platinum=5000")
    dialog.save()
    qtbot.waitUntil(lambda: "must rise" in dialog.error.text())
    assert shop.settings.get("loyalty.tier_thresholds") == "silver=500,gold=1500,platinum=5000"
    dialog.fields["loyalty.tier_thresholds"].setText("silver=300,gold=1000,platinum=3000")
    dialog.fields["loyalty.points_per_unit"].setText("2")
    with qtbot.waitSignal(dialog.accepted):
        dialog.save()
    assert shop.settings.get("loyalty.points_per_unit") == "2"
    dialog.grab().save(str(SHOTS / "loyalty-rules.png"))


def test_scanning_a_feedback_form_opens_the_entry_screen(
        qtbot, window: MainWindow, shop: Shop, customers: dict[str, UUID]) -> None:  # type: ignore[no-untyped-def]
    ticket = collect(shop, customers["López"], "80")
    number = shop.tickets.get(ticket).summary.number
    with shop.store.read() as session:
        from shopdesk.search.identify import identify
        found = identify(session, f"FB-{number}")
    assert found is not None and found.kind == "feedback_form" and found.id == ticket
    window.open_identified(found)
    dialog = window.feedback_dialog
    assert dialog.windowTitle() == f"Feedback for {number}"
    dialog.boxes["csat"].setCurrentIndex(dialog.boxes["csat"].findData(1))
    dialog.boxes["nps"].setCurrentIndex(dialog.boxes["nps"].findData(2))
    dialog.comment.setPlainText("Rude staff and it broke again")
    dialog.grab().save(str(SHOTS / "feedback-entry.png"))
    with qtbot.waitSignal(dialog.accepted):
        dialog.save()
    assert dialog.saved is not None and dialog.saved.feedback.complaint_number is not None
    with shop.store.read() as session:
        assert session.scalar(select(func.count()).select_from(SupportTicket)) == 1


def fill_ledgers(shop: Shop, count: int) -> None:
    """`count` customers with skewed ledgers (direct inserts, as a restored shop)."""
    shop.transfer.import_rows(((n + 2, r) for n, r in enumerate(generate(count, 5))), count)
    rng = random.Random(3)
    stamp, pence = UTCDateTime().process_bind_param, Money().process_bind_param
    now = shop.store.clock()
    with shop.store.read() as session:
        ids = [r[0] for r in session.connection().exec_driver_sql("SELECT id FROM customers")]
    rows = []
    for cid in ids:
        for _ in range(min(60, int(rng.paretovariate(1.2)))):
            at = now - timedelta(days=rng.uniform(200, 700))
            paid = rng.randint(10, 900)
            rows.append((rules.derived_id("fill", len(rows)).hex, cid, paid,
                         pence(Decimal(paid), None), stamp(at, None),
                         stamp(at + timedelta(days=365), None)))
    with shop.store.write() as session:
        session.connection().exec_driver_sql(
            "INSERT INTO loyalty_entries (id, customer_id, kind, source, points, spend, reason, "
            "expires_at, actor, created_at) VALUES (?, ?, 'earn', 'ticket', ?, ?, '', ?, "
            "'test', ?)", [(i, c, p, s, e, a) for i, c, p, s, a, e in rows])


def test_the_nightly_pass_on_its_thread_never_stalls_the_window(
        qtbot, shop: Shop) -> None:  # type: ignore[no-untyped-def]
    fill_ledgers(shop, 8000)
    window = open_window(qtbot, shop)  # the whole window, its timers and workers running
    qtbot.waitUntil(lambda: not window.ops.busy)
    # Each gap between ticks, less what this process spent waiting for a CPU other
    # processes held (Linux schedstat; see test_search_typing): the window's own stall.
    ticks: list[tuple[float, float, float, float]] = []

    def tick() -> None:
        ticks.append(clocks())

    def gaps() -> list[float]:
        return [stall_ms(a, b) / 1000 for a, b in pairwise(ticks)]

    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(tick)
    # The idle window first: on a shared, loaded machine the scheduler alone delays a
    # timer now and then; the pass must add no stall of its own beyond that.
    timer.start()
    qtbot.waitUntil(lambda: len(ticks) >= 150, timeout=30_000)
    idle = max(gaps())
    ticks.clear()
    runner = NightlyRunner(shop)
    reports = []
    runner.finished.connect(reports.append)
    ticks.append(clocks())
    assert runner.start()
    qtbot.waitUntil(lambda: bool(reports), timeout=120_000)
    timer.stop()
    runner.stop()
    window.shutdown()
    report = reports[0]
    assert report.expired_lots > 1000 and report.promotions > 100
    assert len(ticks) > 10
    # 100 ms; on an overloaded machine (the shared test box runs at load 6-8 on 2 cores)
    # the OS may park the worker while it holds the GIL, so allow twice the idle jitter.
    bound = max(0.1, 2 * idle)
    worst = max(gaps())
    assert worst < bound, (f"the event loop stalled {worst * 1000:.0f} ms "
                               f"(idle: {idle * 1000:.0f} ms)")
