"""The loyalty ledger service: read accounts, write entries, earn, redeem, reverse, tiers.

Every change of points is an inserted `loyalty_entries` row (who, when, why, the
ticket or event it came from); nothing is updated or deleted. Entries that must
exist once whatever counter writes them have derived ids and are inserted with
OR IGNORE, so writing the same fact twice (here, or on two counters) is one row.

Thread rule: any thread. Public writes are one `Store.write()` transaction with
their audit entry; the `*_in` methods run inside a caller's transaction (pickup,
refund, feedback) so the points commit with what earned them.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from decimal import Decimal
from uuid import UUID

from sqlalchemy import case, func, insert, select
from sqlalchemy.orm import Session

from shopdesk.changes import Changes
from shopdesk.domain.loyalty import rules
from shopdesk.domain.loyalty.rules import TierState
from shopdesk.domain.permissions import Permission
from shopdesk.domain.text import collapse_spaces
from shopdesk.errors import FieldError, NotFound, ValidationError
from shopdesk.models import Customer, CustomerLoyalty, RepairTicket, Setting
from shopdesk.models.loyalty import LoyaltyEntry, balance_query, money_sum
from shopdesk.services.audit import AuditTrail
from shopdesk.services.loyalty.loyalty_views import (
    Account,
    Balance,
    Benefits,
    LedgerLine,
    LotView,
    LoyaltyRules,
    PickupPoints,
)
from shopdesk.services.loyalty.perks import benefits_in, priority_customers
from shopdesk.services.settings import SettingsService
from shopdesk.services.store import Actor, Store

MAX_REASON = 300
YEAR = timedelta(days=365)
# (customer id, old tier, new tier): called after a move commits (messaging hooks in here).
TierListener = Callable[[UUID, str, str], None]


def entries_of(session: Session, customer_id: UUID) -> list[rules.Entry]:
    """The customer's ledger as the replay needs it (plain SQL: thousands of rows)."""
    cursor = session.connection().connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        rows = cursor.execute(
            "SELECT id, kind, points, created_at, expires_at, ref_id FROM loyalty_entries "
            "WHERE customer_id = ?", (customer_id.hex,)).fetchall()
    finally:
        cursor.close()
    parse = datetime.fromisoformat
    return [rules.Entry(eid, kind, points, parse(at), parse(expires) if expires else None, ref)
            for eid, kind, points, at, expires, ref in rows]


def qualifying_in(session: Session, customer_id: UUID, since: datetime) -> tuple[int, Decimal]:
    """Points earned and money spent since `since`, net of refunds."""
    points, spend = session.execute(select(
        func.coalesce(func.sum(case(
            (LoyaltyEntry.kind == "earn", LoyaltyEntry.points),
            ((LoyaltyEntry.kind == "reverse") & (LoyaltyEntry.points < 0), LoyaltyEntry.points),
            else_=0)), 0),
        func.coalesce(func.sum(case(
            (LoyaltyEntry.kind == "earn", LoyaltyEntry.spend),
            (LoyaltyEntry.kind == "reverse", -LoyaltyEntry.spend), else_=0)), 0),
    ).where(LoyaltyEntry.customer_id == customer_id,
            LoyaltyEntry.created_at >= since)).one()
    return int(points), money_sum(spend)


def ticket_points(store: Store, ticket_id: UUID) -> PickupPoints | None:
    """Points a ticket earned and redeemed, and its customer's balance now (receipts)."""
    with store.read() as session:
        customer = session.scalar(select(RepairTicket.customer_id).where(
            RepairTicket.id == ticket_id))
        if customer is None:
            return None
        earned, redeemed = session.execute(select(
            func.coalesce(func.sum(case((LoyaltyEntry.kind == "earn", LoyaltyEntry.points),
                                        else_=0)), 0),
            func.coalesce(func.sum(case((LoyaltyEntry.kind == "redeem", -LoyaltyEntry.points),
                                        else_=0)), 0)).where(
            LoyaltyEntry.ticket_id == ticket_id, LoyaltyEntry.customer_id == customer)).one()
        value = session.scalar(select(Setting.value).where(
            Setting.key == "loyalty.point_value"))
        balance = int(session.scalar(balance_query(customer)) or 0)
    worth = (Decimal(value or "0.01") * int(redeemed)).quantize(Decimal("0.01"))
    return PickupPoints(int(earned), int(redeemed), worth, balance)


