"""Alembic configured in code; the database file is copied before any upgrade.

`upgrade(db_path, key)` is what start-up calls. A plain database from before
encryption is first encrypted in place (`db.encrypt`, after a copy). When the
database is already at the head revision it only reads the version table (no copy,
no alembic scripts beyond the directory scan), so a normal start stays fast. Every
connection is SQLCipher's (`db.cipher`); the copy before an upgrade is encrypted
with the database's own key.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from shopdesk import paths, private_files
from shopdesk.db import cipher, dbkey
from shopdesk.errors import ShopdeskError

if TYPE_CHECKING:
    from alembic.config import Config

# The newest revision in migrations/versions. Start-up compares the database's
# revision with this constant and imports alembic (about 0.3 s) only when they
# differ; tests/core/test_migrations.py keeps it equal to alembic's own head.

SCHEMA_HEAD = "0009"

log = logging.getLogger(__name__)


def alembic_config(db_path: Path, key: cipher.DbKey | None = None) -> Config:
    """Alembic's configuration for `db_path`; migrations/env.py opens it with
    `make_engine` and `key` (None: the database's own, as `db.dbkey` finds it)."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(paths.migrations_dir()))
    cfg.set_main_option("sqlalchemy.url", f"sqlite:///{db_path}")
    cfg.attributes["db_key"] = key
    return cfg


def head_revision(cfg: Config) -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(cfg).get_current_head()


def current_revision(db_path: Path, key: cipher.DbKey | None = None) -> str | None:
    state = cipher.file_state(db_path)
    if state in ("missing", "empty"):
        return None
    if state == "encrypted":
        key = key or dbkey.existing(db_path)
    con = cipher.connect(db_path, key if state == "encrypted" else None)
    try:
        row = con.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name='alembic_version'"
        ).fetchone()
        if row is None:
            return None
        version = con.execute("SELECT version_num FROM alembic_version").fetchone()
        return version[0] if version else None
    finally:
        con.close()


def backup(db_path: Path, label: str, key: cipher.DbKey | None = None) -> Path:
    """A consistent copy of the database (SQLite online backup, WAL included),
    encrypted with the database's own key."""
    key = key or dbkey.existing(db_path)
    target_dir = private_files.private_dir(paths.backups_dir(db_path.parent))
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = target_dir / f"{db_path.stem}-{stamp}-before-{label}.sqlite"
    private_files.create_private(target)
    src = cipher.connect(db_path, key)
    dst = cipher.connect(target, key, verify=False)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    return target


def upgrade(db_path: Path, key: cipher.DbKey | None = None,
            passphrase: str | None = None, copy_first: bool = True) -> Path | None:
    """Encrypt a plain database, then bring it to head; returns the copy made, if any.
    `key`: the database's (None: found, or made for a new or plain file).
    `copy_first=False` for a file that is itself a copy (a restore's work file)."""
    state = cipher.file_state(db_path)
    key = key or dbkey.for_database(db_path, passphrase)
    copy = None
    if state == "plain":
        from shopdesk.db.encrypt import encrypt_in_place

        copy = encrypt_in_place(db_path, key)
    current = current_revision(db_path, key)
    if current == SCHEMA_HEAD:
        return copy
    from alembic import command
    from alembic.script import ScriptDirectory

    cfg = alembic_config(db_path, key)
    scripts = ScriptDirectory.from_config(cfg)
    head = scripts.get_current_head()
    if current == head:
        return copy
    if current is not None and current not in {s.revision for s in scripts.walk_revisions()}:
        # Never "upgrade" a file written by a newer shopdesk: refuse before
        # touching it, and say what to do.
        raise ShopdeskError(
            f"the database {db_path} was written by a newer shopdesk (schema {current}; "
            f"this version knows up to {head}); install the newer shopdesk to open it")
    if copy_first and cipher.file_state(db_path) == "encrypted":
        copy = backup(db_path, f"upgrade-to-{head}", key)
        log.info("database backed up to %s before upgrading %s -> %s", copy, current, head)
    command.upgrade(cfg, "head")
    return copy


