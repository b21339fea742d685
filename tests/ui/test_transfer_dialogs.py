"""Import and export of customers in the window (issue 12), offscreen with real widgets.

The import dialog detects how a file is written (and lets it be changed), runs the
import off the GUI thread with a progress bar, stops cleanly on Cancel and shows
the rejected rows; the export dialog writes CSV or JSON with progress. Each state
is grabbed to a PNG.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from uuid import UUID

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget

from shopdesk.shop import Shop
from shopdesk.ui.customers.transfer_dialogs import ExportDialog, ImportDialog
from shopdesk.ui.main_window import MainWindow
from tests.conftest import OWNER_SECRET
from tests.ui.conftest import open_window


def shot(widget: QWidget, folder: Path, name: str) -> Path:
    QApplication.processEvents()  # let pending layout requests run before the grab
    path = folder / name
    assert widget.grab().save(str(path))
    assert path.stat().st_size > 5000  # a picture, not an empty grab
    return path


def click(qtbot, widget: QWidget) -> None:  # type: ignore[no-untyped-def]
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def big_file(path: Path, rows: int) -> Path:
    path.write_text("first_name,last_name,phone\n" + "".join(
        f"Person{n},Bulk,+447433{n:06d}\n" for n in range(rows)), encoding="utf-8")
    return path


def open_import(qtbot, window: MainWindow, path: Path) -> ImportDialog:  # type: ignore[no-untyped-def]
    dialog = window.open_import()
    assert dialog is not None
    qtbot.waitExposed(dialog)
    dialog.choose_file(path)
    qtbot.waitUntil(lambda: dialog.format is not None or dialog.error.text() != "")
    return dialog


def test_import_detects_the_format_and_shows_the_rejects(  # type: ignore[no-untyped-def]
        qtbot, window: MainWindow, shop: Shop, tmp_path: Path) -> None:
    source = tmp_path / "from-excel.csv"
    source.write_bytes("\r\n".join([
        "Vorname;Nachname;Telefon",  # not our names: refused, naming the columns
    ]).encode("cp1252"))
    dialog = open_import(qtbot, window, source)
    click(qtbot, dialog.import_button)
    qtbot.waitUntil(lambda: dialog.error.text() != "")
    assert "first_name: column is required" in dialog.error.text()
    dialog.job.join()
    source.write_bytes("\r\n".join([
        "First Name;Last Name;Phone;City",
        "Zoë;Ørsted;07400 900001;Århus",
        "Bad;Phone;12345;Leeds",
        "José;Peña;07400 900002;Málaga",
        "Ana;López;+44 7400 123456;Leeds",  # already a customer (conftest PEOPLE)
        "Siobhán;O’Brien;07400 900003;Cork",
    ]).encode("cp1252"))
    dialog.choose_file(source)
    qtbot.waitUntil(lambda: dialog.format is not None)
    assert dialog.encoding.currentText() == "cp1252"
    assert dialog.delimiter.currentData() == ";"
    assert dialog.detected.text().startswith(
        "Detected: Windows-1252 (legacy code page), semicolon-separated")
    assert dialog.columns.text() == "First Name, Last Name, Phone, City"
    shot(dialog, tmp_path, "import-chosen.png")
    with qtbot.waitSignal(dialog.imported, timeout=30000) as done:
        click(qtbot, dialog.import_button)
    report = done.args[0]
    dialog.job.join()
    assert (report.imported, report.total) == (3, 5)
    assert dialog.status.text().startswith("Imported 3 of 5 rows")
    table = dialog.rejects
    assert table.isVisible() and table.rowCount() == 2
    assert [table.item(r, 0).text() for r in range(2)] == ["3", "5"]
    assert [table.item(r, 1).text() for r in range(2)] == ["phone", "phone"]
    assert "already belongs to existing customer" in table.item(1, 5).text()
    assert table.item(0, 2).text() == "Bad"
    shot(dialog, tmp_path, "import-rejects.png")
    saved = tmp_path / "saved-rejects.csv"
    dialog.save_rejects_to(saved)
    rows = list(csv.reader(saved.open(encoding="utf-8"), delimiter=";"))
    assert rows[0][:4] == ["line", "field", "reason", "first_name"]
    assert [r[0] for r in rows[1:]] == ["3", "5"]
    assert not (tmp_path / "from-excel.rejects.csv").exists()  # only where asked
    names = {c.name for c in shop.customers.summaries(shop.customers.search_ids("", 50))}
    assert {"Zoë Ørsted", "José Peña", "Siobhán O’Brien"} <= names
    qtbot.waitUntil(lambda: window.count_label.text().startswith("6 customers"))
    dialog.close()


def test_the_encoding_can_be_changed(qtbot, window: MainWindow, shop: Shop,  # type: ignore[no-untyped-def]
                                     tmp_path: Path) -> None:
    source = tmp_path / "mac.csv"
    source.write_bytes("first_name,last_name,phone\rHélène,Roux,07400 900004\r"
                       .replace("\r", "\n").encode("mac-roman"))
    dialog = open_import(qtbot, window, source)
    assert "line 2: byte 0x8F" in dialog.error.text()
    assert "say which encoding the file is in" in dialog.error.text()
    assert dialog.encoding.currentText() == ""  # asks rather than showing a wrong one
    assert not dialog.import_button.isEnabled()
    shot(dialog, tmp_path, "import-encoding-error.png")
    dialog.encoding.setCurrentText("mac-roman")
    dialog.encoding.activated.emit(0)
    qtbot.waitUntil(lambda: dialog.format is not None)
    assert dialog.format.encoding_source == "chosen"
    assert dialog.import_button.isEnabled() and dialog.error.text() == ""
    with qtbot.waitSignal(dialog.imported, timeout=30000):
        click(qtbot, dialog.import_button)
    dialog.job.join()
    assert shop.customers.search("roux")[0].name == "Hélène Roux"


def test_cancel_stops_after_the_batch_and_keeps_the_summary(  # type: ignore[no-untyped-def]
        qtbot, window: MainWindow, shop: Shop, tmp_path: Path) -> None:
    dialog = open_import(qtbot, window, big_file(tmp_path / "big.csv", 20000))
    click(qtbot, dialog.import_button)
    qtbot.waitUntil(lambda: dialog.bar.value() > 0, timeout=30000)
    assert dialog.job.running and dialog.bar.isVisible()
    shot(dialog, tmp_path, "import-running.png")
    with qtbot.waitSignal(dialog.imported, timeout=60000) as done:
        click(qtbot, dialog.cancel_button)
    dialog.job.join()
    report = done.args[0]
    assert report.cancelled and 0 < report.imported < 20000
    assert shop.customers.count() == 3 + report.imported
    assert dialog.status.text().startswith(f"Imported {report.imported} of the ")
    assert "Import cancelled" in dialog.status.text()
    assert f"rows from line {report.imported + 2} on were not imported" in dialog.status.text()
    shot(dialog, tmp_path, "import-cancelled.png")
    assert shop.audit.verify().ok


def test_closing_a_running_import_cancels_it(qtbot, window: MainWindow,  # type: ignore[no-untyped-def]
                                             tmp_path: Path) -> None:
    dialog = open_import(qtbot, window, big_file(tmp_path / "big.csv", 20000))
    with qtbot.waitSignal(dialog.imported, timeout=60000):
        click(qtbot, dialog.import_button)
        qtbot.waitUntil(lambda: dialog.bar.value() > 0, timeout=30000)
        dialog.reject()  # Esc or Close while it runs: cancel, stay open
        assert dialog.isVisible()
    dialog.job.join()
    assert dialog.report is not None and dialog.report.cancelled
    dialog.reject()
    assert not dialog.isVisible()


def test_export_writes_csv_and_json_with_progress(  # type: ignore[no-untyped-def]
        qtbot, window: MainWindow, shop: Shop, tmp_path: Path) -> None:
    shop.transfer.import_csv(big_file(tmp_path / "many.csv", 6000))
    dialog = window.open_export()
    assert isinstance(dialog, ExportDialog)
    qtbot.waitExposed(dialog)
    target = tmp_path / "customers.csv"
    dialog.file.setText(str(target))
    shot(dialog, tmp_path, "export-ready.png")
    progress: list[int] = []
    dialog.job.progress.connect(lambda done, _total: progress.append(done))
    with qtbot.waitSignal(dialog.exported, timeout=60000) as done:
        click(qtbot, dialog.export_button)
        qtbot.waitUntil(lambda: dialog.bar.value() > 0 or dialog.count is not None)
        shot(dialog, tmp_path, "export-running.png")
    dialog.job.join()
    assert done.args == [6003] and progress[:2] == [1000, 2000]
    assert f"Exported 6,003 customers to {target}" in dialog.status.text()
    shot(dialog, tmp_path, "export-done.png")
    with target.open(encoding="utf-8") as handle:
        assert sum(1 for _ in csv.reader(handle)) == 6004
    dialog.json.setChecked(True)
    assert dialog.file.text() == str(tmp_path / "customers.json")
    with qtbot.waitSignal(dialog.exported, timeout=60000):
        click(qtbot, dialog.export_button)
    dialog.job.join()
    assert len(json.loads((tmp_path / "customers.json").read_text(encoding="utf-8"))) == 6003


def test_a_cancelled_export_leaves_no_file(qtbot, window: MainWindow, shop: Shop,  # type: ignore[no-untyped-def]
                                           tmp_path: Path) -> None:
    shop.transfer.import_csv(big_file(tmp_path / "many.csv", 6000))
    dialog = window.open_export()
    assert dialog is not None
    target = tmp_path / "partial.csv"
    dialog.file.setText(str(target))
    dialog.job.progress.connect(lambda _d, _t: dialog.cancel())  # at the first progress
    click(qtbot, dialog.export_button)
    qtbot.waitUntil(lambda: dialog.error.text() != "", timeout=60000)
    dialog.job.join()
    assert "export cancelled; no file was written" in dialog.error.text()
    assert not target.exists() and not (tmp_path / "partial.csv.partial").exists()


def test_only_managers_and_owners_may_import_or_export(qtbot, shop: Shop,  # type: ignore[no-untyped-def]
                                                       customers: dict[str, UUID]) -> None:
    shop.staff.create("bea", "Beatriz", "front_desk", "2468")
    shop.sign_out()
    shop.sign_in("bea", "2468")
    window = open_window(qtbot, shop)
    try:
        assert not window.import_action.isEnabled() and not window.export_action.isEnabled()
        assert window.open_import() is None and window.open_export() is None
    finally:
        window.shutdown()
    shop.sign_in("owner", OWNER_SECRET)
