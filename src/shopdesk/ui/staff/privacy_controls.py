"""The main window's privacy pieces in one place (spec 2.4, 13.2, 13.3).

- Access log: ticket and device views (`viewed`), result lists that stayed on screen
  for a moment (not every keystroke's list) and prints are queued by the core and
  written to the audit trail every few seconds on a housekeeping thread of its own,
  never on the GUI thread's path (and without a broadcast: no screen shows them).
- Shop menu: Audit trail… (Ctrl+Shift+A), Access alerts…, Privacy reports…, Lock now
  (Ctrl+L); the first three for staff who may read the audit trail.
- Status bar: the access-alert count (managers), refreshed every few minutes.
- Scheduled reports: a while after start, and every few hours, a manager's window
  checks whether the month's data-quality check or the last quarter's compliance
  review is due, and makes them (`<data dir>/reports/`) with ``shopdesk report due``
  in a child process: the data-quality check validates every stored number and draws
  every row in Python, seconds to a minute of work that on a thread of this process
  would hold the interpreter lock and stall the window while the clerk types.
- The idle lock (`IdleLock`, setting `security.lock_minutes`).

Thread rule: GUI thread only.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from uuid import UUID

from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QLabel, QMainWindow, QMenu

from shopdesk.changes import Changes
from shopdesk.domain.permissions import Permission, allowed
from shopdesk.services.child import ChildRun, child_command
from shopdesk.services.staff import StaffInfo
from shopdesk.shop import Shop
from shopdesk.ui.common.taskman import TaskManager
from shopdesk.ui.printing.privacy_reports_view import ReportsDialog
from shopdesk.ui.staff.alerts_view import AlertsCorner, AlertsDialog
from shopdesk.ui.staff.audit_browser import AuditBrowser
from shopdesk.ui.staff.idle_lock import IdleLock

log = logging.getLogger(__name__)
FLUSH_MS = 5_000  # queued views reach the audit trail within seconds
ALERTS_MS = 5 * 60_000
LIST_SEEN_MS = 1_500  # a result list on screen this long counts as seen
REPORTS_FIRST_MS = 90_000  # not in the start-up's way
REPORTS_MS = 4 * 3_600_000  # a window left open across the month's end still makes them


class PrivacyControls(QObject):
    """Creates and owns the window's privacy widgets and timers. GUI thread only."""

    def __init__(self, shop: Shop, ops: TaskManager, window: QMainWindow, menu: QMenu,
                 who: QLabel, before: QAction | None = None) -> None:
        super().__init__(window)
        self.shop, self.ops, self.window, self.who = shop, ops, window, who
        self.browser: AuditBrowser | None = None
        self.alerts_dialog: AlertsDialog | None = None
        self.reports_dialog: ReportsDialog | None = None
        self._worker = ThreadPoolExecutor(1, thread_name_prefix="shopdesk-privacy")
        self._reports = ChildRun(child_command(shop.root, "report", "due", "--json"),
                                 shop.key.key + shop.key.salt)
        self._stopped = False
        self.idle = IdleLock(shop, window, int(shop.settings.get("security.lock_minutes")))
        self.idle.unlocked.connect(self._unlocked)
        self.audit_action = QAction("&Audit trail…", window)
        self.audit_action.setShortcut(QKeySequence("Ctrl+Shift+A"))
        self.audit_action.triggered.connect(self.open_audit)
        self.alerts_action = QAction("Access a&lerts…", window)
        self.alerts_action.triggered.connect(self.open_alerts)
        self.reports_action = QAction("&Privacy reports…", window)
        self.reports_action.triggered.connect(lambda: self.open_reports())
        self.lock_action = QAction("&Lock now", window)
        self.lock_action.setShortcut(QKeySequence("Ctrl+L"))
        self.lock_action.triggered.connect(self.idle.lock)
        actions = [self.audit_action, self.alerts_action, self.reports_action,
                   self.lock_action]
        if before is None:
            menu.addActions(actions)
        else:
            menu.insertActions(before, actions)
            menu.insertSeparator(before)
        for action in actions:
            window.addAction(action)
        self.corner = AlertsCorner()
        self.corner.open_list.connect(self.open_alerts)
        window.statusBar().addPermanentWidget(self.corner)
        self.flusher = QTimer(self)
        self.flusher.setInterval(FLUSH_MS)
        self.flusher.timeout.connect(self.flush)
        self.alert_timer = QTimer(self)
        self.alert_timer.setInterval(ALERTS_MS)
        self.alert_timer.timeout.connect(self.refresh_alerts)
        self.list_timer = QTimer(self)
        self.list_timer.setSingleShot(True)
        self.list_timer.setInterval(LIST_SEEN_MS)
        self.list_timer.timeout.connect(self._list_seen)
        self.reports_timer = QTimer(self)
        self.reports_timer.setSingleShot(True)
        self.reports_timer.timeout.connect(self.make_due_reports)
        self._list: list[UUID] = []
        ops.bus.ops_did_execute.connect(self._on_changes)
        self.update_permissions()

    def start(self) -> None:
        self.flusher.start()
        self.alert_timer.start()
        self.refresh_alerts()
        self.reports_timer.start(REPORTS_FIRST_MS)

    def stop(self) -> None:
        """Stop the timers, end a report's child process under way (the next start
        makes the report again) and join the housekeeping thread (what is still
        queued is written when the shop closes)."""
        for timer in (self.flusher, self.alert_timer, self.list_timer, self.reports_timer):
            timer.stop()
        self.idle.stop()
        self._stopped = True
        self._reports.kill()
        self._worker.shutdown(wait=True, cancel_futures=True)

    def make_due_reports(self) -> None:
        """Make the privacy reports that are due, in a child process (module docstring);
        a cheap check first, so a child starts only when one is due."""
        self.reports_timer.start(REPORTS_MS)
        if not self._may(Permission.READ_AUDIT) or self._stopped:
            return
        reports, child = self.shop.privacy_reports, self._reports

        def run() -> None:
            if reports.due():
                made = child.run()
                log.info("privacy reports made: %s", ", ".join(m["path"] for m in made))

        self._background(run)

    def _background(self, job: Callable[[], object]) -> None:
        def run() -> None:
            try:
                job()
            except Exception:  # housekeeping: logged, tried again next time
                log.exception("privacy housekeeping failed")

        if not self._stopped:
            self._worker.submit(run)

    # -- access logging ------------------------------------------------------------------
    def viewed(self, entity: str, record_id: UUID) -> None:
        """A ticket or device page was opened (queued; written by the next flush)."""
        self.shop.access.record("view", entity, record_id)

    def list_shown(self, ids: list[UUID]) -> None:
        """A result list is on screen; it counts as seen once it stays a moment."""
        self._list = list(ids)
        self.list_timer.start()

    def _list_seen(self) -> None:
        if self._list:
            self.shop.access.viewed_list(self._list)

    def flush(self) -> None:
        if self.shop.access.pending:
            self._background(self.shop.access.flush)

    # -- the rest ------------------------------------------------------------------------
    def _may(self, permission: Permission) -> bool:
        actor = self.shop.actor
        return actor is not None and allowed(actor.role, permission)

    def update_permissions(self) -> None:
        audit = self._may(Permission.READ_AUDIT)
        for action in (self.audit_action, self.alerts_action, self.reports_action):
            action.setEnabled(audit)
        if not audit:
            self.corner.show_count(0)

    def refresh_alerts(self) -> None:
        if not self._may(Permission.READ_AUDIT):
            self.corner.show_count(0)
            return
        monitoring = self.shop.monitoring
        self.ops.query(self.corner, monitoring.alerts,
                       lambda found: self.corner.show_count(len(found)),
                       lambda _error: self.corner.show_count(0))

    def _on_changes(self, changes: Changes) -> None:
        if changes.settings:
            settings, idle = self.shop.settings, self.idle
            self.ops.query(None, lambda: int(settings.get("security.lock_minutes")),
                           idle.set_minutes)

    def _unlocked(self, staff: StaffInfo) -> None:
        self.who.setText(f"  Signed in: {staff.display_name} ({staff.role.label})")
        self.update_permissions()
        for name in ("update_permissions", "profile.reload"):
            # The window's role-dependent actions, and the profile's buttons, redraw
            # for the one now acting.
            target: Any = self.window
            for part in name.split("."):
                target = getattr(target, part, None)
            if callable(target):
                target()
        self.refresh_alerts()

    def open_audit(self) -> AuditBrowser | None:
        if not self._may(Permission.READ_AUDIT):
            return None
        self.browser = AuditBrowser(self.shop, self.ops, self.window)
        self.browser.show()
        return self.browser

    def open_alerts(self) -> AlertsDialog | None:
        if not self._may(Permission.READ_AUDIT):
            return None
        self.alerts_dialog = AlertsDialog(self.shop, self.ops, self.window)
        self.alerts_dialog.changed.connect(self.refresh_alerts)
        self.alerts_dialog.show()
        return self.alerts_dialog

    def open_reports(self, kind: str = "data-quality") -> ReportsDialog | None:
        if not self._may(Permission.READ_AUDIT):
            return None
        self.reports_dialog = ReportsDialog(self.shop, self.ops, kind, self.window)
        self.reports_dialog.show()
        return self.reports_dialog
