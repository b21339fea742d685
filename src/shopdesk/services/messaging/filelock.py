"""An exclusive, non-blocking lock on a file, released when the process dies.

`fcntl.flock` on POSIX, `msvcrt.locking` on Windows: the operating system drops the
lock with the process, so a sender killed mid-run never leaves a stale lock.
Thread rule: one FileLock per process and file; acquire/release from any thread.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import IO


class FileLock:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[bytes] | None = None
        self._guard = threading.Lock()

    def acquire(self) -> bool:
        """Take the lock; False at once when another process or thread holds it."""
        if not self._guard.acquire(blocking=False):
            return False
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+b")  # noqa: SIM115 - held until release()
        try:
            if os.name == "nt":  # pragma: no cover - Windows
                import msvcrt

                handle.seek(0)
                msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
            else:
                import fcntl

                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            self._guard.release()
            return False
        self._file = handle
        return True

    def release(self) -> None:
        handle, self._file = self._file, None
        if handle is None:
            return
        try:
            if os.name == "nt":  # pragma: no cover - Windows
                import msvcrt

                handle.seek(0)
                msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)  # type: ignore[attr-defined]
            else:
                import fcntl

                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        finally:
            handle.close()
            self._guard.release()
