"""The main window's sync pieces in one place: the bridge to the sync thread, the
status bar corner, the menu actions, the sync panel and the merge screen.

Keyboard: Ctrl+Shift+Y opens the sync panel (pressed again in it: Sync now);
F9 is Sync now anywhere in the window.

Thread rule: GUI thread only.
"""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu

from shopdesk.shop import Shop
from shopdesk.ui.common.taskman import TaskManager
from shopdesk.ui.sync.merge_dialog import MergeDialog
from shopdesk.ui.sync.sync_bridge import SyncBridge
from shopdesk.ui.sync.sync_panel import SyncPanel
from shopdesk.ui.sync.sync_status import SyncStatusWidget


class SyncControls(QObject):
    """Creates and owns the window's sync widgets. GUI thread only.

    `start()` once the window shows (the sync thread starts if this counter
    joined a store); `stop()` when it closes (joins the sync thread).
    """

    def __init__(self, shop: Shop, ops: TaskManager, window: QMainWindow, menu: QMenu,
                 region: str, before: QAction | None = None) -> None:
        super().__init__(window)
        self.shop, self.ops, self.window, self.region = shop, ops, window, region
        self.bridge = SyncBridge(shop, ops, self)
        self.status = SyncStatusWidget(ops, self.bridge)
        self.status.clicked.connect(self.open_panel)
        window.statusBar().addPermanentWidget(self.status)
        self.panel: SyncPanel | None = None
        self.merge_dialog: MergeDialog | None = None
        self.panel_action = QAction("S&ync…", window)
        self.panel_action.setShortcut(QKeySequence("Ctrl+Shift+Y"))
        self.panel_action.triggered.connect(self.open_panel)
        self.sync_now_action = QAction("Sync &now", window)
        self.sync_now_action.setShortcut(QKeySequence("F9"))
        self.sync_now_action.triggered.connect(self.sync_now)
        if before is None:
            menu.addActions([self.panel_action, self.sync_now_action])
        else:  # above "Sign out", in a group of their own
            menu.insertActions(before, [self.panel_action, self.sync_now_action])
            menu.insertSeparator(before)
        window.addAction(self.panel_action)
        window.addAction(self.sync_now_action)

    def start(self) -> None:
        self.bridge.start()

    def stop(self) -> None:
        self.bridge.stop()

    def sync_now(self) -> None:
        self.bridge.sync_now()

    def open_panel(self) -> SyncPanel:
        """Show the sync panel (made once, then reloaded and raised)."""
        if self.panel is None:
            self.panel = SyncPanel(self.shop, self.ops, self.bridge,
                                   lambda a, b, c: self.open_merge(a, b, c), self.region,
                                   self.window)
        self.panel.show()
        self.panel.raise_()
        self.panel.activateWindow()
        self.panel.reload()
        return self.panel

    def open_merge(self, left: UUID, right: UUID, conflict_id: str | None = None,
                   then: Callable[[UUID], None] | None = None) -> MergeDialog:
        """The merge screen for two customers; `then(survivor)` after a merge."""
        if self.merge_dialog is not None:
            self.merge_dialog.close()
        parent = self.panel if self.panel is not None and self.panel.isVisible() \
            else self.window
        dialog = MergeDialog(self.shop, self.ops, left, right, conflict_id, self.region,
                             parent)
        dialog.resolved.connect(lambda _c: self.bridge.nudge())
        if then is not None:
            dialog.merged.connect(then)
        self.merge_dialog = dialog
        dialog.open()
        return dialog
