"""The window locks itself after `security.lock_minutes` without use (spec 2.4).

Any key press, click, wheel turn or touch in the application restarts a single-shot
timer; when it fires the window's content is hidden, other open windows are closed,
and a modal lock screen asks for a staff member and their PIN. Any active staff
member may unlock: whoever does becomes the one acting (and signing the audit trail).
A wrong PIN counts as a failed sign-in (lock-out rules included). 0 minutes: never.

Keyboard: the PIN field has focus; Enter unlocks; the staff list is Alt+S.
Thread rule: GUI thread only (sign-in runs the PIN check directly, as the sign-in
dialog does: argon2 takes about 100 ms while a modal screen waits).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDialog,
    QFormLayout,
    QLineEdit,
    QMainWindow,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from shopdesk.services.staff import StaffInfo
from shopdesk.shop import Shop
from shopdesk.ui.common.widgets import ErrorLabel, Heading, muted
from shopdesk.ui.staff.sign_in import sign_in_or_say_why

ACTIVITY = frozenset({QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress,
                      QEvent.Type.MouseMove, QEvent.Type.Wheel, QEvent.Type.TouchBegin})


class LockScreen(QDialog):
    """Who unlocks, and their PIN. `staff` is set once someone signed in."""

    def __init__(self, shop: Shop, people: list[StaffInfo], current: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.shop = shop
        self.staff: StaffInfo | None = None
        self.setWindowTitle("Locked — shopdesk")
        self.setWindowModality(Qt.WindowModality.ApplicationModal)
        self.setMinimumWidth(380)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 22, 24, 20)
        layout.addWidget(Heading("The counter is locked", 17))
        layout.addWidget(muted("It locked itself after a while without use. Any staff "
                               "member may unlock it with their PIN; they then act in it."))
        form = QFormLayout()
        self.who = QComboBox()
        for person in people:
            self.who.addItem(f"{person.display_name} ({person.username})", person.username)
        self.who.setCurrentIndex(max(0, self.who.findData(current)))
        self.secret = QLineEdit()
        self.secret.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow("&Staff", self.who)
        form.addRow("PIN or password", self.secret)
        layout.addLayout(form)
        self.error = ErrorLabel()
        layout.addWidget(self.error)
        self.unlock_button = QPushButton("&Unlock")
        self.unlock_button.setProperty("primary", True)
        self.unlock_button.setDefault(True)
        self.unlock_button.clicked.connect(self.submit)
        layout.addWidget(self.unlock_button)
        self.secret.returnPressed.connect(self.submit)
        self.secret.setFocus()

    def reject(self) -> None:  # Esc does not get anyone past the lock
        self.secret.setFocus()

    def submit(self) -> None:
        self.staff = sign_in_or_say_why(self.shop, str(self.who.currentData()), self.secret,
                                        self.error)
        if self.staff is not None:
            self.accept()


class IdleLock(QObject):
    """Watches the application's input; locks `window` when idle. GUI thread only.

    Signals: `locked()` when the lock screen shows, `unlocked(StaffInfo)` after.
    """

    locked = Signal()
    unlocked = Signal(object)

    def __init__(self, shop: Shop, window: QMainWindow, minutes: int) -> None:
        super().__init__(window)
        self.shop, self.window = shop, window
        self.screen: LockScreen | None = None
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self.lock)
        self.set_minutes(minutes)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)

    @property
    def is_locked(self) -> bool:
        return self.screen is not None

    def set_minutes(self, minutes: int) -> None:
        self.minutes = max(0, minutes)
        if self.minutes and not self.is_locked:
            self.timer.start(self.minutes * 60_000)
        else:
            self.timer.stop()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in ACTIVITY and self.minutes and not self.is_locked:
            self.timer.start()  # restarts the countdown: cheap, even for mouse moves
        return False

    def stop(self) -> None:
        self.timer.stop()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)

    def lock(self) -> None:
        if self.is_locked or self.shop.actor is None:
            return
        self.timer.stop()  # (also when locked by hand, Ctrl+L)
        for widget in QApplication.topLevelWidgets():  # dialogs showing customer data
            if widget is not self.window and widget.isVisible() and isinstance(widget, QDialog):
                widget.close()
        central = self.window.centralWidget()
        if central is not None:
            central.hide()
        actor = self.shop.actor
        people = self.shop.staff.assignable()
        current = next((p.username for p in people if p.id == actor.staff_id), "")
        self.shop.access.record("lock", "session", "window", {"idle_minutes": self.minutes})
        self.screen = LockScreen(self.shop, people, current, self.window)
        self.screen.accepted.connect(self._unlocked)
        self.screen.open()
        self.locked.emit()

    def _unlocked(self) -> None:
        screen, self.screen = self.screen, None
        central = self.window.centralWidget()
        if central is not None:
            central.show()
        self.set_minutes(self.minutes)
        if screen is not None and screen.staff is not None:
            self.unlocked.emit(screen.staff)
