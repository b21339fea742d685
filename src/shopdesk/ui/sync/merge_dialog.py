"""The duplicate-merge screen: two customers side by side, a choice per differing value.

Buttons: "Keep left, merge right into it" (Alt+L), "Keep right, merge left into it"
(Alt+R), "Different people" (Alt+D), Cancel (Esc). Tab walks the choices; the
arrow keys flip a choice. A merge is `shop.sync.merge(survivor, loser, take)`,
where `take` lists the columns whose chosen value is the loser's; "Different
people" is `shop.sync.resolve(conflict, 'distinct')`. Both run on the
TaskManager's writer; only supervisors and up may do either (the others see why).

Thread rule: GUI thread only.
"""

from __future__ import annotations

from uuid import UUID

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from shopdesk.changes import Changes
from shopdesk.domain.permissions import Permission, allowed
from shopdesk.shop import Shop
from shopdesk.sync.merge_views import CHOICES, MergeSide, merge_sides
from shopdesk.ui.common import fmt
from shopdesk.ui.common.fmt import error_text
from shopdesk.ui.common.taskman import TaskManager
from shopdesk.ui.common.widgets import Badge, Card, ErrorLabel, Heading, muted

LABELS = {"address": "Address", "whatsapp": "WhatsApp"}
LEFT, RIGHT = 0, 1


def needs_supervisor(shop: Shop) -> str:
    """Why the signed-in staff member may not merge, or '' when they may."""
    actor = shop.actor
    if actor is not None and allowed(actor.role, Permission.MERGE_CUSTOMERS) and allowed(
            actor.role, Permission.RESOLVE_CONFLICTS):
        return ""
    who = f"you are signed in as {actor.role.label.lower()}" if actor else "nobody is signed in"
    return ("Only a supervisor, manager or owner can merge customers or mark them as "
            f"different people ({who}).")


def registered(side: MergeSide) -> str:
    where = f"counter {side.counter_tag}" + (" (this one)" if side.this_counter else "")
    by = f" by {side.registered_by}" if side.registered_by else ""
    return (f"{fmt.local_time(side.created_at)} · {where} · "
            f"{fmt.label_of('channel', side.channel)}{by}")


