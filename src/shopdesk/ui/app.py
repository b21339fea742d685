"""Starting the application: open the shop, first-start owner, sign in, main window.

`run_gui` is what `shopdesk` (no verb) runs; `build_main_window` is the same
window for tests and benchmarks, built on an already signed-in Shop.
"""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QApplication, QDialog, QMessageBox

from shopdesk.shop import Shop
from shopdesk.ui.common.gc import GarbageCollector
from shopdesk.ui.common.style import STYLE
from shopdesk.ui.common.taskman import TaskManager
from shopdesk.ui.main_window import MainWindow
from shopdesk.ui.staff.sign_in import OwnerSetupDialog, SignInDialog

# The one collector, held here for the life of the process (see common/gc.py).
_collector: GarbageCollector | None = None


def application() -> QApplication:
    """The QApplication (created once)."""
    global _collector
    app = QApplication.instance()
    if app is None:
        app = QApplication(sys.argv[:1])
        app.setApplicationName("shopdesk")
        app.setStyle("Fusion")
        _collector = GarbageCollector(app)
    if not isinstance(app, QApplication):  # a QCoreApplication cannot show widgets
        raise RuntimeError("a Qt application without widgets is already running")
    return app


def build_main_window(shop: Shop, ops: TaskManager | None = None) -> MainWindow:
    """The main window for a signed-in `shop`; it emits `ready` once results show."""
    return MainWindow(shop, ops)


def sign_in(shop: Shop) -> bool:
    """First-start owner setup when needed, then the sign-in dialog."""
    username = ""
    if shop.needs_owner():
        setup = OwnerSetupDialog(shop)
        setup.setStyleSheet(STYLE)
        if setup.exec() != QDialog.DialogCode.Accepted or setup.owner is None:
            return False
        username = setup.owner.username
    dialog = SignInDialog(shop)
    dialog.setStyleSheet(STYLE)
    if username:
        dialog.username.setText(username)
        dialog.secret.setFocus()
    return dialog.exec() == QDialog.DialogCode.Accepted


def run_gui(data_dir: str | None) -> int:
    """Run the counter application until its window closes; returns the exit code."""
    app = application()
    try:
        shop = Shop.open(data_dir)
    except Exception as exc:
        QMessageBox.critical(None, "shopdesk",
                             f"The shop data could not be opened:\n\n{exc}\n\n"
                             f"Data directory: {data_dir or 'the default location'}")
        return 1
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
