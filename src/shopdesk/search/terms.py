"""A query word as the index sees it: which keys it matches, how well, in groups.

Quality of a match: exact 1.0 > prefix 0.75 > one typo 0.6 > two 0.4 > three
0.25, times the weight of the role the word plays (name 1.0, company 0.9,
address 0.7); among equal typo counts the closer spelling wins by up to 0.05
(Jaro-Winkler). A query of one word adds 0.08 for a surname and 0.055 for a
part of a double-barrelled one, so "Baron" finds Stanley Barron before Aaron
van Dillen (issue 12), and Hande before Bru-Hande; small enough that no typo
reaches a prefix and no prefix an exact word. A one-letter word is a prefix
even where it is a whole word (the "S" of "S.A.R.L." is no better than Smith).

Words of one or two letters are not expanded (they start thousands of words):
they match through the index's lists of the latest rows per prefix, and are
checked on a row's name and company words when scored. Pure data and
functions; the caller holds the index's lock.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rapidfuzz.distance import JaroWinkler

from shopdesk.search.vocabulary import (
    ADDRESS,
    FIELD_WEIGHT,
    FIRST,
    MIDDLE,
    ORG,
    ROLES,
    SURNAME,
    SURNAME_PART,
    max_typos,
)

if TYPE_CHECKING:
    from array import array

    from shopdesk.search.index import WordIndex

EXACT, PREFIX = 1.0, 0.75
TYPO = (0.0, 0.6, 0.4, 0.25)  # by number of edits
CLOSENESS = 0.05  # times Jaro-Winkler similarity: "sordman" is Söderman before Jordan
# A one-word query: a surname before a first name of the same spelling distance
# (more than closeness can make up), a whole surname before a part of a
# double-barrelled one (issue 12). Small enough that no typo reaches a prefix.
ONE_WORD_BONUS = (0.0, 0.0, 0.08, 0.055, 0.0, 0.0)  # by role
SHORT = 2  # words this short match as prefixes only through the latest-rows lists
_SORT_AT_MOST = 4096  # a group this small is sorted whole; a bigger one merged lazily


@dataclass
class Group:
    """Rows matching one query word with one quality: index keys, or a ready list."""

    quality: float
    first: bool  # these keys are first words of names (typed first: the name in order)
    keys: list[int]
    recent: array[int] | None = None

    def size(self, index: WordIndex) -> int:
        return len(self.recent) if self.recent is not None else sum(map(index.size, self.keys))

    def newest_first(self, index: WordIndex) -> Iterable[int]:
        if self.recent is not None:
            return reversed(self.recent)
        if len(self.keys) == 1:
            return index.newest_first(self.keys[0])
        if sum(map(index.size, self.keys)) <= _SORT_AT_MOST:
            return sorted(itertools.chain.from_iterable(
                itertools.chain.from_iterable(map(index.slot_parts, self.keys))), reverse=True)
        return heapq.merge(*map(index.newest_first, self.keys), reverse=True)


@dataclass
class Term:
    """One query word: key -> quality, the groups to walk, and a prefix checked on
    the words themselves when the word is too short to list its prefixes."""

    token: str
    quality: dict[int, float]
    groups: list[Group]
    short_prefix: str | None
    rows: int  # about how many rows it matches
    # A short word does not start the very words other query words spell out:
    # in "john j", the j is not John again.
    exclude: frozenset[str] = frozenset()

    @property
    def size(self) -> int:
        """How costly it is to drive the walk: a short word only when all are."""
        return self.rows + (1 << 40 if self.short_prefix else 0)

    @property
    def top(self) -> float:
        return self.groups[0].quality if self.groups else 0.0


def quality_of(base: float, role: int, single: bool) -> float:
    return round(base * FIELD_WEIGHT[role] + (ONE_WORD_BONUS[role] if single else 0.0), 6)


def make_term(index: WordIndex, token: str, single: bool, wanted: int) -> Term:
    vocab = index.vocab
    base: dict[int, float] = {}
    exact = vocab.get(token)
    if exact is not None:
        # One letter is the start of a word even when it is a whole one (the
        # "S" of "S.A.R.L." is no better a match for "david s" than Smith).
        base[exact] = EXACT if len(token) > 1 else PREFIX
    short = len(token) <= SHORT
    if not short:
        get = vocab.get
        for word in vocab.prefixed(token):
            base.setdefault(get(word) or 0, PREFIX)
    typos = max_typos(token)
    if typos:
        for word, edits in vocab.typos(token, typos).items():
            wid = vocab.get(word)
            if wid is not None and wid not in base:
                base[wid] = TYPO[edits] + CLOSENESS * JaroWinkler.normalized_similarity(
                    token, word)
    quality: dict[int, float] = {}
    grouped: dict[tuple[float, bool], list[int]] = {}
    size = 0
    for wid, value in base.items():
        for role in range(ROLES):
            key = wid * ROLES + role
            slots = index.size(key)
            if slots:
                q = quality_of(value, role, single)
                quality[key] = q
                grouped.setdefault((q, role == FIRST), []).append(key)
                size += slots
    groups = [Group(q, first, keys) for (q, first), keys in grouped.items()]
    if short:
        # Several words: a short one is the start of a name or company (the
        # scorer checks only those); alone, it may start an address too.
        for address in (False, True) if single else (False,):
            recent = index.recent(token, address, wanted)
            if recent:
                groups.append(Group(quality_of(PREFIX, ADDRESS if address else SURNAME, single),
                                    not address, [], recent))
                size += index.prefix_rows(token, address)
    groups.sort(key=lambda g: g.quality, reverse=True)
    return Term(token, quality, groups, token if short else None, size)


def row_set(index: WordIndex, term: Term) -> set[int]:
    """Every slot `term` matches (for a short word: as the start of a name or company)."""
    slots: set[int] = set()
    for key in term.quality:
        slots.update(*index.slot_parts(key))
    if term.short_prefix is not None:
        get = index.vocab.get
        for word in index.vocab.prefixed(term.short_prefix):
            if word in term.exclude:
                continue
            base = (get(word) or 0) * ROLES
            for key in (base + FIRST, base + MIDDLE, base + SURNAME, base + SURNAME_PART,
                        base + ORG):
                slots.update(*index.slot_parts(key))
    return slots
