"""Waking a counter when another counter changed something (issue 11): no idle polling
every second, yet changes arrive at once.

The server pokes after every push that changed a row: `NOTIFY shopdesk_sync, '<seq>'`
(and, on Supabase with Realtime, a broadcast of the sequence number only, never row
data). `ListenPoke` holds one extra connection of the terminal's own role, LISTENs, and
calls `wake()` for each notification; the sync runner then runs a round at once.

LISTEN needs a session: it is used on a direct connection, not through a transaction
pooler (port 6543), where the runner simply polls (backing off while idle).

Thread rule: `start()`/`stop()` from any thread; `wake` is called on the poke's own thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, Protocol
from urllib.parse import urlsplit

from shopdesk.sync.wire.direct import connect_kwargs, login_refused

log = logging.getLogger(__name__)
CHANNEL = "shopdesk_sync"
TRANSACTION_POOLER_PORT = 6543


class Poke(Protocol):
    def start(self, wake: Callable[[], None]) -> None: ...
    def stop(self) -> None: ...


def can_listen(url: str) -> bool:
    """LISTEN works on a direct connection or a session pooler, not a transaction one."""
    return urlsplit(url).port != TRANSACTION_POOLER_PORT


class ListenPoke:
    """LISTEN on the central Postgres as this terminal (see the module docstring)."""

    def __init__(self, url: str, role: str | None, token: str, **extra: Any) -> None:
        self._url = url
        self._kwargs = connect_kwargs(url, role, token, extra.get("ca_file"))
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._conn: Any = None
        self.notifications = 0
        self.listening = threading.Event()  # set while a LISTEN is in place

    def start(self, wake: Callable[[], None]) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, args=(wake,),
                                            name="shopdesk-sync-poke", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        conn = self._conn
        if conn is not None:
            try:
                conn.close()  # ends a waiting notifies() at once
            except Exception:
                log.debug("closing the poke connection failed", exc_info=True)
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None

    def _loop(self, wake: Callable[[], None]) -> None:
        import psycopg

        delay = 1.0
        while not self._stop.is_set():
            try:
                self._conn = psycopg.connect(self._url, **self._kwargs)
                self._conn.execute(f"LISTEN {CHANNEL}")
                self.listening.set()
                delay = 1.0
                while not self._stop.is_set():
                    for _ in self._conn.notifies(timeout=30.0, stop_after=1):
                        self.notifications += 1
                        wake()
            except psycopg.Error as exc:
                if self._stop.is_set():
                    return
                if login_refused(exc):
                    log.info("sync poke: login refused; the sync round will say why")
                    return
                log.info("sync poke: %s; listening again in %.0f s", exc, delay)
                self._stop.wait(delay)
                delay = min(60.0, delay * 2)
            finally:
                self.listening.clear()
                if self._conn is not None:
                    try:
                        self._conn.close()
                    except Exception:
                        log.debug("closing the poke connection failed", exc_info=True)
                    self._conn = None
