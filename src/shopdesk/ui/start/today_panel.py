"""Today's work, shown under the search box while it is empty.

Four cards side by side in two rows, each with its exact count: tickets ready
for pickup, overdue (past the day promised), awaiting the customer's approval,
awaiting parts. Each card lists its first tickets, longest waiting first; when
there are more, a last line says how many and that the ticket board (Ctrl+B)
lists them all. The panel never takes the focus from the search box: the page
passes Up/Down (the next ticket, on into the next card), PageUp/PageDown (the
previous or next card) to `step` and asks `current_ticket` on Enter. In a list
itself, Enter or a double click opens a ticket.

Thread rule: GUI thread only; the page loads `shop.work.today()` on the read
pool and hands the groups to `show_groups`.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from shopdesk.services.start.worklist import WorkGroup, WorkItem
from shopdesk.ui.common import fmt
from shopdesk.ui.common.widgets import ID_ROLE

GROUPS = (("ready", "Ready for pickup"), ("overdue", "Overdue"),
          ("awaiting_approval", "Awaiting approval"), ("awaiting_parts", "Awaiting parts"))
# Per group: (tint of the card's head, colour of its count and title).
TONES = {"ready": ("#e3f4e8", "#17663a"), "overdue": ("#fdecea", "#a3281c"),
         "awaiting_approval": ("#fff4e0", "#8a5300"), "awaiting_parts": ("#e8f0fc", "#1f4f99")}
WHEN = {"ready": "Ready since", "overdue": "Promised", "awaiting_approval": "Waiting since",
        "awaiting_parts": "Waiting since"}
EMPTY = {"ready": "Nothing is waiting for pickup.", "overdue": "Nothing is overdue.",
         "awaiting_approval": "No estimate is waiting for approval.",
         "awaiting_parts": "No repair is waiting for parts."}
OVERDUE_COLOUR = "#a3281c"


def _short_day(value: date) -> str:
    return value.strftime("%d %b")


class WorkCard(QFrame):
    """One group: its count and title on a tinted head, its tickets below.

    Thread rule: GUI thread only.
    """

    def __init__(self, key: str, title: str, region: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.key, self.title, self.region = key, title, region
        self.count = 0
        background, colour = TONES[key]
        self.setObjectName("card")
        head = QFrame()
        head.setObjectName("workHead")
        head.setStyleSheet(f"QFrame#workHead {{ background:{background}; border-radius:7px; }}")
        self.number = QLabel("…")
        self.number.setStyleSheet(f"font-size:22px; font-weight:700; color:{colour};")
        self.caption = QLabel(title)
        self.caption.setStyleSheet(f"font-size:14px; font-weight:600; color:{colour};")
        row = QHBoxLayout(head)
        row.setContentsMargins(12, 4, 12, 4)
        row.setSpacing(10)
        row.addWidget(self.number)
        row.addWidget(self.caption, 1)
        self.tree = QTreeWidget()
        self.tree.setObjectName(f"work_{key}")
        self.tree.setHeaderLabels(["Ticket", "Customer", "Device", WHEN[key]])
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        self.tree.setAllColumnsShowFocus(True)
        self.tree.setFocusPolicy(Qt.FocusPolicy.ClickFocus)  # Tab stays on the box
        self.tree.setStyleSheet("QTreeWidget { border:none; }")
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.empty = QLabel(EMPTY[key])
        self.empty.setStyleSheet("color:#6b7280;")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(4)
        layout.addWidget(head)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.empty, 1)

    def show_group(self, group: WorkGroup | None) -> None:
        self.tree.clear()
        self.count = group.count if group else 0
        self.number.setText(f"{self.count:,}")
        for work in group.items if group else ():
            self._add(work)
        hidden = self.count - (len(group.items) if group else 0)
        if hidden > 0:
            more = QTreeWidgetItem(self.tree, [
                f"… and {hidden:,} more: the ticket board (Ctrl+B) lists them all"])
            more.setFirstColumnSpanned(True)
            more.setFlags(Qt.ItemFlag.ItemIsEnabled)
            more.setForeground(0, QBrush(QColor("#6b7280")))
        self.tree.setVisible(self.count > 0)
        self.empty.setVisible(self.count == 0)

    def _add(self, work: WorkItem) -> None:
        if self.key == "overdue":
            when = f"{_short_day(work.promised_by)} · {fmt.label('status', work.status)}"
        else:
            when = _short_day(work.since.astimezone().date())
            if work.overdue:
                when += " · overdue"
        item = QTreeWidgetItem(self.tree, [work.number, work.customer_name,
                                           work.devices or fmt.DASH, when])
        item.setData(0, ID_ROLE, work.ticket_id)
        item.setToolTip(2, work.devices)
        item.setToolTip(1, f"{work.customer_name} · {work.customer_code} · "
                           f"{fmt.phone(work.customer_phone, self.region)}")
        item.setToolTip(3, f"Promised for {fmt.day(work.promised_by)}; technician: "
                           f"{work.technician or 'not assigned'}")
        if work.overdue:
            item.setForeground(3, QBrush(QColor(OVERDUE_COLOUR)))

    def rows(self) -> list[QTreeWidgetItem]:
        """The ticket rows, top to bottom (not the 'more' line)."""
        items = (self.tree.topLevelItem(i) for i in range(self.tree.topLevelItemCount()))
        return [item for item in items
                if item is not None and item.data(0, ID_ROLE) is not None]


class TodayPanel(QWidget):
    """Today's work in four cards; one ticket at a time is current. GUI thread only.

    Signals: `open_ticket(UUID)` when staff open a ticket from a list itself.
    """

    open_ticket = Signal(object)

    def __init__(self, region: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.cards = {key: WorkCard(key, title, region) for key, title in GROUPS}
        self.groups: list[WorkGroup] = []
        self._current: tuple[WorkCard, QTreeWidgetItem] | None = None
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(10)
        for n, card in enumerate(self.cards.values()):
            grid.addWidget(card, n // 2, n % 2)
            card.tree.itemActivated.connect(self._activated)
            card.tree.itemClicked.connect(
                lambda item, _column, c=card: self._set_current(c, item))

    # -- showing -------------------------------------------------------------------
    def show_groups(self, groups: list[WorkGroup]) -> None:
        """Replace the lists; the current ticket stays current if it is still listed."""
        keep = self._current[0].key if self._current else None, self.current_ticket()
        self.groups = groups
        by_key = {g.key: g for g in groups}
        for key, card in self.cards.items():
            card.show_group(by_key.get(key))
        self._current = None
        rows = self._rows()
        again = next(((c, r) for c, r in rows if (c.key, r.data(0, ID_ROLE)) == keep), None) \
            or next(((c, r) for c, r in rows if r.data(0, ID_ROLE) == keep[1]), None)
        if again or rows:
            self._set_current(*(again or rows[0]))

    def count(self, key: str) -> int:
        return self.cards[key].count

    # -- the current ticket ----------------------------------------------------------
    def _rows(self) -> list[tuple[WorkCard, QTreeWidgetItem]]:
        return [(card, row) for card in self.cards.values() for row in card.rows()]

    def _set_current(self, card: WorkCard, item: QTreeWidgetItem) -> None:
        if item.data(0, ID_ROLE) is None:
            return  # the 'more' line
        for other in self.cards.values():
            if other is not card:
                other.tree.clearSelection()
                other.tree.setCurrentIndex(QModelIndex())
        card.tree.setCurrentItem(item)
        card.tree.scrollToItem(item)
        self._current = (card, item)

    def step(self, key: int) -> None:
        """From the search box: Up/Down the previous or next ticket (on into the next
        card), PageUp/PageDown the first ticket of the previous or next card."""
        rows = self._rows()
        if not rows:
            return
        at = next((n for n, (c, r) in enumerate(rows)
                   if self._current and (c, r) == self._current), -1)
        if key in (Qt.Key.Key_Up, Qt.Key.Key_Down):
            step = -1 if key == Qt.Key.Key_Up else 1
            self._set_current(*rows[max(0, min(len(rows) - 1, at + step))])
            return
        cards = [c for c in self.cards.values() if c.rows()]
        here = cards.index(self._current[0]) if self._current else -1
        step = -1 if key == Qt.Key.Key_PageUp else 1
        card = cards[max(0, min(len(cards) - 1, here + step))]
        self._set_current(card, card.rows()[0])

    def current_ticket(self) -> UUID | None:
        return self._current[1].data(0, ID_ROLE) if self._current else None

    def current_group(self) -> str | None:
        return self._current[0].key if self._current else None

    def ticket_ids(self, key: str | None = None) -> list[UUID]:
        return [row.data(0, ID_ROLE) for card, row in self._rows()
                if key is None or card.key == key]

    def _activated(self, item: QTreeWidgetItem, _column: int) -> None:
        ticket_id = item.data(0, ID_ROLE)
        if ticket_id is not None:
            self.open_ticket.emit(ticket_id)
