"""Migrations: a new directory is created at head, upgrades copy the file first,
and the models match the migrations exactly."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from shopdesk import paths
from shopdesk.db import dbkey, migrate
from shopdesk.db.engine import make_engine
from shopdesk.models import Base
from shopdesk.shop import Shop


def test_first_start_creates_database_at_head(tmp_path: Path) -> None:
    shop = Shop.open(tmp_path / "new")
    db = paths.database_path(tmp_path / "new")
    head = migrate.head_revision(migrate.alembic_config(db))
    assert migrate.current_revision(db) == head
    assert not paths.backups_dir(tmp_path / "new").exists()  # nothing to back up
    shop.close()
    assert migrate.upgrade(db) is None  # already at head: no copy, no work


def test_upgrade_backs_up_the_file_first(tmp_path: Path) -> None:
    root = tmp_path / "old"
    Shop.open(root).close()
    db = paths.database_path(root)
    # Take the file back to before the current schema, with data of its own.
    command.downgrade(migrate.alembic_config(db), "base")
    con = dbkey.connect(db)
    con.execute("CREATE TABLE old_data (x)")
    con.execute("INSERT INTO old_data VALUES (42)")
    con.commit()
    con.close()
    copy = migrate.upgrade(db)
    assert copy is not None and copy.parent == paths.backups_dir(root)
    assert "before-upgrade-to-" in copy.name
    saved = dbkey.connect(copy)  # encrypted with the database's own key
    assert saved.execute("SELECT x FROM old_data").fetchone() == (42,)
    assert saved.execute("SELECT count(*) FROM sqlite_master WHERE name='customers'"
                         ).fetchone() == (0,)
    saved.close()
    assert migrate.current_revision(db) == migrate.head_revision(migrate.alembic_config(db))


def test_schema_head_constant_matches_alembic(tmp_path: Path) -> None:
    cfg = migrate.alembic_config(tmp_path / "x.sqlite")
    assert migrate.head_revision(cfg) == migrate.SCHEMA_HEAD


def test_models_and_migrations_agree(tmp_path: Path) -> None:
    db = tmp_path / "check.sqlite"
    migrate.upgrade(db)
    engine = make_engine(db)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    assert diff == []


def test_downgrade_and_upgrade_again(tmp_path: Path) -> None:
    db = tmp_path / "roundtrip.sqlite"
    migrate.upgrade(db)
    cfg = migrate.alembic_config(db)
    command.downgrade(cfg, "base")
    # sqlite_sequence (AUTOINCREMENT's bookkeeping) is SQLite's own and cannot be dropped.
    tables = {r[0] for r in dbkey.connect(db).execute(
        "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite\\_%' "
        "ESCAPE '\\'")}
    assert tables == {"alembic_version"}
    command.upgrade(cfg, "head")
    assert migrate.current_revision(db) == migrate.head_revision(cfg)


def test_a_newer_database_is_refused_untouched(tmp_path: Path) -> None:
    import pytest

    from shopdesk.errors import ShopdeskError

    root = tmp_path / "future"
    Shop.open(root).close()
    db = paths.database_path(root)
    con = dbkey.connect(db)
    con.execute("UPDATE alembic_version SET version_num = '9999'")
    con.commit()
    con.close()
    before = db.read_bytes()
    with pytest.raises(ShopdeskError, match="written by a newer shopdesk"):
        Shop.open(root)
    assert db.read_bytes() == before
    assert not paths.backups_dir(root).exists()
