"""The counter's home screen: one search box, a filter bar and, under them,
today's work (while the box is empty and no filter is set) or the result table.

Typing or changing a filter is debounced (150 ms); `search_ids` (the table) and
`shop.search(text, 5)` (the suggestions under the box) run together on the read
pool and a newer query supersedes an older one (results tagged with a sequence
number). A bad filter combination runs no search and keeps the previous list.
With an empty box and no filter, `shop.work.today()` fills the start panel
instead (tickets ready, overdue, awaiting approval, awaiting parts); the box
keeps the focus, Up/Down choose a ticket there and Enter opens it.

Thread rule: GUI thread only; core calls go through `TaskManager.query`.
"""

from __future__ import annotations

from uuid import UUID

from PySide6.QtCore import QEvent, QModelIndex, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QFont, QFontMetrics, QHideEvent, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from shopdesk.changes import Changes
from shopdesk.search.engine import Hit
from shopdesk.search.filters import SearchFilters
from shopdesk.search.identify import Identified, looks_like_identifier
from shopdesk.services.start.worklist import WorkGroup
from shopdesk.shop import Shop
from shopdesk.ui.common.taskman import TaskManager
from shopdesk.ui.common.widgets import Badge
from shopdesk.ui.search.results_model import COLUMNS, REPAIR, CustomerResultsModel
from shopdesk.ui.search.search_filters import FilterBar
from shopdesk.ui.search.suggestions import (
    MAX_SUGGESTIONS,
    NAV_KEYS,
    Suggestions,
    suggestion_text,
)
from shopdesk.ui.start.today_panel import TodayPanel

DEBOUNCE_MS = 150
RESULT_LIMIT = 500
# Widest each result column is made when sized to its content (px), by title.
COLUMN_CAPS = {"Name": 560, "Phone": 170, "Repair": 240, "E-mail": 300, "Code": 110,
               "City": 200, "Last visit": 120}
COLUMN_PADDING = 28  # the cell's margins and a little air
# When the columns do not all fit, these give way first, down to these widths.
GIVE_WAY = (("City", 110), ("E-mail", 180), ("Repair", 150), ("Name", 200))


