"""Least privilege on the central database (research file section 5, test 22).

Terminals log in as their own role with their token as the password (checked by SCRAM:
the test server is set up the Supabase way, see supabase_like.py) and may only EXECUTE the
three public.shopdesk_* functions, which check the token again. Each test's docstring names the
attempt and what must hold.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from psycopg import errors

from shopdesk.shop import Shop
from shopdesk.sync import central
from shopdesk.sync.wire.direct import DirectTransport
from shopdesk.sync.wire.transport import Forbidden
from tests.sync.conftest import Counters, server_rows, sync_all
from tests.sync.fault_kit import capture_batch, terminal_login
from tests.sync.test_roundtrip import register

ROLES = ("anon", "authenticated", "shopdesk_terminal")


def server_state(url: str) -> tuple[Any, ...]:
    """Everything a push could change: rows, ledger, counter, terminals' positions."""
    with psycopg.connect(url) as conn:
        return tuple(conn.execute(sql).fetchall() for sql in (
            "SELECT table_name, row_id, seq, deleted, data FROM sync.rows ORDER BY seq",
            "SELECT mutation_id, device_id, device_seq, status FROM sync.mutations "
            "ORDER BY mutation_id",
            "SELECT value FROM sync.counter",
            "SELECT id, last_seq, forks, last_push_at FROM sync.devices ORDER BY id",
            "SELECT kind, value, row_id FROM sync.claims ORDER BY kind, value"))


def as_terminal(url: str, shop: Shop) -> psycopg.Connection:
    _, role, token = terminal_login(shop)
    return psycopg.connect(url, user=role, password=token, autocommit=True)


@pytest.fixture
def joined(counters: Counters) -> Iterator[tuple[Shop, Shop]]:
    a, b = counters.new("a"), counters.new("b")
    register(a, "Ann", "07400 123456")
    sync_all(a, b)
    yield a, b


def test_terminal_role_has_no_table_access_only_the_sync_functions(
        counters: Counters, joined: tuple[Shop, Shop]) -> None:
    """Attempt: a terminal logged in as its own role reads and writes sync.rows, calls
    sync.push directly, creates a table in public.
    Must hold: every attempt is refused (insufficient privilege) and changes nothing;
    public.shopdesk_hello answers with this terminal's own identity."""
    a, _ = joined
    device_id, _, token = terminal_login(a)
    before = server_state(counters.url)
    attempts = [
        "SELECT * FROM sync.rows",
        "INSERT INTO sync.rows (table_name, row_id, data) VALUES ('customers', 'x', '{}')",
        "UPDATE sync.rows SET deleted = true",
        "DELETE FROM sync.mutations",
        "UPDATE sync.devices SET revoked_at = NULL",
        "SELECT sync.push('t', '{}'::jsonb)",
        "SELECT sync.pull('t', 0, 10, 0)",
        "CREATE TABLE public.stash (x int)",
    ]
    with as_terminal(counters.url, a) as conn:
        for sql in attempts:
            with pytest.raises(errors.InsufficientPrivilege):
                conn.execute(sql)
        hello = conn.execute("SELECT public.shopdesk_hello(%s)", (token,)).fetchone()[0]
        with pytest.raises(errors.InsufficientPrivilege, match="forbidden"):
            conn.execute("SELECT public.shopdesk_hello(%s)", ("not-a-token",))
    assert hello["device_id"] == device_id and hello["store"] == "Main St"
    assert server_state(counters.url) == before


