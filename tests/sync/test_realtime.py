"""A REST counter is woken by Supabase Realtime (issue 11, item 9): after a push the server
broadcasts only the new sequence number (`sync.poke` calls `realtime.send`), and an
idle REST counter pulls at once instead of waiting out its back-off."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from shopdesk.sync.runner import SyncRunner
from shopdesk.sync.wire.realtime import RealtimePoke, websocket_url
from tests.sync.conftest import Counters, sync_all
from tests.sync.fault_kit import wait_until
from tests.sync.realtime_server import RealtimeServer, install_realtime_send, realtime_server
from tests.sync.rest_server import RestServer, rest_server
from tests.sync.supabase_like import SupabaseLike
from tests.sync.test_rest import API_KEY, rest_counter
from tests.sync.test_roundtrip import register


@pytest.fixture
def rest(central_url: str) -> Iterator[RestServer]:
    with rest_server(central_url, API_KEY) as server:
        yield server


@pytest.fixture
def realtime(central_url: str, supabase: SupabaseLike,
             monkeypatch: pytest.MonkeyPatch) -> Iterator[RealtimeServer]:
    name = central_url.rsplit("/", 1)[1].split("?")[0]
    with supabase.superuser(name) as su:
        install_realtime_send(su)
    with realtime_server(central_url, API_KEY) as server:
        monkeypatch.setenv("SHOPDESK_REALTIME_URL", server.url)
        yield server


def test_the_broadcast_carries_only_the_sequence_number(
        counters: Counters, rest: RestServer, realtime: RealtimeServer) -> None:
    import json

    import psycopg

    seen: list[dict[str, object]] = []
    with psycopg.connect(counters.url, autocommit=True) as conn:
        conn.execute("LISTEN realtime_test")
        a = counters.new("a")
        register(a, "Ann Secret", "07400 123456")
        a.sync.run_once()
        for note in conn.notifies(timeout=5, stop_after=1):
            seen.append(json.loads(note.payload))
    assert seen and seen[0]["topic"] == "shopdesk-sync" and seen[0]["event"] == "poke"
    assert list(seen[0]["payload"]) == ["seq"]  # type: ignore[arg-type]
    assert "Ann" not in json.dumps(seen)


def test_an_idle_rest_counter_is_woken_by_realtime(
        counters: Counters, rest: RestServer, realtime: RealtimeServer) -> None:
    a, b = counters.new("a"), rest_counter(counters, rest, "b")
    sync_all(a, b)
    poke = b.sync.poke()
    assert isinstance(poke, RealtimePoke)
    runner = SyncRunner(b.sync, interval=30.0, idle_cap=30.0, poke=poke)
    runner.start()
    try:
        assert runner.wait_total(1, timeout=15)  # the first round, however quick
        assert poke.joined.wait(10)
        ann = register(a, "Ann", "07400 123456")
        started = time.monotonic()
        a.sync.run_once()
        wait_until(lambda: b.search("Ann Nowak") != [], timeout=5, what="B pulled Ann")
        assert time.monotonic() - started < 2.0
        assert poke.notifications >= 1 and runner.pokes >= 1
        assert [h.id for h in b.search("Ann Nowak")] == [ann.id]
    finally:
        runner.stop()


def test_a_wrong_key_stops_the_pokes_quietly(realtime: RealtimeServer) -> None:
    """Realtime refuses a wrong key at the handshake: the poke thread ends (the sync
    round, not the poke, tells staff about the key)."""
    poke = RealtimePoke(realtime.url, "wrong-key")
    poke.start(lambda: None)
    assert poke._thread is not None
    poke._thread.join(10)
    assert not poke._thread.is_alive() and not poke.joined.is_set()
    poke.stop()


def test_websocket_url_of_a_project() -> None:
    assert websocket_url("https://abcd.supabase.co", "k") == (
        "wss://abcd.supabase.co/realtime/v1/websocket?apikey=k&vsn=1.0.0")
