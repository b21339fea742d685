"""Alerts for unusual access (spec 2.4, 13.3), read from the audit trail itself.

- Many profiles: a staff member opened far more customer profiles in a day than they
  usually do (more than `security.alert_view_factor` times the median of their own
  active days over the four weeks before, and at least `security.alert_min_views`).
- Exports after hours: an export of customer data (a file of customers, a person's
  data archive, a marketing list, a privacy report) made outside the opening hours
  (`security.opening_hours`, in this computer's local time).
- Failed sign-ins: `security.alert_failed_signins` or more failed sign-ins for one
  account (or for unknown usernames) within an hour, or an account locked.

A manager marks an alert reviewed (an audit entry), and it leaves the list. Nothing is
stored besides: the alerts are computed from the trail, so they cannot be hidden by
editing a separate table. Any thread (reads; `review` writes).
"""

from __future__ import annotations

import json
import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from sqlalchemy import text

from shopdesk.domain.permissions import Permission
from shopdesk.domain.privacy import opening_hours
from shopdesk.services.audit import AuditTrail
from shopdesk.services.settings import SettingsService
from shopdesk.services.store import Store

EXPORTS = ("export", "export_data", "marketing_export", "privacy_report")
HISTORY_DAYS = 28
WINDOW = timedelta(hours=1)


@dataclass(frozen=True)
class Alert:
    key: str  # stable: reviewing it hides this alert for good
    kind: str  # many_profiles | export_after_hours | failed_sign_ins
    at: datetime
    who: str
    summary: str


def _day(at: str) -> str:
    return at[:10]


