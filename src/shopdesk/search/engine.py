"""The one-box search engine: what the input looks like steers the lookups.

Identifiers (customer code, e-mail, phone in any shape) are answered by
SQLite's indexes; names, companies and addresses by the in-memory WordIndex.
Exact identifiers rank first, then identifier prefixes, then word matches
(exact words above prefixes above typos); recency breaks ties.
"""

from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import phonenumbers
from sqlalchemy import func, literal_column, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from shopdesk.changes import Changes
from shopdesk.domain import codes
from shopdesk.domain.phones import try_normalize
from shopdesk.domain.search_text import QueryKind, classify, reversed_digits, words
from shopdesk.models import Customer
from shopdesk.search.filters import SearchFilters, conditions
from shopdesk.search.identify import Identified, identify
from shopdesk.search.index import WordIndex
from shopdesk.services.settings import SettingsService
from shopdesk.services.store import Store

ROWID: ColumnElement[int] = literal_column("customers.rowid")
EXACT_ID, PREFIX_ID, SUFFIX_ID, WORD = 1000.0, 600.0, 500.0, 100.0
_CACHE_SIZE = 256
_SQL_CHUNK = 900  # below SQLite's bound-parameter limit


@dataclass(frozen=True)
class Hit:
    id: UUID
    code: str
    name: str
    phone: str
    email: str | None
    score: float
    company: str | None = None


def _range(column: Any, prefix: str) -> ColumnElement[bool]:
    return (column >= prefix) & (column < prefix + "\uffff")


