"""The customer result list: an ordered list of ids, rows fetched lazily by page.

SQL decides the order (`search_ids`); the model keeps only ids plus a bounded
cache of `CustomerSummary` pages, fetched off the GUI thread the first time a
view asks for a row on that page, with each customer's open repair tickets
(`shop.work.open_tickets`): the "Repair" column says when one is ready for
pickup, in work or overdue. It never loads every customer.
"""

from __future__ import annotations

from collections import OrderedDict
from uuid import UUID

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtCore import Signal as _Signal
from PySide6.QtGui import QColor, QFont

from shopdesk.domain.tickets import TicketStatus
from shopdesk.services.customers.customer_views import CustomerSummary
from shopdesk.services.start.worklist import CustomerWork
from shopdesk.shop import Shop
from shopdesk.ui.common import fmt
from shopdesk.ui.common.taskman import TaskManager

COLUMNS = ("Name", "Phone", "Repair", "E-mail", "Code", "City", "Last visit")
REPAIR = COLUMNS.index("Repair")
READY_COLOUR, LATE_COLOUR = "#17663a", "#a3281c"
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
        self._work: dict[UUID, CustomerWork] = {}  # open tickets of the loaded rows
        # The loaded rows' numbers as shown, formatted with their page on the read pool:
        # libphonenumber takes 0.1-0.3 ms a number, too long for the GUI thread to
        # spend on a page (100 rows) or on every repaint.
        self._phones: dict[UUID, str] = {}
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
        self._work.clear()
        self._phones.clear()
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

    def work_at(self, row: int) -> CustomerWork | None:
        """The open repair tickets of `row`'s customer (None: none, or not loaded)."""
        customer_id = self.id_at(row)
        return self._work.get(customer_id) if customer_id is not None else None

    @property
    def loaded_pages(self) -> set[int]:
        return set(self._pages)

    def refresh_loaded(self) -> None:
        """Fetch the loaded pages again (a ticket moved: the Repair column may change);
        the rows stay on screen until the new ones arrive."""
        for number in list(self._pages):
            self._request(number, again=True)

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
        if index.column() == REPAIR:
            return self._repair_style(summary.id, role)
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
            shown = self._phones.get(s.id)
            return shown if shown is not None else fmt.phone(s.phone, self.region)
        if column == REPAIR:
            return repair_text(self._work.get(s.id))
        if column == 3:
            return s.email or ""
        if column == 4:
            return s.code
        if column == 5:
            return s.city or ""
        return fmt.local_time(s.last_visit_at, with_time=False) if s.last_visit_at else ""

    def _repair_style(self, customer_id: UUID, role: int) -> object:
        work = self._work.get(customer_id)
        if work is None or not work.tickets:
            return None
        first = work.tickets[0]
        if role == Qt.ItemDataRole.ForegroundRole:
            if first.status == TicketStatus.READY:
                return QColor(READY_COLOUR)
            return QColor(LATE_COLOUR) if first.overdue else None
        if role == Qt.ItemDataRole.FontRole and first.status == TicketStatus.READY:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole:
            return "\n".join(f"{t.number}: {fmt.label('status', t.status)}"
                             + (" (overdue)" if t.overdue else "") for t in work.tickets)
        return None

    def column_texts(self, column: int, rows: int) -> list[str]:
        """What the first `rows` loaded rows show in `column` (to size it)."""
        texts = []
        for row in range(min(rows, len(self._ids))):
            summary = self.summary_at(row)
            if summary is not None:
                texts.append(self._cell(summary, column))
        return texts

    # -- fetching ----------------------------------------------------------------
    def _request(self, number: int, again: bool = False) -> None:
        if (number in self._pages and not again) or number in self._pending:
            return
        start = number * self.page_size
        wanted = self._ids[start:start + self.page_size]
        if not wanted:
            return
        self._pending.add(number)
        self.fetch_count += 1
        generation = self._generation
        summaries = self._shop.search_engine.summaries  # plain SQL: a short GIL hold
        work, region = self._shop.work, self.region

        def fetch() -> tuple[list[CustomerSummary], dict[UUID, CustomerWork],
                             dict[UUID, str]]:
            rows = summaries(wanted)
            return (rows, work.open_tickets(wanted),
                    {s.id: fmt.phone(s.phone, region) for s in rows})

        self._ops.query(None, fetch,
                        lambda found: self._on_page(generation, number, *found),
                        lambda _err: self._pending.discard(number))

    def _on_page(self, generation: int, number: int, rows: list[CustomerSummary],
                 work: dict[UUID, CustomerWork], phones: dict[UUID, str]) -> None:
        if generation != self._generation:
            return  # an older id list
        self._pending.discard(number)
        for s in rows:  # this page's customers: their tickets as they are now
            self._work.pop(s.id, None)
        self._work.update(work)
        self._phones.update(phones)
        self._pages[number] = {s.id: s for s in rows}
        while len(self._pages) > self._max_pages:
            _number, dropped = self._pages.popitem(last=False)
            for customer_id in dropped:
                self._work.pop(customer_id, None)
                self._phones.pop(customer_id, None)
        first = number * self.page_size
        last = min(first + self.page_size, len(self._ids)) - 1
        if last >= first:
            self.dataChanged.emit(self.index(first, 0), self.index(last, len(COLUMNS) - 1))
        self.page_loaded.emit(number)


def repair_text(work: CustomerWork | None) -> str:
    """'Ready for pickup', 'In repair · overdue', 'Diagnosing (+1)' (one more open
    ticket), or '' (none open); the tooltip names the tickets."""
    if work is None or not work.tickets:
        return ""
    first = work.tickets[0]
    text = "Ready for pickup" if first.status == TicketStatus.READY \
        else fmt.label("status", first.status)
    if first.overdue:
        text += " · overdue"
    if len(work.tickets) > 1:
        text += f" (+{len(work.tickets) - 1})"
    return text
