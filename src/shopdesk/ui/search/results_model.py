"""The customer result list: an ordered list of ids, rows fetched lazily by page.

SQL decides the order (`search_ids`); the model keeps only ids plus a bounded
cache of `CustomerSummary` pages, fetched off the GUI thread the first time a
view asks for a row on that page. It never loads every customer.
"""

from __future__ import annotations

from collections import OrderedDict
from uuid import UUID

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtCore import Signal as _Signal
from PySide6.QtGui import QColor

from shopdesk.services.customers.customer_views import CustomerSummary
from shopdesk.shop import Shop
from shopdesk.ui.common import fmt
from shopdesk.ui.common.taskman import TaskManager

COLUMNS = ("Name", "Phone", "E-mail", "Code", "City", "Last visit")
ID_ROLE = Qt.ItemDataRole.UserRole + 1
_Index = QModelIndex | QPersistentModelIndex


class CustomerResultsModel(QAbstractTableModel):
    """Rows are customer ids; summaries arrive page by page.

    Thread rule: GUI thread only. Page fetches run through `TaskManager.query`
    and are applied on the GUI thread; a fetch for an older id list (an older
    generation) is dropped.
    """

    page_loaded = _Signal(int)  # page number, after its rows arrived

    def __init__(self, shop: Shop, ops: TaskManager, region: str = "GB",
                 page_size: int = 100, max_pages: int = 30,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._shop = shop
        self._ops = ops
        self.region = region
        self.page_size = page_size
        self._max_pages = max_pages
        self._ids: list[UUID] = []
        self._pages: OrderedDict[int, dict[UUID, CustomerSummary]] = OrderedDict()
        self._pending: set[int] = set()
        self._generation = 0
        self.fetch_count = 0  # pages requested since creation (tests, benchmarks)

    # -- the id list -------------------------------------------------------------
    @property
    def ids(self) -> list[UUID]:
        return list(self._ids)

    def set_ids(self, ids: list[UUID]) -> None:
        """Show `ids` in this order; the first page is fetched straight away."""
        self.beginResetModel()
        self._generation += 1
        self._ids = list(ids)
        self._pages.clear()
        self._pending.clear()
        self.endResetModel()
        if self._ids:
            self._request(0)

    def id_at(self, row: int) -> UUID | None:
        return self._ids[row] if 0 <= row < len(self._ids) else None

    def summary_at(self, row: int) -> CustomerSummary | None:
        """The cached summary of `row`, or None if its page is not loaded yet."""
        customer_id = self.id_at(row)
        if customer_id is None:
            return None
        number = row // self.page_size
        page = self._pages.get(number)
        if page is None:
            return None
        self._pages.move_to_end(number)
        return page.get(customer_id)

    @property
    def loaded_pages(self) -> set[int]:
        return set(self._pages)

    def mark_stale(self, ids: frozenset[UUID] | set[UUID]) -> None:
        """Drop cached rows of `ids` and refetch the pages that held them."""
        stale = set()
        for number, page in self._pages.items():
            if ids & page.keys():
                stale.add(number)
        for number in stale:
            del self._pages[number]
            first = number * self.page_size
            last = min(first + self.page_size, len(self._ids)) - 1
            self._request(number)
            self.dataChanged.emit(self.index(first, 0), self.index(last, len(COLUMNS) - 1))

    # -- Qt model API ------------------------------------------------------------
    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._ids)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        row = index.row()
        if role == ID_ROLE:
            return self.id_at(row)
        summary = self.summary_at(row)
        if summary is None:
            if role == Qt.ItemDataRole.DisplayRole:
                self._request(row // self.page_size)
                return "…" if index.column() == 0 else ""
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self._cell(summary, index.column())
        if role == Qt.ItemDataRole.ForegroundRole and not summary.is_active:
            return QColor("#8a8f98")
        if role == Qt.ItemDataRole.ToolTipRole and not summary.is_active:
            return "Inactive customer"
        return None

    def _cell(self, s: CustomerSummary, column: int) -> str:
        if column == 0:
            name = s.name if not s.company else f"{s.name} ({s.company})"
            return name if s.is_active else f"{name}  · inactive"
        if column == 1:
            return fmt.phone(s.phone, self.region)
        if column == 2:
            return s.email or ""
        if column == 3:
            return s.code
        if column == 4:
            return s.city or ""
        return fmt.local_time(s.last_visit_at, with_time=False) if s.last_visit_at else ""

    # -- fetching ----------------------------------------------------------------
    def _request(self, number: int) -> None:
        if number in self._pages or number in self._pending:
            return
        start = number * self.page_size
        wanted = self._ids[start:start + self.page_size]
        if not wanted:
            return
        self._pending.add(number)
        self.fetch_count += 1
        generation = self._generation
        summaries = self._shop.search_engine.summaries  # plain SQL: a short GIL hold
        self._ops.query(None, lambda: summaries(wanted),
                        lambda rows: self._on_page(generation, number, rows),
                        lambda _err: self._pending.discard(number))

    def _on_page(self, generation: int, number: int, rows: list[CustomerSummary]) -> None:
        if generation != self._generation:
            return  # an older id list
        self._pending.discard(number)
        self._pages[number] = {s.id: s for s in rows}
        while len(self._pages) > self._max_pages:
            self._pages.popitem(last=False)
        first = number * self.page_size
        last = min(first + self.page_size, len(self._ids)) - 1
        if last >= first:
            self.dataChanged.emit(self.index(first, 0), self.index(last, len(COLUMNS) - 1))
        self.page_loaded.emit(number)
