"""Online reviews imported from a platform's CSV export (spec 8.1).

Columns (header names, any order, case-insensitive): `platform`, `rating` (1-5
stars) and `date` (YYYY-MM-DD) are required; `review_id`, `author`, `text`,
`language`, `ticket` (a repair ticket number) and `customer` (a customer code)
are optional. Every row is validated on its own; a bad row is reported with its
line number and the rule it broke, and the good rows go in. A review already
imported (same platform and review id, else same author, date and text) is
skipped, so importing the same export twice adds nothing.

Thread rule: any thread; one write transaction for the whole file.
"""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

from sqlalchemy import select

from shopdesk.domain.loyalty import rules as loyalty_rules
from shopdesk.domain.permissions import Permission
from shopdesk.errors import NotFound, ShopdeskError, ValidationError
from shopdesk.models import Customer
from shopdesk.models.feedback import Feedback
from shopdesk.services.feedback.feedback import FeedbackService, clean_feedback
from shopdesk.services.feedback.feedback_views import FeedbackInput, ImportResult
from shopdesk.services.store import Store

MAX_BYTES = 20 * 1024 * 1024
REQUIRED = ("platform", "rating", "date")
KNOWN = (*REQUIRED, "review_id", "author", "text", "language", "ticket", "customer")


def _read(path: Path) -> list[dict[str, str]]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ShopdeskError(f"cannot read {path}: {exc.strerror or exc}") from None
    if len(raw) > MAX_BYTES:
        raise ShopdeskError(f"{path.name}: larger than {MAX_BYTES // 1024 // 1024} MB")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ShopdeskError(f"{path.name}: not UTF-8 text (export the reviews as CSV UTF-8)"
                            ) from None
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise ShopdeskError(f"{path.name}: the header lacks the column(s) {', '.join(missing)} "
                            f"(known: {', '.join(KNOWN)})")
    return [{(k or "").strip().lower(): (v or "").strip() if isinstance(v, str) else ""
             for k, v in row.items()} for row in reader]


def review_id(row: dict[str, str]) -> Any:
    key = row.get("review_id") or hashlib.sha256(
        f"{row.get('author', '')}|{row.get('date', '')}|{row.get('text', '')}".encode()
    ).hexdigest()
    return loyalty_rules.derived_id("review", row["platform"].lower(), key)


def import_reviews(store: Store, feedback: FeedbackService, path: Path) -> ImportResult:
    actor = store.require(Permission.MANAGE_FEEDBACK)
    rows = _read(path)
    added = duplicates = 0
    rejected: list[tuple[int, str]] = []
    new_ids = []
    with store.write() as session:
        for line, row in enumerate(rows, start=2):
            try:
                if not row.get("platform"):
                    raise ShopdeskError("platform: is required")
                try:
                    day = date.fromisoformat(row.get("date", ""))
                except ValueError:
                    raise ShopdeskError(f"date: {row.get('date')!r} is not a date "
                                        "(YYYY-MM-DD)") from None
                customer = None
                if row.get("customer"):
                    customer = session.scalar(select(Customer.id).where(
                        Customer.code == row["customer"].upper()))
                    if customer is None:
                        raise ShopdeskError(f"customer: no customer with code {row['customer']}")
                data = FeedbackInput(
                    ticket=row.get("ticket") or None, customer_id=customer, channel="review",
                    csat=row.get("rating"), comment=row.get("text", ""),
                    language=row.get("language") or None,
                    received_at=datetime.combine(day, time(12), UTC),
                    platform=row["platform"], external_id=row.get("review_id") or None,
                    author=row.get("author") or None)
                if data.csat in (None, ""):
                    raise ShopdeskError("rating: is required (1 to 5 stars)")
                clean = clean_feedback(data)
                rid = review_id(row)
                if session.get(Feedback, rid) is not None:
                    duplicates += 1
                    continue
                with session.begin_nested():  # a row the database refuses leaves the rest
                    feedback.insert_in(session, actor, data, clean, row_id=rid)
                added += 1
                new_ids.append(rid)
            except (ValidationError, NotFound, ShopdeskError) as exc:
                reason = str(exc).replace("csat:", "rating:")
                rejected.append((line, reason))
    complaints = sum(1 for rid in new_ids if feedback.open_complaint(rid) is not None)
    return ImportResult(added, duplicates, tuple(rejected), complaints)
