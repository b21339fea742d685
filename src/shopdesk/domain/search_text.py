"""How customers and queries are cut into search words (shared by index and query).

A customer's words carry the field they came from as a one-letter prefix:
``n`` name, ``o`` organisation, ``a`` address (street, city, postcode). They
are stored in the ``customers.words`` column so the in-memory index can be
rebuilt without folding a million names again.
"""

from __future__ import annotations

import re
from enum import StrEnum

from shopdesk.domain.text import fold

_SPLIT = re.compile(r"[^0-9a-z]+")
_DIGITS = re.compile(r"\D+")
_PHONE_CHARS = re.compile(r"^\+?[\d\s().\-/]+$")
_EMAILISH = re.compile(r"^[^\s@]+[._%+-][^\s@]*$|^[^\s@]+\d[^\s@]*$")

NAME, ORG, ADDRESS = "n", "o", "a"
# What one query may be: more is cut (not refused), so no input costs much.
MAX_QUERY_CHARS, MAX_QUERY_WORDS = 200, 8


def words(text: str | None) -> list[str]:
    """Folded alphanumeric words: 'Klaus-D. Müller' -> ['klaus', 'd', 'muller']."""
    if not text:
        return []
    return [w for w in _SPLIT.split(fold(text)) if w]


def customer_words(first: str, last: str, company: str | None, street: str | None,
                   city: str | None, postcode: str | None) -> str:
    """The stored ``words`` value: field-tagged, de-duplicated, in a stable order."""
    tagged: list[str] = []
    for field, parts in ((NAME, [first, last]), (ORG, [company]),
                         (ADDRESS, [street, city, postcode])):
        for part in parts:
            tagged.extend(field + w for w in words(part))
    if postcode and " " in postcode.strip():
        tagged.append(ADDRESS + "".join(words(postcode)))
    seen: set[str] = set()
    return " ".join(t for t in tagged if not (t in seen or seen.add(t)))  # type: ignore[func-returns-value]


def clip_query(text: str) -> tuple[str, bool]:
    """The query as searched: at most MAX_QUERY_CHARS characters and MAX_QUERY_WORDS
    words; and whether anything was cut (callers may say so)."""
    clipped = text[:MAX_QUERY_CHARS]
    parts = clipped.split()
    if len(parts) > MAX_QUERY_WORDS:
        clipped = " ".join(parts[:MAX_QUERY_WORDS])
    return clipped, clipped != text


def reversed_digits(phone: str | None) -> str | None:
    """'+447400123456' -> '654321004744' (suffix search becomes a prefix range)."""
    if not phone:
        return None
    return _DIGITS.sub("", phone)[::-1]


class QueryKind(StrEnum):
    CODE = "code"
    EMAIL = "email"
    PHONE = "phone"
    WORDS = "words"


def classify(text: str, looks_like_code: bool) -> QueryKind:
    """What the one box was given; steers which lookups run first."""
    stripped = text.strip()
    if looks_like_code:
        return QueryKind.CODE
    if "@" in stripped:
        return QueryKind.EMAIL
    digits = _DIGITS.sub("", stripped)
    if _PHONE_CHARS.match(stripped) and len(digits) >= 3:
        return QueryKind.PHONE
    if " " not in stripped and _EMAILISH.match(stripped.lower()):
        return QueryKind.EMAIL
    return QueryKind.WORDS
