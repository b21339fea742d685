"""Import and export of customers in the window (Shop menu, managers and owners).

Import: pick a CSV; its encoding and delimiter are detected off the GUI thread,
shown, and can be changed; the import runs on a thread of its own (each batch is
one `Store.write()`, so the counter's own writes go on between batches) with a
progress bar and a Cancel that stops after the batch in hand. The summary, the
rejected rows (line, field, reason) and "Save rejects…" follow, however it ended.
Export: CSV or JSON, with progress and Cancel (no file is left behind).

Thread rule: the dialogs live on the GUI thread; their `BackgroundJob` runs the
service call on its own thread and reports through queued signals.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from shopdesk.changes import Changes
from shopdesk.errors import ValidationError
from shopdesk.services.customers.csv_read import CsvFormat
from shopdesk.services.customers.import_file import ImportReport
from shopdesk.shop import Shop
from shopdesk.ui.common.job_dialog import JobDialog
from shopdesk.ui.common.taskman import TaskManager
from shopdesk.ui.common.widgets import muted

# Shown in the encoding box besides the detected one; any codec name may be typed.
ENCODINGS = ("utf-8", "cp1252", "latin-1", "utf-16", "mac-roman")
DELIMITERS = ((",", "Comma ,"), (";", "Semicolon ;"), ("\t", "Tab"), ("|", "Vertical bar |"))
REJECT_COLUMNS = ("Line", "Field", "First name", "Last name", "Phone", "Reason")
REASON = REJECT_COLUMNS.index("Reason")


class ImportDialog(JobDialog):
    """Import customers from a CSV file; see the module docstring. GUI thread only.

    Signals: `imported(report)` once an import has ended (however it ended).
    """

    imported = Signal(object)

    def __init__(self, shop: Shop, ops: TaskManager, parent: QWidget | None = None) -> None:
        super().__init__(parent, "Cancel import")
        self.shop, self.ops = shop, ops
        self.path: Path | None = None
        self.format: CsvFormat | None = None
        self._asked: str | None = None  # the encoding asked for (None: detect)
        self.report: ImportReport | None = None
        self.setWindowTitle("Import customers")
        self.resize(760, 560)

        self.file = QLineEdit()
        self.file.setReadOnly(True)
        self.file.setPlaceholderText("Choose a CSV file…")
        choose = QPushButton("Choose file…")
        choose.clicked.connect(self._choose)
        self.encoding = QComboBox()
        self.encoding.setEditable(True)
        self.encoding.addItems(ENCODINGS)
        edit = self.encoding.lineEdit()
        assert edit is not None  # editable
        edit.setPlaceholderText("Choose the file's encoding")
        self.delimiter = QComboBox()
        for value, label in DELIMITERS:
            self.delimiter.addItem(label, value)
        self.encoding.activated.connect(lambda _i: self._reinspect())
        self.delimiter.activated.connect(lambda _i: self._reinspect())
        self.detected = muted("")
        self.columns = muted("")
        self.columns.setWordWrap(True)
        self.rejects = QTableWidget(0, len(REJECT_COLUMNS))
        self.rejects.setHorizontalHeaderLabels(REJECT_COLUMNS)
        self.rejects.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.rejects.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.rejects.setAlternatingRowColors(True)
        self.rejects.verticalHeader().hide()
        self.rejects.setWordWrap(True)  # the reason is what staff need: never cut it
        header = self.rejects.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(REASON, QHeaderView.ResizeMode.Stretch)
        self.rejects.hide()

        self.save_button = QPushButton("Save rejects…")
        self.save_button.clicked.connect(self._save_rejects)
        self.save_button.hide()
        self.import_button = QPushButton("Import")
        self.import_button.setProperty("primary", True)
        self.import_button.clicked.connect(self.start)
        self.import_button.setEnabled(False)

        picker = QHBoxLayout()
        picker.addWidget(self.file, 1)
        picker.addWidget(choose)
        form = QFormLayout()
        form.addRow("File", picker)
        form.addRow("Encoding", self.encoding)
        form.addRow("Delimiter", self.delimiter)
        form.addRow("", self.detected)
        form.addRow("Columns", self.columns)
        layout = QVBoxLayout(self)
        layout.addWidget(muted("A header row names the columns: at least first_name, "
                               "last_name and phone; any other customer field may follow. "
                               "Rows already registered (same phone or e-mail) are "
                               "rejected."))
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addSpacing(6)
        layout.addWidget(self.bar)
        layout.addWidget(self.status)
        layout.addWidget(self.rejects, 1)
        layout.addStretch(0)
        layout.addLayout(self._buttons(self.import_button, self.save_button))

    # -- choosing and reading the file ------------------------------------------
    def _choose(self) -> None:
        name, _filter = QFileDialog.getOpenFileName(
            self, "Import customers", "", "CSV files (*.csv *.txt);;All files (*)")
        if name:
            self.choose_file(Path(name))

    def choose_file(self, path: Path) -> None:
        """Show `path` and detect how to read it (off the GUI thread)."""
        self.path = Path(path)
        self.file.setText(str(self.path))
        self._inspect(None, None)

    def _reinspect(self) -> None:
        if self.path is not None:
            self._inspect(self.encoding.currentText().strip() or None,
                          self.delimiter.currentData())

    def _inspect(self, encoding: str | None, delimiter: str | None) -> None:
        path, transfer = self.path, self.shop.transfer
        assert path is not None
        self._asked = encoding
        self.format = None
        self.import_button.setEnabled(False)
        self.error.show_message("")
        self.detected.setText("Reading the file…")
        self.ops.query(self, lambda: transfer.inspect(path, encoding, delimiter),
                       self._show_format, self._not_readable)

    def _show_format(self, fmt: CsvFormat) -> None:
        self.format = fmt
        if self.encoding.findText(fmt.encoding) < 0:
            self.encoding.insertItem(0, fmt.encoding)
        self.encoding.setCurrentText(fmt.encoding)
        self.delimiter.setCurrentIndex(max(0, self.delimiter.findData(fmt.delimiter)))
        how = ("Encoding as chosen" if fmt.encoding_source == "chosen"
               else f"Detected: {fmt.describe()}")
        self.detected.setText(f"{how} · about {max(fmt.lines - 1, 0):,} rows")
        self.columns.setText(", ".join(fmt.columns) or "—")
        self.import_button.setEnabled(not self.busy)

    def _not_readable(self, error: BaseException) -> None:
        if self._asked is None and isinstance(error, ValidationError) \
                and error.for_field("encoding"):
            self.encoding.setCurrentIndex(-1)  # none of the detected ones: ask for it
        self.detected.setText("")
        self.columns.setText("")
        self.error.show_message(str(error))

    # -- importing ---------------------------------------------------------------
    def start(self) -> None:
        """Import the chosen file with the format shown."""
        if self.path is None or self.format is None or self.busy:
            return
        path, fmt, transfer = self.path, self.format, self.shop.transfer
        self.report = None
        self.rejects.hide()
        self.save_button.hide()
        self.import_button.setEnabled(False)
        self._running(fmt.lines - 1, "Importing…")
        self.job.run(lambda progress, stop: transfer.import_csv(
            path, progress, encoding=fmt.encoding, delimiter=fmt.delimiter, cancel=stop,
            rejects_file=False))

    def cancel(self) -> None:
        """Stop after the batch in hand; the summary still follows."""
        super().cancel()
        if self.busy:
            self.status.setText("Cancelling after the current batch…")

    def _progress(self, done: int, total: int) -> None:
        super()._progress(done, total)
        if not self.job.stop.is_set():
            self.status.setText(f"Importing… {done:,} of about {total:,} rows")

    def _idle(self) -> None:
        self.import_button.setEnabled(self.format is not None)

    def _finished(self, result: object) -> None:
        assert isinstance(result, ImportReport)
        report = self.report = result
        super()._finished(report)
        if report.stopped is None:
            self.bar.setRange(0, max(report.total, 1))
        self.bar.setValue(min(report.total, self.bar.maximum()))  # stopped: how far it got
        summary = report.summary()
        text = summary[:1].upper() + summary[1:] + (
            f"; {len(report.rejected):,} rejected (below)." if report.rejected else ".")
        stopped = report.stop_reason()
        if stopped is not None:
            text += " " + stopped[0].upper() + stopped[1:] + "."
        elif report.total == 0:
            text = "No rows: the file has a header row and nothing else."
        self.status.setText(text)
        self._show_rejects(report)
        if report.imported_ids:  # the count, the search list and open profiles refresh
            self.ops.bus.ops_did_execute.emit(Changes(customers=frozenset(report.imported_ids)))
        self.imported.emit(report)

    def _show_rejects(self, report: ImportReport) -> None:
        rows = report.rejected
        self.rejects.setRowCount(len(rows))
        for n, r in enumerate(rows):
            values = (str(r.line), r.field, r.row.get("first_name", "")[:40],
                      r.row.get("last_name", "")[:40], r.row.get("phone", "")[:24], r.reason)
            for column, value in enumerate(values):
                item = QTableWidgetItem(value)
                item.setToolTip(r.reason)
                if column == 0:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight
                                          | Qt.AlignmentFlag.AlignVCenter)
                self.rejects.setItem(n, column, item)
        self.rejects.setVisible(bool(rows))
        self.rejects.resizeRowsToContents()
        self.save_button.setVisible(bool(rows))

    def _save_rejects(self) -> None:
        default = self.path.with_name(self.path.stem + ".rejects.csv") if self.path else Path()
        name, _filter = QFileDialog.getSaveFileName(self, "Save rejected rows", str(default),
                                                    "CSV files (*.csv)")
        if name:
            self.save_rejects_to(Path(name))

    def save_rejects_to(self, target: Path) -> None:
        """Write the rejected rows (line, field, reason, then the file's columns)."""
        if self.report is None:
            return
        try:
            self.shop.transfer.save_rejects(self.report, target)
        except OSError as exc:
            self.error.show_message(f"Could not save {target}: {exc.strerror or exc}")
            return
        self.status.setText(self.status.text() + f" Rejected rows saved to {target}.")


class ExportDialog(JobDialog):
    """Export every customer to CSV or JSON, with progress. GUI thread only.

    Signals: `exported(count)` when the file is written.
    """

    exported = Signal(int)

    def __init__(self, shop: Shop, parent: QWidget | None = None) -> None:
        super().__init__(parent, "Cancel export")
        self.shop = shop
        self.count: int | None = None
        self.setWindowTitle("Export customers")
        self.resize(620, 260)
        self.csv = QRadioButton("CSV (opens in a spreadsheet; imports on another counter)")
        self.json = QRadioButton("JSON")
        self.csv.setChecked(True)
        kinds = QButtonGroup(self)
        kinds.addButton(self.csv)
        kinds.addButton(self.json)
        self.csv.toggled.connect(lambda _on: self._fix_suffix())
        self.file = QLineEdit()
        self.file.setPlaceholderText("Where to save the file")
        self.file.textChanged.connect(lambda _t: self._idle())
        choose = QPushButton("Choose…")
        choose.clicked.connect(self._choose)
        self.export_button = QPushButton("Export")
        self.export_button.setProperty("primary", True)
        self.export_button.clicked.connect(self.start)
        self.export_button.setEnabled(False)
        picker = QHBoxLayout()
        picker.addWidget(self.file, 1)
        picker.addWidget(choose)
        form = QFormLayout()
        form.addRow("Format", self.csv)
        form.addRow("", self.json)
        form.addRow("File", picker)
        layout = QVBoxLayout(self)
        layout.addWidget(muted("Every customer with every field. Cells a spreadsheet could "
                               "run as a formula are written with a leading apostrophe."))
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.bar)
        layout.addWidget(self.status)
        layout.addStretch(1)
        layout.addLayout(self._buttons(self.export_button))

    @property
    def suffix(self) -> str:
        return ".csv" if self.csv.isChecked() else ".json"

    def _fix_suffix(self) -> None:
        text = self.file.text().strip()
        if text:
            self.file.setText(str(Path(text).with_suffix(self.suffix)))

    def _idle(self) -> None:
        self.export_button.setEnabled(bool(self.file.text().strip()) and not self.busy)

    def _choose(self) -> None:
        kind = "CSV files (*.csv)" if self.csv.isChecked() else "JSON files (*.json)"
        name, _filter = QFileDialog.getSaveFileName(self, "Export customers",
                                                    f"customers{self.suffix}", kind)
        if name:
            self.file.setText(str(Path(name).with_suffix(self.suffix)))

    def start(self) -> None:
        text = self.file.text().strip()
        if not text or self.busy:
            return
        target, transfer = Path(text), self.shop.transfer
        self.count = None
        self.export_button.setEnabled(False)
        self._running(0, "Exporting…")
        self.job.run(lambda progress, stop: transfer.export(target, progress, stop))

    def _finished(self, result: object) -> None:
        assert isinstance(result, int)
        self.count = result
        super()._finished(result)
        self.status.setText(f"Exported {result:,} customers to {self.file.text().strip()}.")
        self.exported.emit(result)
