"""The one-box search engine: what the input looks like steers the lookups.

Identifiers (customer code, e-mail, phone in any shape) are answered by
SQLite's indexes; names, companies and addresses by the in-memory WordIndex.
Exact identifiers rank first, then identifier prefixes, then word matches
(exact words above prefixes above typos); the customer this counter saw most
recently breaks ties. A query is cut to `MAX_QUERY_CHARS` characters and
`MAX_QUERY_WORDS` words (`clip_query`), and the word index bounds its work per
query, so no input can keep a thread busy for long.
"""

from __future__ import annotations

import contextlib
import ctypes
import re
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import phonenumbers
from sqlalchemy import func, literal_column, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from shopdesk.changes import Changes
from shopdesk.domain import codes
from shopdesk.domain.phones import try_normalize
from shopdesk.domain.search_text import (
    MAX_QUERY_CHARS,
    MAX_QUERY_WORDS,
    QueryKind,
    classify,
    clip_query,
    reversed_digits,
    words,
)
from shopdesk.models import Customer
from shopdesk.search.filters import SearchFilters, conditions
from shopdesk.search.identify import Identified, identify, looks_like_identifier
from shopdesk.search.index import WordIndex
from shopdesk.services.customers.customer_views import CustomerSummary
from shopdesk.services.settings import SettingsService
from shopdesk.services.store import Store

ROWID: ColumnElement[int] = literal_column("customers.rowid")
EXACT_ID, PREFIX_ID, SUFFIX_ID, WORD = 1000.0, 600.0, 500.0, 100.0
_CACHE_SIZE = 256
_SQL_CHUNK = 900  # below SQLite's bound-parameter limit
__all__ = ["MAX_QUERY_CHARS", "MAX_QUERY_WORDS", "Hit", "SearchEngine", "clip_query"]


@dataclass(frozen=True)
class Hit:
    id: UUID
    code: str
    name: str
    phone: str
    email: str | None
    score: float
    company: str | None = None


_SUMMARY = ("id, code, first_name, last_name, phone, email, company, city, postcode, "
            "customer_type, is_active, created_at, last_visit_at")


def _instant(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text).astimezone(UTC) if text else None


def _summary(r: tuple[Any, ...]) -> CustomerSummary:
    created = _instant(r[11])
    assert created is not None
    return CustomerSummary(UUID(r[0]), r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9],
                           bool(r[10]), created, _instant(r[12]))


