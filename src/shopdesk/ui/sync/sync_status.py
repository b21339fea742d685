"""The sync corner of the status bar: online/offline, changes waiting, last sync, problems.

    Online · synced 09:41                     Offline – 3 changes waiting · retrying in 8 s
    Syncing…                                  Sync paused: this database was copied …
    Not connected to a store – 0 changes waiting            [2]  <- conflicts + rejected
                                                                 + quarantined rows

`describe` is the pure wording (tests and the sync panel share it). The widget
takes its figures from the bridge's reports (every round) and, between rounds,
re-reads `shop.sync.status()` on the read pool after local writes, so the
pending count moves while offline too. Clicking it opens the sync panel.

Thread rule: GUI thread only.
"""

from __future__ import annotations

import math
import time
from datetime import datetime

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from shopdesk.changes import Changes
from shopdesk.sync.runner import RunnerReport
from shopdesk.sync.views import SyncStatus
from shopdesk.ui.common.taskman import TaskManager
from shopdesk.ui.sync.sync_bridge import SyncBridge

TONES = {"ok": "#16a34a", "busy": "#2f6fde", "warn": "#d97706", "bad": "#b3261e",
         "off": "#9aa1ad"}
MAX_REASON = 70
PROGRESS_FROM = 1000  # rows still to receive before the status bar shows a percentage


def waiting(pending: int) -> str:
    return f"{pending} change{'s' if pending != 1 else ''} waiting"


def sync_time(iso: str | None) -> str:
    """A stored sync instant as staff read it: '09:41' today, else '23 Nov 09:41'."""
    if not iso:
        return "never"
    try:
        moment = datetime.fromisoformat(iso).astimezone()
    except ValueError:
        return iso
    if moment.date() == datetime.now().astimezone().date():
        return moment.strftime("%H:%M")
    return moment.strftime("%d %b %H:%M")


def describe(status: SyncStatus, report: RunnerReport | None, busy: bool,
             retry_in: float | None) -> tuple[str, str]:
    """(text, tone) for the status bar; tone is a key of TONES."""
    if not status.joined:
        return f"Not connected to a store – {waiting(status.pending)}", "off"
    paused = status.paused_reason or (
        report.error if report is not None and report.online is None else None)
    if paused:
        return f"Sync paused: {paused}", "bad"
    extra = f" · {waiting(status.pending)}" if status.pending else ""
    if busy:
        behind = status.server_seq - status.cursor
        # A long first sync says how far it got (the cursor moves page by page).
        progress = (f" · {100 * status.cursor // status.server_seq} % received"
                    if behind > PROGRESS_FROM and status.server_seq else "")
        return f"Syncing…{progress}{extra}", "busy"
    if report is None:
        return f"Connecting…{extra}", "busy"
    retry = "" if retry_in is None else " · retrying now" if retry_in < 0.5 else \
        f" · retrying in {math.ceil(retry_in)} s"
    if report.online is False:
        return f"Offline – {waiting(status.pending)}{retry}", "warn"
    if report.error:
        return f"Sync failed – {waiting(status.pending)}{retry}", "bad"
    return f"Online · synced {sync_time(status.last_sync_at)}{extra}", "ok"


def problems(status: SyncStatus) -> int:
    return status.open_conflicts + status.rejected + status.quarantined


class SyncStatusWidget(QWidget):
    """Dot, one line of text and a red count of conflicts + rejected changes.
    GUI thread only. Signal `clicked()` (the window opens the sync panel)."""

    clicked = Signal()
    changed = Signal()  # after the text changed (tests wait on it)

    def __init__(self, ops: TaskManager, bridge: SyncBridge,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ops, self.bridge = ops, bridge
        self.status: SyncStatus | None = None
        self.report: RunnerReport | None = None
        self.busy = False
        self.tone = "off"
        self._retry_at: float | None = None
        self._seq = 0
        self.dot = QLabel("●")
        self.label = QLabel("Sync…")
        self.badge = QLabel()
        self.badge.setStyleSheet("background:#c5221f; color:#ffffff; border-radius:8px;"
                                 " padding:0px 7px; font-weight:700;")
        self.badge.hide()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 0, 10, 0)
        layout.setSpacing(6)
        layout.addWidget(self.dot)
        layout.addWidget(self.label)
        layout.addWidget(self.badge)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip("Sync details (Ctrl+Shift+Y)")
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(150)
        self._debounce.timeout.connect(self.reload)
        self._tick = QTimer(self)
        self._tick.setInterval(1000)
        self._tick.timeout.connect(self._render)
        bridge.report.connect(self._on_report)
        bridge.busy.connect(self._on_busy)
        bridge.started.connect(lambda _joined: self.reload())
        ops.bus.ops_did_execute.connect(self._on_changes)
        self.reload()

    @property
    def text(self) -> str:
        return self.label.text()

    # -- inputs ------------------------------------------------------------------
    def reload(self) -> None:
        """Re-read the figures (pending, conflicts) on the read pool."""
        self._seq += 1
        seq, sync = self._seq, self.bridge.shop.sync
        self.ops.query(self, sync.status, lambda s: self._on_status(seq, s), lambda _e: None)

    def _on_status(self, seq: int, status: SyncStatus) -> None:
        if seq == self._seq:  # a report that came meanwhile is newer
            self.status = status
            self._render()

    def _on_changes(self, _changes: Changes) -> None:
        self._debounce.start()

    def _on_report(self, report: RunnerReport) -> None:
        self._seq += 1
        self.report, self.status, self.busy = report, report.status, False
        self._retry_at = (time.monotonic() + report.retrying_in
                          if report.retrying_in is not None else None)
        self._render()

    def _on_busy(self) -> None:
        if self.status is not None and self.status.joined:
            self.busy = True
            self._render()

    # -- output ------------------------------------------------------------------
    def retry_in(self) -> float | None:
        if self._retry_at is None:
            return None
        return max(0.0, self._retry_at - time.monotonic())

    def _render(self) -> None:
        status = self.status
        if status is None:
            return
        retry = self.retry_in()
        text, tone = describe(status, self.report, self.busy, retry)
        if retry is not None and not self._tick.isActive():
            self._tick.start()
        elif retry is None:
            self._tick.stop()
        full = text
        if len(text) > MAX_REASON:
            text = text[:MAX_REASON - 1].rstrip() + "…"
        self.tone = tone
        self.dot.setStyleSheet(f"color:{TONES[tone]}; font-size:11px;")
        error = status.last_error or (self.report.error if self.report else None)
        tip = [full] + ([f"Last error: {error}"] if error and error not in full else [])
        self.label.setToolTip("\n".join(tip) + "\nClick or Ctrl+Shift+Y for details")
        count = problems(status)
        self.badge.setText(str(count))
        self.badge.setToolTip(f"{status.open_conflicts} conflict(s), {status.rejected} "
                              f"rejected change(s), {status.quarantined} row(s) not stored "
                              "to review")
        self.badge.setVisible(count > 0)
        if text != self.label.text():
            self.label.setText(text)
            self.changed.emit()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit()
        super().mouseReleaseEvent(event)
