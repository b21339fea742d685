"""Automatic backups while the app runs, on a thread of their own (spec 12.1).

The runner wakes every few minutes and takes a backup when one is due (none good
within a day, `BackupService.due`), and at once when staff ask (`request`). A
backup reads the database through its own connection under one read transaction,
so writers go on meanwhile (WAL). Given a `command` (the window gives
``shopdesk backup now --json``), the backup runs in a child process: its work
(decrypting, compressing, encrypting and checking every page) then never holds
this process's interpreter lock, and the window keeps answering (measured by
tests/ui/test_backup_ui.py and bench/backup.py); the database key goes to the child
on its standard input, never on its command line or in its environment. Without a
command it runs on the runner's thread (tests). Each outcome goes to `report`,
called on the runner's thread: the window turns it into a Qt signal.

Thread rule: `start`, `request` and `stop` from any one thread (the GUI's);
`report` runs on the runner thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from shopdesk.errors import ShopdeskError
from shopdesk.services import child
from shopdesk.services.backup.backups import BackupService
from shopdesk.services.backup.parts import BackupResult

log = logging.getLogger(__name__)

Report = Callable[[BackupResult | None, str], None]  # (result, problem); result None: failed


class BackupRunner:
    """One background thread taking backups for one shop (module docstring)."""

    def __init__(self, backups: BackupService, report: Report, *, interval: float = 600.0,
                 first_check: float = 120.0, command: list[str] | None = None,
                 key: bytes | None = None) -> None:
        self._backups, self._report = backups, report
        self._child = child.ChildRun(command, key) if command else None
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
        """Stop the thread. A backup under way in a child process is ended (its
        unfinished file is cleared by the next backup; the finished ones are never
        touched); one on this thread finishes first."""
        self._stopping.set()
        self._wake.set()
        if self._child is not None:
            self._child.kill()
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
            except ShopdeskError as exc:
                self._report(None, str(exc))
                continue
            self._take("manual" if asked else "auto")

    def _take(self, reason: str) -> None:
        result: BackupResult | None = None
        problem = ""
        self.running.set()
        try:
            result = self._in_child(reason) if self._child else self._backups.run(reason)
            problem = result.problem
        except ShopdeskError as exc:
            problem = str(exc)
        except Exception as exc:  # a bug must not end automatic backups for the day
            log.exception("backup failed")
            problem = f"backup failed: {exc}"
        finally:
            self.running.clear()  # before the report: whoever reads it sees it done
        self._report(result, problem)

    def _in_child(self, reason: str) -> BackupResult:
        assert self._child is not None
        found = self._child.run("--reason", reason)
        return BackupResult(bool(found["ok"]), found["name"], Path(found["path"]), found["at"],
                            found.get("problem", ""), float(found.get("seconds", 0)),
                            int(found.get("size", 0)))


def child_command(root: Path) -> list[str]:
    """The command line that runs ``shopdesk backup now --json`` on `root` as this
    program does (`shopdesk.services.child.child_command`)."""
    return child.child_command(root, "backup", "now", "--json")
