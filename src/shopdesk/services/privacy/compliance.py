"""The quarterly compliance review (spec 13.3): what happened to personal data, and who
could reach it, in one quarter, from the audit trail and the registers.

Erasures and data exports made; bulk exports (customer files, marketing lists, privacy
reports); consents given and withdrawn per purpose; access alerts and failed
sign-ins; the audit trail's own check; who may do what (staff, roles, last sign-in);
the security and privacy settings in force. Reads only; any thread.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time

from sqlalchemy import Connection, text

from shopdesk.domain.privacy.consent import Purpose
from shopdesk.printing.privacy_data import Section, section

SETTINGS = ("security.lock_minutes", "security.opening_hours", "security.max_failed_signins",
            "security.lockout_minutes", "security.alert_view_factor",
            "security.alert_min_views", "security.alert_failed_signins",
            "privacy.retention_months")


def quarter_of(day: date) -> tuple[date, date, str]:
    """(first day, first day of the next quarter, "2026 Q4")."""
    q = (day.month - 1) // 3
    start = date(day.year, q * 3 + 1, 1)
    end = date(day.year + (q == 3), (q * 3 + 3) % 12 + 1, 1)
    return start, end, f"{day.year} Q{q + 1}"


def _rows(conn: Connection, actions: tuple[str, ...], start: str, end: str
          ) -> list[tuple[str, str, str, dict[str, object]]]:
    marks = ", ".join(f"'{a}'" for a in actions)
    return [(at, actor, action, json.loads(detail)) for at, actor, action, detail in conn.execute(
        text(f"SELECT at, actor, action, detail FROM audit_log WHERE action IN ({marks}) "
             "AND at >= :s AND at < :e ORDER BY seq"), {"s": start, "e": end})]


def erasures(conn: Connection, start: str, end: str) -> Section:
    rows = [(at[:16].replace("T", " "), actor, str(d.get("code") or ", ".join(
             str(c) for c in _list(d.get("codes")))), str(d.get("why") or ""),
             str(d.get("reason") or ""), "sync" if d.get("via") == "sync" else "here")
            for at, actor, _, d in _rows(conn, ("erase",), start, end)]
    return section("Erasures (right to be forgotten)", "One line per record erased: the "
                   "one asked for, and every other record of the person (merged copies, "
                   "suspected duplicates).",
                   ("When", "By", "Customer", "Why", "Reason", "Made"), rows)


def exports(conn: Connection, start: str, end: str) -> Section:
    names = {"export": "customer file", "export_data": "a person's data (portability)",
             "marketing_export": "marketing list", "privacy_report": "privacy report"}
    rows = [(at[:16].replace("T", " "), actor, names[action],
             str(d.get("code") or d.get("channel") or d.get("kind") or ""), _count(d))
            for at, actor, action, d in _rows(conn, tuple(names), start, end)]
    return section("Exports of personal data", "Every file of customer data written, by "
                   "whom and when.", ("When", "By", "What", "Whose / which", "Records"), rows)


def _list(value: object) -> list[object]:
    return list(value) if isinstance(value, list) else []


def _count(detail: dict[str, object]) -> str:
    count, rows = detail.get("count"), detail.get("rows")
    if isinstance(count, int):
        return str(count)
    if isinstance(rows, dict):
        return str(sum(v for v in rows.values() if isinstance(v, int)))
    return ""


def consents(conn: Connection, start: str, end: str) -> Section:
    counts = {(p, g): n for p, g, n in conn.execute(text(
        "SELECT purpose, granted, count(*) FROM customer_consents WHERE recorded_at >= :s "
        "AND recorded_at < :e GROUP BY purpose, granted"), {"s": start, "e": end})}
    rows = [(p.label, str(counts.get((p.value, 1), 0)), str(counts.get((p.value, 0), 0)))
            for p in Purpose]
    return section("Consents recorded", "Grants and withdrawals written down this quarter.",
                   ("Purpose", "Given", "Withdrawn"), rows)


def access(conn: Connection, start: str, end: str) -> Section:
    rows = [(actor, str(views), str(lists), str(others)) for actor, views, lists, others in
            conn.execute(text(
                "SELECT actor, sum(action = 'view' AND entity = 'customer'), "
                "sum(action = 'view_list'), sum(action = 'view' AND entity <> 'customer') "
                "FROM audit_log WHERE action IN ('view', 'view_list') AND at >= :s "
                "AND at < :e GROUP BY actor ORDER BY 2 DESC"), {"s": start, "e": end})]
    return section("Access to customer data", "Profiles opened, result lists seen, and "
                   "tickets or devices viewed, per person.",
                   ("Who", "Profiles", "Result lists", "Tickets and devices"), rows)


def staff(conn: Connection) -> Section:
    rows = [(name, username, role, "active" if active else "inactive",
             (last or "never")[:10]) for name, username, role, active, last in conn.execute(text(
                 "SELECT s.display_name, s.username, s.role, s.is_active, (SELECT max(a.at) "
                 "FROM audit_log a WHERE a.action = 'sign_in' AND a.entity_id = "
                 "substr(s.id, 1, 8) || '-' || substr(s.id, 9, 4) || '-' || substr(s.id, 13, 4)"
                 " || '-' || substr(s.id, 17, 4) || '-' || substr(s.id, 21)) FROM staff s "
                 "ORDER BY s.is_active DESC, s.role, s.display_name"))]
    return section("Who can reach the data", "Staff accounts of this counter, their role "
                   "and last sign-in: remove those who left.",
                   ("Name", "Username", "Role", "State", "Last sign-in"), rows)


def failed_sign_ins(conn: Connection, start: str, end: str) -> int:
    return int(conn.execute(text(
        "SELECT count(*) FROM audit_log WHERE action IN ('sign_in_failed', 'locked') "
        "AND at >= :s AND at < :e"), {"s": start, "e": end}).scalar_one())


def bounds(start: date, end: date) -> tuple[str, str]:
    """A period of days as the audit trail's ISO text bounds (UTC midnights)."""
    return (datetime.combine(start, time(), UTC).isoformat(),
            datetime.combine(end, time(), UTC).isoformat())
