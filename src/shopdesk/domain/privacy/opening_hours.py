"""The shop's opening hours, as a setting staff can type: ``mon-fri 09:00-18:00, sat 10:00-16:00``.

Used by access monitoring: an export made outside these hours is worth a manager's
look. Pure; any thread.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_PART = re.compile(r"^([a-z]{3})(?:-([a-z]{3}))?\s+(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")


@dataclass(frozen=True)
class OpeningHours:
    """Opening periods: (weekday numbers, Monday 0, opening time, closing time)."""

    periods: tuple[tuple[frozenset[int], time, time], ...]

    def is_open(self, local: datetime) -> bool:
        """Whether `local` (a time in the shop's own zone) falls in opening hours."""
        moment = local.time()
        return any(local.weekday() in days and start <= moment < end
                   for days, start, end in self.periods)


def parse(text: str) -> OpeningHours:
    """Parse the setting; ValueError with a sentence naming the part that is wrong."""
    periods = []
    for raw in text.lower().split(","):
        part = " ".join(raw.split())
        if not part:
            continue
        m = _PART.match(part)
        if m is None:
            raise ValueError(f"'{part}' is not like 'mon-fri 09:00-18:00'")
        first, last = m.group(1), m.group(2) or m.group(1)
        if first not in DAYS or last not in DAYS:
            raise ValueError(f"'{part}': days are {', '.join(DAYS)}")
        a, b = DAYS.index(first), DAYS.index(last)
        days = frozenset(range(a, b + 1)) if a <= b else frozenset([*range(a, 7), *range(b + 1)])
        h1, m1, h2, m2 = (int(g) for g in m.group(3, 4, 5, 6))
        if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 == 24 and m2):
            raise ValueError(f"'{part}': not a time of day")
        start = time(h1, m1)
        end = time(23, 59, 59, 999999) if h2 == 24 else time(h2, m2)
        if end <= start:
            raise ValueError(f"'{part}': closes before it opens")
        periods.append((days, start, end))
    if not periods:
        raise ValueError("give at least one period, like 'mon-sat 09:00-18:00'")
    return OpeningHours(tuple(periods))
