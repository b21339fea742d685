"""Runs the nightly loyalty pass for the window, on its own thread, once a day.

The pass writes in short transactions, so the window's own writes (on the
TaskManager's writer) interleave with it; the window's event loop is never held
(tests/ui/test_loyalty_ui.py measures it). `finished(NightlyReport)` arrives on the
GUI thread.

Thread rule: create and call on the GUI thread; the pass runs on a Python thread.
"""

from __future__ import annotations

import logging
import threading
from datetime import date

from PySide6.QtCore import QObject, QTimer, Signal

from shopdesk.shop import Shop

log = logging.getLogger(__name__)


class NightlyRunner(QObject):
    """`start()` runs the pass now (unless one is running); a timer re-checks hourly
    and runs it once on each new day."""

    finished = Signal(object)  # NightlyReport
    failed = Signal(str)

    def __init__(self, shop: Shop, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.shop = shop
        self.worker: threading.Thread | None = None
        self.last_day: date | None = None
        self.timer = QTimer(self)
        self.timer.setInterval(3600 * 1000)
        self.timer.timeout.connect(self.if_due)
        self.delay = QTimer(self)
        self.delay.setSingleShot(True)
        self.delay.timeout.connect(self.if_due)

    def schedule(self, delay_ms: int = 120_000) -> None:
        """First run `delay_ms` after the window opens (the counter's morning rush and
        its first sync come first), then hourly checks for a new day."""
        self.timer.start()
        self.delay.start(delay_ms)

    def if_due(self) -> None:
        today = self.shop.store.clock().date()
        if self.last_day != today:
            self.start()

    @property
    def running(self) -> bool:
        return self.worker is not None and self.worker.is_alive()

    def start(self) -> bool:
        if self.running:
            return False
        self.last_day = self.shop.store.clock().date()
        self.worker = threading.Thread(target=self._run, name="shopdesk-loyalty-nightly",
                                       daemon=True)
        self.worker.start()
        return True

    def _run(self) -> None:
        try:
            report = self.shop.loyalty_nightly.run()
        except Exception as exc:  # reported on the GUI thread, never lost silently
            log.exception("the nightly loyalty pass failed")
            self.failed.emit(str(exc))
            return
        self.finished.emit(report)

    def stop(self) -> None:
        self.timer.stop()
        self.delay.stop()
        if self.worker is not None:
            self.worker.join()
