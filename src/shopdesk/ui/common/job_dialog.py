"""Dialogs that run one long core call off the GUI thread, with progress and Cancel.

`BackgroundJob` runs the call on a thread of its own (not the TaskManager's single
writer: an import of many batches must not hold up the counter's other writes,
which interleave with its batches through `Store.write()`); `JobDialog` shows it.
Thread rule: both live on the GUI thread; the call runs on the job's thread and
reports through queued signals.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QWidget,
)

from shopdesk.ui.common.widgets import ErrorLabel


class BackgroundJob(QObject):
    """One long service call on its own thread (named ``shopdesk-job``).

    `run(fn)` calls ``fn(progress, cancel)`` there; `progress(done, total)`,
    `finished(result)` and `failed(error)` arrive on the GUI thread. `cancel()`
    asks the call to stop (it checks the event between batches).
    """

    progress = Signal(int, int)
    finished = Signal(object)
    failed = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.stop = threading.Event()
        self.worker: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self.worker is not None and self.worker.is_alive()

    def run(self, fn: Callable[[Callable[[int, int], None], threading.Event], Any]) -> None:
        self.stop = threading.Event()
        stop = self.stop

        def work() -> None:
            try:
                result = fn(self.progress.emit, stop)
            except Exception as exc:  # shown in the dialog, on the GUI thread
                self.failed.emit(exc)
            else:
                self.finished.emit(result)

        self.worker = threading.Thread(target=work, name="shopdesk-job", daemon=True)
        self.worker.start()

    def cancel(self) -> None:
        self.stop.set()

    def join(self) -> None:
        if self.worker is not None:
            self.worker.join()


class JobDialog(QDialog):
    """A dialog that runs one BackgroundJob: its progress bar, status line, error label
    and Cancel button, and it never closes while the job runs (closing asks it to stop
    instead). Subclasses start it with `_running` then `job.run`, and override
    `_finished` and `_idle`. GUI thread only."""

    def __init__(self, parent: QWidget | None, cancel_text: str) -> None:
        super().__init__(parent)
        self.job = BackgroundJob(self)
        self.job.progress.connect(self._progress)
        self.job.finished.connect(self._finished)
        self.job.failed.connect(self._failed)
        self.error = ErrorLabel()
        self.bar = QProgressBar()
        self.bar.setFormat("%v of %m")
        self.bar.hide()
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.cancel_button = QPushButton(cancel_text)
        self.cancel_button.clicked.connect(self.cancel)
        self.cancel_button.hide()
        # From `_running` until the job's end is delivered here (the worker thread may
        # still be winding down then, so `job.running` is not the dialog's state).
        self.busy = False

    def _buttons(self, start: QPushButton, *left: QWidget) -> QHBoxLayout:
        """The button row: `left` ones, then Cancel, `start` and Close on the right."""
        close = QPushButton("Close")
        close.clicked.connect(self.reject)
        row = QHBoxLayout()
        for widget in left:
            row.addWidget(widget)
        row.addStretch(1)
        for widget in (self.cancel_button, start, close):
            row.addWidget(widget)
        return row

    def _running(self, total: int, text: str) -> None:
        """Show the job as started (call just before `job.run`)."""
        self.busy = True
        self.error.show_message("")
        self.bar.setRange(0, max(total, 1))
        self.bar.setValue(0)
        self.bar.show()
        self.status.setText(text)
        self.cancel_button.setEnabled(True)
        self.cancel_button.show()

    def _idle(self) -> None:
        """Enable what may start another run (the job has ended)."""

    def cancel(self) -> None:
        """Ask the job to stop (the import after the batch in hand)."""
        if self.busy:
            self.job.cancel()
            self.cancel_button.setEnabled(False)
            self.status.setText("Cancelling…")

    def _progress(self, done: int, total: int) -> None:
        self.bar.setRange(0, max(total, done, 1))
        self.bar.setValue(done)

    def _finished(self, result: object) -> None:
        self.busy = False
        self.cancel_button.hide()
        self._idle()

    def _failed(self, error: BaseException) -> None:
        self.busy = False
        self.cancel_button.hide()
        self.bar.hide()
        self.status.setText("")
        self._idle()
        self.error.show_message(str(error))

    def reject(self) -> None:
        if self.busy:  # never leave a job running behind a closed dialog
            self.cancel()
            return
        super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.busy:
            self.cancel()
            event.ignore()
            return
        super().closeEvent(event)
