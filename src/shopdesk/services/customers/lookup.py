"""Finding customers: the counter's quick search and the as-you-type duplicate check.

This is the straightforward SQL search the foundation needs; the one-box search
engine (typo tolerance, ranking at a million rows) replaces `search_ids` later.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from rapidfuzz import fuzz
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from shopdesk.domain import codes
from shopdesk.domain.emails import normalize_email
from shopdesk.domain.phones import try_normalize
from shopdesk.domain.text import fold
from shopdesk.errors import ValidationError
from shopdesk.models import Customer
from shopdesk.services.customers.customer_views import CustomerSummary, summary_of
from shopdesk.services.settings import SettingsService
from shopdesk.services.store import Store

_PHONEISH = re.compile(r"^[+\d][\d\s().-]{2,}$")
SIMILAR_NAME = 85  # rapidfuzz token-sort ratio counted as "similar name"


@dataclass(frozen=True)
class Match:
    """An existing customer the registration form should offer to open."""

    customer: CustomerSummary
    reasons: tuple[str, ...]  # "same phone", "same e-mail", "similar name"
    score: float


def _prefix_range(column: Any, prefix: str) -> ColumnElement[bool]:
    # A range on an indexed column, which SQLite can seek (LIKE 'x%' could not here).
    return (column >= prefix) & (column < prefix + "\uffff")


class CustomerLookup:
    """Read-only customer queries; callable from any thread."""

    def __init__(self, store: Store, settings: SettingsService) -> None:
        self._store = store
        self._settings = settings
        self._searcher: Callable[[str, int, Any], list[UUID]] | None = None

    def count(self, active_only: bool = False) -> int:
        query = select(func.count()).select_from(Customer)
        if active_only:
            query = query.where(Customer.is_active.is_(True))
        with self._store.read() as session:
            return session.scalar(query) or 0

    def search_ids(self, text: str, limit: int = 500, filters: Any = None) -> list[UUID]:
        """Ordered ids for the one search box (the search engine, set by the Shop);
        `filters` is a `shopdesk.search.filters.SearchFilters` or None."""
        if self._searcher is None:
            raise RuntimeError("no search engine attached (open the shop with Shop.open)")
        return self._searcher(text, limit, filters)

    def attach_searcher(self, searcher: Callable[[str, int, Any], list[UUID]]) -> None:
        self._searcher = searcher

    def summaries(self, ids: list[UUID]) -> list[CustomerSummary]:
        """Rows for `ids`, in the same order (missing ids are skipped)."""
        if not ids:
            return []
        with self._store.read() as session:
            rows = {r.id: summary_of(r) for r in session.scalars(
                select(Customer).where(Customer.id.in_(ids)))}
        return [rows[i] for i in ids if i in rows]

    def search(self, text: str, limit: int = 50) -> list[CustomerSummary]:
        return self.summaries(self.search_ids(text, limit))

    def by_code(self, code: str) -> CustomerSummary | None:
        with self._store.read() as session:
            row = session.scalar(select(Customer).where(
                Customer.code == codes.normalize_code(code)))
            return summary_of(row) if row else None

    def find_matches(self, *, phone: str = "", email: str = "", first_name: str = "",
                     last_name: str = "", exclude: UUID | None = None,
                     limit: int = 5) -> list[Match]:
        """Existing customers that look like the one being typed (same phone or
        e-mail, or a similar name), best first, for "open existing" at the counter."""
        found: dict[UUID, tuple[CustomerSummary, set[str], float]] = {}

        def add(row: Customer, reason: str, score: float) -> None:
            if row.id == exclude:
                return
            summary, reasons, best = found.get(row.id, (summary_of(row), set(), 0.0))
            reasons.add(reason)
            found[row.id] = (summary, reasons, max(best, score))

        region = self._settings.get("phone.default_region")
        with self._store.read() as session:
            e164 = try_normalize(phone, region) if phone.strip() else None
            if e164:
                for row in session.scalars(select(Customer).where(or_(
                        Customer.phone == e164, Customer.whatsapp == e164,
                        Customer.secondary_phone == e164))):
                    add(row, "same phone", 100.0)
            address = _email_or_none(email)
            if address:
                for row in session.scalars(select(Customer).where(Customer.email == address)):
                    add(row, "same e-mail", 100.0)
            for row, score in self._similar_names(session, first_name, last_name):
                add(row, "similar name", score)
        ranked = sorted(found.values(), key=lambda item: (-len(item[1]), -item[2]))
        return [Match(s, tuple(sorted(r)), score) for s, r, score in ranked[:limit]]

    @staticmethod
    def _similar_names(session: Session, first: str, last: str) -> list[tuple[Customer, float]]:
        first_key, last_key = fold(first), fold(last)
        if len(first_key) < 2 or len(last_key) < 2:
            return []
        wanted = f"{first_key} {last_key}"
        candidates: set[Customer] = set()
        # Seek on the start of each name, both ways round, so a typo late in one
        # name or swapped first/last names are still found.
        for column, prefix in ((Customer.last_key, last_key[:3]),
                               (Customer.name_key, first_key[:3]),
                               (Customer.last_key, first_key[:3]),
                               (Customer.name_key, last_key[:3])):
            candidates.update(session.scalars(
                select(Customer).where(_prefix_range(column, prefix)).limit(3000)))
        scored = []
        for row in candidates:
            score = fuzz.token_sort_ratio(wanted, row.name_key)
            if score >= SIMILAR_NAME:
                scored.append((row, float(score)))
        return sorted(scored, key=lambda item: -item[1])[:10]


def _all(terms: list[ColumnElement[bool]]) -> ColumnElement[bool]:
    condition = terms[0]
    for term in terms[1:]:
        condition = condition & term
    return condition


def _email_or_none(text: str) -> str | None:
    if "@" not in text:
        return None
    try:
        return normalize_email(text)
    except ValidationError:
        return None
