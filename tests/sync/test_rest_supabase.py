"""The REST path as a real Supabase project runs it (issue 11): anon's 3-second statement
timeout, PostgREST's status codes, a checked API key. The stand-in server applies the
role's settings, read-only STABLE calls and PostgREST's error mapping (rest_server.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from shopdesk.shop import Shop
from shopdesk.sync.wire.transport import Forbidden, ProtocolError, RestTransport
from tests.sync.conftest import Counters, server_rows, sync_all
from tests.sync.rest_server import RestServer, rest_server
from tests.sync.supabase_like import SupabaseLike
from tests.sync.test_rest import API_KEY, rest_counter
from tests.sync.test_roundtrip import register


@pytest.fixture
def rest(central_url: str) -> Iterator[RestServer]:
    with rest_server(central_url, API_KEY) as server:
        yield server


@pytest.fixture
def short_anon_timeout(supabase: SupabaseLike, central_url: str) -> Iterator[str]:
    """A small, busy instance: anon's statement timeout cut to 150 ms (Supabase: 3 s), and
    the server's pull and push made to take time in proportion to their size (0.05 ms per
    row asked for, 1 ms per change pushed), so a full page or batch is cut off on any
    machine, however fast, and a small one fits. The wrappers call the real functions."""
    with supabase.superuser() as su:
        su.execute("ALTER ROLE anon SET statement_timeout = '150ms'")
    with psycopg.connect(central_url, autocommit=True) as owner:
        owner.execute("ALTER FUNCTION sync.pull(text, bigint, int, bigint) RENAME TO pull_fast")
        owner.execute("ALTER FUNCTION sync.push(text, jsonb) RENAME TO push_fast")
        owner.execute("""CREATE FUNCTION sync.pull(p_token text, p_cursor bigint, p_limit int,
                p_ack_floor bigint) RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
            BEGIN PERFORM pg_sleep(coalesce(p_limit, 1000) * 0.00005);
                  RETURN sync.pull_fast(p_token, p_cursor, p_limit, p_ack_floor); END $$""")
        owner.execute("""CREATE FUNCTION sync.push(p_token text, p_batch jsonb)
                RETURNS jsonb LANGUAGE plpgsql AS $$
            BEGIN PERFORM pg_sleep(
                      jsonb_array_length(coalesce(p_batch->'mutations', '[]')) * 0.001);
                  RETURN sync.push_fast(p_token, p_batch); END $$""")
    yield "150ms"
    with supabase.superuser() as su:
        su.execute("ALTER ROLE anon SET statement_timeout = '3s'")


def many_customers(shop: Shop, count: int) -> None:
    rows = [(n, {"first_name": f"Bulk{n}", "last_name": "Nowak",
                 "phone": f"07400 {100000 + n:06d}"}) for n in range(count)]
    assert shop.transfer.import_rows(rows, count).imported == count


def test_pages_shrink_when_the_server_cuts_them_off_and_grow_back(
        counters: Counters, rest: RestServer, short_anon_timeout: str) -> None:
    """Fault: anon's statement timeout is shorter than a full page takes, so the
    server answers 500 with SQLSTATE 57014 (as Supabase does after 3 s).
    Must hold: the first sync still completes in one round, every row arrives once;
    after each cut-off call the next call asks for fewer rows (the identical oversized
    call is never repeated); the page size is kept for the next round and grows back."""
    a = counters.new("a")
    many_customers(a, 3000)
    a.sync.run_once()
    b = rest_counter(counters, rest, "b")

    result = b.sync.run_once()

    pulls = [c for c in rest.calls if c.function == "shopdesk_pull"]
    cut = [i for i, c in enumerate(pulls) if c.status == 500]
    assert cut, "the test must make the server cut a page off"
    for i in cut:
        assert pulls[i + 1].args["p_limit"] < pulls[i].args["p_limit"]
        assert pulls[i].body["code"] == "57014"
    assert len(b.search("Bulk1234 Nowak")) >= 1
    assert result.pulled >= 9000
    with b.store.read() as session:
        count = session.connection().exec_driver_sql(
            "SELECT count(*) FROM customers").scalar()
    assert count == 3000
    state = b.sync.engine.state()
    assert state is not None and 0 < state["pull_page"] < b.sync.engine.page_size


def test_push_batches_shrink_when_the_server_cuts_them_off(
        counters: Counters, rest: RestServer, short_anon_timeout: str) -> None:
    """Fault: the first push of a counter with thousands of changes over REST is cut off.
    Must hold: the batch shrinks until it fits, everything arrives exactly once, the
    ledger has one entry per change."""
    a = rest_counter(counters, rest, "a")
    many_customers(a, 1500)
    queued = a.sync.status().pending

    a.sync.run_once()

    pushes = [c for c in rest.calls if c.function == "shopdesk_push"]
    assert any(c.status == 500 for c in pushes)
    assert a.sync.status().pending == 0
    assert len(server_rows(counters.url, "customers")) == 1500
    with psycopg.connect(counters.url) as conn:
        ledger = conn.execute("SELECT count(*), count(DISTINCT mutation_id) FROM "
                              "sync.mutations").fetchone()
    assert ledger == (queued, queued)


@pytest.mark.parametrize(("status", "body", "says"), [
    (300, {"code": "PGRST203", "message": "Could not choose the best candidate function"},
     "more than one shopdesk_pull"),
    (404, {"code": "PGRST202", "message": "Could not find the function"}, "does not offer"),
    (405, {"code": "25006", "message": "cannot execute UPDATE in a read-only transaction"},
     "405"),
    (200, {"changes": []}, "lacks a valid 'next_cursor'"),
    (200, {"changes": "no", "next_cursor": 1, "has_more": False, "server_seq": 1,
           "device_last_seq": 0, "results": []}, "lacks a valid 'changes'"),
    (202, {"has_more": "maybe"}, "lacks a valid"),
])
def test_every_non_2xx_or_incomplete_answer_is_a_clear_protocol_error(
        counters: Counters, rest: RestServer, status: int, body: dict[str, Any],
        says: str) -> None:
    """Fault: PostgREST answers 300 (an overload after a migration), 404 (schema cache
    not reloaded), 405, or a 2xx body without the keys sync reads.
    Must hold: the round fails with a ProtocolError whose message says what to do, never
    a KeyError; the queue is kept; the next round works."""
    import json

    a = rest_counter(counters, rest, "a")
    register(a, "Ann", "07400 123456")
    waiting = a.sync.status().pending
    rest.fail_next_with(status, json.dumps(body).encode(), function="shopdesk_pull")

    with pytest.raises(ProtocolError, match=says):
        a.sync.run_once()

    assert a.sync.status().last_error
    a.sync.run_once()
    assert a.sync.status().pending == 0 and waiting > 0


def test_a_real_overload_gives_300_and_a_clear_message(counters: Counters,
                                                      rest: RestServer) -> None:
    """A migration that adds an overload of a door makes PostgREST answer 300: the
    counter says to run setup (which repairs it), and syncs again after."""
    a = rest_counter(counters, rest, "a")
    with psycopg.connect(counters.url) as admin:
        admin.execute("CREATE FUNCTION public.shopdesk_pull(p_token text, p_cursor bigint, "
                      "p_limit int, p_ack_floor text) RETURNS jsonb LANGUAGE sql STABLE "
                      "SET search_path = '' AS $$ SELECT '{}'::jsonb $$")
        admin.execute("GRANT EXECUTE ON FUNCTION public.shopdesk_pull(text, bigint, int, text) "
                      "TO anon")
    with pytest.raises(ProtocolError, match="central setup"):
        a.sync.run_once()
    with psycopg.connect(counters.url) as admin:
        admin.execute("DROP FUNCTION public.shopdesk_pull(text, bigint, int, text)")
    a.sync.run_once()


def test_a_wrong_bearer_token_is_refused(counters: Counters, rest: RestServer) -> None:
    """PostgREST checks the JWT it is given: a rotated or wrong key is Forbidden (401),
    with the command that replaces it."""
    transport = RestTransport(rest.url, API_KEY, "token")
    transport._http.headers["Authorization"] = "Bearer rotated-away"
    try:
        with pytest.raises(Forbidden, match="set-api-key"):
            transport.hello()
    finally:
        transport.close()


def test_stable_calls_run_read_only(counters: Counters, rest: RestServer) -> None:
    """The stand-in runs STABLE functions read-only, as PostgREST does: a STABLE
    function that writes gets 405; shopdesk's pull and hello (STABLE) work."""
    import requests

    with psycopg.connect(counters.url) as admin:
        admin.execute("CREATE FUNCTION sync.touch() RETURNS jsonb LANGUAGE sql "
                      "SET search_path = sync AS "
                      "$$ UPDATE sync.counter SET value = value RETURNING '{}'::jsonb $$")
        admin.execute("CREATE FUNCTION public.shopdesk_bad(p_x int) RETURNS jsonb "
                      "LANGUAGE sql STABLE SECURITY DEFINER SET search_path = sync AS "
                      "$$ SELECT sync.touch() $$")
        admin.execute("GRANT EXECUTE ON FUNCTION public.shopdesk_bad(int) TO anon")
    reply = requests.post(f"{rest.url}/rest/v1/rpc/shopdesk_bad", json={"p_x": 1},
                          headers={"apikey": API_KEY}, timeout=10)
    assert (reply.status_code, reply.json()["code"]) == (405, "25006")
    a = rest_counter(counters, rest, "a")
    register(a, "Ann", "07400 123456")
    sync_all(a)
    assert len(server_rows(counters.url, "customers")) == 1
