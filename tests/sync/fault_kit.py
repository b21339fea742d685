"""Fault injection and inspection for the sync fault tests (not a test module).

Transports wrap the real DirectTransport (never a mock of our code): `Wrapped` puts a
fault on push, `Outage` fails every call while an event is set. The other helpers read
the real server (ledger, lock waits) and the real local database (outbox, rows).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import psycopg
import pytest
from sqlalchemy import text

from shopdesk.services.repairs.tickets import TicketDeviceIntake, TicketIntake
from shopdesk.shop import Shop
from shopdesk.sync import credentials
from shopdesk.sync.engine import default_transport
from shopdesk.sync.runner import RunnerReport
from shopdesk.sync.wire.transport import Retryable, Transport
from tests.core.repair_helpers import phone_input


def terminal_login(shop: Shop) -> tuple[str, str, str]:
    """(device_id, role, token) of a joined counter, as its transport would use them."""
    state = shop.sync.engine.state()
    assert state is not None
    token = credentials.load(state["role_name"])
    assert token
    return state["device_id"], state["role_name"], token


def outbox(shop: Shop) -> list[dict[str, Any]]:
    with shop.store.read() as session:
        return [dict(r) for r in session.connection().execute(text(
            "SELECT device_seq, mutation_id, table_name, row_id, op, status, result "
            "FROM sync_outbox ORDER BY device_seq")).mappings()]


def local_row(shop: Shop, table: str, row_id: uuid.UUID) -> dict[str, Any] | None:
    with shop.store.read() as session:
        row = session.connection().execute(text(f"SELECT * FROM {table} WHERE id = :i"),
                                           {"i": row_id.hex}).mappings().first()
    return dict(row) if row else None


def raw_write(shop: Shop, sql: str, **params: Any) -> None:
    """A write the service would refuse, made inside the store's own write session
    (so the capture triggers record it exactly like an app write)."""
    with shop.store.write() as session:
        assert session.connection().execute(text(sql), params).rowcount == 1


def ledger(url: str, device_id: str) -> list[tuple[str, int, str]]:
    with psycopg.connect(url) as conn:
        return [tuple(r) for r in conn.execute(
            "SELECT mutation_id, device_seq, status FROM sync.mutations WHERE device_id = %s "
            "ORDER BY device_seq", (uuid.UUID(hex=device_id),))]


def wait_until(check: Callable[[], bool], timeout: float = 10.0, what: str = "") -> None:
    """Poll server-side state (a lock wait is not an event we can subscribe to)."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def lock_waiters(url: str, role: str) -> list[int]:
    """Backends of `role` that are waiting for a lock."""
    with psycopg.connect(url, autocommit=True) as conn:
        return [r[0] for r in conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE usename = %s AND wait_event_type = 'Lock'",
            (role,))]


class Wrapped:
    """The real transport with a fault on push; pull and hello pass through."""

    def __init__(self, real: Transport, push: Callable[[Transport, dict[str, Any]],
                                                       dict[str, Any]]) -> None:
        self.real, self._push = real, push

    def hello(self) -> dict[str, Any]:
        return self.real.hello()

    def push(self, batch: dict[str, Any]) -> dict[str, Any]:
        return self._push(self.real, batch)

    def pull(self, cursor: int, limit: int, ack_floor: int) -> dict[str, Any]:
        return self.real.pull(cursor, limit, ack_floor)

    def close(self) -> None:
        self.real.close()


def capture_batch(shop: Shop) -> dict[str, Any]:
    """The exact batch the engine sends next, taken as the network fails before sending."""
    sent: list[dict[str, Any]] = []

    def fail_before_send(_real: Transport, batch: dict[str, Any]) -> dict[str, Any]:
        sent.append(batch)
        raise Retryable("network down before the request left (test)")

    shop.sync.transport_factory = lambda state: Wrapped(default_transport(state), fail_before_send)
    with pytest.raises(Retryable):
        shop.sync.run_once()
    shop.sync.transport_factory = default_transport
    return sent[0]


def ticket_for(shop: Shop, customer_id: uuid.UUID) -> uuid.UUID:
    return shop.tickets.intake(TicketIntake(customer_id, [TicketDeviceIntake(
        "Cracked screen", device=phone_input())])).ticket.summary.id


class Outage:
    """The real transport, unreachable while `down` is set (every call fails)."""

    def __init__(self, real: Transport, down: threading.Event) -> None:
        self.real, self.down = real, down

    def _check(self) -> None:
        if self.down.is_set():
            raise Retryable("central database unreachable (test outage)")

    def hello(self) -> dict[str, Any]:
        self._check()
        return self.real.hello()

    def push(self, batch: dict[str, Any]) -> dict[str, Any]:
        self._check()
        return self.real.push(batch)

    def pull(self, cursor: int, limit: int, ack_floor: int) -> dict[str, Any]:
        self._check()
        return self.real.pull(cursor, limit, ack_floor)

    def close(self) -> None:
        self.real.close()


class Reports:
    """Collects the runner's reports (sent on the sync thread) and lets the test wait."""

    def __init__(self) -> None:
        self.items: list[RunnerReport] = []
        self._cond = threading.Condition()

    def __call__(self, report: RunnerReport) -> None:
        with self._cond:
            self.items.append(report)
            self._cond.notify_all()

    def wait(self, check: Callable[[list[RunnerReport]], bool], timeout: float = 15) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: check(self.items), timeout)


def foreign_key_violations(shop: Shop) -> list[tuple[Any, ...]]:
    """What `PRAGMA foreign_key_check` finds on a counter (it must find nothing)."""
    with shop.store.read() as session:
        return [tuple(r) for r in session.connection().exec_driver_sql(
            "PRAGMA foreign_key_check").fetchall()]
