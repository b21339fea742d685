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
from typing import Any, TypeVar
from uuid import UUID

from sqlalchemy import Connection, text

from shopdesk.domain.loyalty import rules
from shopdesk.domain.permissions import Role
from shopdesk.models import CustomerLoyalty
from shopdesk.models.loyalty import LoyaltyEntry, money_sum
from shopdesk.services.loyalty.ledger import LoyaltyService
from shopdesk.services.loyalty.loyalty_views import LoyaltyRules, NightlyReport
from shopdesk.services.store import Actor, Store

Progress = Callable[[int, int], None]
# (customer id, points, expiry instant): a notice that points expire soon is due.
NoticeListener = Callable[[UUID, int, datetime], None]
_LOTS = "('opening','earn','adjust','reverse')"
PASS = "nightly loyalty pass"  # the actor of what the pass writes (the same everywhere)
_MARK = "loyalty.nightly_done_until"  # local_meta: the `now` of the last finished pass
SLACK = timedelta(days=7)
_INSERT = ("INSERT OR IGNORE INTO loyalty_entries (id, customer_id, kind, source, points, "
           "reason, ref_id, created_at, spend, ticket_id, expires_at, staff_id, actor) "
           f"VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, NULL, NULL, NULL, '{PASS}')")


T = TypeVar("T")


def _chunks(items: Sequence[T], size: int) -> list[Sequence[T]]:
    return [items[i:i + size] for i in range(0, len(items), size)]


