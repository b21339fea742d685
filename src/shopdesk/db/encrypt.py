"""Encrypting a plain database from before encryption, in place, losing nothing.

`encrypt_in_place(db_path, key)` is what the upgrade runs on a plain file:

1. the plain file is checkpointed and taken out of WAL mode, which SQLite allows only
   to the one connection that has it open, so another shopdesk still holding the
   file is found here and nothing is touched; that connection then keeps a lock
   (`locking_mode=EXCLUSIVE`), so no other process can commit to the old file;
2. SQLCipher's `sqlcipher_export` copies it into ``<name>.encrypting``, a new file;
3. the copy is checked: `integrity_check` and the row count of every table must
   match the original;
4. a copy of the checked file goes to ``<data dir>/backups/`` (the backup made
   before the conversion), the new file is flushed to disk, and an atomic rename
   puts it in place of the original.

Until step 4's rename the original file is as it was (only its journal mode
changed, which the next open sets back), so a crash or a kill at any moment leaves
either the untouched original or the finished encrypted file; a left-over
``.encrypting`` file (encrypted, never the original) is removed by the next try.
The plain copies earlier upgrades left in ``backups/`` are encrypted the same way.
Any thread; the caller holds no connection to the file.
"""

from __future__ import annotations

import logging
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

from shopdesk import paths
from shopdesk.db import cipher
from shopdesk.errors import ShopdeskError

log = logging.getLogger(__name__)


def _remove(*files: Path) -> None:
    for file in files:
        file.unlink(missing_ok=True)


def _fsync(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def _fsync_dir(path: Path) -> None:
    if os.name == "nt":  # directories cannot be opened for fsync on Windows
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _export_checked(plain: Path, key: cipher.DbKey, work: Path) -> None:
    """Export `plain` into `work` (encrypted) and check it; `plain` is left as it was."""
    _remove(work)
    con = cipher.connect(plain, None)
    try:
        try:
            con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            mode = con.execute("PRAGMA journal_mode = DELETE").fetchone()[0]
        except cipher.Error as exc:
            raise ShopdeskError(f"{plain} is in use by another program (close every shopdesk "
                                f"window and command on it, then start again): {exc}") from None
        if str(mode).lower() != "delete":
            raise ShopdeskError(f"{plain} is in use by another program (close every shopdesk "
                                "window and command on it, then start again)")
        con.execute("PRAGMA locking_mode = EXCLUSIVE")
        source = cipher.counts(con)  # takes the shared lock, held until close
        cipher.export(con, work, key)
    finally:
        con.close()
    problem, copied = cipher.check(work, key)
    if problem != "ok" or copied != source:
        _remove(work)
        differ = sorted(t for t in set(source) | set(copied) if source.get(t) != copied.get(t))
        raise ShopdeskError(f"encrypting {plain} failed its check ({problem}; tables that "
                            f"differ: {', '.join(differ) or 'none'}); the plain file is "
                            "unchanged")
    _fsync(work)


def encrypt_in_place(db_path: Path, key: cipher.DbKey) -> Path:
    """Encrypt the plain database at `db_path` with `key`; returns the backup copy."""
    work = db_path.with_name(db_path.name + ".encrypting")
    _export_checked(db_path, key, work)
    target_dir = paths.backups_dir(db_path.parent)
    target_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    copy = target_dir / f"{db_path.stem}-{stamp}-before-encryption.sqlite"
    shutil.copyfile(work, copy)
    _fsync(copy)
    os.replace(work, db_path)
    # The plain file's -wal and -shm went with its WAL mode; never leave them
    # beside the encrypted file (SQLite would try to read them).
    _remove(db_path.with_name(db_path.name + "-wal"), db_path.with_name(db_path.name + "-shm"))
    _fsync_dir(db_path.parent)
    log.info("database %s encrypted (a copy is in %s)", db_path, copy)
    for old in sorted(target_dir.glob("*.sqlite")):
        if cipher.file_state(old) == "plain":
            _encrypt_copy(old, key)
    return copy


def _encrypt_copy(path: Path, key: cipher.DbKey) -> None:
    """A plain copy left by an earlier upgrade: encrypted in place, the same way."""
    work = path.with_name(path.name + ".encrypting")
    try:
        _export_checked(path, key, work)
    except (ShopdeskError, cipher.Error) as exc:
        log.warning("could not encrypt the old copy %s: %s", path, exc)
        return
    os.replace(work, path)
    _remove(path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm"))
