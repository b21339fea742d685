"""The REST transport (Supabase's RPC endpoint) against a PostgREST stand-in on the real Postgres.

One counter talks REST, the other talks to Postgres directly; both must see the
same data, and every HTTP fault must leave nothing lost and nothing doubled.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from psycopg import errors

from shopdesk.errors import NotFound, ValidationError
from shopdesk.services.repairs.tickets import TicketDeviceIntake, TicketIntake
from shopdesk.shop import Shop
from shopdesk.sync import central
from shopdesk.sync.wire.transport import Forbidden, RestTransport, Retryable
from tests.core.repair_helpers import phone_input
from tests.sync.conftest import Counters, server_rows, sync_all
from tests.sync.rest_server import RestServer, rest_server
from tests.sync.test_roundtrip import register

API_KEY = "anon-key-for-tests"


@pytest.fixture
def rest(central_url: str) -> Iterator[RestServer]:
    with rest_server(central_url, API_KEY) as server:
        yield server


def rest_counter(counters: Counters, rest: RestServer, name: str,
                 api_key: str = API_KEY) -> Shop:
    shop = counters.new(name, join=False)
    shop.sync.join(rest.url, "Main St", name, transport="rest", admin_url=counters.url,
                   api_key=api_key)
    return shop


def mutation_count(url: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT count(*) FROM sync.mutations").fetchone()
        assert row is not None
        return int(row[0])


def customer_seq(url: str, row_id: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT seq FROM sync.rows WHERE table_name = 'customers' "
                           "AND row_id = %s", (row_id,)).fetchone()
        assert row is not None
        return int(row[0])


def test_join_over_rest_keeps_the_http_url_and_talks_rest(counters: Counters,
                                                        rest: RestServer) -> None:
    a = rest_counter(counters, rest, "a")
    status = a.sync.status()
    assert (status.transport, status.central_url) == ("rest", rest.url)
    state = a.sync.engine.state()
    assert state is not None
    transport = a.sync.transport_factory(state)
    try:
        assert isinstance(transport, RestTransport)
        assert transport.hello()["name"] == "a"
    finally:
        transport.close()
    assert rest.functions_called() == ["shopdesk_hello"]


def test_rest_join_without_admin_url_names_the_field(counters: Counters,
                                                     rest: RestServer) -> None:
    a = counters.new("a", join=False)
    with pytest.raises(ValidationError) as caught:
        a.sync.join(rest.url, "Main St", "a", transport="rest", api_key=API_KEY)
    assert "admin_url" in str(caught.value)
    with pytest.raises(ValidationError) as caught:
        a.sync.join(counters.url, "Main St", "a", transport="rest", admin_url=counters.url)
    assert "url: transport rest needs" in str(caught.value)
    assert a.sync.status().joined is False
    assert central.terminals(counters.url) == []


def test_customer_and_ticket_cross_between_rest_and_direct(counters: Counters,
                                                           rest: RestServer) -> None:
    a, b = rest_counter(counters, rest, "a"), counters.new("b")
    ann = register(a, "Ann", "07400 123456")
    ticket = a.tickets.intake(TicketIntake(ann.id, [TicketDeviceIntake(
        "Cracked screen", device=phone_input())])).ticket
    bob = register(b, "Bob", "07400 123457")
    assert a.sync.status().pending > 0

    sync_all(a, b)

    assert a.sync.status().pending == b.sync.status().pending == 0
    assert b.customers.profile(ann.id).summary.code == ann.code
    assert [h.id for h in b.search("ann nowak")][:1] == [ann.id]
    assert b.tickets.get(ticket.summary.id).summary.number == ticket.summary.number
    assert a.customers.profile(bob.id).summary.code == bob.code
    assert {ann.id.hex, bob.id.hex} <= set(server_rows(counters.url, "customers"))
    called = rest.functions_called()
    assert {"shopdesk_push", "shopdesk_pull"} <= set(called)
    assert all(c.status == 200 for c in rest.calls)


def test_busy_server_is_retried_without_duplicates(counters: Counters,
                                                   rest: RestServer) -> None:
    a, b = rest_counter(counters, rest, "a"), counters.new("b")
    ann = register(a, "Ann", "07400 123456")
    pending = a.sync.status().pending

    for status in (503, 429):  # on the push: nothing reached the server
        rest.fail_next_with(status)
        with pytest.raises(Retryable, match=str(status)):
            a.sync.run_once()
        assert a.sync.status().pending == pending
        assert str(status) in (a.sync.status().last_error or "")
        assert server_rows(counters.url, "customers") == {}

    # On the pull, after a good push: the push stays settled, the pull comes again.
    bob = register(b, "Bob", "07400 123457")
    b_pending = b.sync.status().pending
    b.sync.run_once()
    rest.fail_next_with(503, function="shopdesk_pull")
    with pytest.raises(Retryable, match="503"):
        a.sync.run_once()
    assert a.sync.status().pending == 0
    with pytest.raises(NotFound):
        a.customers.profile(bob.id)

    a.sync.run_once()
    b.sync.run_once()
    assert a.sync.status().last_error is None
    assert sorted(server_rows(counters.url, "customers")) == sorted([ann.id.hex, bob.id.hex])
    assert mutation_count(counters.url) == pending + b_pending
    assert b.customers.profile(ann.id).summary.code == ann.code
    assert a.customers.profile(bob.id).summary.code == bob.code


def test_response_lost_after_commit_is_answered_from_the_ledger(counters: Counters,
                                                               rest: RestServer) -> None:
    a = rest_counter(counters, rest, "a")
    ann = register(a, "Ann", "07400 123456")
    pending = a.sync.status().pending
    rest.drop_response_after_commit = True

    with pytest.raises(Retryable, match="unreachable"):
        a.sync.run_once()
    lost = rest.calls[-1]
    assert (lost.function, lost.status, lost.delivered) == ("shopdesk_push", 200, False)
    assert a.sync.status().pending == pending  # the counter never heard the answer
    assert list(server_rows(counters.url, "customers")) == [ann.id.hex]  # but it committed
    seq = customer_seq(counters.url, ann.id.hex)

    a.sync.run_once()

    retry = next(c for c in rest.calls if c.function == "shopdesk_push" and c.delivered)
    assert retry.body["results"] == lost.body["results"]  # the ledger's stored answer
    assert a.sync.status().pending == 0
    assert list(server_rows(counters.url, "customers")) == [ann.id.hex]
    assert customer_seq(counters.url, ann.id.hex) == seq  # not applied a second time
    assert mutation_count(counters.url) == pending


def test_wrong_api_key_is_refused_with_a_clear_message(counters: Counters,
                                                      rest: RestServer) -> None:
    a = rest_counter(counters, rest, "a", api_key="not-the-key")
    register(a, "Ann", "07400 123456")
    pending = a.sync.status().pending

    with pytest.raises(Forbidden) as caught:
        a.sync.run_once()
    assert "API key" in str(caught.value)
    assert "401" in str(caught.value)
    assert a.sync.status().pending == pending
    assert server_rows(counters.url, "customers") == {}


def test_revoked_terminal_is_refused(counters: Counters, rest: RestServer) -> None:
    a = rest_counter(counters, rest, "a")
    a.sync.run_once()
    central.revoke_terminal(counters.url, "a")
    register(a, "Ann", "07400 123456")

    with pytest.raises(Forbidden) as caught:
        a.sync.run_once()
    assert "revoked" in str(caught.value)
    assert "403" in str(caught.value)
    assert a.sync.status().pending > 0
    assert server_rows(counters.url, "customers") == {}


def test_server_down_keeps_the_change_pending_until_it_is_back(counters: Counters,
                                                              rest: RestServer) -> None:
    a = rest_counter(counters, rest, "a")
    a.sync.run_once()
    rest.down()
    ann = register(a, "Ann", "07400 123456")

    with pytest.raises(Retryable, match="unreachable"):
        a.sync.run_once()
    assert a.sync.status().pending > 0
    assert "unreachable" in (a.sync.status().last_error or "")

    rest.up()
    a.sync.run_once()
    assert a.sync.status().pending == 0
    assert list(server_rows(counters.url, "customers")) == [ann.id.hex]


def test_an_answer_that_is_not_a_json_object_is_retried(counters: Counters,
                                                        rest: RestServer) -> None:
    a = rest_counter(counters, rest, "a")
    ann = register(a, "Ann", "07400 123456")
    pending = a.sync.status().pending

    for body in (b"<html><body>502 Bad Gateway</body></html>", b'{"acked_through": 1, "resul',
                 b"null", b"[1, 2]"):
        rest.fail_next_with(200, body, content_type="text/html")
        with pytest.raises(Retryable, match="will retry"):
            a.sync.run_once()
        assert a.sync.status().pending == pending

    a.sync.run_once()
    assert a.sync.status().pending == 0
    assert list(server_rows(counters.url, "customers")) == [ann.id.hex]


def post(rest: RestServer, function: str, body: dict[str, Any]) -> Any:
    import requests

    return requests.post(f"{rest.url}/rest/v1/rpc/{function}", json=body,
                         headers={"apikey": API_KEY}, timeout=10)


def test_anon_can_only_call_the_shopdesk_functions(counters: Counters,
                                                   rest: RestServer) -> None:
    a = rest_counter(counters, rest, "a")
    register(a, "Ann", "07400 123456")
    a.sync.run_once()

    for name, body in (("version", {}), ("pg_sleep", {"seconds": 1}), ("push", {}),
                       ("shopdesk_nothing", {}), ("shopdesk_hello", {"token": "x"})):
        reply = post(rest, name, body)
        assert (reply.status_code, reply.json()["code"]) == (404, "PGRST202"), name
    reply = post(rest, "shopdesk_hello", {"p_token": "not-a-token"})
    assert (reply.status_code, reply.json()["code"]) == (403, "42501")

    # The database itself, not the server's name filter, keeps anon out of the tables.
    with pytest.raises(errors.InsufficientPrivilege):
        rest.run_as_anon("SELECT * FROM sync.rows")
    with pytest.raises(errors.InsufficientPrivilege):
        rest.run_as_anon("SELECT sync.pull('x', 0, 10, 0)")
    with pytest.raises(errors.InsufficientPrivilege):
        rest.run_as_anon("DELETE FROM sync.mutations")
    assert rest.run_as_anon("SELECT current_user") == [("anon",)]
    assert len(server_rows(counters.url, "customers")) == 1


def test_credentials_from_the_environment(counters: Counters, rest: RestServer,
                                          memory_keyring: Any,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    a = counters.new("a", join=False)
    a.sync.join(rest.url, "Main St", "a", transport="rest", admin_url=counters.url)
    state = a.sync.engine.state()
    assert state is not None
    register(a, "Ann", "07400 123456")

    with pytest.raises(Forbidden, match="API key"):  # joined without a key, none in the env
        a.sync.run_once()
    token = memory_keyring.secrets.pop(("shopdesk-sync", state["role_name"]))

    # A headless box: both secrets from the environment, neither in the keyring.
    monkeypatch.setenv("SHOPDESK_SYNC_TOKEN", token)
    monkeypatch.setenv("SHOPDESK_SUPABASE_KEY", API_KEY)
    a.sync.run_once()
    assert a.sync.status().pending == 0

    # The token from the environment must not stand in for the API key kept in the keyring.
    monkeypatch.delenv("SHOPDESK_SUPABASE_KEY")
    memory_keyring.secrets[("shopdesk-sync", f"{state['role_name']}:apikey")] = API_KEY
    register(a, "Bea", "07400 123457")
    a.sync.run_once()
    assert a.sync.status().pending == 0
    assert len(server_rows(counters.url, "customers")) == 2
