"""Shared fixtures: every test gets its own data directory with a real SQLite file.

A template database is migrated once per session and copied for each test
(Anki's getEmptyCol), so tests are isolated yet cheap.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Test databases are encrypted like a shop's; this machine has no OS keyring, so the
# key comes from a passphrase, as on a headless counter (subprocesses inherit it).
os.environ.setdefault("SHOPDESK_DB_PASSPHRASE", "test passphrase, not a secret")

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from shopdesk import paths
from shopdesk.db import migrate
from shopdesk.shop import Shop

OWNER_SECRET = "owner-pass-1"


class Clock:
    """A settable clock for tests that need time to pass (lock-outs)."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(microseconds=1)
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Nothing a test does may land in the developer's real data directory.
    monkeypatch.setenv("SHOPDESK_HOME", str(tmp_path / "home"))


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("template")
    db = paths.database_path(root)
    migrate.upgrade(db)
    return db


def fresh_root(template_db: Path, root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template_db, paths.database_path(root))
    return root


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def data_dir(template_db: Path, tmp_path: Path) -> Path:
    return fresh_root(template_db, tmp_path / "shop")


@pytest.fixture
def bare_shop(data_dir: Path, clock: Clock) -> Iterator[Shop]:
    """A shop with no staff yet (first start)."""
    shop = Shop.open(data_dir, clock=clock)
    yield shop
    shop.close()


@pytest.fixture
def shop(bare_shop: Shop) -> Shop:
    """A shop whose owner ('owner') is signed in."""
    bare_shop.staff.create_owner("owner", "Olivia Owner", OWNER_SECRET)
    bare_shop.sign_in("owner", OWNER_SECRET)
    return bare_shop