class MergeDialog(QDialog):
    """Compare and merge two customers, or mark them as different people.

    Signals: `loaded()` when both customers are shown; `merged(survivor UUID)`
    after a merge was saved; `resolved(conflict id)` after "Different people".
    """

    loaded = Signal()
    merged = Signal(object)
    resolved = Signal(str)

    def __init__(self, shop: Shop, ops: TaskManager, left: UUID, right: UUID,
                 conflict_id: str | None = None, region: str = "GB",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.shop, self.ops, self.region = shop, ops, region
        self.ids = (left, right)
        self.conflict_id = conflict_id
        self.sides: tuple[MergeSide, MergeSide] | None = None
        self.groups: dict[str, QButtonGroup] = {}
        self.setWindowTitle("Possible duplicate — shopdesk")
        self.setMinimumWidth(760)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 18, 20, 16)
        layout.setSpacing(10)
        layout.addWidget(Heading("Is this the same customer?", 18))
        layout.addWidget(muted(
            "The one you keep takes over the other's tickets, devices, service history and "
            "loyalty points; the other stays on file as a pointer to it. Where the two "
            "differ, pick the value to keep."))
        self.card = Card()
        self.grid = QGridLayout()
        self.grid.setHorizontalSpacing(16)
        self.grid.setVerticalSpacing(8)
        self.grid.setColumnStretch(1, 1)
        self.grid.setColumnStretch(2, 1)
        self.card.body.addLayout(self.grid)
        self.placeholder = muted("Loading the two customers…")
        self.card.body.addWidget(self.placeholder)
        layout.addWidget(self.card)
        self.why = muted("")
        self.why.setStyleSheet("color:#a3281c;")
        self.why.hide()
        layout.addWidget(self.why)
        self.error = ErrorLabel()
        layout.addWidget(self.error)
        buttons = QHBoxLayout()
        self.keep_left = QPushButton("Keep &left, merge right into it")
        self.keep_right = QPushButton("Keep &right, merge left into it")
        self.different = QPushButton("&Different people")
        self.cancel = QPushButton("Cancel")
        for button in (self.keep_left, self.keep_right, self.different):
            button.setEnabled(False)
            button.setAutoDefault(False)
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.cancel)
        layout.addLayout(buttons)
        self.keep_left.clicked.connect(lambda: self.merge(LEFT))
        self.keep_right.clicked.connect(lambda: self.merge(RIGHT))
        self.different.clicked.connect(self.mark_different)
        self.cancel.clicked.connect(self.reject)
        store = shop.store
        ops.query(self, lambda: merge_sides(store, left, right), self._render, self._failed)

    # -- showing -----------------------------------------------------------------
    def _failed(self, error: BaseException) -> None:
        self.placeholder.setText(f"The customers could not be loaded: {error_text(error)}")

    def _render(self, sides: tuple[MergeSide, MergeSide]) -> None:
        self.sides = sides
        self.placeholder.hide()
        grid = self.grid
        for column, (side, title) in enumerate(zip(sides, ("Left", "Right"), strict=True), 1):
            box = QWidget()
            head = QVBoxLayout(box)
            head.setContentsMargins(0, 0, 0, 6)
            head.setSpacing(4)
            head.addWidget(self._caption(title))
            name = QLabel(side.name)
            name.setStyleSheet("font-size:16px; font-weight:700;")
            head.addWidget(name)
            head.addWidget(Badge(side.code, "info"))
            grid.addWidget(box, 0, column)
        row = 1
        for key, _cols in CHOICES:
            values = [self._shown(s, key) for s in sides]
            if not any(values):
                continue
            grid.addWidget(self._caption(LABELS.get(key) or fmt.FIELD_LABELS.get(key, key)),
                           row, 0)
            if sides[0].choice(key) == sides[1].choice(key):
                for column, text in enumerate(values, 1):
                    grid.addWidget(self._value(text or fmt.DASH, same=True), row, column)
            else:
                group = QButtonGroup(self)
                for column, text in enumerate(values, 1):
                    radio = QRadioButton(text or "(empty)")
                    radio.setToolTip(f"Keep the {('left', 'right')[column - 1]} value")
                    group.addButton(radio, column - 1)
                    grid.addWidget(radio, row, column)
                # The value staff are likeliest to want: the left one, unless it is empty.
                group.button(LEFT if values[0] else RIGHT).setChecked(True)
                self.groups[key] = group
            row += 1
        facts = (("Registered", registered), ("Tickets", lambda s: str(s.tickets)),
                 ("Devices", lambda s: str(s.devices)),
                 ("Loyalty points", lambda s: str(s.loyalty_points)))
        for caption, show in facts:
            grid.addWidget(self._caption(caption), row, 0)
            for column, side in enumerate(sides, 1):
                grid.addWidget(self._value(show(side)), row, column)
            row += 1
        self._enable()
        # New children of a shown dialog show (and count in its size) only once
        # the event loop has run: grow to fit them then.
        QTimer.singleShot(0, self._grow)
        first = next(iter(self.groups.values()), None)
        checked = first.checkedButton() if first is not None else None
        (checked or self.keep_left).setFocus()

    def _shown(self, side: MergeSide, key: str) -> str:
        if key in ("phone", "whatsapp") and side.values.get(key):
            return fmt.phone(str(side.values[key]), self.region)
        return side.shown(key)

    def _grow(self) -> None:
        self.resize(self.sizeHint().expandedTo(self.size()))
        self.loaded.emit()

    @staticmethod
    def _caption(text: str) -> QLabel:
        label = QLabel(text)
        label.setStyleSheet("color:#6b7280;")
        return label

    @staticmethod
    def _value(text: str, same: bool = False) -> QLabel:
        label = QLabel(text)
        label.setWordWrap(True)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        if same:
            label.setStyleSheet("color:#4a5162;")
        return label

    def _enable(self) -> None:
        why = needs_supervisor(self.shop)
        merged = [s for s in self.sides or () if s.merged_into is not None]
        if merged and not why:
            why = f"{merged[0].code} was already merged into another customer."
        for button in (self.keep_left, self.keep_right):
            button.setEnabled(not why and self.sides is not None)
            button.setToolTip(why)
        self.different.setEnabled(not needs_supervisor(self.shop)
                                  and self.conflict_id is not None and self.sides is not None)
        self.different.setToolTip(needs_supervisor(self.shop) or (
            "" if self.conflict_id else "There is no open duplicate report for these two."))
        self.why.setText(why)
        self.why.setVisible(bool(why))

    # -- deciding ----------------------------------------------------------------
    def take(self, survivor: int) -> tuple[str, ...]:
        """The columns whose chosen value is the loser's (side `1 - survivor`)."""
        columns: list[str] = []
        for key, cols in CHOICES:
            group = self.groups.get(key)
            if group is not None and group.checkedId() == 1 - survivor:
                columns += cols
        return tuple(columns)

    def _busy(self, busy: bool) -> None:
        for button in (self.keep_left, self.keep_right, self.different):
            button.setEnabled(not busy)
        if not busy:
            self._enable()

    def merge(self, survivor: int) -> None:
        if self.sides is None or not self.keep_left.isEnabled():
            return
        keep, gone = self.ids[survivor], self.ids[1 - survivor]
        take, sync = self.take(survivor), self.shop.sync
        self.error.show_message("")
        self._busy(True)
        self.ops.write(self, lambda: sync.merge(keep, gone, take),
                       lambda _changes: self._done(lambda: self.merged.emit(keep)),
                       self._refused)

    def mark_different(self) -> None:
        conflict = self.conflict_id
        if conflict is None or not self.different.isEnabled():
            return
        sync = self.shop.sync
        self.error.show_message("")
        self._busy(True)
        self.ops.write(self, lambda: sync.resolve(conflict, "distinct"),
                       lambda _c: self._done(lambda: self.resolved.emit(conflict)),
                       self._refused, changes=Changes(customers=frozenset(self.ids)))

    def _done(self, announce: object) -> None:
        self.accept()
        if callable(announce):
            announce()

    def _refused(self, error: BaseException) -> None:
        self._busy(False)
        self.error.show_message(f"Not saved: {error_text(error)}")
