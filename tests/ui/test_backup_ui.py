"""Backups in the window (issue 15): the status bar warns when the last good backup is
older than a day, Back up now works from the Shop menu, a backup runs on its own
thread without stalling the window, and the passphrase is asked at start where the
OS keyring cannot keep the database key."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QDialogButtonBox

from shopdesk.db import dbkey
from shopdesk.db.dbkey import ENV_PASSPHRASE
from shopdesk.services.backup.parts import BackupStatus
from shopdesk.services.demo.demo import generate
from shopdesk.shop import Shop
from shopdesk.ui.backup.backup_controls import describe
from shopdesk.ui.common.passphrase import PassphraseDialog, open_shop
from shopdesk.ui.main_window import MainWindow
from tests.ui.conftest import open_window, worker_threads


def test_wording_of_the_status_bar() -> None:
    now = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    folder = Path("/backups")
    fresh = BackupStatus(folder, now - timedelta(hours=3), {"ok": True, "at": "x"}, False)
    assert describe(fresh, False, now)[1] == "ok" and describe(fresh, False, now)[0] \
        .startswith("Backed up ")
    old = BackupStatus(folder, now - timedelta(days=2, hours=1), None, True)
    assert describe(old, False, now) == ("No backup for 2 days", "warn")
    assert describe(BackupStatus(folder, None, None, True), False, now) == \
        ("No backup yet", "warn")
    failed = BackupStatus(folder, now - timedelta(hours=30), {
        "ok": False, "at": now.isoformat(), "problem": "the backup folder E:\\ is full"}, True)
    assert describe(failed, False, now) == ("Backup failed: the backup folder E:\\ is full",
                                            "bad")
    assert describe(failed, True, now) == ("Backing up…", "busy")


def test_back_up_now_from_the_window_and_the_warning(window: MainWindow, qtbot,  # type: ignore[no-untyped-def]
                                                     tmp_path: Path) -> None:
    controls = window.backup_ui
    qtbot.waitUntil(lambda: controls.text == "No backup yet")
    assert "font-weight:600" in controls.label.styleSheet()  # the warning stands out
    window.shop_menu.aboutToShow.emit()
    assert controls.now_action in window.shop_menu.actions()
    with qtbot.waitSignal(controls.changed, timeout=60_000):
        controls.now_action.trigger()
    qtbot.waitUntil(lambda: controls.text.startswith("Backed up "), timeout=60_000)
    dialog = controls.open_dialog()
    qtbot.waitUntil(lambda: dialog.rows.topLevelItemCount() == 1)
    assert dialog.rows.topLevelItem(0).text(4) == "Verified"
    assert dialog.key_button.isVisible()  # the owner may see the recovery key
    dialog.show_key()
    qtbot.waitUntil(lambda: "Recovery key" in dialog.key.text())
    dialog.grab().save(str(tmp_path / "backups.png"))
    window.statusBar().grab().save(str(tmp_path / "status.png"))
    dialog.close()
    # A folder that cannot be written: the failure shows, in red, in one line.
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the folder should be")
    window.shop.settings.set("backup.folder", str(blocker))
    controls.back_up_now()
    qtbot.waitUntil(lambda: controls.text.startswith("Backup failed: "), timeout=60_000)
    assert "#b3261e" in controls.label.styleSheet()


@pytest.fixture
def big_shop(shop: Shop) -> Shop:
    """Some thousands of customers and 40 MB of incompressible rows: a backup that
    takes seconds here."""
    rows = ((n + 2, row) for n, row in enumerate(generate(3000, 3)))
    shop.transfer.import_rows(rows, 3000)
    con = dbkey.connect(shop.db_path)
    con.execute("CREATE TABLE filler (n INTEGER PRIMARY KEY, data BLOB)")
    con.execute("WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c "
                "WHERE n < 40000) INSERT INTO filler (data) SELECT randomblob(1000) FROM c")
    con.close()
    return shop


def test_a_backup_does_not_stall_the_window(big_shop: Shop, qtbot) -> None:  # type: ignore[no-untyped-def]
    big_shop.search_engine.warm()  # the window's own start-up work, done before measuring
    window = open_window(qtbot, big_shop)
    try:
        controls = window.backup_ui
        qtbot.waitUntil(lambda: not window.ops.busy and controls.text == "No backup yet")
        gaps: list[float] = []
        last: list[float] = []

        def tick() -> None:  # every 5 ms, on the GUI thread, while the window is free
            now = time.perf_counter()
            if last and controls.runner.running.is_set():
                gaps.append(now - last[0])
            last[:] = [now]

        timer = QTimer()
        timer.setInterval(5)
        timer.timeout.connect(tick)
        timer.start()
        started = time.perf_counter()
        qtbot.waitUntil(lambda: bool(last))
        controls.back_up_now()
        qtbot.waitUntil(lambda: controls.runner.running.is_set(), timeout=10_000)
        qtbot.waitUntil(lambda: not controls.runner.running.is_set(), timeout=300_000)
        took = time.perf_counter() - started
        timer.stop()
        qtbot.waitUntil(lambda: controls.text.startswith("Backed up "), timeout=10_000)
        assert took > 1.0  # long enough to mean something
        assert max(gaps) < 0.1, f"the window stalled {max(gaps) * 1000:.0f} ms during a " \
                                f"{took:.1f} s backup"
    finally:
        window.shutdown()
    assert worker_threads() == []


def test_the_passphrase_is_asked_at_start_where_there_is_no_keyring(
        shop: Shop, qtbot, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    passphrase = os.environ[ENV_PASSPHRASE]
    shop.close()
    monkeypatch.delenv(ENV_PASSPHRASE)
    answers = ["wrong passphrase", passphrase]
    seen: list[str] = []

    def answer() -> None:
        widget = QApplication.activeModalWidget()
        if isinstance(widget, PassphraseDialog):
            widget.first.setText(answers.pop(0))
            widget.findChild(QDialogButtonBox).button(
                QDialogButtonBox.StandardButton.Ok).click()
        elif widget is not None:  # the "does not open" message after the wrong one
            seen.append(widget.windowTitle())
            widget.close()
        if answers or widget is not None:
            QTimer.singleShot(20, answer)

    QTimer.singleShot(20, answer)
    opened = open_shop(shop.root)
    assert opened is not None
    opened.close()
    assert seen == ["shopdesk"] and answers == []


def test_a_new_passphrase_is_asked_twice(qtbot) -> None:  # type: ignore[no-untyped-def]
    dialog = PassphraseDialog(new=True)
    qtbot.addWidget(dialog)
    dialog.first.setText("short")
    dialog._accept()
    assert "at least" in dialog.error.text() and not dialog.result()
    dialog.first.setText("long enough phrase")
    dialog.second.setText("another phrase")
    dialog._accept()
    assert "differ" in dialog.error.text()
    dialog.second.setText("long enough phrase")
    dialog._accept()
    assert dialog.result() == PassphraseDialog.DialogCode.Accepted
