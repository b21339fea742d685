"""A consistent copy of the live database, taken while the app keeps working.

SQLite's online backup API copies the database under one read transaction of the
source connection: in WAL mode writers go on meanwhile, and the copy is the
database as it was at one instant (never a file copy of a live database). The row
counts of every table are read in that same transaction, before the copy, so the
copy can be checked against the source at the moment it was taken.

The copy is a SQLCipher file under a throwaway key (random, in memory only), in
``<data dir>/tmp/``: `db.pages` then reads its plain pages into the backup file.
Any thread; the caller removes the snapshot (`Snapshot.remove`).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from shopdesk import private_files
from shopdesk.db import cipher
from shopdesk.errors import ShopdeskError

SPARE = 64 * 1024 * 1024  # left free on the disk beyond the copy itself


@dataclass
class Snapshot:
    path: Path
    key: cipher.DbKey
    counts: dict[str, int]  # the source's rows per table at the moment of the copy
    seconds: float

    def remove(self) -> None:
        for suffix in ("", "-journal", "-wal", "-shm"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)


def work_dir(root: Path) -> Path:
    return root / "tmp"


def clear_leftovers(root: Path) -> None:
    """Snapshots of a backup that was killed (encrypted, under keys now forgotten)."""
    for path in work_dir(root).glob("snapshot-*"):
        with contextlib.suppress(OSError):  # another process's, still open (Windows)
            path.unlink()


def ensure_space(folder: Path, size: int) -> None:
    """Refuse before writing a working copy of `size` bytes that would fill the disk
    the live database is on (its own writes would then fail)."""
    free = shutil.disk_usage(folder).free
    if free < size + SPARE:
        raise ShopdeskError(f"not enough free space for the backup's working copy in "
                            f"{folder}: {free // 2**20} MB free, {(size + SPARE) // 2**20} MB "
                            "needed (the live database was not touched)")


def take(db_path: Path, key: cipher.DbKey, root: Path) -> Snapshot:
    """Copy the live database at `db_path` into a new snapshot and check the copy."""
    folder = private_files.private_dir(work_dir(root))
    ensure_space(folder, db_path.stat().st_size + _wal_size(db_path))
    throwaway = cipher.DbKey(secrets.token_bytes(32), secrets.token_bytes(16))
    target = folder / f"snapshot-{uuid.uuid4().hex}.sqlite"
    started = time.perf_counter()
    source = cipher.connect(db_path, key)
    snapshot = Snapshot(target, throwaway, {}, 0.0)
    try:
        dest = cipher.connect(target, throwaway, verify=False)
        try:
            source.execute("BEGIN")  # one read transaction: the counts and the copy agree
            snapshot.counts = cipher.counts(source)
            source.backup(dest)
            source.execute("COMMIT")
            dest.execute("PRAGMA journal_mode = DELETE")  # one closed file, no -wal
            problem = cipher.integrity(dest)
            copied = cipher.counts(dest)
        finally:
            dest.close()
    except BaseException:
        snapshot.remove()
        raise
    finally:
        source.close()
    snapshot.seconds = time.perf_counter() - started
    if problem != "ok" or copied != snapshot.counts:
        snapshot.remove()
        raise ShopdeskError(f"the copy of the database failed its check ({problem}); "
                            "nothing was written to the backup folder")
    return snapshot


def _wal_size(db_path: Path) -> int:
    try:
        return os.stat(f"{db_path}-wal").st_size
    except FileNotFoundError:
        return 0
