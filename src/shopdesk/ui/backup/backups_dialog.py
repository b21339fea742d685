"""Shop → Backups…: where backups go, the list of them, Back up now, the recovery key.

Restoring is done from the command line (`shopdesk restore`), with the window
closed; this dialog says so. The recovery key is shown to managers and owners only,
and showing it is recorded in the audit trail.

Thread rule: GUI thread only; the list and the key are read on the read pool.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from shopdesk.domain.permissions import Permission, allowed
from shopdesk.services.backup.parts import BackupInfo
from shopdesk.shop import Shop
from shopdesk.ui.common.style import STYLE
from shopdesk.ui.common.taskman import TaskManager
from shopdesk.ui.common.widgets import muted, tree

STATE = {True: "Verified", False: "Failed check", None: "Not checked here"}


def _size(size: int) -> str:
    return f"{size / 2**20:.1f} MB" if size >= 2**20 else f"{max(1, size // 1024)} KB"


class BackupsDialog(QDialog):
    """The list of backups in the backup folder, newest first (module docstring)."""

    def __init__(self, shop: Shop, ops: TaskManager, back_up_now: Callable[[], None],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.shop, self.ops = shop, ops
        self.setWindowTitle("Backups")
        self.setStyleSheet(STYLE)
        self.resize(760, 420)
        layout = QVBoxLayout(self)
        self.folder = QLabel()
        self.folder.setWordWrap(True)
        layout.addWidget(self.folder)
        self.rows = tree(["Taken", "Counter", "Why", "Size", "Check", "Kept as"],
                         [140, 80, 110, 80, 120])
        layout.addWidget(self.rows, 1)
        layout.addWidget(muted("A backup is taken once a day while the window is open; "
                               "daily ones are kept a week, weekly ones five weeks, monthly "
                               "ones a year. To restore, close shopdesk and run "
                               "`shopdesk restore BACKUP` (or `shopdesk restore customer "
                               "CODE --from BACKUP`)."))
        self.key = QLabel()
        self.key.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.key)
        buttons = QHBoxLayout()
        self.now_button = QPushButton("Back up now")
        self.now_button.clicked.connect(back_up_now)
        self.key_button = QPushButton("Show recovery key")
        self.key_button.clicked.connect(self.show_key)
        actor = shop.actor
        self.key_button.setVisible(actor is not None
                                   and allowed(actor.role, Permission.RESTORE_BACKUPS))
        close = QPushButton("Close")
        close.clicked.connect(self.close)
        buttons.addWidget(self.now_button)
        buttons.addWidget(self.key_button)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout.addLayout(buttons)

    def reload(self) -> None:
        backups = self.shop.backups
        self.folder.setText(f"Backups go to <b>{backups.folder()}</b> (setting backup.folder: "
                            "a USB disk, a network share or a cloud-synced folder)")
        self.ops.query(self, backups.available, self._fill, lambda _e: None)

    def _fill(self, found: list[BackupInfo]) -> None:
        self.rows.clear()
        for info in found:
            kept = ", ".join(r for r in ("daily", "weekly", "monthly") if r in info.roles)
            item = QTreeWidgetItem([f"{info.created_at.astimezone():%Y-%m-%d %H:%M}",
                                    info.node, info.reason, _size(info.size),
                                    STATE[info.verified], kept or "—"])
            item.setToolTip(4, info.problem or STATE[info.verified])
            item.setToolTip(0, info.name)
            self.rows.addTopLevelItem(item)

    def show_key(self) -> None:
        # A write: showing the key is recorded in the audit trail.
        self.ops.write(self, self.shop.backups.recovery_key, self._show_key)

    def _show_key(self, code: str) -> None:
        self.key.setText(f"Recovery key: <b><tt>{code}</tt></b><br>Write it down and keep it "
                         "away from this computer: it opens every backup of this shop.")
