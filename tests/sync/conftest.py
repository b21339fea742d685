"""Sync fixtures: a real Postgres (pgserver, or $SHOPDESK_TEST_PG_URL), a fresh
central database per test, an in-memory keyring, and counters (data directories).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import keyring
import psycopg
import pytest

from shopdesk.shop import Shop
from shopdesk.sync import central, credentials
from tests.conftest import OWNER_SECRET, Clock, fresh_root
from tests.sync.supabase_like import PgBouncer, SupabaseLike, cluster_dir


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[Any]:
    """Credentials in memory (`.secrets`), never in the developer's OS keyring."""
    previous = keyring.get_keyring()
    ring = credentials.memory_keyring()
    keyring.set_keyring(ring)
    yield ring
    keyring.set_keyring(previous)


@pytest.fixture(scope="session")
def supabase() -> Iterator[SupabaseLike]:
    """One Supabase-like cluster for the session (non-superuser administrator, API roles,
    enforced passwords); `$SHOPDESK_TEST_PG_BIN` picks other Postgres binaries."""
    with cluster_dir("supabase") as root:
        bin_dir = os.environ.get("SHOPDESK_TEST_PG_BIN")
        cluster = SupabaseLike(root, Path(bin_dir) if bin_dir else None).start()
        yield cluster
        cluster.stop()


@pytest.fixture(scope="session")
def pg_admin_url(supabase: SupabaseLike) -> str:
    """The administrator's URL (Supabase's `postgres`: CREATEROLE, CREATEDB, no superuser)."""
    return supabase.url()


@pytest.fixture
def central_url(supabase: SupabaseLike) -> Iterator[str]:
    """A fresh central database with the shopdesk schema, dropped afterwards."""
    name = f"shopdesk_{uuid.uuid4().hex[:10]}"
    url = supabase.create_database(name)
    central.setup(url)
    yield url
    supabase.drop_database(name)


class Counters:
    """Several counters (data directories) joined to one central database."""

    def __init__(self, template_db: Path, tmp: Path, url: str) -> None:
        self.template_db, self.tmp, self.url = template_db, tmp, url
        self.shops: list[Shop] = []

    def new(self, name: str, store: str = "Main St", clock: Clock | None = None,
            join: bool = True, **join_args: Any) -> Shop:
        root = fresh_root(self.template_db, self.tmp / name)
        shop = Shop.open(root, clock=clock or Clock())
        self.shops.append(shop)
        if shop.needs_owner():
            shop.staff.create_owner("owner", "Olive Owner", OWNER_SECRET)
        shop.sign_in("owner", OWNER_SECRET)
        if join:
            shop.sync.join(self.url, store, name, **join_args)
        return shop

    def open(self, root: Path, clock: Clock | None = None) -> Shop:
        shop = Shop.open(root, clock=clock or Clock())
        self.shops.append(shop)
        shop.sign_in("owner", OWNER_SECRET)
        return shop

    def close(self) -> None:
        for shop in self.shops:
            shop.close()


@pytest.fixture
def counters(template_db: Path, tmp_path: Path, central_url: str) -> Iterator[Counters]:
    c = Counters(template_db, tmp_path, central_url)
    yield c
    c.close()


def sync_all(*shops: Shop, rounds: int = 2) -> None:
    """Every counter syncs, twice over, so each sees what the others pushed."""
    for _ in range(rounds):
        for shop in shops:
            shop.sync.run_once()


def server_rows(url: str, table: str) -> dict[str, dict[str, Any]]:
    with psycopg.connect(url) as conn:
        return {r[0]: r[1] for r in conn.execute(
            "SELECT row_id, data FROM sync.rows WHERE table_name = %s AND NOT deleted", (table,))}


Snapshot = Callable[[Shop], Any]


@pytest.fixture(scope="session")
def pooler(supabase: SupabaseLike) -> Iterator[PgBouncer]:
    """PgBouncer in transaction mode in front of the session's cluster (Supavisor's
    port 6543 behaves the same way for what sync does)."""
    with cluster_dir("pgbouncer") as root:
        bouncer = PgBouncer(supabase, root).start()
        yield bouncer
        bouncer.stop()


def through(pooler: PgBouncer, url: str) -> str:
    """`url` (a database of the pooler's cluster) reached through the pooler."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return pooler.url(parts.path.lstrip("/"), parts.username or "", parts.password or "")
