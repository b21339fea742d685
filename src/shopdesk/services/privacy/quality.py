"""The monthly data-quality check (spec 13.3): what to fix or review in the customer file.

- Suspected duplicates: duplicate reports sync left open, and customers on this
  counter who share a phone number, an e-mail address, or a name and date of birth.
- Numbers that no longer validate: stored phone, WhatsApp and second numbers the
  installed libphonenumber now calls invalid (its metadata changes with each release).
- Missing consents: ID scans kept without a current ID-scan consent, marketing flags
  no consent record explains, customers with no data-processing consent recorded.
- Beyond retention: customers with no activity (no edit, visit, ticket, service or
  support case) for longer than `privacy.retention_months`: review, then erase or keep.

Erased and merged-away customers are left out. Reads only; any thread.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import phonenumbers
from sqlalchemy import Connection, text

from shopdesk.printing.privacy_data import Section, section

_LIVE = ("c.merged_into IS NULL AND NOT EXISTS (SELECT 1 FROM customer_erasures e "
         "WHERE e.customer_id = c.id)")


def duplicates(conn: Connection) -> Section:
    rows: list[tuple[str, ...]] = []
    for a, b, kind in conn.execute(text(
            "SELECT ca.code || ' ' || ca.first_name || ' ' || ca.last_name, "
            "cb.code || ' ' || cb.first_name || ' ' || cb.last_name, k.kind "
            "FROM sync_conflicts k JOIN customers ca ON ca.id = k.row_a "
            "JOIN customers cb ON cb.id = k.row_b WHERE k.status = 'open' "
            "AND k.kind LIKE 'duplicate_%' AND k.table_name = 'customers'")):
        rows.append((a, b, f"reported by sync: same {kind.removeprefix('duplicate_')}"))
    for column, label in (("phone", "same phone"), ("email", "same e-mail"),
                          ("name_key || '|' || date_of_birth", "same name and birth date")):
        for a, b in conn.execute(text(
                f"SELECT min(c.code || ' ' || c.first_name || ' ' || c.last_name), "
                f"max(c.code || ' ' || c.first_name || ' ' || c.last_name) FROM customers c "
                f"WHERE {_LIVE} AND {column} IS NOT NULL GROUP BY {column} "
                "HAVING count(*) > 1")):
            pair = (a, b, label)
            if (a, b) not in {(r[0], r[1]) for r in rows}:
                rows.append(pair)
    return section("Suspected duplicates", "Review each pair: merge it in the sync panel, "
                   "or mark the two as different people.",
                   ("Customer", "Possible duplicate", "Why"), sorted(rows))


def invalid_numbers(conn: Connection) -> Section:
    rows: list[tuple[str, ...]] = []
    for code, name, field, number in conn.execute(text(
            "SELECT c.code, c.first_name || ' ' || c.last_name, f.field, f.number FROM "
            "customers c JOIN (SELECT id, 'phone' AS field, phone AS number FROM customers "
            "UNION ALL SELECT id, 'WhatsApp', whatsapp FROM customers WHERE whatsapp "
            "IS NOT NULL UNION ALL SELECT id, 'second phone', secondary_phone FROM customers "
            "WHERE secondary_phone IS NOT NULL) f ON f.id = c.id "
            f"WHERE {_LIVE} ORDER BY c.code")):
        try:
            valid = phonenumbers.is_valid_number(phonenumbers.parse(number, None))
        except phonenumbers.NumberParseException:
            valid = False
        if not valid:
            rows.append((code, name, field, number))
    return section("Numbers that no longer validate",
                   f"Checked with libphonenumber {phonenumbers.__version__}: ask the customer "
                   "for the current number.", ("Customer", "Name", "Field", "Number"), rows)


def missing_consents(conn: Connection) -> Section:
    latest = ("(SELECT k.granted FROM customer_consents k WHERE k.customer_id = c.id AND "
              "k.purpose = '{p}' ORDER BY k.at DESC, k.recorded_at DESC, k.id DESC LIMIT 1)")
    rows: list[tuple[str, ...]] = []
    for code, name in conn.execute(text(
            "SELECT DISTINCT c.code, c.first_name || ' ' || c.last_name FROM customers c "
            "JOIN customer_documents d ON d.customer_id = c.id AND d.kind = 'id_scan' "
            f"WHERE {_LIVE} AND coalesce({latest.format(p='id_scan')}, 0) = 0")):
        rows.append((code, name, "an ID scan is kept without a current ID-scan consent"))
    for code, name in conn.execute(text(
            "SELECT c.code, c.first_name || ' ' || c.last_name FROM customers c "
            "JOIN customer_preferences p ON p.customer_id = c.id WHERE p.marketing_opt_in = 1 "
            f"AND {_LIVE} AND NOT EXISTS (SELECT 1 FROM customer_consents k WHERE "
            "k.customer_id = c.id AND k.purpose LIKE 'marketing_%')")):
        rows.append((code, name, "marked as agreeing to marketing, with no consent recorded"))
    unrecorded = conn.execute(text(
        f"SELECT count(*) FROM customers c WHERE {_LIVE} AND c.is_active = 1 AND NOT EXISTS "
        "(SELECT 1 FROM customer_consents k WHERE k.customer_id = c.id "
        "AND k.purpose = 'data_processing')")).scalar_one()
    note = (f"{unrecorded} active customers have no data-processing consent recorded (needed "
            "only where the shop relies on consent rather than the contract).")
    return section("Missing consents", note, ("Customer", "Name", "Problem"), sorted(rows))


def beyond_retention(conn: Connection, now: datetime, months: int) -> Section:
    cutoff = (now - timedelta(days=round(months * 30.44))).isoformat()
    rows = [(code, name, (last or "")[:10]) for code, name, last in conn.execute(text(
        "SELECT c.code, c.first_name || ' ' || c.last_name, max(c.updated_at, "
        "coalesce(c.last_visit_at, ''), "
        "coalesce((SELECT max(t.updated_at) FROM repair_tickets t WHERE t.customer_id = c.id), "
        "''), coalesce((SELECT max(s.occurred_at) FROM customer_services s "
        "WHERE s.customer_id = c.id), ''), coalesce((SELECT max(u.updated_at) FROM "
        "support_tickets u WHERE u.customer_id = c.id), '')) AS last FROM customers c "
        f"WHERE {_LIVE} AND c.updated_at < :cutoff ORDER BY last"), {"cutoff": cutoff})
        if (last or "") < cutoff]
    return section(f"No activity for more than {months} months",
                   "Review: erase those the shop no longer needs to keep.",
                   ("Customer", "Name", "Last activity"), rows)


def live_customers(conn: Connection) -> int:
    return int(conn.execute(text(
        f"SELECT count(*) FROM customers c WHERE {_LIVE} AND c.is_active = 1")).scalar_one())
