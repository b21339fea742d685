"""The profile's sync banner: "Possible duplicate of K7QX-0042 Ann Nowak – Review",
or, on a customer merged away, "Merged into K7QX-0042 Ann Nowak – Open".

`load(customer_id)` reads `merge_views.profile_notes` on the read pool; the
banner hides itself when there is nothing to say.

Thread rule: GUI thread only.
"""

from __future__ import annotations

from uuid import UUID

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from shopdesk.shop import Shop
from shopdesk.sync.merge_views import ProfileNotes, profile_notes
from shopdesk.ui.common.taskman import TaskManager

MAX_SHOWN = 3


class SyncBanner(QFrame):
    """Possible duplicates and merge redirect of the customer on screen.

    Signals: `review(customer UUID, other UUID, conflict id)`, `open_customer(UUID)`,
    `loaded(ProfileNotes)` after each load.
    """

    review = Signal(object, object, str)
    open_customer = Signal(object)
    loaded = Signal(object)

    def __init__(self, shop: Shop, ops: TaskManager, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.shop, self.ops = shop, ops
        self.customer_id: UUID | None = None
        self.notes: ProfileNotes | None = None
        self.setObjectName("syncBanner")
        self.setStyleSheet("QFrame#syncBanner { background:#fff4e5; border:1px solid #f3c98b;"
                           " border-radius:8px; }")
        self.rows = QVBoxLayout(self)
        self.rows.setContentsMargins(14, 8, 10, 8)
        self.rows.setSpacing(4)
        self.labels: list[QLabel] = []
        self.buttons: list[QPushButton] = []
        self._lines: list[QWidget] = []
        self.hide()

    def load(self, customer_id: UUID) -> None:
        self.customer_id = customer_id
        store, sync = self.shop.store, self.shop.sync
        self.ops.query(self, lambda: profile_notes(store, sync, customer_id),
                       lambda notes: self._show(customer_id, notes), lambda _e: self.hide())

    def _show(self, customer_id: UUID, notes: ProfileNotes) -> None:
        if customer_id != self.customer_id:
            return
        self.notes = notes
        for old in self._lines:
            self.rows.removeWidget(old)
            old.deleteLater()
        self._lines, self.labels, self.buttons = [], [], []
        if notes.merged_into is not None:
            target, label = notes.merged_into
            self._row(f"Merged into {label}", "Open",
                      lambda _c=False, t=target: self.open_customer.emit(t))
        else:
            for conflict_id, other, label in notes.duplicates[:MAX_SHOWN]:
                self._row(f"Possible duplicate of {label}", "Review…",
                          lambda _c=False, o=other, c=conflict_id:
                          self.review.emit(customer_id, o, c))
        self.setVisible(bool(self.labels))
        self.loaded.emit(notes)

    def _row(self, text: str, action: str, slot: object) -> None:
        line = QWidget()
        row = QHBoxLayout(line)
        row.setContentsMargins(0, 0, 0, 0)
        label = QLabel(f"⚠  {text}")
        label.setStyleSheet("color:#7a4a00; font-weight:600; background:transparent;")
        button = QPushButton(action)
        button.clicked.connect(slot)
        row.addWidget(label, 1)
        row.addWidget(button)
        self.rows.addWidget(line)
        self._lines.append(line)
        self.labels.append(label)
        self.buttons.append(button)