class LoyaltyService:
    """Loyalty accounts (spec 9): the ledger, earning rules, redemption, tiers."""

    def __init__(self, store: Store, audit: AuditTrail, settings: SettingsService) -> None:
        self._store = store
        self._audit = audit
        self._settings = settings
        self.tier_listeners: list[TierListener] = []

    def rules(self) -> LoyaltyRules:
        return LoyaltyRules.of(self._settings)

    # -- reads ------------------------------------------------------------------------
    def customer_id(self, code_or_id: str | UUID) -> UUID:
        """The customer a code (or id) names, following merges."""
        with self._store.read() as session:
            return self._customer(session, code_or_id).id

    def balance(self, customer_id: UUID) -> Balance:
        """Balance and tier: one statement, the sum read from a covering index."""
        with self._store.read() as session:
            points, tier = session.connection().exec_driver_sql(
                "SELECT (SELECT coalesce(sum(points), 0) FROM loyalty_entries "
                "WHERE customer_id = ?), (SELECT tier FROM customer_loyalty "
                "WHERE customer_id = ?)", (customer_id.hex, customer_id.hex)).one()
        return Balance(customer_id, int(points), tier or "bronze")

    def account(self, code_or_id: str | UUID, history: int = 50) -> Account:
        now = self._store.clock()
        rule = self.rules()
        with self._store.read() as session:
            customer = self._customer(session, code_or_id)
            loyalty = session.get(CustomerLoyalty, customer.id) or CustomerLoyalty(
                customer_id=customer.id, tier="bronze")
            done = rules.replay(entries_of(session, customer.id))
            points, spend = qualifying_in(session, customer.id, now - YEAR)
            value = Decimal(points) if rule.basis == "points" else spend
            nxt, need = rules.progress(value, loyalty.tier, rule.thresholds)
            perks = benefits_in(session, rule, customer, loyalty.tier, now)
            lines = session.execute(
                select(LoyaltyEntry, RepairTicket.number)
                .outerjoin(RepairTicket, RepairTicket.id == LoyaltyEntry.ticket_id)
                .where(LoyaltyEntry.customer_id == customer.id)
                .order_by(LoyaltyEntry.created_at.desc(), LoyaltyEntry.id.desc())
                .limit(history)).all()
            count = session.scalar(select(func.count()).select_from(LoyaltyEntry).where(
                LoyaltyEntry.customer_id == customer.id)) or 0
            return Account(
                customer_id=customer.id, code=customer.code,
                name=f"{customer.first_name} {customer.last_name}",
                balance=done.balance, available=done.available(now), tier=loyalty.tier,
                tier_since=loyalty.tier_since, basis=rule.basis, qualifying=value,
                next_tier=nxt, to_next=need, demotion_pending_since=loyalty.below_since,
                overspent=done.overspent, reversal_deficit=done.reversal_deficit,
                benefits=perks,
                lots=tuple(LotView(lot.id, lot.earned_at, lot.points, lot.remaining,
                                   lot.expires_at) for lot in done.lots if lot.remaining > 0),
                history=tuple(LedgerLine(e.id, e.created_at, e.kind, e.source, e.points,
                                         e.reason, number, e.actor, e.expires_at)
                              for e, number in lines),
                entries=int(count))

    def ticket_points(self, ticket_id: UUID) -> PickupPoints | None:
        return ticket_points(self._store, ticket_id)

    def redeem_value(self, points: int) -> Decimal:
        """What `points` pay at the shop's point value."""
        if points < 0:
            raise ValidationError(FieldError("redeem_points", "range", "must not be negative"))
        return (self.rules().point_value * points).quantize(Decimal("0.01"))

    def benefits(self, code_or_id: str | UUID) -> Benefits:
        with self._store.read() as session:
            return self.benefits_in(session, self._customer(session, code_or_id).id)

    def benefits_in(self, session: Session, customer_id: UUID) -> Benefits:
        customer = self._customer(session, customer_id)
        tier = session.scalar(select(CustomerLoyalty.tier).where(
            CustomerLoyalty.customer_id == customer.id)) or "bronze"
        return benefits_in(session, self.rules(), customer, tier, self._store.clock())

    def priority_customers(self, ids: Iterable[UUID]) -> set[UUID]:
        """Which of `ids` go first on the ticket board (a priority tier)."""
        with self._store.read() as session:
            return priority_customers(session, self.rules(), ids)

    def overspent(self) -> list[tuple[UUID, str, int]]:
        """Accounts where offline counters redeemed the same points (customer, code,
        points redeemed twice), found by replaying every ledger with a redemption."""
        with self._store.read() as session:
            ids = list(session.scalars(select(LoyaltyEntry.customer_id).where(
                LoyaltyEntry.kind == "redeem").distinct()))
            out = []
            for cid in ids:
                done = rules.replay(entries_of(session, cid))
                if done.overspent:
                    code = session.scalar(select(Customer.code).where(Customer.id == cid))
                    out.append((cid, code or "", done.overspent))
        return out

    # -- writes -----------------------------------------------------------------------
    def adjust(self, code_or_id: str | UUID, points: int, reason: str,
               source: str = "staff") -> Changes:
        """Staff-granted points (social media engagement, goodwill) or a correction."""
        actor = self._store.require(Permission.ADJUST_LOYALTY)
        text = collapse_spaces(reason)
        errors = []
        if not text:
            errors.append(FieldError("reason", "required", "say why the points change"))
        elif len(text) > MAX_REASON:
            errors.append(FieldError("reason", "too_long",
                                     f"must be at most {MAX_REASON} characters"))
        if not isinstance(points, int) or points == 0:
            errors.append(FieldError("points", "non_zero", "must be a whole number, not 0"))
        elif abs(points) > 1_000_000:
            errors.append(FieldError("points", "range", "must be between -1000000 and 1000000"))
        if source not in ("staff", "social"):
            errors.append(FieldError("source", "choice", "must be staff or social"))
        if errors:
            raise ValidationError(errors)
        with self._store.write() as session:
            customer = self._customer(session, code_or_id)
            now = self._store.clock()
            if points < 0:
                available = rules.replay(entries_of(session, customer.id)).available(now)
                if -points > available:
                    raise ValidationError(FieldError(
                        "points", "available",
                        f"only {available} points are available to take away"))
            rule = self.rules()
            entry = self.add_in(session, actor, customer.id, "adjust", source, points,
                                reason=text, expires_at=rule.expires(now) if points > 0 else None)
            self._audit.append(session, actor, "adjust", "loyalty", customer.id, {
                "points": points, "reason": text, "source": source, "entry": entry.hex})
            if points > 0:
                self.check_tier_in(session, actor, customer.id, rule)
        return self._store.publish(Changes(customers=frozenset({customer.id}), loyalty=True))

    def redeem(self, code_or_id: str | UUID, points: int, reason: str) -> Changes:
        """Points spent on a reward outside a pickup (a voucher, an accessory)."""
        actor = self._store.require(Permission.MANAGE_TICKETS)
        text = collapse_spaces(reason)
        if not text:
            raise ValidationError(FieldError("reason", "required", "say what was redeemed"))
        with self._store.write() as session:
            customer = self._customer(session, code_or_id)
            available = rules.replay(entries_of(session, customer.id)).available(
                self._store.clock())
            if not 0 < points <= available:
                raise ValidationError(FieldError(
                    "points", "available", f"must be between 1 and the {available} points "
                    "available"))
            entry = self.add_in(session, actor, customer.id, "redeem", "staff", -points,
                                reason=text)
            self._audit.append(session, actor, "redeem", "loyalty", customer.id, {
                "points": points, "reason": text, "entry": entry.hex})
        return self._store.publish(Changes(customers=frozenset({customer.id}), loyalty=True))

    def reverse_ticket(self, ticket_id: UUID, reason: str) -> Changes:
        """A refunded ticket: remove the points it earned, restore those it used."""
        actor = self._store.require(Permission.REFUND)
        with self._store.write() as session:
            if session.get(RepairTicket, ticket_id) is None:
                raise NotFound(f"no repair ticket with id {ticket_id}")
            touched = self.reverse_in(session, actor, ticket_id, reason)
        return self._store.publish(Changes(customers=frozenset(touched), loyalty=True))

    # -- inside a caller's transaction ------------------------------------------------
    def add_in(self, session: Session, actor: Actor, customer_id: UUID, kind: str,
               source: str, points: int, *, reason: str = "", ticket_id: UUID | None = None,
               ref_id: str | None = None, expires_at: datetime | None = None,
               spend: Decimal = Decimal(0), entry_id: UUID | None = None,
               at: datetime | None = None, by: str | None = None) -> UUID:
        """Insert one entry (once: a derived `entry_id` already present is left as is).

        `at` and `by` (a process, not a person) make a derived entry's values the same
        on every counter that writes it, so sync accepts the copies as one row."""
        entry = entry_id or uuid.uuid4()
        session.execute(insert(LoyaltyEntry).prefix_with("OR IGNORE").values(
            id=entry, customer_id=customer_id, kind=kind, source=source, points=points,
            spend=spend, reason=reason[:MAX_REASON], ticket_id=ticket_id, ref_id=ref_id,
            expires_at=expires_at, staff_id=None if by else actor.staff_id,
            actor=(by or actor.label)[:120], created_at=at or self._store.clock()))
        return entry

    def on_pickup_in(self, session: Session, actor: Actor, ticket: RepairTicket, paid: Decimal,
                     kind: str, redeem: int = 0) -> PickupPoints:
        """Redeem `redeem` points, earn on the money paid, pay a pending referral bonus."""
        rule = self.rules()
        now = self._store.clock()
        customer = ticket.customer_id
        if redeem:
            available = rules.replay(entries_of(session, customer)).available(now)
            if redeem < 0 or redeem > available:
                raise ValidationError(FieldError(
                    "redeem_points", "available",
                    f"must be between 0 and the {available} points available"))
            self.add_in(session, actor, customer, "redeem", "ticket", -redeem,
                        reason=f"redeemed at pickup of {ticket.number}", ticket_id=ticket.id)
        earned = self.earn_in(session, actor, customer, paid, kind, rule, ticket=ticket)
        total = int(session.scalar(balance_query(customer)) or 0)
        return PickupPoints(earned, redeem, self.redeem_value(redeem), total)

    def earn_in(self, session: Session, actor: Actor, customer: UUID, paid: Decimal, kind: str,
                rule: LoyaltyRules, ticket: RepairTicket | None = None,
                service_id: UUID | None = None) -> int:
        if paid <= 0:
            return 0
        now = self._store.clock()
        points = rules.points_for(paid, rule.per_unit, rule.multipliers.get(kind, Decimal(1)))
        what = f"ticket {ticket.number}" if ticket is not None else "a purchase"
        self.add_in(session, actor, customer, "earn", "ticket" if ticket else "purchase", points,
                    reason=f"{kind.replace('_', ' ')}: {paid} paid for {what}",
                    ticket_id=ticket.id if ticket else None,
                    ref_id=service_id.hex if service_id else None,
                    expires_at=rule.expires(now), spend=paid)
        self._referral_in(session, actor, customer, rule, ticket)
        self.check_tier_in(session, actor, customer, rule)
        return points

    def _referral_in(self, session: Session, actor: Actor, customer: UUID, rule: LoyaltyRules,
                     ticket: RepairTicket | None) -> None:
        referrer = session.scalar(select(CustomerLoyalty.referred_by).where(
            CustomerLoyalty.customer_id == customer))
        if referrer is None or not rule.referral_bonus:
            return
        code = session.scalar(select(Customer.code).where(Customer.id == customer))
        self.add_in(session, actor, referrer, "earn", "referral", rule.referral_bonus,
                    reason=f"referred {code}, whose first paid service completed",
                    ticket_id=ticket.id if ticket else None, ref_id=customer.hex,
                    expires_at=rule.expires(self._store.clock()),
                    entry_id=rules.derived_id("referral", customer))
        self.check_tier_in(session, actor, referrer, rule)

    def reverse_in(self, session: Session, actor: Actor, ticket_id: UUID,
                   reason: str) -> set[UUID]:
        """Reverse every earning and redemption of the ticket, once each."""
        rule = self.rules()
        now = self._store.clock()
        rows = session.scalars(select(LoyaltyEntry).where(
            LoyaltyEntry.ticket_id == ticket_id,
            LoyaltyEntry.kind.in_(("earn", "redeem")))).all()
        touched = set()
        for row in rows:
            if not row.points and not row.spend:
                continue
            self.add_in(session, actor, row.customer_id, "reverse", "refund", -row.points,
                        reason=collapse_spaces(reason) or "refund", ticket_id=ticket_id,
                        ref_id=row.id.hex, spend=row.spend if row.kind == "earn" else Decimal(0),
                        expires_at=rule.expires(now) if row.points < 0 else None,
                        entry_id=rules.derived_id("reverse", row.id))
            touched.add(row.customer_id)
        if touched:
            self._audit.append(session, actor, "reverse", "loyalty", ticket_id, {
                "entries": len(rows), "reason": reason})
        return touched

    def check_tier_in(self, session: Session, actor: Actor, customer_id: UUID,
                      rule: LoyaltyRules, moves: list[tuple[UUID, str, str]] | None = None
                      ) -> str:
        """Promote at once, demote after the grace period; record each move."""
        now = self._store.clock()
        loyalty = self._loyalty(session, customer_id)
        points, spend = qualifying_in(session, customer_id, now - YEAR)
        qualifying = rules.qualifying_tier(points if rule.basis == "points" else spend,
                                           rule.thresholds)
        state = rules.next_tier(loyalty.tier, loyalty.below_since, qualifying, now, rule.grace)
        return self.apply_tier_in(session, actor, loyalty, state, now, moves)

    def apply_tier_in(self, session: Session, actor: Actor, loyalty: CustomerLoyalty,
                      state: TierState, now: datetime,
                      moves: list[tuple[UUID, str, str]] | None = None) -> str:
        if state.moved:
            before = loyalty.tier
            loyalty.tier, loyalty.tier_since, loyalty.below_since = state.tier, now, None
            day = now.replace(hour=0, minute=0, second=0, microsecond=0)
            self.add_in(session, actor, loyalty.customer_id, "tier", "tier", 0,
                        reason=f"{before} → {state.tier}", at=day, by="loyalty tiers",
                        entry_id=rules.derived_id("tier", loyalty.customer_id, before,
                                                  state.tier, now.date()))
            self._store.emit(session, actor, "loyalty_tier_changed",
                             customer_id=loyalty.customer_id, before=before,
                             after=state.tier, day=now.date().isoformat())
            if moves is not None:
                moves.append((loyalty.customer_id, before, state.tier))
            else:
                for listener in self.tier_listeners:
                    listener(loyalty.customer_id, before, state.tier)
        elif loyalty.below_since != state.below_since:
            loyalty.below_since = state.below_since
        return loyalty.tier

    # -- helpers ----------------------------------------------------------------------
    @staticmethod
    def _customer(session: Session, code_or_id: str | UUID) -> Customer:
        row: Customer | None
        if isinstance(code_or_id, UUID):
            row = session.get(Customer, code_or_id)
        else:
            row = session.scalar(select(Customer).where(
                Customer.code == code_or_id.strip().upper()))
        seen = 0
        while row is not None and row.merged_into is not None and seen < 10:
            row, seen = session.get(Customer, row.merged_into), seen + 1
        if row is None:
            raise NotFound(f"no customer with code {code_or_id}")
        return row

    @staticmethod
    def _loyalty(session: Session, customer_id: UUID) -> CustomerLoyalty:
        row = session.get(CustomerLoyalty, customer_id)
        if row is None:  # an account every customer should have; made on first use
            row = CustomerLoyalty(customer_id=customer_id, tier="bronze")
            session.add(row)
            session.flush()
        return row
