"""The ticket board's model: one group per status, its tickets fetched a page at a time.

Every status shown is a top-level row with its full count and how many are past
their promised day (`tickets.board_groups`, never capped); its tickets are
children, read 50 at a time (`tickets.board_page`) when the board asks
(`can_fetch_more`/`fetch_more`: the group's last row read comes into view, or the
arrow keys reach it). Not Qt's own canFetchMore: a QTreeView calls fetchMore
for every expanded parent each time it lays out, so it would read all 400,000
tickets of a large shop in a cascade. Reads run on the read pool; pages of an
older refresh are dropped.

Thread rule: GUI thread only (a Qt model).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from PySide6.QtCore import (
    QAbstractItemModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import QWidget

from shopdesk.domain.tickets import TicketStatus
from shopdesk.services.repairs.repair_views import BoardGroup, TicketSummary
from shopdesk.shop import Shop
from shopdesk.ui.common import fmt
from shopdesk.ui.common.fmt import label, money
from shopdesk.ui.common.taskman import TaskManager

COLUMNS = ("Ticket", "Customer", "Devices", "Technician", "Estimate", "Age", "Promised by",
           "Updated")
PAGE = 50
MAX_FIRST_PAGE = 500  # a refresh reloads what was shown, up to this many per status
ID_ROLE = Qt.ItemDataRole.UserRole + 1
LATE = QColor("#a3281c")
MUTED = QColor("#6b7280")
AnyIndex = QModelIndex | QPersistentModelIndex


@dataclass
class _Group:
    info: BoardGroup
    rows: list[TicketSummary] = field(default_factory=list)
    pending: bool = False


def days_text(days: int) -> str:
    return f"{days} day{'s' if days != 1 else ''}"


class BoardModel(QAbstractItemModel):
    """Status groups and their tickets. GUI thread only.

    Signals: `loaded(total)` when a refresh has its counts and first pages;
    `page_loaded()` after each further page.
    """

    loaded = Signal(int)
    page_loaded = Signal()

    def __init__(self, shop: Shop, ops: TaskManager, owner: QWidget) -> None:
        super().__init__(owner)
        self.shop, self.ops, self.owner = shop, ops, owner
        self.groups: list[_Group] = []
        self.generation = 0
        self.loading = False
        self.today = shop.store.clock().astimezone().date()
        self._filters: dict[str, Any] = {}

    # -- loading -------------------------------------------------------------------
    def refresh(self, statuses: tuple[str, ...], technician_id: UUID | None,
                unassigned: bool) -> None:
        """Counts for `statuses` and each one's first page (as many as shown before)."""
        self.generation += 1
        self.loading = True
        shown = max((len(g.rows) for g in self.groups), default=0)
        first = min(MAX_FIRST_PAGE, max(PAGE, shown))
        generation, tickets = self.generation, self.shop.tickets
        self._filters = {"technician_id": technician_id, "unassigned": unassigned}
        self.ops.query(self.owner, lambda: tickets.board_overview(
            statuses, technician_id, unassigned, first),
                       lambda found: self._counted(generation, found),
                       lambda _error: self._failed(generation))

    def _failed(self, generation: int) -> None:
        if generation == self.generation:
            self.loading = False
            self.loaded.emit(-1)

    def _counted(self, generation: int,
                 found: list[tuple[BoardGroup, list[TicketSummary]]]) -> None:
        if generation != self.generation:
            return
        self.today = self.shop.store.clock().astimezone().date()
        self.beginResetModel()
        self.groups = [_Group(info, list(rows)) for info, rows in found]
        self.endResetModel()
        self.loading = False
        self.loaded.emit(self.total)

    def _fetch(self, group: int, size: int) -> None:
        g = self.groups[group]
        if g.pending or len(g.rows) >= g.info.count:
            return
        g.pending = True
        generation, tickets = self.generation, self.shop.tickets
        status, offset = g.info.status, len(g.rows)
        filters = dict(self._filters)
        self.ops.query(self.owner, lambda: tickets.board_page(status, offset, size, **filters),
                       lambda rows: self._arrived(generation, group, offset, rows),
                       lambda _error: self._failed(generation))

    def _arrived(self, generation: int, group: int, offset: int,
                 rows: list[TicketSummary]) -> None:
        if generation != self.generation or group >= len(self.groups):
            return
        g = self.groups[group]
        g.pending = False
        if rows and offset == len(g.rows):
            parent = self.index(group, 0)
            self.beginInsertRows(parent, offset, offset + len(rows) - 1)
            g.rows.extend(rows)
            self.endInsertRows()
        self.page_loaded.emit()

    # -- the next page, when the board asks for it ---------------------------------------
    def can_fetch_more(self, parent: AnyIndex) -> bool:
        """`parent` is a group with tickets not read yet (and none being read)."""
        group = self._group_of(parent)
        if group is None or parent.internalId() != 0:
            return False
        g = self.groups[group]
        return not g.pending and len(g.rows) < g.info.count

    def fetch_more(self, parent: AnyIndex) -> None:
        """Read the group's next page (it arrives later; `page_loaded` then)."""
        group = self._group_of(parent)
        if group is not None and parent.internalId() == 0:
            self._fetch(group, PAGE)

    # -- what the view asks -------------------------------------------------------------

    def hasChildren(self, parent: AnyIndex = QModelIndex()) -> bool:  # noqa: B008
        if not parent.isValid():
            return bool(self.groups)
        return parent.internalId() == 0 and self.groups[parent.row()].info.count > 0

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        if not parent.isValid():
            return len(self.groups)
        if parent.internalId() == 0 and parent.column() == 0:
            return len(self.groups[parent.row()].rows)
        return 0

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return len(COLUMNS)

    def index(self, row: int, column: int,
              parent: AnyIndex = QModelIndex()) -> QModelIndex:  # noqa: B008
        if not parent.isValid():
            if 0 <= row < len(self.groups) and 0 <= column < len(COLUMNS):
                return self.createIndex(row, column, 0)
            return QModelIndex()
        if parent.internalId() != 0 or not 0 <= row < len(self.groups[parent.row()].rows):
            return QModelIndex()
        return self.createIndex(row, column, parent.row() + 1)

    def parent(self, child: AnyIndex = QModelIndex()) -> QModelIndex:  # type: ignore[override]  # noqa: B008
        if not child.isValid() or child.internalId() == 0:
            return QModelIndex()
        return self.createIndex(child.internalId() - 1, 0, 0)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        if index.internalId() == 0:
            return self._group_data(self.groups[index.row()], index.column(), role)
        ticket = self.ticket(index)
        return None if ticket is None else self._ticket_data(ticket, index.column(), role)

    def _group_data(self, g: _Group, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and column == 0:
            late = f" · {g.info.overdue} overdue" if g.info.overdue else ""
            return f"{label('status', g.info.status)} · {g.info.count:,}{late}"
        if role == Qt.ItemDataRole.FontRole:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ForegroundRole and g.info.overdue and column == 0:
            return QBrush(LATE)
        return None

    def _ticket_data(self, t: TicketSummary, column: int, role: int) -> Any:
        overdue = t.overdue(self.today)
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(t, column, overdue)
        if role == ID_ROLE:
            return t.id
        if role == Qt.ItemDataRole.ForegroundRole:
            if column == 6 and overdue:
                return QBrush(LATE)
            if column == 3 and t.technician_name is None:
                return QBrush(MUTED)
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (4, 5):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole and t.warranty_rework:
            return "Warranty rework: the device came back within the shop's warranty"
        return None

    def _text(self, t: TicketSummary, column: int, overdue: bool) -> str:
        if column == 0:
            return t.number + ("  ⟲ rework" if t.warranty_rework else "")
        if column == 1:
            return t.customer_name + ("  ★" if t.priority else "")  # a priority tier
        if column == 2:
            return t.devices
        if column == 3:
            return t.technician_name or "Unassigned"
        if column == 4:
            return money(t.estimate)
        if column == 5:
            return days_text((self.today - t.created_at.astimezone().date()).days)
        if column == 6:
            if t.promised_by is None:
                return fmt.DASH
            late = (self.today - t.promised_by).days
            return fmt.day(t.promised_by) + (f" · {days_text(late)} late" if overdue else "")
        return fmt.local_time(t.updated_at)

    # -- helpers -------------------------------------------------------------------
    def _group_of(self, index: AnyIndex) -> int | None:
        if not index.isValid():
            return None
        row = index.row() if index.internalId() == 0 else index.internalId() - 1
        return row if 0 <= row < len(self.groups) else None

    def ticket(self, index: AnyIndex) -> TicketSummary | None:
        if not index.isValid() or index.internalId() == 0:
            return None
        rows = self.groups[index.internalId() - 1].rows
        return rows[index.row()] if 0 <= index.row() < len(rows) else None

    def group_index(self, status: str) -> QModelIndex:
        for row, g in enumerate(self.groups):
            if g.info.status == status:
                return self.index(row, 0)
        return QModelIndex()

    @property
    def total(self) -> int:
        return sum(g.info.count for g in self.groups)

    @property
    def overdue(self) -> int:
        return sum(g.info.overdue for g in self.groups)

    def numbers(self) -> list[str]:
        """Every ticket loaded so far, top to bottom."""
        return [t.number for g in self.groups for t in g.rows]

    def ticket_status(self, index: AnyIndex) -> TicketStatus | None:
        group = self._group_of(index)
        return None if group is None else TicketStatus(self.groups[group].info.status)
