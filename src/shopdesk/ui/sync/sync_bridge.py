"""The window's link to the background sync thread (`shopdesk.sync.runner.SyncRunner`).

    bridge = SyncBridge(shop, ops)   # in the main window
    bridge.start()                   # after the window shows: a runner if joined
    bridge.report.connect(...)       # RunnerReport, on the GUI thread
    bridge.stop()                    # window closes: joins the sync thread

What crosses threads, and how:
- the runner's `on_status` (sync thread) -> a queued signal -> `report` on the
  GUI thread;
- a local write (the TaskManager's writer thread) -> `Store.publish` -> the
  runner's `nudge`, which only sets a `threading.Event` (safe from any thread);
- rows applied by a pull (sync thread) -> `Store.publish` -> a queued signal
  connected to `UiBus.ops_did_execute`, so every screen refreshes from the
  pulled `Changes` exactly as after its own writes.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Qt, Signal, Slot

from shopdesk.changes import Changes
from shopdesk.shop import Shop
from shopdesk.sync.runner import RunnerReport, SyncRunner
from shopdesk.sync.views import SyncStatus
from shopdesk.ui.common.taskman import TaskManager

log = logging.getLogger(__name__)

class _Relay(QObject):
    """Emitted on the sync thread, received (queued) on the GUI thread."""

    status = Signal(object)  # RunnerReport
    changes = Signal(object)  # Changes applied by a pull
    working = Signal()  # a round is (about to be) under way


class _StoreListener:
    """Subscribed to `Store.publish` while sync runs; called on whichever thread
    wrote. It only sets an Event and emits signals, never touches a widget."""

    def __init__(self, runner: SyncRunner, relay: _Relay) -> None:
        self.runner, self.relay = runner, relay

    def __call__(self, changes: Changes) -> None:
        if changes.remote:
            # A pulled page: the UI refreshes; no nudge, or every pull would
            # start one more (empty) round at once.
            self.relay.working.emit()
            self.relay.changes.emit(changes)
        else:
            self.runner.nudge(changes)
            self.relay.working.emit()


class SyncBridge(QObject):
    """Owns the shop's SyncRunner while the window is open. GUI thread only
    (`start`, `stop`, `sync_now`, `nudge`); its signals are emitted on the GUI thread.

    Signals: `report(RunnerReport)` after every round; `busy()` when a round is
    known to be under way (Sync now, a local write to send, a page being
    pulled); `conflicts_changed()` when the number of open conflicts changed;
    `started(bool joined)` once `start()` knows whether this counter syncs.
    """

    report = Signal(object)
    busy = Signal()
    conflicts_changed = Signal()
    started = Signal(bool)

    def __init__(self, shop: Shop, ops: TaskManager, parent: QObject | None = None, *,
                 interval: float = 1.0, backoff_base: float = 1.0,
                 backoff_cap: float = 300.0) -> None:
        super().__init__(parent)
        self.shop, self.ops = shop, ops
        self._options = {"interval": interval, "backoff_base": backoff_base,
                         "backoff_cap": backoff_cap}
        self.runner: SyncRunner | None = None
        self.last_report: RunnerReport | None = None
        self.joined: bool | None = None  # None until start() has looked
        self._listener: _StoreListener | None = None
        self._stopped = False
        self._conflicts: int | None = None
        self._relay = _Relay()
        queued = Qt.ConnectionType.QueuedConnection
        self._relay.status.connect(self._on_status, queued)
        self._relay.working.connect(self._on_working, queued)
        # Straight onto the bus: screens cannot tell a pulled change from their own.
        self._relay.changes.connect(ops.bus.ops_did_execute, queued)

    # -- life cycle --------------------------------------------------------------
    def start(self) -> None:
        """Look (on the read pool) whether this counter joined a store; if so, run."""
        if self._stopped or self.runner is not None:
            return
        sync = self.shop.sync
        self.ops.query(None, sync.status, self._begin,
                       lambda error: log.warning("sync status unreadable: %s", error))

    def _begin(self, status: SyncStatus) -> None:
        self.joined = status.joined
        if self._stopped or self.runner is not None:
            return
        if status.joined:
            relay = self._relay
            opts = self._options
            self.runner = SyncRunner(self.shop.sync, on_status=relay.status.emit,
                                     interval=opts["interval"],
                                     backoff_base=opts["backoff_base"],
                                     backoff_cap=opts["backoff_cap"],
                                     poke=self.shop.sync.poke())
            self._listener = _StoreListener(self.runner, relay)
            self.shop.store.subscribe(self._listener)
            self.runner.start()
            self.busy.emit()
        self.started.emit(status.joined)

    def stop(self) -> None:
        """Stop the sync thread and wait for it (a round under way finishes first)."""
        self._stopped = True
        if self._listener is not None:
            self.shop.store.unsubscribe(self._listener)
            self._listener = None
        if self.runner is not None:
            self.runner.stop()

    @property
    def running(self) -> bool:
        return self.runner is not None and not self._stopped

    # -- staff actions -----------------------------------------------------------
    def sync_now(self) -> bool:
        """Run a round at once (also after a pause); False when not joined."""
        if not self.running or self.runner is None:
            return False
        self.runner.sync_now()
        self.busy.emit()
        return True

    def nudge(self) -> None:
        """A decision was queued (resolve, dismiss): send it soon."""
        if self.running and self.runner is not None:
            self.runner.nudge()

    # -- from the sync thread (queued) -------------------------------------------
    @Slot(object)
    def _on_status(self, report: RunnerReport) -> None:
        if self._stopped:
            return
        self.last_report = report
        self.report.emit(report)
        count = report.status.open_conflicts + report.status.rejected
        if count != self._conflicts:
            first = self._conflicts is None
            self._conflicts = count
            if not first:
                self.conflicts_changed.emit()

    @Slot()
    def _on_working(self) -> None:
        if not self._stopped:
            self.busy.emit()
