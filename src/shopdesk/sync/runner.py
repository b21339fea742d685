"""The background sync thread: rounds after local writes, on a timer, and retried with backoff.

Promises:
- A local write nudges a round at once (its change reaches the server in
  well under a second when online). While changes flow (a round pushed or
  pulled something) it pulls every `interval` seconds, so other counters'
  changes arrive within ~1 s; while nothing happens it backs off, doubling up to
  `idle_cap` (1 s -> 30 s), which saves most of a counter's idle egress; a poke
  from the server (`sync.wire.poke`: LISTEN/NOTIFY) wakes it at once.
- A failed round is retried by itself, with exponential backoff and full
  jitter (1 s doubling to a 5 min cap), with no new local write needed.
- A paused sync (copied database, revoked terminal, not joined) waits for
  `sync_now()` or a restart instead of hammering the server.
- `on_status` is called on the sync thread after every round; the UI turns
  it into a Qt signal. Nothing here touches Qt.

Thread rule: start/stop/nudge/sync_now from any thread.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass

from shopdesk.changes import Changes
from shopdesk.sync.engine import RoundResult, SyncPaused
from shopdesk.sync.service import SyncService
from shopdesk.sync.views import SyncStatus
from shopdesk.sync.wire.poke import Poke
from shopdesk.sync.wire.transport import Forbidden, Retryable, TransportError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunnerReport:
    status: SyncStatus
    online: bool | None  # None: not joined or paused, so neither
    retrying_in: float | None
    result: RoundResult | None
    error: str | None


class SyncRunner:
    def __init__(self, service: SyncService, *, interval: float = 1.0,
                 backoff_base: float = 1.0, backoff_cap: float = 300.0,
                 idle_cap: float = 30.0, poke: Poke | None = None,
                 on_status: Callable[[RunnerReport], None] | None = None) -> None:
        self._service = service
        self.interval, self.backoff_base, self.backoff_cap = interval, backoff_base, backoff_cap
        self.idle_cap = max(idle_cap, interval)
        self._idle_delay = interval
        self._poke = poke
        self._on_status = on_status
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.failures = 0
        self.online: bool | None = None
        self.rounds = 0
        self.pokes = 0
        self._paused = False  # until sync_now(): a paused sync waits for staff
        self._done = threading.Condition()

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="shopdesk-sync", daemon=True)
            self._thread.start()
            if self._poke is not None:
                self._poke.start(self.poked)

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._poke is not None:
            self._poke.stop()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def nudge(self, _changes: Changes | None = None) -> None:
        """Run a round soon (subscribe this to the store's writes)."""
        self._idle_delay = self.interval
        self._wake.set()

    def poked(self) -> None:
        """The server says another counter changed something: pull now."""
        self.pokes += 1
        self.nudge()

    def sync_now(self) -> None:
        self.failures = 0
        self._paused = False
        self._wake.set()

    def _loop(self) -> None:
        delay = 0.0
        while not self._stop.is_set():
            self._wake.wait(delay)
            self._wake.clear()
            if self._stop.is_set():
                return
            if self._paused:
                delay = self.backoff_cap
                continue
            delay = self._round()

    def _round(self) -> float:
        result, error, retry = None, None, None
        try:
            result = self._service.run_once()
            self.failures, self.online = 0, True
            if result.pushed or result.pulled:
                self._idle_delay = self.interval
                delay = self.interval
            else:  # nothing moved: wait longer each time, up to the idle cap
                delay = self._idle_delay
                self._idle_delay = min(self.idle_cap, self._idle_delay * 2)
        except (SyncPaused, Forbidden) as exc:
            error, self.online, self._paused = str(exc), None, True
            delay = self.backoff_cap
        except (Retryable, TransportError) as exc:
            self.failures += 1
            self.online = not isinstance(exc, Retryable)
            error = str(exc)
            ceiling = min(self.backoff_cap, self.backoff_base * 2 ** (self.failures - 1))
            delay = retry = random.uniform(self.backoff_base, max(self.backoff_base, ceiling))
            log.info("sync round failed (%s); retrying in %.1f s", error, delay)
        except Exception as exc:  # a bug must not kill the thread: report it and retry later
            log.exception("sync round crashed")
            self.failures += 1
            error, retry = f"sync failed unexpectedly: {exc}", self.backoff_cap
            delay = retry
        with self._done:
            self.rounds += 1
            self._done.notify_all()
        if self._on_status is not None:
            try:
                self._on_status(RunnerReport(self._service.status(), self.online, retry,
                                             result, error))
            except Exception:
                log.exception("sync status listener failed")
        return delay

    def wait_rounds(self, count: int, timeout: float = 30.0) -> bool:
        """For tests and the CLI: block until `count` more rounds ran."""
        with self._done:
            target = self.rounds + count
            return self._done.wait_for(lambda: self.rounds >= target, timeout)

    def wait_total(self, rounds: int, timeout: float = 30.0) -> bool:
        """Block until `rounds` rounds in all have run since `start` (the first round
        starts at once: "one more" asked after it ended would wait for the next)."""
        with self._done:
            return self._done.wait_for(lambda: self.rounds >= rounds, timeout)
