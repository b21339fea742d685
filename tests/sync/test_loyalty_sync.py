"""The loyalty ledger and feedback across counters (issue 17), on the real central database.

- Any sequence of earning, redeeming, expiring and refunding on several counters (two
  stores), with syncs in between, ends with the same ledger, so the same balance, on
  every counter and on the server.
- Two offline counters redeeming the same points: both redemptions are kept, the
  balance shows it and the account is flagged overspent on every counter.
- A merge moves the loser's ledger to the survivor, here and on the server.
- A detractor's answer opens exactly one complaint, whichever counters it reaches; a
  survey answer that arrives through the central database is opened by the counter
  the repair ticket belongs to, and by no other.
"""

from __future__ import annotations

import json
import uuid
from typing import Any
from uuid import UUID

import psycopg
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from shopdesk.domain.customer_rules import CustomerInput
from shopdesk.models import SupportTicket
from shopdesk.models.loyalty import LoyaltyEntry
from shopdesk.services.feedback.feedback import complaint_id
from shopdesk.services.feedback.feedback_views import FeedbackInput
from shopdesk.services.repairs.tickets import TicketDeviceIntake, TicketIntake
from shopdesk.shop import Shop
from tests.conftest import Clock
from tests.core.repair_helpers import imei, phone_input
from tests.sync.conftest import Counters, server_rows, sync_all

_serial = iter(range(10**6))


def register(shop: Shop, first: str = "Ana") -> UUID:
    n = next(_serial)
    return shop.customers.register(CustomerInput(
        first_name=first, last_name="Ledger", phone=f"07400 {100000 + n:06d}")).customer.id


def collect(shop: Shop, owner: UUID, amount: int) -> UUID:
    device = phone_input(imei(f"3539111{next(_serial):07d}"))
    ticket = shop.tickets.intake(TicketIntake(customer_id=owner, devices=[
        TicketDeviceIntake(fault="Battery", device=device)])).ticket.summary.id
    for step in ("diagnosing", "in_repair", "ready"):
        shop.tickets.change_status(ticket, step)
    shop.tickets.pickup(ticket, str(amount), "cash")
    return ticket


def ledger(shop: Shop, owner: UUID) -> dict[str, int]:
    with shop.store.read() as session:
        return {r.id.hex: r.points for r in session.scalars(select(LoyaltyEntry).where(
            LoyaltyEntry.customer_id == owner))}


OPS = st.lists(st.tuples(st.integers(0, 2), st.sampled_from(
    ["earn", "redeem", "refund", "expire", "sync"]), st.integers(1, 400)),
    min_size=3, max_size=12)


def test_any_sequence_on_any_counters_converges_to_one_balance(counters: Counters) -> None:
    clock = Clock()
    shops = [counters.new("a", clock=clock), counters.new("b", clock=clock),
             counters.new("c", store="High St", clock=clock)]
    for shop in shops:
        shop.settings.set("loyalty.expiry_months", "1")

    @settings(max_examples=25, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow])
    @given(OPS)
    def run(ops: list[tuple[int, str, int]]) -> None:
        owner = register(shops[0])
        sync_all(*shops)
        tickets: list[list[UUID]] = [[], [], []]
        for i, op, n in ops:
            shop = shops[i]
            if op == "earn":
                tickets[i].append(collect(shop, owner, n))
            elif op == "redeem":
                available = shop.loyalty.account(owner).available
                if available:
                    shop.loyalty.redeem(owner, min(n, available), "voucher")
            elif op == "refund" and tickets[i]:
                shop.loyalty.reverse_ticket(tickets[i][n % len(tickets[i])], "refund")
            elif op == "expire":
                clock.advance(days=n % 45)
                shop.loyalty_nightly.run()
            elif op == "sync":
                shop.sync.run_once()
        sync_all(*shops)
        # Every counter runs the nightly pass offline on the same lots: one expiry each.
        clock.advance(days=40)
        for shop in shops:
            shop.loyalty_nightly.run()
        sync_all(*shops, rounds=3)
        ledgers = [ledger(shop, owner) for shop in shops]
        assert ledgers[0] == ledgers[1] == ledgers[2]
        balances = {shop.loyalty.balance(owner).balance for shop in shops}
        assert balances == {sum(ledgers[0].values())}
        on_server = {k: v["points"] for k, v in server_rows(counters.url,
                                                            "loyalty_entries").items()
                     if v["customer_id"] == owner.hex}
        assert on_server == ledgers[0]
        # Each lot is expired at most once, whatever counters ran the nightly pass.
        expired = [v for v in server_rows(counters.url, "loyalty_entries").values()
                   if v["customer_id"] == owner.hex and v["kind"] == "expire"]
        assert len({e["ref_id"] for e in expired}) == len(expired)
        for shop in shops:  # nothing was refused: copies of derived entries are identical
            with shop.store.read() as session:
                assert not session.connection().exec_driver_sql(
                    "SELECT result FROM sync_outbox WHERE status <> 'pending'").all()

    run()


