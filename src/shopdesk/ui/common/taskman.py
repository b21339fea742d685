"""Running core calls off the GUI thread (Anki's ``CollectionOp`` / ``QueryOp``).

    ops.write(parent, lambda: shop.customers.register(data), on_success, on_error)
    ops.query(parent, lambda: shop.customers.search_ids(text), on_success)

Writes run one at a time on a single worker thread; reads run on a small pool.
Results come back to the GUI thread through a queued Qt signal, so callbacks may
touch widgets; the functions handed in must not. After each successful write
the `UiBus.ops_did_execute` signal carries the write's `Changes` to every screen.

The worker threads share the interpreter lock with the GUI thread, which takes it
for every call from Qt into Python (a slot, a model's `data`). Python's default
5 ms switch interval means the GUI thread can wait that long at each such call
while a worker runs Python, and longer when two workers compete for the lock too
(the window stalled 30-50 ms while searches ran on both read threads); a
`TaskManager` lowers the interval to `GIL_SWITCH_S`, which bounds each wait at 1 ms.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWidgets import QMessageBox, QWidget

from shopdesk.changes import Changes
from shopdesk.errors import ShopdeskError

log = logging.getLogger(__name__)

GIL_SWITCH_S = 0.001  # module docstring; a lower value costs throughput for nothing seen
Success = Callable[[Any], object]  # what it returns is ignored
Failure = Callable[[BaseException], None]


class UiBus(QObject):
    """Application-wide signals. Lives on, and emits on, the GUI thread only."""

    ops_did_execute = Signal(object)  # Changes


def changes_of(result: Any) -> Changes:
    """The `Changes` a service call returned (`Saved.changes`, or inside a tuple)."""
    if isinstance(result, Changes):
        return result
    found = getattr(result, "changes", None)
    if isinstance(found, Changes):
        return found
    if isinstance(result, tuple):
        for item in result:
            if isinstance(item, Changes):
                return item
    return Changes()


class _Relay(QObject):
    """Carries a finished job from a worker thread to the GUI thread (queued)."""

    finished = Signal(object)


class _Job:
    def __init__(self, parent: QWidget | None, on_success: Success | None,
                 on_error: Failure | None, is_write: bool,
                 changes: Changes | Callable[[Any], Changes] | None) -> None:
        self.parent = parent
        self.on_success = on_success
        self.on_error = on_error
        self.is_write = is_write
        self.changes = changes
        self.result: Any = None
        self.error: BaseException | None = None


class TaskManager(QObject):
    """Submits core calls to worker threads and delivers results on the GUI thread.

    Thread rule: create it and call `write`/`query`/`shutdown` on the GUI thread.
    The submitted functions run on worker threads and must not touch widgets;
    `on_success` / `on_error` always run on the GUI thread.
    """

    def __init__(self, bus: UiBus | None = None, parent: QObject | None = None,
                 read_workers: int = 2) -> None:
        super().__init__(parent)
        if sys.getswitchinterval() > GIL_SWITCH_S:
            sys.setswitchinterval(GIL_SWITCH_S)
        self.bus = bus or UiBus(self)
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="shopdesk-write")
        self._readers = ThreadPoolExecutor(max_workers=read_workers,
                                           thread_name_prefix="shopdesk-read")
        self._relay = _Relay()
        self._relay.finished.connect(self._deliver, Qt.ConnectionType.QueuedConnection)
        self._pending = 0
        self._lock = threading.Lock()
        self._closed = False

    # -- public API -------------------------------------------------------------
    def write(self, parent: QWidget | None, fn: Callable[[], Any],
              on_success: Success | None = None, on_error: Failure | None = None,
              changes: Changes | Callable[[Any], Changes] | None = None) -> Future[Any] | None:
        """Run `fn` on the writer thread; then broadcast its Changes.

        `changes` overrides what `changes_of(result)` finds (for calls such as
        `staff.create` that return no Changes).
        """
        return self._submit(self._writer, _Job(parent, on_success, on_error, True, changes), fn)

    def query(self, parent: QWidget | None, fn: Callable[[], Any],
              on_success: Success | None = None,
              on_error: Failure | None = None) -> Future[Any] | None:
        """Run the read-only `fn` on the read pool."""
        return self._submit(self._readers, _Job(parent, on_success, on_error, False, None), fn)

    @property
    def busy(self) -> bool:
        """True while a submitted job has not yet been delivered."""
        return self._pending > 0

    def shutdown(self, wait: bool = True) -> None:
        """Stop accepting work, drop queued jobs and join the worker threads."""
        if self._closed:
            return
        self._closed = True
        self._writer.shutdown(wait=wait, cancel_futures=True)
        self._readers.shutdown(wait=wait, cancel_futures=True)

    @property
    def closed(self) -> bool:
        return self._closed

    # -- plumbing ---------------------------------------------------------------
    def _submit(self, pool: ThreadPoolExecutor, job: _Job,
                fn: Callable[[], Any]) -> Future[Any] | None:
        if self._closed:
            return None
        self._pending += 1
        relay = self._relay

        def run() -> None:
            try:
                job.result = fn()
            except BaseException as exc:  # delivered to on_error on the GUI thread
                job.error = exc
            relay.finished.emit(job)

        return pool.submit(run)

    @Slot(object)
    def _deliver(self, job: _Job) -> None:
        self._pending -= 1
        if self._closed:
            return
        if job.parent is not None and not shiboken6.isValid(job.parent):
            return  # the screen that asked is gone
        if job.error is not None:
            if job.on_error is not None:
                job.on_error(job.error)
            else:
                show_error(job.parent, job.error)
            return
        if job.is_write:
            if callable(job.changes):
                changes = job.changes(job.result)
            else:
                changes = job.changes or changes_of(job.result)
            if job.on_success is not None:
                job.on_success(job.result)
            self.bus.ops_did_execute.emit(changes)
        elif job.on_success is not None:
            job.on_success(job.result)


def show_error(parent: QWidget | None, error: BaseException) -> None:
    """The default error handler: the core's one-line message in a message box."""
    if isinstance(error, ShopdeskError):
        QMessageBox.warning(parent, "shopdesk", str(error))
        return
    log.error("unexpected error", exc_info=error)
    QMessageBox.critical(parent, "shopdesk", f"Unexpected error: {error!r}")