def test_no_api_role_holds_any_table_privilege(counters: Counters,
                                               joined: tuple[Shop, Shop]) -> None:
    """Attempt: anon, authenticated and the terminals' group role, as Supabase's REST
    would act, against every table in the sync and public schemas.
    Must hold: no SELECT/INSERT/UPDATE/DELETE privilege on any of them, no use of the
    sync schema, and a real SELECT as anon is refused; EXECUTE on the three doors only."""
    a, _ = joined
    _, role, token = terminal_login(a)
    with psycopg.connect(counters.url, autocommit=True) as admin:
        tables = [f"{s}.{t}" for s, t in admin.execute(
            "SELECT schemaname, tablename FROM pg_tables WHERE schemaname IN ('sync', 'public')")]
        assert "sync.rows" in tables
        granted = admin.execute(
            "SELECT r, t, p FROM unnest(%s::text[]) r, unnest(%s::text[]) t, "
            "unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE']) p "
            "WHERE has_table_privilege(r, t, p)", ([*ROLES, role], tables)).fetchall()
        assert granted == []
        usage = admin.execute("SELECT r FROM unnest(%s::text[]) r WHERE "
                              "has_schema_privilege(r, 'sync', 'USAGE')", ([*ROLES, role],))
        assert usage.fetchall() == []
        doors = admin.execute(
            "SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname IN ('sync', 'public') AND has_function_privilege(%s, p.oid, "
            "'EXECUTE') ORDER BY 1", (role,)).fetchall()
        assert [d[0] for d in doors] == ["shopdesk_hello", "shopdesk_pull", "shopdesk_push"]
        admin.execute("SET ROLE anon")
        with pytest.raises(errors.InsufficientPrivilege):
            admin.execute("SELECT count(*) FROM sync.rows")
        # anon reaches the functions (that is the REST path), but only with a token.
        with pytest.raises(errors.InsufficientPrivilege, match="forbidden"):
            admin.execute("SELECT public.shopdesk_pull('', 0, 10, 0)")
        assert admin.execute("SELECT public.shopdesk_hello(%s)",
                             (token,)).fetchone()[0]["name"] == "a"


def test_pushing_as_another_terminal_is_forbidden_without_side_effects(
        counters: Counters, joined: tuple[Shop, Shop]) -> None:
    """Attempt: terminal A pushes B's real queued batch (B's device_id) over A's own
    login, first with A's token, then with a guessed token; and a transport that logs in
    as A with the guessed token.
    Must hold: the calls are Forbidden by the function ("forbidden"), the login with a
    wrong password is refused by the server (passwords are enforced: SCRAM); nothing
    changes on the server; B later pushes the same batch itself normally."""
    a, b = joined
    bob = register(b, "Bob", "07400 123457")
    batch = capture_batch(b)
    _, a_role, a_token = terminal_login(a)
    before = server_state(counters.url)
    with as_terminal(counters.url, a) as conn:
        for token in (a_token, "stolen-or-guessed"):
            with pytest.raises(errors.InsufficientPrivilege, match="forbidden"):
                conn.execute("SELECT public.shopdesk_push(%s, %s::jsonb)",
                             (token, json.dumps(batch)))
    guessed = DirectTransport(counters.url, a_role, "stolen-or-guessed")
    try:
        with pytest.raises(Forbidden, match="password authentication failed"):
            guessed.push(batch)
    finally:
        guessed.close()
    assert server_state(counters.url) == before
    b.sync.run_once()
    assert bob.id.hex in server_rows(counters.url, "customers")


def test_revoked_terminal_is_refused_and_cannot_log_in(
        counters: Counters, joined: tuple[Shop, Shop]) -> None:
    """Attempt: terminal A keeps syncing after central.revoke_terminal('a'); its token
    is also tried through anon (the REST path).
    Must hold: A's next round raises Forbidden (not a retryable outage), its queue is
    kept and nothing of it reaches the server; A's role cannot log in; the token is
    refused through anon too; terminal B is unaffected."""
    a, b = joined
    _, a_role, a_token = terminal_login(a)
    assert central.revoke_terminal(counters.url, "a") == "a"
    late = register(a, "Late", "07400 123458")
    queued = a.sync.status().pending  # the registration's rows (customer, preferences, ...)
    before = server_state(counters.url)

    with pytest.raises(Forbidden):
        a.sync.run_once()

    assert queued >= 3 and a.sync.status().pending == queued and a.sync.status().last_error
    assert server_state(counters.url) == before
    with pytest.raises(psycopg.OperationalError, match="not permitted to log in"):
        psycopg.connect(counters.url, user=a_role, password=a_token).close()
    with psycopg.connect(counters.url, autocommit=True) as admin:
        admin.execute("SET ROLE anon")
        with pytest.raises(errors.InsufficientPrivilege, match="revoked"):
            admin.execute("SELECT public.shopdesk_push(%s, %s::jsonb)",
                          (a_token, json.dumps({"device_id": uuid.uuid4().hex})))
    assert [t["revoked"] for t in central.terminals(counters.url)] == [True, False]
    sync_all(b)
    assert late.id.hex not in server_rows(counters.url, "customers")
