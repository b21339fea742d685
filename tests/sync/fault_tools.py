"""Tools for the fault tests (part 2): table dumps to compare counters with the
server, a child process that dies at an engine crash point, fault transports.

Not a test module. Any thread; every dump opens and closes its own connection.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
from sqlalchemy import text

from shopdesk.db.capture import synced_columns
from shopdesk.domain.customer_rules import CustomerInput
from shopdesk.models.sync import SYNCED
from shopdesk.services.repairs.tickets import TicketDeviceIntake, TicketIntake
from shopdesk.shop import Shop
from shopdesk.sync.wire.transport import Retryable, Transport
from tests.core.repair_helpers import imei, phone_input

Dump = dict[str, dict[str, dict[str, Any]]]
REPO = Path(__file__).resolve().parents[2]


def register(shop: Shop, first: str, phone: str, email: str = "", last: str = "Nowak") -> UUID:
    return shop.customers.register(CustomerInput(
        first_name=first, last_name=last, phone=phone, email=email)).customer.id


def open_ticket(shop: Shop, customer_id: UUID, serial: int) -> UUID:
    """A repair ticket with a new device whose IMEI is unique to `serial`."""
    device = phone_input(imei(f"353911{serial:08d}"))
    return shop.tickets.intake(TicketIntake(customer_id, [TicketDeviceIntake(
        "Cracked screen", device=device)])).ticket.summary.id


def _norm(value: Any) -> Any:
    # SQLite hands back what it stored; the server keeps the JSON the counter
    # sent. Compare them as JSON text so 1 == 1.0 and "5.00" vs 5 stand out.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def local_dump(shop: Shop) -> Dump:
    """Every synced table of one counter: {table: {id: {column: value}}}."""
    out: Dump = {}
    with shop.engine.connect() as conn:
        for table in SYNCED:
            cols = synced_columns(conn, table)
            rows = conn.execute(text(
                f"SELECT {', '.join(cols)} FROM {table.name}")).mappings().all()
            out[table.name] = {str(r[table.pk]): {c: _norm(r[c]) for c in cols} for r in rows}
    return out


def server_dump(url: str, like: Dump) -> Dump:
    """The server's live rows, cut to the columns `like` (a local dump) has."""
    out: Dump = {t.name: {} for t in SYNCED}
    with psycopg.connect(url) as conn:
        for table, row_id, data in conn.execute(
                "SELECT table_name, row_id, data FROM sync.rows WHERE NOT deleted "
                "AND table_name <> 'sync_conflicts'"):
            sample = next(iter(like.get(table, {}).values()), None)
            cols = list(sample) if sample else list(data)
            out.setdefault(table, {})[row_id] = {c: _norm(data.get(c)) for c in cols}
    return out


def diff(a: Dump, b: Dump) -> list[str]:
    """Human-readable differences between two dumps (empty when equal)."""
    found = []
    for table in sorted(set(a) | set(b)):
        ra, rb = a.get(table, {}), b.get(table, {})
        for rid in sorted(set(ra) ^ set(rb)):
            found.append(f"{table} {rid}: only on {'left' if rid in ra else 'right'}")
        for rid in sorted(set(ra) & set(rb)):
            for col in sorted(set(ra[rid]) | set(rb[rid])):
                if ra[rid].get(col) != rb[rid].get(col):
                    found.append(f"{table} {rid}.{col}: {ra[rid].get(col)!r} != "
                                 f"{rb[rid].get(col)!r}")
    return found


def local_rows(shop: Shop, sql: str, **params: Any) -> list[dict[str, Any]]:
    with shop.engine.connect() as conn:
        return [dict(r) for r in conn.execute(text(sql), params).mappings()]


def server_query(url: str, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as conn:
        return list(conn.execute(sql, params).fetchall())


def token_of(shop: Shop, secrets: dict[tuple[str, str], str]) -> str:
    state = shop.sync.engine.state()
    assert state is not None
    return secrets[("shopdesk-sync", state["role_name"])]


def run_child(root: Path, token: str, crash_at: str = "", page_size: int | None = None,
              before_sync: str = "") -> subprocess.CompletedProcess[str]:
    """A separate app process on `root`: runs `before_sync` (Python, `shop` in scope),
    then one sync round, with the engine told to die at `crash_at`."""
    env = {**os.environ, "SHOPDESK_SYNC_TOKEN": token,
           "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
           "SHOPDESK_SYNC_CRASH_AT": crash_at, "PYTHONPATH": str(REPO)}
    code = "\n".join([
        "import sys",
        "from shopdesk.shop import Shop",
        "shop = Shop.open(sys.argv[1])",
        "shop.act_as_system('crash test')",
        f"shop.sync.engine.page_size = {page_size or 2000}",
        before_sync or "pass",
        "shop.sync.run_once()",
        "shop.close()",
    ])
    return subprocess.run([sys.executable, "-c", code, str(root)], env=env, cwd=REPO,
                          capture_output=True, text=True, timeout=120)


class FaultyTransport:
    """Wraps a real transport. `lose_ack`: the push reaches the server, then the
    answer is lost (Retryable). `fail_push`: the push never leaves. One-shot each."""

    def __init__(self, inner: Transport, lose_ack: bool = False, fail_push: bool = False,
                 after_push: Any = None, after_pull: Any = None) -> None:
        self.inner, self.lose_ack, self.fail_push = inner, lose_ack, fail_push
        self.after_push, self.after_pull = after_push, after_pull

    def hello(self) -> dict[str, Any]:
        return self.inner.hello()

    def push(self, batch: dict[str, Any]) -> dict[str, Any]:
        if self.fail_push:
            raise Retryable("test: the connection dropped before the push was sent")
        reply = self.inner.push(batch)
        if self.after_push is not None:
            hook, self.after_push = self.after_push, None
            hook()
        if self.lose_ack:
            raise Retryable("test: the push was applied but its answer was lost")
        return reply

    def pull(self, cursor: int, limit: int, ack_floor: int) -> dict[str, Any]:
        page = self.inner.pull(cursor, limit, ack_floor)
        if self.after_pull is not None:
            hook, self.after_pull = self.after_pull, None
            hook()
        return page

    def close(self) -> None:
        self.inner.close()


def outbox(shop: Shop) -> list[dict[str, Any]]:
    rows = local_rows(shop, "SELECT device_seq, kind, table_name, row_id, op, status, result "
                            "FROM sync_outbox ORDER BY device_seq")
    for r in rows:
        r["result"] = json.loads(r["result"]) if r["result"] else None
    return rows