class Monitoring:
    """Computes the open alerts; records a manager's review. See the module docstring."""

    def __init__(self, store: Store, audit: AuditTrail, settings: SettingsService) -> None:
        self._store, self._audit, self._settings = store, audit, settings

    def alerts(self, days: int = 7, now: datetime | None = None,
               local: tzinfo | None = None, include_reviewed: bool = False) -> list[Alert]:
        """Alerts of the last `days` days, newest first (managers only)."""
        self._store.require(Permission.READ_AUDIT)
        now = now or self._store.clock()
        since = now - timedelta(days=days)
        found = (self._many_profiles(since, now) + self._after_hours(since, local)
                 + self._failed_sign_ins(since))
        if not include_reviewed:
            reviewed = self._reviewed()
            found = [a for a in found if a.key not in reviewed]
        return sorted(found, key=lambda a: a.at, reverse=True)

    def review(self, key: str, note: str = "") -> None:
        actor = self._store.require(Permission.READ_AUDIT)
        with self._store.write() as session:
            self._audit.append(session, actor, "review_alert", "alert", key[:64],
                               {"note": note.strip()[:500]})

    # -- the three kinds -----------------------------------------------------------------
    def _many_profiles(self, since: datetime, now: datetime) -> list[Alert]:
        factor = int(self._settings.get("security.alert_view_factor"))
        floor = int(self._settings.get("security.alert_min_views"))
        start = (since - timedelta(days=HISTORY_DAYS)).isoformat()
        with self._store.read() as session:
            rows = session.connection().execute(text(
                "SELECT coalesce(staff_id, actor), max(actor), substr(at, 1, 10), count(*), "
                "max(at) FROM audit_log WHERE action = 'view' AND entity = 'customer' "
                "AND at >= :s GROUP BY 1, 3"), {"s": start}).all()
        per_staff: dict[str, dict[str, tuple[int, str, str]]] = defaultdict(dict)
        for who, name, day, count, last in rows:
            per_staff[str(who)][day] = (int(count), name, last)
        alerts = []
        first_day = since.isoformat()[:10]
        for who, days in per_staff.items():
            for day, (count, name, last) in days.items():
                if day < first_day:
                    continue
                before = (datetime.fromisoformat(day) - timedelta(days=HISTORY_DAYS)).date()
                history = [c for d, (c, _, _) in days.items()
                           if before.isoformat() <= d < day]
                usual = statistics.median(history) if history else 0
                if count > max(floor, factor * usual):
                    habit = (f"usually about {usual:g} a day" if history
                             else "no earlier days to compare with")
                    alerts.append(Alert(f"views:{who}:{day}", "many_profiles",
                                        datetime.fromisoformat(last), name,
                                        f"{name} opened {count} customer profiles on {day} "
                                        f"({habit})"))
        return alerts

    def _after_hours(self, since: datetime, local: tzinfo | None) -> list[Alert]:
        hours = opening_hours.parse(self._settings.get("security.opening_hours"))
        marks = ", ".join(f"'{a}'" for a in EXPORTS)
        with self._store.read() as session:
            rows = session.connection().execute(text(
                f"SELECT seq, at, actor, action, detail FROM audit_log WHERE action IN ({marks}) "
                "AND at >= :s"), {"s": since.isoformat()}).all()
        alerts = []
        for seq, at, actor, action, detail in rows:
            when = datetime.fromisoformat(at)
            shown = when.astimezone(local) if local is not None else when.astimezone()
            if hours.is_open(shown):
                continue
            what = {"export": "exported the customer file", "export_data":
                    "exported a customer's data", "marketing_export": "exported a marketing "
                    "list", "privacy_report": "made a privacy report"}.get(action, action)
            count = _count_of(detail)
            alerts.append(Alert(f"export:{seq}", "export_after_hours", when, actor,
                                f"{actor} {what}{count} at {shown:%a %d %b %H:%M}, outside "
                                "opening hours"))
        return alerts

    def _failed_sign_ins(self, since: datetime) -> list[Alert]:
        limit = int(self._settings.get("security.alert_failed_signins"))
        with self._store.read() as session:
            rows = session.connection().execute(text(
                "SELECT seq, at, entity_id, actor, action, detail FROM audit_log "
                "WHERE action IN ('sign_in_failed', 'locked') AND at >= :s ORDER BY seq"),
                {"s": since.isoformat()}).all()
        per_account: dict[str, list[tuple[int, datetime, str, str]]] = defaultdict(list)
        for seq, at, account, actor, action, detail in rows:
            # Names nobody has are one target: guessing spreads over many of them.
            name = actor if account != "unknown" else \
                f"unknown username {json.loads(detail).get('username', '?')!r}"
            per_account[account].append((seq, datetime.fromisoformat(at), name, action))
        alerts = []
        for events in per_account.values():
            i = 0
            while i < len(events):
                j = i
                while j + 1 < len(events) and events[j + 1][1] - events[i][1] <= WINDOW:
                    j += 1
                burst = events[i:j + 1]
                failures = sum(1 for e in burst if e[3] == "sign_in_failed")
                locked = any(e[3] == "locked" for e in burst)
                if failures + (limit if locked else 0) >= limit:
                    seq, first, name, _ = burst[0]
                    names = sorted({e[2] for e in burst})
                    name = name if len(names) == 1 else "unknown usernames " + ", ".join(
                        n.removeprefix("unknown username ") for n in names)
                    alerts.append(Alert(
                        f"signin:{seq}", "failed_sign_ins", burst[-1][1], name,
                        f"{failures + sum(1 for e in burst if e[3] == 'locked')} failed "
                        f"sign-ins for {name} between {first:%H:%M} and {burst[-1][1]:%H:%M} "
                        f"UTC" + (", account locked" if locked else "")))
                    i = j + 1
                else:
                    i += 1
        return alerts

    def _reviewed(self) -> set[str]:
        with self._store.read() as session:
            return {str(r[0]) for r in session.connection().execute(text(
                "SELECT entity_id FROM audit_log WHERE action = 'review_alert' "
                "AND entity = 'alert'"))}


def _count_of(detail: str) -> str:
    try:
        count = json.loads(detail).get("count")
    except (ValueError, AttributeError):
        return ""
    return f" ({count} records)" if isinstance(count, int) else ""
