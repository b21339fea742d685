"""Starting the application: open the shop, first-start owner, sign in, main window.

`run_gui` is what `shopdesk` (no verb) runs; `build_main_window` is the same
window for tests and benchmarks, built on an already signed-in Shop;
`smoke_test` is `shopdesk --smoke-test`: a start up to the first dialog, timed.
"""

from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QEvent, QEventLoop, QObject, QTimer
from PySide6.QtGui import QIcon, QImage
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox

from shopdesk import paths
from shopdesk.shop import Shop
from shopdesk.ui.common.gc import GarbageCollector
from shopdesk.ui.common.passphrase import open_shop
from shopdesk.ui.common.style import STYLE
from shopdesk.ui.common.taskman import TaskManager
from shopdesk.ui.main_window import MainWindow
from shopdesk.ui.staff.sign_in import OwnerSetupDialog, SignInDialog

# The one collector, held here for the life of the process (see common/gc.py).
_collector: GarbageCollector | None = None

# `--smoke-test` saves the dialog it showed to this PNG file when the variable is set.
SCREENSHOT_ENV = "SHOPDESK_SMOKE_SCREENSHOT"


def application() -> QApplication:
    """The QApplication (created once)."""
    global _collector
    app = QApplication.instance()
    if app is None:
        app = QApplication(sys.argv[:1])
        app.setApplicationName("shopdesk")
        app.setStyle("Fusion")
        app.setWindowIcon(QIcon(str(_icon_path())))
        _collector = GarbageCollector(app)
    if not isinstance(app, QApplication):  # a QCoreApplication cannot show widgets
        raise RuntimeError("a Qt application without widgets is already running")
    return app


def build_main_window(shop: Shop, ops: TaskManager | None = None) -> MainWindow:
    """The main window for a signed-in `shop`; it emits `ready` once results show."""
    return MainWindow(shop, ops)


def _icon_path() -> Path:
    return paths.resources_dir() / "icons" / "shopdesk.png"


def first_dialog(shop: Shop) -> OwnerSetupDialog | SignInDialog:
    """The dialog a start shows first: owner setup on a new shop, else sign-in."""
    dialog = OwnerSetupDialog(shop) if shop.needs_owner() else SignInDialog(shop)
    dialog.setStyleSheet(STYLE)
    return dialog


def sign_in(shop: Shop) -> bool:
    """First-start owner setup when needed, then the sign-in dialog."""
    dialog = first_dialog(shop)
    if isinstance(dialog, OwnerSetupDialog):
        if dialog.exec() != QDialog.DialogCode.Accepted or dialog.owner is None:
            return False
        username = dialog.owner.username
        dialog = first_dialog(shop)
        assert isinstance(dialog, SignInDialog)
        dialog.username.setText(username)
        dialog.secret.setFocus()
    return dialog.exec() == QDialog.DialogCode.Accepted


def run_gui(data_dir: str | None) -> int:
    """Run the counter application until its window closes; returns the exit code."""
    app = application()
    try:
        opened = open_shop(data_dir)  # asks for the passphrase where there is no keyring
    except Exception as exc:
        QMessageBox.critical(None, "shopdesk",
                             f"The shop data could not be opened:\n\n{exc}\n\n"
                             f"Data directory: {data_dir or 'the default location'}")
        return 1
    if opened is None:
        return 0
    shop = opened
    try:
        while True:
            if not sign_in(shop):
                return 0
            window = build_main_window(shop)
            app.aboutToQuit.connect(window.shutdown)
            window.show()
            code = app.exec()
            window.shutdown()
            if shop.actor is not None:  # closed, not signed out
                return code
            window.deleteLater()
    finally:
        shop.close()


class _FirstPaint(QObject):
    """Quits `loop` at the watched widget's first paint: the moment it is on screen."""

    def __init__(self, loop: QEventLoop) -> None:
        super().__init__()
        self.loop = loop
        self.painted = False

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and not self.painted:
            self.painted = True
            QTimer.singleShot(0, self.loop.quit)
        return False


def _missing_ui_resources() -> list[str]:
    """Files the window loads by path that are absent or unreadable (image plugins too)."""
    missing = []
    for url in re.findall(r"url\(([^)]+)\)", STYLE):
        if QImage(url).isNull():
            missing.append(f"style sheet image {url}")
    icon = _icon_path()
    if QImage(str(icon)).isNull():
        missing.append(f"window icon {icon}")
    return missing


def smoke_test(data_dir: str | None, started: float, timeout: float = 60.0) -> int:
    """Start as `run_gui` does until the first dialog is painted, print how long
    that took since `started` (a `time.perf_counter()` value), close, return 0.

    Any failure (the data cannot be opened, a resource the window loads is
    missing, an exception raised while showing the dialog, nothing painted within
    `timeout` seconds) prints ``smoke-test: failed: <reason>`` on stderr and
    returns 1. For installers and CI: proves a frozen or installed copy starts.
    GUI thread only.
    """
    application()  # the QApplication, as run_gui makes it
    errors: list[str] = []
    previous_hook = sys.excepthook

    def record(kind: type[BaseException], error: BaseException,
               tb: TracebackType | None) -> None:
        errors.append(f"{kind.__name__}: {error}")
        previous_hook(kind, error, tb)

    sys.excepthook = record
    try:
        try:
            shop = Shop.open(data_dir)
        except Exception as exc:
            return _smoke_failed(f"the shop data could not be opened: {exc}")
        try:
            missing = _missing_ui_resources()
            if missing:
                return _smoke_failed("missing resource: " + "; ".join(missing))
            dialog = first_dialog(shop)
            what = "owner setup" if isinstance(dialog, OwnerSetupDialog) else "sign-in"
            loop = QEventLoop()
            watcher = _FirstPaint(loop)
            dialog.installEventFilter(watcher)
            QTimer.singleShot(int(timeout * 1000), loop.quit)
            dialog.show()
            loop.exec()
            elapsed = time.perf_counter() - started
            screenshot = os.environ.get(SCREENSHOT_ENV)
            if screenshot and watcher.painted:  # to look at what a frozen build draws
                dialog.grab().save(screenshot)
            dialog.close()
            if errors:
                return _smoke_failed(f"error while showing the {what} dialog: {errors[0]}")
            if not watcher.painted:
                return _smoke_failed(f"the {what} dialog was not shown within {timeout:g} s")
            print(f"smoke-test: {what} shown after {elapsed:.2f} s", flush=True)
            return 0
        finally:
            shop.close()
    finally:
        sys.excepthook = previous_hook


def _smoke_failed(reason: str) -> int:
    print(f"smoke-test: failed: {reason}", file=sys.stderr, flush=True)
    return 1
