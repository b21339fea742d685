"""Direct sync through a transaction-mode pooler (issue 11): PgBouncer on loopback, as
Supabase's pooler on port 6543 works. No prepared statements, no session state, no
startup options; killed connections and a server restart behind the pooler cost one
fresh login, never a lost or doubled change.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from shopdesk.sync.wire.direct import connect_kwargs, pooler_user
from tests.sync.conftest import Counters, server_rows, sync_all, through
from tests.sync.fault_kit import foreign_key_violations, terminal_login, ticket_for
from tests.sync.fault_tools import local_dump
from tests.sync.supabase_like import PgBouncer, SupabaseLike, cluster_dir
from tests.sync.test_roundtrip import register


@pytest.fixture
def pooled(counters: Counters, pooler: PgBouncer) -> Counters:
    """Counters whose central URL (for join and for sync) is the pooler's."""
    counters.url = through(pooler, counters.url)
    return counters


def test_two_counters_sync_both_ways_through_the_pooler(pooled: Counters) -> None:
    """Many rounds (so psycopg would have prepared its statements long ago), tickets
    and customers both ways: every row on both counters and the server, identical."""
    a, b = pooled.new("a"), pooled.new("b")
    ticket_for(a, register(a, "Ann", "07400 123099").id)
    for n in range(4):
        register(a, f"Ann{n}", f"07400 1230{n:02d}")
        register(b, f"Bob{n}", f"07400 1231{n:02d}")
        sync_all(a, b, rounds=4)
    assert local_dump(a) == local_dump(b)
    assert len(server_rows(pooled.url, "customers")) == 9
    assert foreign_key_violations(a) == [] and foreign_key_violations(b) == []
    state = a.sync.engine.state()
    assert state is not None and "6432" not in state["central_url"]


def test_prepared_statements_break_behind_a_transaction_pooler(
        pooled: Counters, pooler: PgBouncer) -> None:
    """Why prepare_threshold=None (negative control): psycopg prepares a query on its
    sixth run; in transaction mode the next run may land on another server connection,
    where the prepared statement does not exist. The terminal's settings never prepare."""
    a = pooled.new("a")
    _, role, token = terminal_login(a)
    query = "SELECT public.shopdesk_hello(%s)"

    def run(prepare: bool) -> None:
        conn = psycopg.connect(pooled.url, user=role, password=token, autocommit=True,
                               prepare_threshold=5 if prepare else None)
        other = psycopg.connect(pooled.url, user=role, password=token)
        try:
            for _ in range(6):
                conn.execute(query, (token,))
            other.execute("SELECT 1")  # holds the server connection conn used
            conn.execute(query, (token,))
        finally:
            other.close()
            conn.close()

    with pytest.raises(psycopg.errors.InvalidSqlStatementName, match="_pg3_"):
        run(prepare=True)
    run(prepare=False)
    kwargs = connect_kwargs(pooled.url, role, token)
    assert kwargs["prepare_threshold"] is None and "options" not in kwargs


def test_a_killed_server_connection_costs_one_fresh_login(pooled: Counters) -> None:
    """Fault: the server ends the terminal's backend between rounds (a pooler recycling
    its link, an administrator). Must hold: the next round succeeds, nothing doubled."""
    a, b = pooled.new("a"), pooled.new("b")
    sync_all(a, b)
    _, role, _ = terminal_login(a)
    register(a, "Ann", "07400 123456")
    with psycopg.connect(pooled.url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                      "WHERE usename = %s", (role,))
    a.sync.run_once()
    b.sync.run_once()
    assert local_dump(a) == local_dump(b)
    assert a.sync.status().last_error is None


@pytest.fixture(scope="module")
def private_pooled() -> Iterator[tuple[SupabaseLike, PgBouncer]]:
    with cluster_dir("pooled") as root:
        cluster = SupabaseLike(root / "pg").start()
        bouncer = PgBouncer(cluster, root / "bouncer").start()
        yield cluster, bouncer
        bouncer.stop()
        cluster.stop()


def test_a_server_restart_behind_the_pooler_loses_and_doubles_nothing(
        private_pooled: tuple[SupabaseLike, PgBouncer], template_db: Path,
        tmp_path: Path) -> None:
    """Fault: the Postgres behind the pooler restarts between a push and the next pull
    of another counter. Must hold: both counters converge with every row once."""
    import uuid

    from shopdesk.sync import central

    cluster, bouncer = private_pooled
    direct = cluster.create_database(f"shopdesk_{uuid.uuid4().hex[:10]}")
    central.setup(direct)
    counters = Counters(template_db, tmp_path, through(bouncer, direct))
    try:
        a, b = counters.new("a"), counters.new("b")
        ticket_for(a, register(a, "Ann", "07400 123456").id)
        a.sync.run_once()
        cluster.restart()
        register(b, "Bob", "07400 123457")
        sync_all(a, b, rounds=3)
        assert local_dump(a) == local_dump(b)
        assert len(server_rows(direct, "customers")) == 2
        assert a.sync.status().last_error is None and b.sync.status().last_error is None
    finally:
        counters.close()


def test_pooler_login_names_and_connection_settings() -> None:
    """Supavisor knows a tenant by `role.<project_ref>`: the terminal logs in as its role
    with the ref of the URL's own user; a URL's own options and sslmode are kept; a
    remote host gets TLS with verification, loopback does not."""
    pooled_url = ("postgresql://postgres.abcdefghijkl@aws-0-eu-west-2.pooler.supabase.com:6543/"
                  "postgres?options=reference%3Dabcdefghijkl")
    assert pooler_user(pooled_url, "shopdesk_t_ab12_c0ffee") == \
        "shopdesk_t_ab12_c0ffee.abcdefghijkl"
    assert pooler_user("postgresql://postgres@db.abcdefghijkl.supabase.co:5432/postgres",
                       "shopdesk_t_x") == "shopdesk_t_x"
    remote = connect_kwargs(pooled_url, "shopdesk_t_x", "token")
    assert (remote["sslmode"], remote["sslrootcert"]) == ("verify-full", "system")
    assert "options" not in remote and remote["prepare_threshold"] is None
    chosen = connect_kwargs("postgresql://db.example.com/x?sslmode=require", "r", "t")
    assert "sslmode" not in chosen  # the URL's own choice wins
    assert "sslmode" not in connect_kwargs("postgresql://127.0.0.1:5432/x", "r", "t")