class SearchEngine:
    """Thread-safe; queries run on any thread (the UI uses its read pool).

    The word index is built on first use (or by `warm()`), then kept current
    from the `Changes` every write publishes: it is never rebuilt on a write.
    """

    def __init__(self, store: Store, settings: SettingsService) -> None:
        self._store = store
        self._settings = settings
        self._index = WordIndex()
        self._built = False
        self._building = threading.Lock()
        self._pending: set[UUID] = set()
        self._pending_lock = threading.Lock()
        self._cache: OrderedDict[tuple[object, ...], tuple[int, list[tuple[int, float]]]] = (
            OrderedDict())
        self._cache_lock = threading.Lock()
        self.build_seconds = 0.0
        self._generation = 0
        store.subscribe(self._on_changes)

    # -- index upkeep ---------------------------------------------------------------
    def warm(self) -> None:
        """Build the word index now (start-up calls this off the GUI thread)."""
        if self._built:
            return
        with self._building:
            if self._built:
                return
            started = time.perf_counter()
            with self._store.read() as session:
                self._index.put_many(self._rows(session.execute(self._index_query())))
            self._built = True
            self.build_seconds = time.perf_counter() - started
        with self._pending_lock:
            pending, self._pending = self._pending, set()
        self.refresh(pending)

    @staticmethod
    def _index_query() -> Any:  # a Select; its generic form differs in SQLAlchemy 2.0/2.1
        # Raw ISO text (not the UTCDateTime type): parsing it here is cheaper,
        # and the later of the two instants is simply the larger string.
        latest: ColumnElement[str] = func.max(
            literal_column("customers.updated_at"),
            func.coalesce(literal_column("customers.last_visit_at"), ""))
        return select(ROWID, Customer.words, latest, Customer.is_active).select_from(Customer)

    @staticmethod
    def _rows(result: Iterable[Any]) -> Iterator[tuple[int, str, float, bool]]:
        parse = datetime.fromisoformat
        for rowid, words_, latest, active in result:
            yield rowid, words_, parse(latest).timestamp() if latest else 0.0, bool(active)

    def _on_changes(self, changes: Changes) -> None:
        if changes.customers:
            self._generation += 1  # cached results are stale from now on
            self.refresh(changes.customers)

    def refresh(self, ids: Iterable[UUID]) -> None:
        ids = list(ids)
        if not ids:
            return
        if not self._built:
            with self._pending_lock:
                if not self._built:
                    self._pending.update(ids)
                    return
        with self._store.read() as session:
            for i in range(0, len(ids), _SQL_CHUNK):
                chunk = ids[i:i + _SQL_CHUNK]
                self._index.put_many(self._rows(session.execute(
                    self._index_query().where(Customer.id.in_(chunk)))))

    def drop_caches(self, results_only: bool = False) -> None:
        """Forget cached results (and, unless `results_only`, cached per-word work), so
        the next query costs what it costs the first time it is typed (benchmarks)."""
        with self._cache_lock:
            self._cache.clear()
        if not results_only:
            self._index.drop_caches()

    # -- queries --------------------------------------------------------------------
    def ids(self, text: str, limit: int = 50,
            filters: SearchFilters | None = None) -> list[UUID]:
        return [hit.id for hit in self.search(text, limit, filters)]

    def search(self, text: str, limit: int = 20,
               filters: SearchFilters | None = None) -> list[Hit]:
        filters = filters or SearchFilters()
        filters.validate()
        if text.strip():
            self.warm()  # browsing (no text) is plain SQL and needs no index
        ranked = self._ranked(text, limit, filters)
        if not ranked:
            return []
        with self._store.read() as session:
            rows = {r[0]: r for r in self._fetch(session, [rowid for rowid, _ in ranked])}
        return [Hit(r[1], r[2], f"{r[3]} {r[4]}", r[5], r[6], round(score, 2), r[7])
                for rowid, score in ranked if (r := rows.get(rowid))]

    def _fetch(self, session: Session, rowids: list[int]) -> list[tuple[Any, ...]]:
        query = select(ROWID, Customer.id, Customer.code, Customer.first_name,
                       Customer.last_name, Customer.phone, Customer.email,
                       Customer.company).where(
            ROWID.in_(rowids))
        return [tuple(r) for r in session.execute(query)]

    def _ranked(self, text: str, limit: int,
                filters: SearchFilters) -> list[tuple[int, float]]:
        key = (" ".join(text.lower().split()), filters.key(), limit)
        version = self._generation
        with self._cache_lock:
            hit = self._cache.get(key)
            if hit and hit[0] == version:
                self._cache.move_to_end(key)
                return hit[1]
        result = self._compute(text, limit, filters)
        with self._cache_lock:
            self._cache[key] = (version, result)
            if len(self._cache) > _CACHE_SIZE:
                self._cache.popitem(last=False)
        return result

    def _compute(self, text: str, limit: int,
                 filters: SearchFilters) -> list[tuple[int, float]]:
        text = text.strip()
        if not text:
            return self._browse(limit, filters)
        # With filters, rank a wider net and let SQL keep those that pass.
        wide = limit if filters.empty else max(limit * 20, 1000)
        scores: dict[int, float] = {}

        def add(rowids: Iterable[int], score: float) -> None:
            for rowid in rowids:
                if score > scores.get(rowid, 0.0):
                    scores[rowid] = score

        kind = classify(text, codes.looks_like_code(text))
        with self._store.read() as session:
            named = identify(session, text)
            if named is not None:  # an IMEI, serial or ticket number: its customer
                add(session.scalars(select(ROWID).select_from(Customer).where(
                    Customer.id == named.customer_id)), EXACT_ID)
            if kind is QueryKind.CODE:
                add(self._code_rows(session, text, wide), EXACT_ID)
            elif kind is QueryKind.EMAIL:
                self._email_rows(session, text, wide, add)
            elif kind is QueryKind.PHONE:
                self._phone_rows(session, text, wide, add)
            # "john.smith" may be an e-mail start or a name; when it starts an
            # address, it was an e-mail. Short digit runs may be postcodes.
            email_as_words = kind is QueryKind.EMAIL and "@" not in text and not scores
            if kind is QueryKind.WORDS or email_as_words or (
                    kind is QueryKind.PHONE and len(re.sub(r"\D", "", text)) <= 6):
                for rowid, quality in self._index.search(words(text), wide,
                                                         active_only=filters.active_only):
                    add([rowid], WORD * quality)
            recency = self._index.recency
            ranked = sorted(scores.items(), key=lambda r: (r[1], recency(r[0])), reverse=True)
            if not filters.empty:
                ranked = self._filtered(session, ranked, filters)
        return ranked[:limit]

    def _browse(self, limit: int, filters: SearchFilters) -> list[tuple[int, float]]:
        query = (select(ROWID).select_from(Customer).where(*conditions(filters))
                 .order_by(Customer.updated_at.desc()).limit(limit))
        with self._store.read() as session:
            return [(rowid, 0.0) for rowid in session.scalars(query)]

    @staticmethod
    def _filtered(session: Session, ranked: list[tuple[int, float]],
                  filters: SearchFilters) -> list[tuple[int, float]]:
        keep: set[int] = set()
        rowids = [rowid for rowid, _ in ranked]
        for i in range(0, len(rowids), _SQL_CHUNK):
            keep.update(session.scalars(select(ROWID).select_from(Customer).where(
                ROWID.in_(rowids[i:i + _SQL_CHUNK]), *conditions(filters))))
        return [r for r in ranked if r[0] in keep]

    @staticmethod
    def _code_rows(session: Session, text: str, limit: int) -> list[int]:
        code = codes.normalize_code(text)
        return list(session.scalars(select(ROWID).select_from(Customer).where(
            Customer.code == code)))

    @staticmethod
    def _email_rows(session: Session, text: str, limit: int, add) -> None:  # type: ignore[no-untyped-def]
        query = text.strip().lower()
        rows = session.execute(select(ROWID, Customer.email).select_from(Customer).where(
            _range(Customer.email, query)).limit(limit))
        for rowid, email in rows:
            add([rowid], EXACT_ID if email == query else PREFIX_ID)

    def _phone_rows(self, session: Session, text: str, limit: int, add) -> None:  # type: ignore[no-untyped-def]
        region = self._settings.get("phone.default_region")
        digits = re.sub(r"\D", "", text)
        e164 = try_normalize(text, region)
        if e164:
            add(session.scalars(select(ROWID).select_from(Customer).where(or_(
                Customer.phone == e164, Customer.whatsapp == e164,
                Customer.secondary_phone == e164))), EXACT_ID)
        typed = self._typed_prefix(text, digits, region)
        if typed and len(digits) >= 4:
            add(session.scalars(select(ROWID).select_from(Customer).where(
                _range(Customer.phone, typed)).limit(limit)), PREFIX_ID)
        rev = reversed_digits(digits)
        if rev and len(rev) >= 3:
            add(session.scalars(select(ROWID).select_from(Customer).where(
                _range(Customer.phone_rev, rev)).limit(limit)), SUFFIX_ID)

    @staticmethod
    def _typed_prefix(text: str, digits: str, region: str) -> str | None:
        """The E.164 start of a number typed so far ('07400 12' -> '+44740012')."""
        if text.strip().startswith("+"):
            return "+" + digits
        if digits.startswith("00"):
            return "+" + digits[2:]
        if digits.startswith("0"):
            return f"+{phonenumbers.country_code_for_region(region)}{digits[1:]}"
        return None

    def identify(self, text: str) -> Identified | None:
        """The device or ticket an exact identifier (IMEI, serial, number) names."""
        with self._store.read() as session:
            return identify(session, text)

    @property
    def index_size(self) -> int:
        return len(self._index)
