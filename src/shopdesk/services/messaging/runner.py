"""The background messaging thread: a delivery run after each local write that queued a
message, and on a timer (every `interval` seconds, for retries and delays).

Promises: runs `MessagingService.deliver` on its own thread, so the window's event
loop never waits on a provider; `on_report` is called on that thread after each run
(the UI turns it into a Qt signal); `stop()` ends it between two messages. Nothing
here touches Qt.

Thread rule: start/stop/nudge from any thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from shopdesk.changes import Changes
from shopdesk.services.messaging.service import MessagingService
from shopdesk.services.messaging.views import DeliveryReport

log = logging.getLogger(__name__)


class MessagingRunner:
    def __init__(self, service: MessagingService, *, interval: float = 30.0,
                 on_report: Callable[[DeliveryReport], None] | None = None) -> None:
        self._service = service
        self.interval = interval
        self._on_report = on_report
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="shopdesk-messaging",
                                            daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def nudge(self, changes: Changes | None = None) -> None:
        """Wake the thread (a Store listener: after a write that queued a message)."""
        if changes is None or changes.messages or changes.tickets or changes.customers:
            self._wake.set()

    def _loop(self) -> None:
        try:
            self._service.warm()
        except Exception:  # only a head start; the events work without it
            log.exception("messaging warm-up failed")
        while not self._stop.is_set():
            try:
                report = self._service.sender.deliver(stop=self._stop)
            except Exception:  # a bug must not kill the thread: logged, retried later
                log.exception("messaging run failed")
                report = None
            if report is not None and self._on_report is not None:
                self._on_report(report)
            self._wake.wait(self.interval)
            self._wake.clear()
