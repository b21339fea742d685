"""Idle counters cost little and still hear of changes at once (issue 11, item 9).

A counter with nothing to send backs off (1 s doubling to 30 s) instead of polling the
server every second; a local write, a round that moved something, or a poke from the
server (LISTEN/NOTIFY after another counter's push) brings it back at once.
"""

from __future__ import annotations

import itertools
import threading
import time

from shopdesk.sync.runner import RunnerReport, SyncRunner
from shopdesk.sync.wire.poke import ListenPoke
from tests.sync.conftest import Counters, sync_all
from tests.sync.fault_kit import terminal_login, wait_until
from tests.sync.test_roundtrip import register


def test_an_idle_counter_backs_off_and_a_write_brings_it_back(counters: Counters) -> None:
    a = counters.new("a")
    sync_all(a)
    times: list[float] = []
    lock = threading.Lock()

    def seen(_report: RunnerReport) -> None:
        with lock:
            times.append(time.monotonic())

    runner = SyncRunner(a.sync, interval=0.05, idle_cap=0.4, on_status=seen)
    runner.start()
    try:
        assert runner.wait_rounds(7, timeout=20)
        with lock:
            gaps = [b - a for a, b in itertools.pairwise(times)]
        # 0.05, 0.1, 0.2, 0.4, 0.4: each idle wait doubles up to the cap.
        assert gaps[0] < 0.2 and max(gaps[2:6]) >= 0.35 and gaps[3] > gaps[0] * 3
        assert all(g < 1.0 for g in gaps)
        a.store.subscribe(runner.nudge)
        before = runner.rounds
        started = time.monotonic()
        register(a, "Ann", "07400 123456")
        assert runner.wait_rounds(1, timeout=5) and runner.rounds > before
        assert time.monotonic() - started < 0.35  # the write did not wait out the backoff
        wait_until(lambda: a.sync.status().pending == 0, what="the write pushed")
    finally:
        runner.stop()


def test_a_poke_wakes_an_idle_counter_at_once(counters: Counters) -> None:
    """B idles with a 30-second backoff; A pushes a new customer; B has it within 2 s,
    woken by the server's NOTIFY, not by its timer."""
    a, b = counters.new("a"), counters.new("b")
    sync_all(a, b)
    poke = b.sync.poke()
    assert isinstance(poke, ListenPoke)
    runner = SyncRunner(b.sync, interval=30.0, idle_cap=30.0, poke=poke)
    runner.start()
    try:
        assert runner.wait_total(1, timeout=10)  # the first round, however quick
        assert poke.listening.wait(10)  # its LISTEN runs on its own thread
        ann = register(a, "Ann", "07400 123456")
        a.sync.run_once()
        started = time.monotonic()  # the push has committed: the NOTIFY is on its way
        wait_until(lambda: b.search("Ann Nowak") != [], timeout=5, what="B pulled Ann")
        assert time.monotonic() - started < 2.0
        assert runner.pokes >= 1 and poke.notifications >= 1
        assert [h.id for h in b.search("Ann Nowak")] == [ann.id]
    finally:
        runner.stop()
    _, role, _ = terminal_login(b)
    assert role  # the poke logged in as B's own terminal role
