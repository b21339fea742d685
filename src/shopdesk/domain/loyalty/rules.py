"""Loyalty rules (spec 9, 6.2; issue 17), pure: the ledger replay, tiers, earning rules.

The ledger is a list of signed entries; the balance is their sum. `replay` walks the
entries in time order to say which *lots* (positive entries) still hold points and
until when, consuming them oldest first:

- a redemption or a negative adjustment takes from the oldest lots not yet expired
  at its time; what it cannot find is *overspent* (two counters redeemed the same
  points offline: shown to a manager, never hidden);
- an expiry takes from the one lot it names, never more than the lot still holds
  (an expiry written for points another counter had already redeemed is
  *over-expired*, and the nightly pass gives those points back);
- a reversal of an earning (a refund) takes from that lot first, then oldest first;
  what it cannot find leaves the balance negative, visibly.

Pure and thread-agnostic; no database.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

TIERS = ("bronze", "silver", "gold", "platinum")
LOT_KINDS = ("opening", "earn", "adjust", "reverse")
# Ids of entries that must exist once whatever counter writes them derive from this.
LEDGER_NS = uuid.UUID("6f1d3c52-7a55-4c4e-9d7e-1f6b0e5d9a17")


def derived_id(*parts: object) -> uuid.UUID:
    """The id of the one entry about `parts` (e.g. ("expire", lot_id))."""
    return uuid.uuid5(LEDGER_NS, ":".join(p.hex if isinstance(p, uuid.UUID) else str(p)
                                          for p in parts))


@dataclass(frozen=True)
class Entry:
    """One ledger row, as the replay needs it."""

    id: str
    kind: str
    points: int
    created_at: datetime
    expires_at: datetime | None = None
    ref_id: str | None = None


@dataclass(frozen=True)
class Lot:
    """Points earned together, what is left of them, and when they expire."""

    id: str
    earned_at: datetime
    points: int
    remaining: int
    expires_at: datetime | None
    expired: int  # points taken by expiry entries


@dataclass(frozen=True)
class Replay:
    balance: int
    lots: tuple[Lot, ...]
    overspent: int  # redeemed but not there (offline counters redeemed the same points)
    over_expired: dict[str, int] = field(default_factory=dict)  # expiry id -> points too many
    reversal_deficit: int = 0  # refunds took back points already spent

    def available(self, now: datetime) -> int:
        """Points that may be redeemed now: never more than the balance."""
        live = sum(lot.remaining for lot in self.lots
                   if lot.expires_at is None or lot.expires_at > now)
        return max(0, min(self.balance, live))

    def due_to_expire(self, now: datetime) -> list[Lot]:
        return [lot for lot in self.lots if lot.remaining > 0 and lot.expires_at is not None
                and lot.expires_at <= now]


@dataclass
class _Open:
    earned_at: datetime
    points: int
    remaining: int
    expires_at: datetime | None
    expired: int = 0

    def take(self, want: int) -> int:
        got = min(want, self.remaining)
        self.remaining -= got
        return got


def replay(entries: Iterable[Entry]) -> Replay:
    """Walk the entries in time order (ties by id, the same on every counter)."""
    lots: dict[str, _Open] = {}  # insertion order is time order: oldest first
    order: list[_Open] = []
    head = 0  # lots before it are used up (a long ledger is not walked from its start)
    overspent = deficit = balance = 0
    over: dict[str, int] = {}

    def fifo(want: int, at: datetime) -> int:
        nonlocal head
        while head < len(order) and not order[head].remaining:
            head += 1
        for lot in order[head:]:
            if want <= 0:
                break
            if lot.remaining and (lot.expires_at is None or lot.expires_at > at):
                want -= lot.take(want)
        return want

    for e in sorted(entries, key=lambda e: (e.created_at, e.id)):
        balance += e.points
        if e.points > 0 and e.kind == "reverse" and (e.ref_id or "") in over:
            # Gives back points an expiry took twice: cancels the excess, not a new lot.
            over[e.ref_id or ""] -= min(e.points, over[e.ref_id or ""])
            if not over[e.ref_id or ""]:
                del over[e.ref_id or ""]
        elif e.points > 0 and e.kind in LOT_KINDS:
            lots[e.id] = _Open(e.created_at, e.points, e.points, e.expires_at)
            order.append(lots[e.id])
        elif e.points < 0:
            want, lot = -e.points, lots.get(e.ref_id or "")
            if e.kind == "expire":
                got = lot.take(want) if lot is not None else 0
                if lot is not None:
                    lot.expired += got
                if want - got:
                    over[e.id] = want - got
            elif e.kind == "reverse":
                if lot is not None:
                    want -= lot.take(want)
                deficit += fifo(want, e.created_at)
            else:
                short = fifo(want, e.created_at)
                if e.kind == "redeem":
                    overspent += short
                else:
                    deficit += short
    return Replay(balance, tuple(Lot(i, v.earned_at, v.points, v.remaining, v.expires_at,
                                     v.expired) for i, v in lots.items()),
                  overspent, over, deficit)


# -- tiers --------------------------------------------------------------------------
def rank(tier: str) -> int:
    return TIERS.index(tier)


def qualifying_tier(value: Decimal | int, thresholds: Mapping[str, Decimal]) -> str:
    """The highest tier whose threshold `value` (12-month points or spend) reaches."""
    best = "bronze"
    for tier in TIERS[1:]:
        if Decimal(value) >= thresholds[tier]:
            best = tier
    return best


@dataclass(frozen=True)
class TierState:
    tier: str
    below_since: datetime | None
    moved: bool = False


def next_tier(current: str, below_since: datetime | None, qualifying: str, now: datetime,
              grace: timedelta) -> TierState:
    """Promotion at once; demotion only once the customer has qualified for less
    for the whole grace period (the period restarts whenever they qualify again)."""
    if rank(qualifying) > rank(current):
        return TierState(qualifying, None, True)
    if rank(qualifying) == rank(current):
        return TierState(current, None)
    if below_since is None:
        return TierState(current, now)
    if now - below_since >= grace:
        return TierState(qualifying, None, True)
    return TierState(current, below_since)


def progress(value: Decimal | int, tier: str, thresholds: Mapping[str, Decimal]
             ) -> tuple[str | None, Decimal]:
    """The next tier and how much more (points or spend) it takes; (None, 0) at the top."""
    for candidate in TIERS[rank(tier) + 1:]:
        need = thresholds[candidate] - Decimal(value)
        if need > 0:
            return candidate, need
    return None, Decimal(0)


# -- earning rules ------------------------------------------------------------------
def points_for(paid: Decimal, per_unit: Decimal, multiplier: Decimal) -> int:
    """Points for money paid: whole points, rounded down (never for nothing)."""
    if paid <= 0:
        return 0
    return max(0, math.floor(paid * per_unit * multiplier))


def add_months(moment: datetime, months: int) -> datetime:
    """The same day `months` later (the month's last day when it is shorter)."""
    month = moment.month - 1 + months
    year, month = moment.year + month // 12, month % 12 + 1
    for day in range(moment.day, 27, -1):
        try:
            return moment.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    return moment.replace(year=year, month=month, day=min(moment.day, 28))


def anniversary(opened: date, today: date) -> int:
    """Whole years since `opened` when today is its anniversary (29 Feb on 28 Feb), else 0."""
    if today <= opened:
        return 0
    same = (opened.month, opened.day) == (today.month, today.day)
    leap = (opened.month, opened.day) == (2, 29) and (today.month, today.day) == (2, 28) \
        and not _is_leap(today.year)
    return today.year - opened.year if same or leap else 0


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


_PAIR = re.compile(r"^\s*([a-z_]+)\s*=\s*(-?[0-9]+(?:\.[0-9]+)?)\s*$")


def parse_map(text: str, keys: tuple[str, ...], *, whole: bool = False,
              minimum: Decimal = Decimal(0), partial: bool = False) -> dict[str, Decimal]:
    """`a=1, b=2.5` into {a: 1, b: 2.5}; ValueError naming the rule that failed."""
    out: dict[str, Decimal] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        m = _PAIR.match(part.lower())
        if not m:
            raise ValueError(f"'{part}' is not name=number")
        key = m.group(1)
        if key not in keys:
            raise ValueError(f"'{key}' is not one of: {', '.join(keys)}")
        try:
            value = Decimal(m.group(2))
        except InvalidOperation:
            raise ValueError(f"'{m.group(2)}' is not a number") from None
        if whole and value != value.to_integral_value():
            raise ValueError(f"{key} must be a whole number")
        if value < minimum:
            raise ValueError(f"{key} must be at least {minimum}")
        out[key] = value
    missing = [k for k in keys if k not in out]
    if missing and not partial:
        raise ValueError(f"missing {', '.join(missing)}")
    return out


def format_map(values: Mapping[str, Decimal]) -> str:
    return ",".join(f"{k}={format(v.normalize(), 'f')}" for k, v in values.items())


def check_thresholds(text: str) -> str:
    values = parse_map(text, TIERS[1:], whole=True, minimum=Decimal(1))
    if not values["silver"] < values["gold"] < values["platinum"]:
        raise ValueError("thresholds must rise: silver < gold < platinum")
    return format_map(values)
