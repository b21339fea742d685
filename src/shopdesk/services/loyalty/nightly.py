"""The nightly loyalty pass: expiry (FIFO), expiry notices, anniversaries, tier moves.

Every entry it writes has an id derived from what it is about (the lot expired,
the lot announced, the customer and year, the tier move and day), so running it
twice, or on two counters, writes each fact once. Over-expiry (an expiry written
on one counter for points another had already redeemed) is given back here.

It reads in one snapshot and writes in short transactions of `batch` customers,
so a counter (and its window, if it runs on the window's worker) is never held
for long. Thread rule: any thread but the window's; a UI runs it on a worker.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TypeVar
from uuid import UUID

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from shopdesk.domain import loyalty as rules
from shopdesk.domain.permissions import Role
from shopdesk.models import CustomerLoyalty
from shopdesk.models.loyalty import LoyaltyEntry, money_sum
from shopdesk.services.loyalty.ledger import LoyaltyService, entries_of
from shopdesk.services.loyalty.loyalty_views import LoyaltyRules, NightlyReport
from shopdesk.services.store import Actor, Store

Progress = Callable[[int, int], None]
# (customer id, points, expiry instant): a notice that points expire soon is due.
NoticeListener = Callable[[UUID, int, datetime], None]
_LOTS = "('opening','earn','adjust','reverse')"
PASS = "nightly loyalty pass"  # the actor of what the pass writes (the same everywhere)


T = TypeVar("T")


def _chunks(items: Sequence[T], size: int) -> list[Sequence[T]]:
    return [items[i:i + size] for i in range(0, len(items), size)]


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="microseconds")


class NightlyPass:
    """Runs the pass for one shop; `notice_listeners` hear of each notice written."""

    def __init__(self, store: Store, loyalty: LoyaltyService) -> None:
        self._store = store
        self._loyalty = loyalty
        self.notice_listeners: list[NoticeListener] = []

    def run(self, progress: Progress | None = None, batch: int = 500) -> NightlyReport:
        started = time.perf_counter()
        now = self._store.clock()
        rule = self._loyalty.rules()
        actor = self._store.actor or Actor(None, "nightly loyalty pass", Role.OWNER)
        with self._store.read() as session:
            conn = session.connection()
            expiring = self._ids(conn, f"""SELECT DISTINCT e.customer_id FROM loyalty_entries e
                WHERE e.kind IN {_LOTS} AND e.points > 0 AND e.expires_at <= :now
                AND NOT EXISTS (SELECT 1 FROM loyalty_entries x WHERE x.ref_id = e.id
                                AND x.kind = 'expire')
                UNION SELECT DISTINCT customer_id FROM loyalty_entries
                WHERE kind = 'expire' AND created_at >= :recent""",
                now=_iso(now), recent=_iso(now - timedelta(days=30)))
            notify = self._ids(conn, f"""SELECT DISTINCT e.customer_id FROM loyalty_entries e
                WHERE e.kind IN {_LOTS} AND e.points > 0 AND e.expires_at > :now
                AND e.expires_at <= :soon AND NOT EXISTS (SELECT 1 FROM loyalty_entries x
                WHERE x.ref_id = e.id AND x.kind = 'notice')""",
                now=_iso(now), soon=_iso(now + timedelta(days=rule.notice_days))
            ) if rule.notice_days else []
            birthdays = self._anniversaries(conn, now) if rule.anniversary_bonus else []
            tiers = self._tier_rows(conn, now, rule)
        total = len(expiring) + len(notify) + len(birthdays) + len(tiers)
        done = 0
        counts = dict(expired_lots=0, expired_points=0, corrections=0, notices=0,
                      anniversaries=0, promotions=0, demotions=0)

        def step(n: int) -> None:
            nonlocal done
            done += n
            if progress is not None:
                progress(done, total)

        notices: list[tuple[UUID, int, datetime]] = []
        for chunk in _chunks(expiring, batch):
            with self._store.write() as session:
                for cid in chunk:
                    self._expire(session, actor, cid, now, counts)
            step(len(chunk))
        for chunk in _chunks(notify, batch):
            with self._store.write() as session:
                for cid in chunk:
                    notices += self._notices(session, actor, cid, now, rule)
            step(len(chunk))
        for years_chunk in _chunks(birthdays, batch):
            with self._store.write() as session:
                for cid, years in years_chunk:
                    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
                    self._loyalty.add_in(
                        session, actor, cid, "earn", "anniversary", rule.anniversary_bonus,
                        reason=f"{years} year{'s' if years > 1 else ''} with us",
                        expires_at=rule.expires(day), at=day, by=PASS,
                        entry_id=rules.derived_id("anniversary", cid, now.year))
            counts["anniversaries"] += len(years_chunk)
            step(len(years_chunk))
        moves: list[tuple[UUID, str, str]] = []
        for tier_chunk in _chunks(tiers, batch):
            with self._store.write() as session:
                for cid, state in tier_chunk:
                    row = session.get(CustomerLoyalty, cid)
                    if row is not None:
                        self._loyalty.apply_tier_in(session, actor, row, state, now, moves)
            step(len(tier_chunk))
        for cid, before, after in moves:
            counts["promotions" if rules.rank(after) > rules.rank(before) else "demotions"] += 1
            for listener in self._loyalty.tier_listeners:
                listener(cid, before, after)
        for cid, points, when in notices:
            for notice in self.notice_listeners:
                notice(cid, points, when)
        counts["notices"] = len(notices)
        customers = len(set(expiring) | set(notify) | {c for c, _ in birthdays}
                        | {c for c, _ in tiers})
        return NightlyReport(customers=customers, seconds=time.perf_counter() - started,
                             **counts)

    # -- the parts ----------------------------------------------------------------------
    @staticmethod
    def _ids(conn: Connection, sql: str, **params: object) -> list[UUID]:
        return [UUID(hex=r[0]) for r in conn.execute(text(sql), params)]

    def _expire(self, session: Session, actor: Actor, cid: UUID, now: datetime,
                counts: dict[str, int]) -> None:
        done = rules.replay(entries_of(session, cid))
        for lot in done.due_to_expire(now):
            self._loyalty.add_in(
                session, actor, cid, "expire", "expiry", -lot.remaining,
                reason=f"{lot.remaining} points earned {lot.earned_at:%d %b %Y} expired",
                ref_id=lot.id, entry_id=rules.derived_id("expire", lot.id),
                at=lot.expires_at, by=PASS)
            counts["expired_lots"] += 1
            counts["expired_points"] += lot.remaining
        # Lots used up before they expired are closed too, so they are not looked at again.
        expired = set(session.scalars(text(
            "SELECT ref_id FROM loyalty_entries WHERE customer_id = :c AND kind = 'expire'"),
            {"c": cid.hex}))
        for lot in done.lots:
            if (lot.remaining == 0 and lot.expires_at is not None and lot.expires_at <= now
                    and lot.id not in expired):
                self._loyalty.add_in(session, actor, cid, "expire", "expiry", 0,
                                     reason="lot used up before it expired", ref_id=lot.id,
                                     entry_id=rules.derived_id("expire", lot.id),
                                     at=lot.expires_at, by=PASS)
        for entry_id, points in done.over_expired.items():
            self._loyalty.add_in(
                session, actor, cid, "reverse", "expiry", points,
                reason=f"{points} points had been redeemed on another counter before "
                       "they expired: given back", ref_id=entry_id,
                entry_id=rules.derived_id("unexpire", entry_id), by=PASS)
            counts["corrections"] += 1

    def _notices(self, session: Session, actor: Actor, cid: UUID, now: datetime,
                 rule: LoyaltyRules) -> list[tuple[UUID, int, datetime]]:
        out = []
        soon = now + timedelta(days=rule.notice_days)
        noticed = set(session.scalars(text(
            "SELECT ref_id FROM loyalty_entries WHERE customer_id = :c AND kind = 'notice'"),
            {"c": cid.hex}))
        for lot in rules.replay(entries_of(session, cid)).lots:
            if (lot.remaining > 0 and lot.expires_at is not None
                    and now < lot.expires_at <= soon and lot.id not in noticed):
                self._loyalty.add_in(
                    session, actor, cid, "notice", "expiry", 0,
                    reason=f"told: {lot.remaining} points expire on {lot.expires_at:%d %b %Y}",
                    ref_id=lot.id, entry_id=rules.derived_id("notice", lot.id),
                    at=lot.expires_at - timedelta(days=rule.notice_days), by=PASS)
                out.append((cid, lot.remaining, lot.expires_at))
        return out

    @staticmethod
    def _anniversaries(conn: Connection, now: datetime) -> list[tuple[UUID, int]]:
        days = [now.strftime("%m-%d")]
        if now.strftime("%m-%d") == "02-28" and not rules._is_leap(now.year):
            days.append("02-29")
        rows = conn.execute(text(
            "SELECT l.customer_id, l.opened_at FROM customer_loyalty l JOIN customers c "
            "ON c.id = l.customer_id WHERE c.merged_into IS NULL AND c.is_active = 1 "
            f"AND substr(l.opened_at, 6, 5) IN ({', '.join(repr(d) for d in days)})"))
        out = []
        for cid, opened in rows:
            years = rules.anniversary(datetime.fromisoformat(opened).date(), now.date())
            if years:
                out.append((UUID(hex=cid), years))
        return out

    @staticmethod
    def _tier_rows(conn: Connection, now: datetime, rule: LoyaltyRules
                   ) -> list[tuple[UUID, rules.TierState]]:
        """Every account whose tier or grace state changes tonight (one aggregate)."""
        rows = conn.execute(text(f"""
            SELECT l.customer_id, l.tier, l.below_since, coalesce(q.points, 0), coalesce(q.spend, 0)
            FROM customer_loyalty l JOIN customers c ON c.id = l.customer_id
            LEFT JOIN (SELECT customer_id,
                         sum(CASE WHEN kind = 'earn' THEN points
                                  WHEN kind = 'reverse' AND points < 0 THEN points ELSE 0 END)
                           AS points,
                         sum(CASE WHEN kind = 'earn' THEN spend WHEN kind = 'reverse'
                                  THEN -spend ELSE 0 END) AS spend
                       FROM {LoyaltyEntry.__tablename__} WHERE created_at >= :since
                       GROUP BY customer_id) q ON q.customer_id = l.customer_id
            WHERE c.merged_into IS NULL AND (l.tier <> 'bronze' OR l.below_since IS NOT NULL
                                             OR q.customer_id IS NOT NULL)"""),
            {"since": _iso(now - timedelta(days=365))})
        out = []
        for cid, tier, below, points, spend in rows:
            value = Decimal(points) if rule.basis == "points" else money_sum(spend)
            qualifying = rules.qualifying_tier(value, rule.thresholds)
            since = datetime.fromisoformat(below) if below else None
            state = rules.next_tier(tier, since, qualifying, now, rule.grace)
            if state.moved or state.below_since != since:
                out.append((UUID(hex=cid), state))
        return out
