"""Automatic backups while the app runs, on a thread of their own (spec 12.1).

The runner wakes every few minutes and takes a backup when one is due (none good
within a day, `BackupService.due`), and at once when staff ask (`request`). A
backup reads the database through its own connection under one read transaction
(writers go on in WAL mode) and spends its time in SQLite, zlib and AES, which
release the interpreter lock, so the window keeps answering meanwhile (measured by
tests/ui/test_backup_ui.py and bench/backup.py). Each outcome goes to `report`,
called on the runner's thread: the window turns it into a Qt signal.

Thread rule: `start`, `request` and `stop` from any one thread (the GUI's);
`report` runs on the runner thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from shopdesk.errors import ShopdeskError
from shopdesk.services.backup.backups import BackupResult, BackupService

log = logging.getLogger(__name__)

Report = Callable[[BackupResult | None, str], None]  # (result, problem); result None: failed


class BackupRunner:
    """One background thread taking backups for one shop (module docstring)."""

    def __init__(self, backups: BackupService, report: Report, *, interval: float = 600.0,
                 first_check: float = 120.0) -> None:
        self._backups, self._report = backups, report
        self._interval, self._first = interval, first_check
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._asked = False
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.running = threading.Event()  # set while a backup is being taken

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="shopdesk-backup",
                                            daemon=True)
            self._thread.start()

    def request(self) -> None:
        """Take a backup now (staff pressed "Back up now")."""
        with self._lock:
            self._asked = True
        self._wake.set()

    def stop(self, timeout: float | None = None) -> None:
        """Stop the thread; a backup under way finishes first (it cannot be cut short
        safely half-way through its verification, and it never blocks a writer)."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _loop(self) -> None:
        wait = self._first
        while not self._stopping.is_set():
            self._wake.wait(wait)
            self._wake.clear()
            wait = self._interval
            if self._stopping.is_set():
                return
            with self._lock:
                asked, self._asked = self._asked, False
            try:
                if not asked and not self._backups.due():
                    continue
                self.running.set()
                result = self._backups.run("manual" if asked else "auto")
                self._report(result, result.problem)
            except ShopdeskError as exc:
                self._report(None, str(exc))
            except Exception as exc:  # a bug must not end automatic backups for the day
                log.exception("backup failed")
                self._report(None, f"backup failed: {exc}")
            finally:
                self.running.clear()
