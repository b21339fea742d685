"""Alembic configured in code; the database file is copied before any upgrade.

`upgrade(db_path)` is what start-up calls. When the database is already at the
head revision it only reads the version table (no copy, no alembic scripts
beyond the directory scan), so a normal start stays fast.
"""

from __future__ import annotations

import logging
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from shopdesk import paths
from shopdesk.errors import ShopdeskError

if TYPE_CHECKING:
    from alembic.config import Config

# The newest revision in migrations/versions. Start-up compares the database's
# revision with this constant and imports alembic (about 0.3 s) only when they
# differ; tests/core/test_migrations.py keeps it equal to alembic's own head.
SCHEMA_HEAD = "0006"

log = logging.getLogger(__name__)


def alembic_config(db_path: Path) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(paths.migrations_dir()))
    cfg.set_main_option("sqlalchemy.url", f"sqlite:///{db_path}")
    return cfg


def head_revision(cfg: Config) -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(cfg).get_current_head()


def current_revision(db_path: Path) -> str | None:
    if not db_path.exists():
        return None
    con = sqlite3.connect(db_path)
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


def backup(db_path: Path, label: str) -> Path:
    """A consistent copy of the database (SQLite online backup, WAL included)."""
    target_dir = paths.backups_dir(db_path.parent)
    target_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = target_dir / f"{db_path.stem}-{stamp}-before-{label}.sqlite"
    src = sqlite3.connect(db_path)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    return target


def upgrade(db_path: Path) -> Path | None:
    """Bring the database to head; returns the backup made, if any."""
    current = current_revision(db_path)
    if current == SCHEMA_HEAD:
        return None
    from alembic import command
    from alembic.script import ScriptDirectory

    cfg = alembic_config(db_path)
    scripts = ScriptDirectory.from_config(cfg)
    head = scripts.get_current_head()
    if current == head:
        return None
    if current is not None and current not in {s.revision for s in scripts.walk_revisions()}:
        # Never "upgrade" a file written by a newer shopdesk: refuse before
        # touching it, and say what to do.
        raise ShopdeskError(
            f"the database {db_path} was written by a newer shopdesk (schema {current}; "
            f"this version knows up to {head}); install the newer shopdesk to open it")
    copy = None
    if db_path.exists() and db_path.stat().st_size > 0:
        copy = backup(db_path, f"upgrade-to-{head}")
        log.info("database backed up to %s before upgrading %s -> %s", copy, current, head)
    command.upgrade(cfg, "head")
    return copy


