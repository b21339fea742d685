"""Which backups to keep: daily for a week, weekly for five weeks, monthly for a year.

Backups are taken once a day (and whenever staff ask). Every backup of the last 24
hours is kept (one taken by hand before a risky change is not pruned by the next);
of the older ones, the newest of each of the last 7 days is kept as that day's
backup, the newest of each of the last 5 ISO weeks as that week's, and the newest of
each of the last 12 months as that month's; everything else may go. A backup can
hold several of these roles (Sunday's may be a day's, a week's and a month's). The
newest backup is always kept, however old, so a counter that was switched off for a
month still has one.
Pure functions; times are aware datetimes (UTC).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

DAYS, WEEKS, MONTHS = 7, 5, 12


def _week(day: date) -> tuple[int, int]:
    iso = day.isocalendar()
    return iso[0], iso[1]


def _months_back(day: date, months: int) -> tuple[int, int]:
    total = day.year * 12 + day.month - 1 - months
    return total // 12, total % 12 + 1


def roles(backups: Iterable[tuple[str, datetime]], now: datetime) -> dict[str, set[str]]:
    """For each backup name, the roles it keeps ('recent', 'daily', 'weekly',
    'monthly', 'newest'); a name with no role may be deleted."""
    items = sorted(backups, key=lambda item: item[1], reverse=True)  # newest first
    kept: dict[str, set[str]] = {name: set() for name, _ in items}
    if not items:
        return kept
    kept[items[0][0]].add("newest")
    for name, when in items:
        if now - when < timedelta(days=1):
            kept[name].add("recent")
    today = now.date()
    first_day = today - timedelta(days=DAYS - 1)
    first_week = _week(today - timedelta(weeks=WEEKS - 1))
    first_month = _months_back(today, MONTHS - 1)
    seen: dict[str, set[object]] = {"daily": set(), "weekly": set(), "monthly": set()}
    for name, when in items:
        day = when.date()
        buckets = {"daily": day if day >= first_day else None,
                   "weekly": _week(day) if _week(day) >= first_week else None,
                   "monthly": (day.year, day.month)
                   if (day.year, day.month) >= first_month else None}
        for role, bucket in buckets.items():
            if bucket is not None and bucket not in seen[role]:
                seen[role].add(bucket)
                kept[name].add(role)
    return kept


def to_delete(backups: Iterable[tuple[str, datetime]], now: datetime) -> list[str]:
    return sorted(name for name, held in roles(backups, now).items() if not held)