def _fetch(conn: Connection, sql: str, params: tuple[object, ...]) -> list[tuple[Any, ...]]:
    """All rows through the driver's own cursor: a pass reads hundreds of thousands of
    rows, and a Row object each would cost more than the query."""
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    out: list[tuple[Any, ...]] = []
    try:
        cursor.execute(sql, params)
        while batch := cursor.fetchmany(2000):
            out += batch
            time.sleep(0)  # let the window's thread have the GIL between batches
        return out
    finally:
        cursor.close()


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
            # Lots are looked at from a little before the last pass's day (a lot that
            # arrives by sync after its expiry is caught by the counter that wrote it, whose
            # own pass saw it coming, or here within SLACK); the first
            # pass, or one after a long pause, looks at every lot.
            done_until = conn.exec_driver_sql(
                "SELECT value FROM local_meta WHERE key = ?", (_MARK,)).scalar()
            since = _iso(datetime.fromisoformat(done_until) - SLACK) if done_until else ""
            # Accounts with a lot past its expiry and not yet expired, or that expires
            # within the notice period and was not announced; and accounts where a
            # redemption of the last 30 days is older than an expiry already written
            # (recorded offline, it may have used points another counter has since
            # expired: the pass gives those back).
            # (A unary + keeps SQLite off the kind index where the expiry, reference or
            # customer index is the one to use.)
            ledgers = self._ids(conn, f"""SELECT DISTINCT e.customer_id FROM loyalty_entries e
                WHERE +e.kind IN {_LOTS} AND e.points > 0 AND e.expires_at <= :soon
                AND e.expires_at > :since AND NOT EXISTS (
                    SELECT 1 FROM loyalty_entries x WHERE x.ref_id = e.id
                                AND +x.kind = (CASE WHEN e.expires_at <= :now THEN 'expire'
                                                   ELSE 'notice' END))
                UNION SELECT DISTINCT r.customer_id FROM loyalty_entries r
                WHERE r.kind = 'redeem' AND r.created_at >= :recent AND EXISTS (
                    SELECT 1 FROM loyalty_entries x WHERE x.customer_id = r.customer_id
                    AND x.created_at >= r.created_at AND +x.kind = 'expire')""",
                now=_iso(now), soon=_iso(now + timedelta(days=rule.notice_days)),
                recent=_iso(now - timedelta(days=30)), since=since)
            birthdays = self._anniversaries(conn, now) if rule.anniversary_bonus else []
            tiers = self._tier_rows(conn, now, rule, every=not done_until)
        total = len(ledgers) + len(birthdays) + len(tiers)
        done = 0
        counts = dict(expired_lots=0, expired_points=0, corrections=0, notices=0,
                      anniversaries=0, promotions=0, demotions=0)

        def step(n: int) -> None:
            nonlocal done
            done += n
            if progress is not None:
                progress(done, total)

        notices: list[tuple[UUID, int, datetime, str]] = []
        for chunk in _chunks(ledgers, batch):
            with self._store.write() as session:
                conn = session.connection()
                told = len(notices)
                rows = self._ledger_pass(conn, chunk, now, rule, counts, notices)
                if rows:
                    conn.exec_driver_sql(_INSERT, rows)
                for cid, points, when, lot in notices[told:]:
                    self._store.emit(session, actor, "loyalty_points_expiring",
                                     customer_id=cid, points=points, expires_at=when, lot=lot)
            step(len(chunk))
            time.sleep(0)  # the window's thread gets the GIL between transactions
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
        for cid, points, when, _lot in notices:
            for notice in self.notice_listeners:
                notice(cid, points, when)
        counts["notices"] = len(notices)
        with self._store.write() as session:
            session.connection().exec_driver_sql(
                "INSERT INTO local_meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE "
                "SET value = excluded.value", (_MARK, _iso(now)))
        customers = len(set(ledgers) | {c for c, _ in birthdays} | {c for c, _ in tiers})
        return NightlyReport(customers=customers, seconds=time.perf_counter() - started,
                             **counts)

    # -- the parts ----------------------------------------------------------------------
    @staticmethod
    def _ids(conn: Connection, sql: str, **params: object) -> list[UUID]:
        return [UUID(hex=r[0]) for r in conn.execute(text(sql), params)]

    @staticmethod
    def _ledger_pass(conn: Connection, ids: Sequence[UUID], now: datetime,
                     rule: LoyaltyRules, counts: dict[str, int],
                     notices: list[tuple[UUID, int, datetime, str]]
                     ) -> list[tuple[object, ...]]:
        """The entries the pass writes for these accounts (read, replayed, in memory)."""
        by_customer: dict[str, list[rules.Entry]] = {}
        done_refs: set[tuple[str, str]] = set()
        marks = ",".join("?" * len(ids))
        for eid, cid, kind, points, at, expires, ref in _fetch(
                conn, "SELECT id, customer_id, kind, points, created_at, expires_at, ref_id "
                f"FROM loyalty_entries WHERE customer_id IN ({marks})",
                tuple(c.hex for c in ids)):
            by_customer.setdefault(cid, []).append(rules.Entry(
                eid, kind, points, datetime.fromisoformat(at),
                datetime.fromisoformat(expires) if expires else None, ref))
            if ref and kind in ("expire", "notice"):
                done_refs.add((kind, ref))
        soon = now + timedelta(days=rule.notice_days)
        out: list[tuple[object, ...]] = []

        def add(cid: str, kind: str, points: int, reason: str, ref: str, key: str,
                at: datetime, source: str = "expiry") -> None:
            out.append((rules.derived_id(key, ref).hex, cid, kind, source, points, reason,
                        ref, _iso(at)))

        for n, (cid, entries) in enumerate(by_customer.items()):
            if n % 100 == 0:
                time.sleep(0)  # a long replay never keeps the window's thread waiting
            done = rules.replay(entries)
            for lot in done.lots:
                if lot.expires_at is None or ("expire", lot.id) in done_refs:
                    continue
                if lot.expires_at <= now:
                    add(cid, "expire", -lot.remaining,
                        f"{lot.remaining} points earned {lot.earned_at:%d %b %Y} expired"
                        if lot.remaining else "lot used up before it expired",
                        lot.id, "expire", lot.expires_at)
                    if lot.remaining:
                        counts["expired_lots"] += 1
                        counts["expired_points"] += lot.remaining
                elif (lot.remaining and lot.expires_at <= soon and rule.notice_days
                      and ("notice", lot.id) not in done_refs):
                    add(cid, "notice", 0, f"told: {lot.remaining} points expire on "
                        f"{lot.expires_at:%d %b %Y}", lot.id, "notice",
                        lot.expires_at - timedelta(days=rule.notice_days))
                    notices.append((UUID(hex=cid), lot.remaining, lot.expires_at, lot.id))
            for entry_id, points in done.over_expired.items():
                add(cid, "reverse", points, f"{points} points had been redeemed on another "
                    "counter before they expired: given back", entry_id, "unexpire", now)
                counts["corrections"] += 1
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
    def _tier_rows(conn: Connection, now: datetime, rule: LoyaltyRules, every: bool
                   ) -> list[tuple[UUID, rules.TierState]]:
        """Every account whose tier or grace state changes tonight (one aggregate).

        Earning promotes at once, on the counter that records it (and sync carries the
        tier), so a night only looks at accounts that could move down: above bronze or
        in their grace period. The first pass (`every`) looks at every account."""
        above = "" if every else ("AND customer_id IN (SELECT customer_id FROM "
                                  "customer_loyalty WHERE tier <> 'bronze' OR below_since "
                                  "IS NOT NULL)")
        rows = _fetch(conn, f"""
            SELECT l.customer_id, l.tier, l.below_since, coalesce(q.points, 0), coalesce(q.spend, 0)
            FROM customer_loyalty l JOIN customers c ON c.id = l.customer_id
            LEFT JOIN (SELECT customer_id,
                         sum(CASE WHEN kind = 'earn' THEN points
                                  WHEN kind = 'reverse' AND points < 0 THEN points ELSE 0 END)
                           AS points,
                         sum(CASE WHEN kind = 'earn' THEN spend WHEN kind = 'reverse'
                                  THEN -spend ELSE 0 END) AS spend
                       FROM {LoyaltyEntry.__tablename__} WHERE created_at >= ? {above}
                       GROUP BY customer_id) q ON q.customer_id = l.customer_id
            WHERE c.merged_into IS NULL AND (l.tier <> 'bronze' OR l.below_since IS NOT NULL
                                             OR (? AND q.customer_id IS NOT NULL))""",
            (_iso(now - timedelta(days=365)), every))
        out = []
        for cid, tier, below, points, spend in rows:
            value = Decimal(points) if rule.basis == "points" else money_sum(spend)
            qualifying = rules.qualifying_tier(value, rule.thresholds)
            since = datetime.fromisoformat(below) if below else None
            state = rules.next_tier(tier, since, qualifying, now, rule.grace)
            if state.moved or state.below_since != since:
                out.append((UUID(hex=cid), state))
        return out