def test_two_offline_counters_redeeming_the_same_points_are_flagged(
        counters: Counters) -> None:
    a, b = counters.new("a"), counters.new("b")
    owner = register(a)
    collect(a, owner, 100)
    sync_all(a, b)
    assert b.loyalty.balance(owner).balance == 100
    a.loyalty.redeem(owner, 100, "voucher at the counter")  # both offline
    b.loyalty.redeem(owner, 100, "voucher at the other counter")
    sync_all(a, b)
    for shop in (a, b):
        account = shop.loyalty.account(owner)
        assert account.balance == -100 and account.overspent == 100
        assert shop.loyalty.overspent() == [(owner, account.code, 100)]
    assert len([e for e in ledger(a, owner).values() if e == -100]) == 2  # neither lost


def test_a_merge_moves_the_ledger_everywhere(counters: Counters) -> None:
    a, b = counters.new("a"), counters.new("b")
    keep, gone = register(a, "Ana"), register(a, "Anna")
    collect(a, keep, 40)
    collect(a, gone, 60)
    sync_all(a, b)
    a.sync.merge(keep, gone)
    sync_all(a, b)
    for shop in (a, b):
        assert shop.loyalty.balance(keep).balance == 100
        assert ledger(shop, gone) == {}
    assert sum(v["points"] for v in server_rows(counters.url, "loyalty_entries").values()
               if v["customer_id"] == keep.hex) == 100


def complaints(shop: Shop) -> int:
    with shop.store.read() as session:
        return session.scalar(select(func.count()).select_from(SupportTicket).where(
            SupportTicket.complaint.is_(True))) or 0


def test_a_detractor_opens_exactly_one_complaint_across_counters(counters: Counters) -> None:
    a, b = counters.new("a"), counters.new("b")
    c = counters.new("c", store="High St")
    owner = register(a)
    ticket = collect(a, owner, 80)
    sync_all(a, b, c)
    # Recorded on b (the paper form came back to the other counter).
    answer = b.feedback.record(FeedbackInput(ticket=ticket, nps=2,
                                             comment="Rude and slow")).feedback
    assert answer.complaint_number is not None
    sync_all(a, b, c, rounds=3)
    for shop in (a, b, c):
        assert shop.feedback.process_pending() == 0
        assert complaints(shop) == 1
    rows = server_rows(counters.url, "support_tickets")
    assert list(rows) == [complaint_id(answer.id).hex]


def web_form_answer(url: str, ticket: UUID, customer: UUID, nps: int, comment: str) -> UUID:
    """What the survey's web form does: one row straight into the central database."""
    fid = uuid.uuid4()
    data: dict[str, Any] = {
        "id": fid.hex, "ticket_id": ticket.hex, "customer_id": customer.hex,
        "channel": "survey", "csat": None, "nps": nps, "ces": None, "speed": None,
        "quality": None, "price": None, "staff": None, "communication": None,
        "comment": comment, "language": "en", "sentiment": 0, "categories": "",
        "technician_id": None, "service_kind": None, "platform": None, "external_id": None,
        "author": None, "node": None, "staff_id": None, "actor": "survey",
        "received_at": "2026-11-24T12:00:00.000000+00:00"}
    with psycopg.connect(url) as conn:
        conn.execute("INSERT INTO sync.rows (table_name, row_id, data) VALUES "
                     "('feedback', %s, %s::jsonb)", (fid.hex, json.dumps(data)))
    return fid


def test_a_survey_answer_is_opened_by_the_tickets_own_counter_only(
        counters: Counters) -> None:
    a, b = counters.new("a"), counters.new("b", store="High St")
    owner = register(a)
    sync_all(a, b)
    ticket = collect(b, owner, 80)  # b's ticket: b opens its complaints
    sync_all(a, b)
    fid = web_form_answer(counters.url, ticket, owner, 1, "Never again, awful")
    a.sync.run_once()  # a pulls it first: not a's to open
    assert complaints(a) == 0
    b.sync.run_once()  # b pulls it: the pull's listener opens the complaint
    assert complaints(b) == 1
    sync_all(a, b, rounds=3)
    assert complaints(a) == complaints(b) == 1
    assert list(server_rows(counters.url, "support_tickets")) == [complaint_id(fid).hex]
    report = a.feedback.report(a.store.clock().date().replace(day=1),
                               a.store.clock().date())
    assert report.detractors == 1 and report.sentiment.value is not None
