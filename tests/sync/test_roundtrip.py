"""The basic promises: what one counter writes reaches the others, nothing echoes."""

from __future__ import annotations

import time
from decimal import Decimal

from sqlalchemy import func, select

from shopdesk.domain.customer_rules import CustomerInput
from shopdesk.models import Customer, RepairTicket
from shopdesk.services.repairs.tickets import TicketDeviceIntake, TicketIntake
from tests.core.repair_helpers import phone_input
from tests.sync.conftest import Counters, server_rows, sync_all


def register(shop, first: str, phone: str, email: str | None = None):  # type: ignore[no-untyped-def]
    return shop.customers.register(CustomerInput(
        first_name=first, last_name="Nowak", phone=phone, email=email or "")).customer


def test_customer_and_ticket_reach_the_other_counter(counters: Counters) -> None:
    a, b = counters.new("a"), counters.new("b")
    ann = register(a, "Ann", "07400 123456")
    ticket = a.tickets.intake(TicketIntake(ann.id, [TicketDeviceIntake(
        "Cracked screen", device=phone_input())])).ticket
    assert a.sync.status().pending > 0

    sync_all(a, b)

    assert a.sync.status().pending == 0
    assert b.customers.profile(ann.id).summary.code == ann.code
    assert [h.id for h in b.search("ann nowak")][:1] == [ann.id]
    assert b.tickets.get(ticket.summary.id).summary.number == ticket.summary.number
    assert ann.id.hex in server_rows(counters.url, "customers")


def test_pulled_rows_do_not_echo_back(counters: Counters) -> None:
    a, b = counters.new("a"), counters.new("b")
    for n in range(30):
        register(a, f"Echo{n}", f"07400 1230{n:02d}")
    sync_all(a, b)
    assert b.sync.status().pending == 0
    b.sync.run_once()
    assert b.sync.status().pending == 0
    with b.store.read() as s:
        assert s.scalar(select(func.count()).select_from(Customer)) == 30
        assert s.scalar(select(func.count()).select_from(RepairTicket)) == 0


def test_one_connection_serves_many_rounds(counters: Counters) -> None:
    """The runner pulls every second: rounds reuse the counter's connection instead of
    logging in again each time (a TLS handshake to a hosted database costs more than
    an idle pull)."""
    import psycopg

    a = counters.new("a")
    role = a.sync.engine.state()["role_name"]  # type: ignore[index]

    def backends() -> set[int]:
        with psycopg.connect(counters.url) as admin:
            return {r[0] for r in admin.execute(
                "SELECT pid FROM pg_stat_activity WHERE usename = %s", (role,))}

    a.sync.run_once()
    first = backends()
    for n in range(3):
        register(a, f"Round{n}", f"07400 1231{n:02d}")
        a.sync.run_once()
    assert len(first) == 1 and backends() == first
    a.close()
    # The server notices the closed socket a moment later: poll, bounded.
    deadline = time.monotonic() + 5
    while backends() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert backends() == set()


def test_work_lines_and_promise_travel_both_ways(counters: Counters) -> None:
    """ticket_work_lines is synced like the other ticket tables: added, edited and
    removed lines reach the other counter, and so does the promised-by day."""
    from datetime import date

    from shopdesk.services.repairs.ticket_edits import WorkLineInput

    a, b = counters.new("a"), counters.new("b")
    ann = register(a, "Ann", "07400 123456")
    ticket = a.tickets.intake(TicketIntake(ann.id, [TicketDeviceIntake(
        "Cracked screen", device=phone_input())], promised_by="2099-01-31")).ticket
    iphone = ticket.devices[0].device.id
    lines = a.tickets.set_work(ticket.summary.id, [
        WorkLineInput("Screen assembly", "part", "79.00", 1, "SCR-13", iphone),
        WorkLineInput("Fitting", "labour", "30.00", device_id=iphone)]).ticket.work
    sync_all(a, b)
    there = b.tickets.get(ticket.summary.number)
    assert [(w.description, w.unit_price, w.sku) for w in there.work] == [
        ("Screen assembly", Decimal("79.00"), "SCR-13"), ("Fitting", Decimal("30.00"), None)]
    assert there.promised_by == date(2099, 1, 31)
    assert len(server_rows(counters.url, "ticket_work_lines")) == 2

    # b edits one line and drops the other; a sees exactly that
    b.tickets.set_work(ticket.summary.id, [WorkLineInput(
        "Screen assembly (OEM)", "part", "95.00", 1, "SCR-13", iphone, lines[0].id)])
    sync_all(b, a)
    back = a.tickets.get(ticket.summary.id)
    assert [(w.id, w.description, w.unit_price) for w in back.work] == [
        (lines[0].id, "Screen assembly (OEM)", Decimal("95.00"))]
    assert a.sync.status().pending == 0 and b.sync.status().pending == 0
    assert a.audit.verify().ok and b.audit.verify().ok