def release_freed_memory() -> None:
    """Hand the heap memory a big build freed back to the system (glibc keeps it for
    reuse otherwise: ~10 MB after a million customers). Linux only; elsewhere the
    allocator decides."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):  # not glibc
            ctypes.CDLL("libc.so.6").malloc_trim(0)


def identifier_like(text: str) -> bool:
    """Worth asking the devices and tickets: an identifier with a digit in it
    (a word alone could be a serial, but in the box it is far likelier a name)."""
    return looks_like_identifier(text) and any(c.isdigit() for c in text)


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
        # (query, filters) -> (generation, limit it was ranked for, ranking): the
        # window asks for 500 ids and then the top 5 of the same text.
        self._cache: OrderedDict[tuple[object, ...],
                                 tuple[int, int, list[tuple[int, float]]]] = OrderedDict()
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
                # Oldest first: the index hands out its slots in this order. Plain
                # SQL: a million rows through the ORM's result layer cost seconds.
                dbapi = session.connection().connection.driver_connection
                assert dbapi is not None
                count, top = dbapi.execute(
                    "SELECT count(*), coalesce(max(rowid), 0) FROM customers").fetchone()
                self._index.extend(self._rows(dbapi.execute(
                    "SELECT rowid, words, is_active, last_key FROM customers ORDER BY "
                    "max(updated_at, coalesce(last_visit_at, ''))")), expected=(count, top))
            release_freed_memory()
            self._built = True
            self.build_seconds = time.perf_counter() - started
        with self._pending_lock:
            pending, self._pending = self._pending, set()
        self.refresh(pending)

    @staticmethod
    def _latest() -> ColumnElement[str]:
        # Raw ISO text (not the UTCDateTime type): the later of the two instants
        # is simply the larger string.
        return func.max(literal_column("customers.updated_at"),
                        func.coalesce(literal_column("customers.last_visit_at"), ""))

    @staticmethod
    def _index_query() -> Any:  # a Select; its generic form differs in SQLAlchemy 2.0/2.1
        return select(ROWID, Customer.words, Customer.is_active, Customer.last_key
                      ).select_from(Customer)

    @staticmethod
    def _rows(result: Iterable[Any]) -> Iterator[tuple[int, str, bool, str | None]]:
        for rowid, words_, active, surname in result:
            yield rowid, words_ or "", bool(active), surname

    def _on_changes(self, changes: Changes) -> None:
        if changes.customers:
            self._generation += 1  # cached results are stale from now on
            self.refresh(changes.customers)
            self._generation += 1  # and so is anything ranked while the index moved

    def refresh(self, ids: Iterable[UUID]) -> None:
        """Re-read these customers into the index; they become the most recently seen."""
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
                self._index.extend(self._rows(session.execute(
                    self._index_query().where(Customer.id.in_(chunk))
                    .order_by(self._latest()))))

    def drop_caches(self, results_only: bool = False) -> None:
        """Forget cached results (and, unless `results_only`, cached per-word work), so
        the next query costs what it costs the first time it is typed (benchmarks)."""
        with self._cache_lock:
            self._cache.clear()
        # `results_only` is kept for callers; the index itself caches nothing.

    # -- queries --------------------------------------------------------------------
    def ids(self, text: str, limit: int = 50,
            filters: SearchFilters | None = None) -> list[UUID]:
        """Like `search`, ids only (the result table asks for 500 of them)."""
        ranked = self._ranked_for(text, limit, filters)
        if not ranked:
            return []
        rows = self._fetch([rowid for rowid, _ in ranked], "id")
        return [UUID(r[1]) for rowid, _ in ranked if (r := rows.get(rowid))]

    def search(self, text: str, limit: int = 20,
               filters: SearchFilters | None = None) -> list[Hit]:
        """The best `limit` customers for the box's text (cut by `clip_query`)."""
        ranked = self._ranked_for(text, limit, filters)
        if not ranked:
            return []
        rows = self._fetch([rowid for rowid, _ in ranked],
                           "id, code, first_name, last_name, phone, email, company")
        return [Hit(UUID(r[1]), r[2], f"{r[3]} {r[4]}", r[5], r[6], round(score, 2), r[7])
                for rowid, score in ranked if (r := rows.get(rowid))]

    def summaries(self, ids: list[UUID]) -> list[CustomerSummary]:
        """Result-list rows for `ids`, in the same order (missing ids are skipped):
        what `CustomerLookup.summaries` gives, read with plain SQL. The window asks
        for a page of these after every search; through the ORM a page held the
        GIL for several milliseconds, long enough to stall typing."""
        found: dict[str, tuple[Any, ...]] = {}
        with self._store.read() as session:
            dbapi = session.connection().connection.driver_connection
            assert dbapi is not None
            for i in range(0, len(ids), _SQL_CHUNK):
                chunk = [u.hex for u in ids[i:i + _SQL_CHUNK]]
                marks = ",".join("?" * len(chunk))
                for r in dbapi.execute(f"SELECT {_SUMMARY} FROM customers WHERE id IN ({marks})",
                                       chunk).fetchall():
                    found[r[0]] = r
        return [_summary(r) for u in ids if (r := found.get(u.hex))]

    def _ranked_for(self, text: str, limit: int,
                    filters: SearchFilters | None) -> list[tuple[int, float]]:
        filters = filters or SearchFilters()
        filters.validate()
        text = clip_query(text)[0]
        if text.strip():
            self.warm()  # browsing (no text) is plain SQL and needs no index
        return self._ranked(text, limit, filters)

    def _fetch(self, rowids: list[int], columns: str) -> dict[int, tuple[Any, ...]]:
        # Plain SQL: this runs on every keystroke, and ORM statement handling
        # would cost more than the lookup itself.
        rows: dict[int, tuple[Any, ...]] = {}
        with self._store.read() as session:
            dbapi = session.connection().connection.driver_connection
            assert dbapi is not None
            for i in range(0, len(rowids), _SQL_CHUNK):
                chunk = rowids[i:i + _SQL_CHUNK]
                marks = ",".join("?" * len(chunk))
                for r in dbapi.execute(
                        f"SELECT rowid, {columns} FROM customers WHERE rowid IN ({marks})",
                        chunk).fetchall():
                    rows[r[0]] = r
        return rows

    def _ranked(self, text: str, limit: int,
                filters: SearchFilters) -> list[tuple[int, float]]:
        key = (" ".join(text.lower().split()), filters.key())
        version = self._generation
        with self._cache_lock:
            hit = self._cache.get(key)
            if hit and hit[0] == version and (hit[1] >= limit or len(hit[2]) < hit[1]):
                self._cache.move_to_end(key)
                return hit[2][:limit]  # the top 5 are the first 5 of the top 500
        result = self._compute(text, limit, filters)
        with self._cache_lock:
            self._cache[key] = (version, limit, result)
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
            named = identify(session, text) if identifier_like(text) else None
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
                for rowid, quality in self._index.search(words(text)[:MAX_QUERY_WORDS], wide,
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
    def built(self) -> bool:
        """Whether the word index has been built (`warm` has finished)."""
        return self._built

    @property
    def index_size(self) -> int:
        return len(self._index)
