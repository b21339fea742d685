"""The window's backup pieces: the status-bar note, Shop → Back up now / Backups…, and
the thread that takes automatic backups (`services.backup.runner.BackupRunner`).

    Backed up 09:12                 (grey: the last good backup is less than a day old)
    No backup for 2 days            (orange: older than a day, or none yet)
    Backup failed: the backup folder E:\\ is full …             (red: the last try failed)

`describe` is the pure wording. Thread rule: GUI thread only; the runner's reports
arrive from its thread through a queued signal.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QMouseEvent
from PySide6.QtWidgets import QLabel, QMainWindow, QMenu

from shopdesk.services.backup.backups import MAX_AGE
from shopdesk.services.backup.parts import BackupResult, BackupStatus
from shopdesk.services.backup.runner import BackupRunner, child_command
from shopdesk.shop import Shop
from shopdesk.ui.backup.backups_dialog import BackupsDialog
from shopdesk.ui.common.taskman import TaskManager

TONES = {"ok": "#6b7280", "busy": "#2f6fde", "warn": "#d97706", "bad": "#b3261e"}
MAX_TEXT = 60


def describe(status: BackupStatus, running: bool, now: datetime) -> tuple[str, str]:
    """(text, tone) for the status bar; tone is a key of TONES."""
    if running:
        return "Backing up…", "busy"
    last, good = status.last, status.last_good_at
    if last is not None and not last.get("ok") and (
            good is None or str(last.get("at", "")) > good.isoformat()):
        return f"Backup failed: {last.get('problem', '')}", "bad"
    if good is None:
        return "No backup yet", "warn"
    age = now - good
    if age > MAX_AGE:
        days = max(1, age // timedelta(days=1))
        return f"No backup for {days} day{'s' if days != 1 else ''}", "warn"
    return f"Backed up {good.astimezone():%H:%M}", "ok"


class _Note(QLabel):
    """The status-bar text; a click opens the list of backups."""

    clicked = Signal()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit()
        super().mouseReleaseEvent(event)


class _Relay(QObject):
    """Emitted on the backup thread, received (queued) on the GUI thread."""

    done = Signal(object, str)  # BackupResult | None, problem


class BackupControls(QObject):
    """Creates and owns the window's backup widgets and the backup thread.

    `start()` once the window shows; `stop()` when it closes. Signal `changed()`
    after the status-bar text changed (tests wait on it).
    """

    changed = Signal()

    def __init__(self, shop: Shop, ops: TaskManager, window: QMainWindow, menu: QMenu,
                 before: QAction | None = None, *, runner: BackupRunner | None = None) -> None:
        super().__init__(window)
        self.shop, self.ops, self.window = shop, ops, window
        self.status: BackupStatus | None = None
        self.label = _Note()
        self.label.setCursor(Qt.CursorShape.PointingHandCursor)
        self.label.clicked.connect(self.open_dialog)
        window.statusBar().addPermanentWidget(self.label)
        self._relay = _Relay()
        self._relay.done.connect(self._on_done, Qt.ConnectionType.QueuedConnection)
        # In a child process: the backup's work never competes with the window for
        # the interpreter lock (the key goes to the child on its standard input).
        self.runner = runner or BackupRunner(
            shop.backups, self._relay.done.emit, command=child_command(shop.root),
            key=shop.key.key + shop.key.salt)
        self.now_action = QAction("&Back up now", window)
        self.now_action.triggered.connect(self.back_up_now)
        self.dialog_action = QAction("Bac&kups…", window)
        self.dialog_action.triggered.connect(self.open_dialog)
        if before is None:
            menu.addActions([self.now_action, self.dialog_action])
        else:  # above "Sign out", in a group of their own
            menu.insertActions(before, [self.now_action, self.dialog_action])
            menu.insertSeparator(before)
        self.dialog: BackupsDialog | None = None
        self._minute = QTimer(self)  # "older than a day" turns true by the clock alone
        self._minute.setInterval(60_000)
        self._minute.timeout.connect(self.refresh)

    @property
    def text(self) -> str:
        return self.label.text()

    def start(self) -> None:
        self.runner.start()
        self._minute.start()
        self.refresh()

    def stop(self) -> None:
        self._minute.stop()
        self.runner.stop()

    def back_up_now(self) -> None:
        self.runner.request()
        self._render(running=True)

    def refresh(self) -> None:
        self.ops.query(self.label, self.shop.backups.status, self._on_status, lambda _e: None)

    def open_dialog(self) -> BackupsDialog:
        if self.dialog is None:
            self.dialog = BackupsDialog(self.shop, self.ops, self.back_up_now, self.window)
        self.dialog.reload()
        self.dialog.show()
        self.dialog.raise_()
        return self.dialog

    def _on_status(self, status: BackupStatus) -> None:
        self.status = status
        self._render(self.runner.running.is_set())

    def _on_done(self, _result: BackupResult | None, _problem: str) -> None:
        self.refresh()
        if self.dialog is not None and self.dialog.isVisible():
            self.dialog.reload()

    def _render(self, running: bool) -> None:
        status = self.status
        if status is None:
            return  # the first status is on its way (read off the GUI thread)
        text, tone = describe(status, running, self.shop.store.clock())
        self.label.setToolTip(f"{text}\nBackups go to {status.folder}\nClick for the list")
        if len(text) > MAX_TEXT:
            text = text[:MAX_TEXT - 1].rstrip() + "…"
        self.label.setStyleSheet(f"color:{TONES[tone]}; padding:0px 8px;"
                                 + ("font-weight:600;" if tone in ("warn", "bad") else ""))
        if text != self.label.text():
            self.label.setText(text)
            self.changed.emit()