class SearchPage(QWidget):
    """Search box plus results. GUI thread only; searches run via `TaskManager.query`.

    Enter first asks `shop.identify` (read pool) whether the text is an exact
    IMEI, serial or ticket number (a barcode scanner types digits and Enter);
    if so `open_identified(Identified)` fires instead of opening a customer.

    Signals: `open_customer(UUID)` when staff choose a row or a suggestion,
    `open_ticket(UUID)` when they open a ticket of today's work, `new_customer()`
    for the "New customer" button, `results_shown(int)` each time a result list
    (or today's work: the number of tickets listed) arrives.
    """

    open_customer = Signal(object)
    open_ticket = Signal(object)  # a repair ticket from today's work
    open_identified = Signal(object)  # an Identified: a device or ticket named exactly
    new_customer = Signal()
    results_shown = Signal(int)

    def __init__(self, shop: Shop, ops: TaskManager, region: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.shop = shop
        self.ops = ops
        self._seq = 0
        self._shown_seq = 0
        self._open_when_ready = False
        self._identify_seq = 0
        self.identifying = False
        self.box = QLineEdit()
        self.box.setObjectName("searchBox")
        self.box.setPlaceholderText("Search by name, phone, e-mail, postcode or code — or scan an "
                                    "IMEI, serial or ticket number")
        self.box.setClearButtonEnabled(True)
        self.box.installEventFilter(self)
        new = QPushButton("New customer  (Ctrl+N)")
        new.setProperty("primary", True)
        new.clicked.connect(self.new_customer)
        self.filter_toggle = QPushButton("Filters")
        self.filter_toggle.setCheckable(True)
        self.filter_toggle.setToolTip("Show or hide the filters (Ctrl+F)")
        self.filter_toggle.setStyleSheet(
            "QPushButton:checked { background:#e8f0fc; border:1px solid #b5cbef; }")
        self.filter_chip = Badge("", "info")
        self.filter_chip.hide()
        self.filter_bar = FilterBar()
        self.filter_bar.hide()
        self.filter_toggle.toggled.connect(self._show_filters)
        self.filter_bar.changed.connect(self._filters_changed)
        self.filter_bar.invalid.connect(self._filters_invalid)
        self.model = CustomerResultsModel(shop, ops, region, parent=self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(30)
        header = self.table.horizontalHeader()
        header.setHighlightSections(False)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)  # no empty column takes the spare width
        self.model.page_loaded.connect(self._first_page_loaded)
        self.table.activated.connect(self._activated)
        self.today = TodayPanel(region)
        self.today.open_ticket.connect(self.open_ticket)
        self.results = QStackedWidget()
        self.results.addWidget(self.today)
        self.results.addWidget(self.table)
        self.summary = QLabel()
        self.summary.setStyleSheet("color:#6b7280;")
        top = QHBoxLayout()
        top.addWidget(self.box, 1)
        top.addWidget(self.filter_toggle)
        top.addWidget(self.filter_chip)
        top.addSpacing(6)
        top.addWidget(new)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 14, 16, 10)
        layout.setSpacing(10)
        layout.addLayout(top)
        layout.addWidget(self.filter_bar)
        layout.addWidget(self.results, 1)
        layout.addWidget(self.summary)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self.run_search)
        self.box.textChanged.connect(self._text_changed)
        self.box.returnPressed.connect(self._enter)
        self.model.modelReset.connect(self._select_first)
        self.suggestions = Suggestions(self.box, region, self._move, self._enter, self)
        self.suggestions.chosen.connect(self.open_customer)
        self.open_customer.connect(self.suggestions.hide)
        self.table.selectionModel().currentRowChanged.connect(
            lambda current, _old: self.suggestions.follow(self.model.id_at(current.row())))
        ops.bus.ops_did_execute.connect(self._on_changes)

    # -- searching ---------------------------------------------------------------
    @property
    def searching(self) -> bool:
        return self._timer.isActive() or self._shown_seq != self._seq

    @property
    def filters(self) -> SearchFilters | None:
        """The filter bar's last valid filters (None when no filter is set)."""
        filters = self.filter_bar.filters
        return None if filters.empty else filters

    @property
    def start_mode(self) -> bool:
        """True while the box is empty and no filter is set: today's work shows."""
        return not self.box.text().strip() and self.filters is None

    def run_search(self) -> None:
        """Start a search for the box's text now (the debounce timer calls this);
        with an empty box and no filter, load today's work instead.

        Does nothing while the filter bar shows a bad range: the list stays.
        """
        self._timer.stop()
        if not self.filter_bar.valid:
            self._open_when_ready = False
            return
        self._seq += 1
        seq, text, filters = self._seq, self.box.text(), self.filters
        shop = self.shop
        if self.start_mode:
            self.ops.query(self, shop.work.today,
                           lambda groups: self._today_found(seq, groups),
                           lambda error: self._failed(seq, error))
            return

        region = self.suggestions.region

        def both() -> tuple[list[UUID], list[Hit], list[str]]:  # runs on the read pool
            ids = shop.customers.search_ids(text, RESULT_LIMIT, filters)
            hits = shop.search(text, MAX_SUGGESTIONS, filters) if text.strip() else []
            # The lines too: formatting a number is libphonenumber work, not the GUI's.
            return ids, hits, [suggestion_text(hit, region) for hit in hits]

        self.ops.query(self, both, lambda found: self._found(seq, text, found),
                       lambda error: self._failed(seq, error))

    def _today_found(self, seq: int, groups: list[WorkGroup]) -> None:
        if seq != self._seq:
            return
        self._shown_seq = seq
        self.suggestions.hide()
        self.model.set_ids([])  # the last result list is not kept behind the panel
        self.today.show_groups(groups)
        self.results.setCurrentWidget(self.today)
        listed = len(self.today.ticket_ids())
        self.summary.setText(
            "Today's work. ↑ ↓ choose a ticket and Enter opens it; type a name, phone, "
            "code or IMEI to search." if listed else
            "Type a name, phone, e-mail, postcode or code to find a customer — "
            "Ctrl+N registers a new one.")
        self.results_shown.emit(listed)
        if self._open_when_ready:
            self._open_when_ready = False
            self._open_current()

    def _found(self, seq: int, text: str,
               found: tuple[list[UUID], list[Hit], list[str]]) -> None:
        ids, hits, lines = found
        self._show(seq, text, ids, open_when_ready=False)
        if seq != self._seq:
            return
        current = self.model.id_at(self.table.currentIndex().row())
        chosen = self.suggestions.show_hits(hits if text.strip() else [], current, lines)
        if chosen is not None and chosen != current:
            self._select_customer(chosen)
        if self._open_when_ready:
            self._open_when_ready = False
            self._open_current()

    def _select_customer(self, customer_id: UUID) -> None:
        """Make `customer_id`'s row the table's current one (none if it is not listed),
        so the table and the highlighted suggestion agree on what Enter opens."""
        if customer_id in self.model.ids:
            self.table.selectRow(self.model.ids.index(customer_id))
        else:
            self.table.clearSelection()
            self.table.setCurrentIndex(QModelIndex())

    def _failed(self, seq: int, error: BaseException) -> None:
        if seq != self._seq:
            return
        self._shown_seq = seq
        self._open_when_ready = False
        self.summary.setText(f"Search failed: {error}")

    def _show(self, seq: int, text: str, ids: list[UUID], open_when_ready: bool = True) -> None:
        if seq != self._seq:
            return  # a newer query was typed meanwhile
        self._shown_seq = seq
        self.model.set_ids(ids)
        self.results.setCurrentWidget(self.table)
        count = self.filter_bar.count
        where = f" matching {count} filter{'s' if count != 1 else ''}" if count else ""
        if not text.strip():
            what = "most recently updated customers"
            if ids:
                self.summary.setText(f"Showing the {len(ids)} {what}{where}")
            elif count:
                self.summary.setText(f"No customer matches the {count} "
                                     f"filter{'s' if count != 1 else ''}")
            else:
                self.summary.setText("No customers yet — press Ctrl+N to register the first one")
        elif ids:
            more = "+" if len(ids) >= RESULT_LIMIT else ""
            self.summary.setText(f"{len(ids)}{more} match{'es' if len(ids) != 1 else ''} "
                                 f"for “{text.strip()}”{where} — Enter opens the selected "
                                 "customer")
        else:
            self.summary.setText(f"No customer matches “{text.strip()}”{where}")
        self.results_shown.emit(len(ids))
        if open_when_ready and self._open_when_ready:
            self._open_when_ready = False
            self._open_current()

    def _first_page_loaded(self, number: int) -> None:
        if number == 0:
            self.fit_columns()

    def fit_columns(self) -> None:
        """Size each column to what the first page shows (and its title), within its
        cap; when they do not all fit, city, e-mail and repair give way before the
        name, so a name is cut only when nothing else can shrink."""
        heading = self.table.horizontalHeader().fontMetrics()
        rows = self.model.page_size
        widths = []
        for column, title in enumerate(COLUMNS):
            metrics = self._cell_metrics(column)
            texts = self.model.column_texts(column, rows)
            natural = max([metrics.horizontalAdvance(t) for t in texts]
                          + [heading.horizontalAdvance(title) + 8]) + COLUMN_PADDING
            widths.append(min(natural, COLUMN_CAPS[title]))
        room = self.table.viewport().width() or self.table.width()
        for title, floor in GIVE_WAY:
            column = COLUMNS.index(title)
            excess = sum(widths) - room
            if excess <= 0:
                break
            widths[column] = max(min(widths[column], floor), widths[column] - excess)
        for column, width in enumerate(widths):
            self.table.setColumnWidth(column, width)

    def _cell_metrics(self, column: int) -> QFontMetrics:
        """The font a column's cells are drawn in (the Repair column may be bold)."""
        font = QFont(self.table.font())
        font.setBold(column == REPAIR)
        return QFontMetrics(font)

    def _select_first(self) -> None:
        if self.model.rowCount():
            self.table.selectRow(0)
            self.table.scrollToTop()

    # -- keyboard ----------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # PySide6 hands key events over as QKeyEvent, so isinstance narrows the type.
        if watched is self.box and isinstance(event, QKeyEvent) \
                and event.type() in (QEvent.Type.KeyPress, QEvent.Type.ShortcutOverride):
            if event.key() == Qt.Key.Key_Escape and self.suggestions.visible:
                # Esc closes the suggestions first (not the window's "back" shortcut)
                if event.type() == QEvent.Type.KeyPress:
                    self.suggestions.dismiss()
                event.accept()
                return True
            if event.key() in NAV_KEYS and event.type() == QEvent.Type.KeyPress:
                self._move(event.key())
                return True
        return super().eventFilter(watched, event)

    def _move(self, key: int) -> None:
        if self.results.currentWidget() is self.today:
            self.today.step(key)
            return
        rows = self.model.rowCount()
        if not rows:
            return
        current = self.table.currentIndex().row()
        step = {Qt.Key.Key_Up: -1, Qt.Key.Key_Down: 1, Qt.Key.Key_PageUp: -10,
                Qt.Key.Key_PageDown: 10}[Qt.Key(key)]
        row = max(0, min(rows - 1, (current if current >= 0 else -1) + step))
        self.table.selectRow(row)
        self.table.scrollTo(self.model.index(row, 0))

    def _text_changed(self, text: str) -> None:
        self.suggestions.clear_highlight()  # Enter now means the new text's top hit
        if not text.strip():
            self.suggestions.hide()
        self._timer.start()

    def _enter(self) -> None:
        chosen = self.suggestions.highlighted()
        if chosen is not None:
            self.open_customer.emit(chosen)
            return
        text = self.box.text()
        if looks_like_identifier(text):  # also in groups: "35 391110 119191 5"
            self._identify_seq += 1
            seq, shop = self._identify_seq, self.shop
            self.identifying = True
            self.ops.query(self, lambda: shop.identify(text),
                           lambda found: self._identified(seq, text, found),
                           lambda _error: self._identified(seq, text, None))
            return
        self._enter_customer()

    def _identified(self, seq: int, text: str, found: Identified | None) -> None:
        if seq != self._identify_seq:
            return
        self.identifying = False
        if self.box.text() != text:
            return  # typed on meanwhile; a later Enter decides
        if found is not None:
            self.suggestions.hide()
            self._timer.stop()
            self.open_identified.emit(found)
            return
        self._enter_customer()

    def _enter_customer(self) -> None:
        self.suggestions.hide()
        if self.searching:
            self._open_when_ready = True
            if self._timer.isActive():
                self.run_search()
            return
        self._open_current()

    def _open_current(self) -> None:
        """Open what Enter means now: the highlighted suggestion, else the table's row
        (or, on today's work, the chosen ticket)."""
        if self.results.currentWidget() is self.today:
            ticket_id = self.today.current_ticket()
            if ticket_id is not None:
                self.open_ticket.emit(ticket_id)
            return
        chosen = self.suggestions.highlighted()
        if chosen is None:
            row = self.table.currentIndex().row()
            chosen = self.model.id_at(row if row >= 0 else 0)
        if chosen is not None:
            self.open_customer.emit(chosen)

    def _activated(self, index: QModelIndex) -> None:
        customer_id = self.model.id_at(index.row())
        if customer_id is not None:
            self.open_customer.emit(customer_id)

    def focus_box(self) -> None:
        self.box.setFocus()
        self.box.selectAll()

    # -- filters -----------------------------------------------------------------
    def toggle_filters(self) -> None:
        """Ctrl+F on this page: open the bar and focus it; from inside it, close it."""
        if not self.filter_toggle.isChecked():
            self.filter_toggle.setChecked(True)
            self.filter_bar.focus_first()
        elif self._focus_in_filters():
            self.filter_toggle.setChecked(False)
        else:
            self.filter_bar.focus_first()

    def _focus_in_filters(self) -> bool:
        focused = QApplication.focusWidget()
        return focused is not None and self.filter_bar.isAncestorOf(focused)

    def _show_filters(self, shown: bool) -> None:
        had_focus = self._focus_in_filters()
        self.filter_bar.setVisible(shown)
        if not shown and had_focus:
            self.focus_box()  # not wherever Qt would move focus from a hidden widget

    def _filters_changed(self, _filters: SearchFilters) -> None:
        count = self.filter_bar.count
        self.filter_chip.setText(f"{count} filter{'s' if count != 1 else ''}")
        self.filter_chip.setVisible(count > 0)
        self._timer.start()

    def _filters_invalid(self, message: str) -> None:
        self._timer.stop()
        self._open_when_ready = False
        self.suggestions.hide()
        self.summary.setText(f"Not searching: {message}")

    def hideEvent(self, event: QHideEvent) -> None:
        self.suggestions.hide()
        super().hideEvent(event)

    # -- refresh -----------------------------------------------------------------
    def _on_changes(self, changes: Changes) -> None:
        if self.start_mode:
            if changes.tickets or changes.customers or changes.settings:
                self.run_search()  # a ticket moved, a name changed, the promise changed
            return
        if changes.tickets:
            self.model.refresh_loaded()  # a ticket moved: the Repair column may change
        if not changes.customers:
            return
        self.model.mark_stale(changes.customers)
        if not set(changes.customers) <= set(self.model.ids) or not self.box.text().strip():
            self.run_search()  # a new or re-ordered customer may now belong in the list
