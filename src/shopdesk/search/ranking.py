"""The walk that finds the best few customers for several query words.

A row's score is the sum of its best match for each query word (one row word
answers one query word; `search/terms.py` says how well a word matches), plus
0.15 for covering the whole name and 0.1 for typing it in order (the first
query word is the first word of the name); ties go to the customer this
counter saw most recently. One word needs no scoring: its groups, best first,
each newest first, are the answer (`_one_word`).

The walk never scores every match. One query word drives it (the one with the
fewest matches); its groups are visited best first, each newest first (the
index's slot order), and every row visited is scored in full. A row reached
through a group scores at most that group's quality plus the best the other
words can add; once the top `limit` all score more than that, nothing left can
displace them and the walk stops. To make that bound one that typical rows
reach, another word's small best groups (an exact "j" beside every "Jones") are
visited first; when another word's rows are few enough to gather in a set (in
C), rows lacking them are skipped before Python sees them. A long list (the
window's table asks for 500) is exact for its first `EXACT_TOP`; the rest is
the best met within a little more work. Work is bounded: at most
`VISIT_BUDGET` rows per query of two words, fewer with more words.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from shopdesk.search.terms import PREFIX, Group, Term, make_term, quality_of, row_set
from shopdesk.search.vocabulary import ROLES

if TYPE_CHECKING:
    from array import array

    from shopdesk.search.index import WordIndex

COVERAGE, IN_ORDER = 0.15, 0.1
VISIT_BUDGET = 12_000  # rows looked at per query of two words (fewer with more)
_PREPASS = 2000  # rows of other words' small best groups visited before the walk
# A long list is exact for its first EXACT_TOP rows; after those are certain,
# the walk fills the rest with the best it meets within _FILL_VISITS more rows,
# instead of proving the order of row 499.
EXACT_TOP = 50
_FILL_VISITS = 2000
# Rough costs (microseconds) to choose between scoring the driver's rows one by
# one and first gathering another word's rows in a set (C) to skip rows early.
_ROW_COST, _SET_COST, _WORD_COST = 1.5, 0.12, 0.4
_FILTER_AT_MOST = 250_000


def rank(index: WordIndex, tokens: list[str], limit: int,
         active_only: bool) -> list[tuple[int, float]]:
    """Best `limit` (rowid, score), best first. Every word must match; when no row
    matches them all, rows matching all but one are returned instead."""
    # A word typed more than twice adds nothing but work ("ana ana ana ...").
    typed: dict[str, int] = {}
    kept = []
    for token in tokens:
        typed[token] = typed.get(token, 0) + 1
        if typed[token] <= 2:
            kept.append(token)
    single = len(kept) == 1
    made = {t: make_term(index, t, single, limit) for t in typed}
    terms = [made[t] for t in kept]
    if single:
        return _one_word(index, terms[0], limit, active_only)
    for term in made.values():
        if term.short_prefix is not None:
            term.exclude = frozenset(t for t in typed if t != term.token)
    budget = VISIT_BUDGET * 2 // len(terms)  # rows cost more to score with more words
    found, used = _walk(index, terms, limit, len(terms), active_only, budget)
    if not found:
        found, _ = _walk(index, terms, limit, len(terms) - 1, active_only,
                         max(budget - used, budget // 4))
    slot_row = index.slot_row
    return [(slot_row[slot], score) for score, slot in found]


def _one_word(index: WordIndex, term: Term, limit: int,
              active_only: bool) -> list[tuple[int, float]]:
    """One word: a row's score is its best match, and rows are met best match first
    (groups in order, each newest first), so the first `limit` rows met are the
    answer; nothing is scored. (A row from a short word's list is given the best
    quality that list can hold.)"""
    active, slot_row = index.active, index.slot_row
    found: list[tuple[int, float]] = []
    seen: set[int] = set()
    groups = term.groups
    i = 0
    while i < len(groups) and len(found) < limit:
        # Groups of equal quality are one group: newest first across them.
        j = i + 1
        while j < len(groups) and groups[j].quality == groups[i].quality:
            j += 1
        same = groups[i:j]
        slots = same[0].newest_first(index) if len(same) == 1 else heapq.merge(
            *(g.newest_first(index) for g in same), reverse=True)
        for slot in slots:
            if slot in seen or not slot_row[slot] or (active_only and not active[slot]):
                continue
            seen.add(slot)
            found.append((slot_row[slot], groups[i].quality))
            if len(found) >= limit:
                break
        i = j
    return found


def _walk(index: WordIndex, terms: list[Term], limit: int, needed: int, active_only: bool,
          budget: int) -> tuple[list[tuple[float, int]], int]:
    """The best `limit` (score, slot) matching `needed` of the words, and how many rows
    were looked at (at most `budget`)."""
    n = len(terms)
    matchable = [i for i, t in enumerate(terms) if t.groups]
    unmatched = n - len(matchable)
    if unmatched > n - needed or limit <= 0:
        return [], 0
    # A row matching `needed` words matches one of any (n - needed + 1) of them.
    drivers = sorted(matchable, key=lambda i: terms[i].size)[:n - needed - unmatched + 1]
    tops = [t.top for t in terms]
    firsts = [max((g.quality for g in t.groups if g.first), default=0.0) for t in terms]
    plan: list[tuple[float, Group]] = []
    if needed == n and terms[drivers[0]].size > 4 * _PREPASS:
        # Another word's best groups are often small (an exact "j" beside every
        # "Jones"): when the walk is long, visiting their rows first lets the
        # bound use the groups after them, which typical rows do reach.
        for i, t in enumerate(terms):
            if i == drivers[0]:
                continue
            room, k = _PREPASS, 0
            while k < len(t.groups) and t.groups[k].recent is None:
                room -= t.groups[k].size(index)
                if room < 0:
                    break
                plan.append((math.inf, t.groups[k]))
                k += 1
            tops[i] = t.groups[k].quality if k < len(t.groups) else 0.0
            firsts[i] = max((g.quality for g in t.groups[k:] if g.first), default=0.0)
    for d in drivers:
        others = sorted((tops[i] for i in range(n) if i != d), reverse=True)
        extra = sum(others[:needed - 1]) + COVERAGE
        for group in terms[d].groups:
            # In order: the first query word matched the first word of the name.
            if needed < n:
                bonus = IN_ORDER
            elif d == 0:
                bonus = IN_ORDER if group.first else 0.0
            elif group.first:
                bonus = 0.0  # the driver has the name's first word
            else:
                bonus = max(0.0, min(tops[0], firsts[0]) + IN_ORDER - tops[0])
            plan.append((round(group.quality + extra + bonus, 6), group))
    plan.sort(key=lambda p: p[0], reverse=True)
    gates = _gates(index, terms, drivers[0], limit) if needed == n <= 3 else []
    score = _scorer(index, terms, needed)
    active, slot_row = index.active, index.slot_row
    heap: list[tuple[float, int]] = []  # the best `limit` so far
    top: list[tuple[float, int]] = []  # the best `exact` so far
    exact = min(limit, EXACT_TOP)
    seen: set[int] = set()
    visits, settled = 0, 0  # settled: visits when the best `exact` became final
    for bound, group in plan:
        if len(heap) >= limit and heap[0][0] > bound:
            break  # every row left scores at most `bound`
        slots = group.newest_first(index)
        for gate in gates:  # skip, in C, rows lacking another word
            slots = filter(gate.__contains__, slots)
        for slot in slots:
            if slot in seen:
                continue
            seen.add(slot)
            visits += 1
            if visits > budget or (settled and (
                    len(heap) >= limit or visits - settled > _FILL_VISITS)):
                return sorted(heap, reverse=True), visits
            if not slot_row[slot] or (active_only and not active[slot]):
                continue
            total = score(slot)
            if total is None:
                continue
            item = (total, slot)
            if len(heap) < limit:
                heapq.heappush(heap, item)
            elif item > heap[0]:
                heapq.heapreplace(heap, item)
            if len(top) < exact:
                heapq.heappush(top, item)
            elif item > top[0]:
                heapq.heapreplace(top, item)
            if len(heap) >= limit and heap[0] >= (bound, slot):
                break  # the rest of this group is older and scores at most `bound`
            if not settled and len(top) >= exact and top[0] >= (bound, slot):
                settled = visits  # the best `exact` are final; the rest, best found
    return sorted(heap, reverse=True), visits


def _gates(index: WordIndex, terms: list[Term], driver: int,
           limit: int) -> list[set[int]]:
    """Sets of the rows other words match, when gathering them costs less than
    scoring the driver's rows that lack them (a guess, assuming independence)."""
    live = max(1, len(index))
    chance = 1.0
    for i, t in enumerate(terms):
        if i != driver:
            chance *= min(1.0, t.rows / live)
    walk = min(terms[driver].rows, limit / max(chance, 1e-9)) * _ROW_COST
    gates = []
    others = {t.token: t for t in terms if t.token != terms[driver].token}
    for t in sorted(others.values(), key=lambda t: t.rows):
        words = 0
        if t.short_prefix is not None:
            lo, hi = index.vocab.prefix_range(t.short_prefix)
            words = hi - lo
        cost = t.rows * _SET_COST + words * _WORD_COST
        if t.rows <= _FILTER_AT_MOST and cost < walk / 2:
            gates.append(row_set(index, t))
            walk -= cost
    return gates


class _Prefixed(dict[int, float]):
    """key -> quality for a short query word among several (the start of a name or
    company word), filled in as rows are scored: a key is judged once a query, and
    lookups after that stay in C."""

    def __init__(self, term: Term, words: list[str]) -> None:
        super().__init__(term.quality)
        self.prefix = term.short_prefix or ""
        self.exclude = term.exclude
        self.words = words

    def __missing__(self, key: int) -> float:
        word = self.words[key // ROLES]
        q = _PREFIX_BY_ROLE[key % ROLES] if word.startswith(self.prefix) and \
            word not in self.exclude else 0.0
        self[key] = q
        return q


_PREFIX_BY_ROLE = [quality_of(PREFIX, role, False) for role in range(ROLES)]


def _scorer(index: WordIndex, terms: list[Term],
            needed: int) -> Callable[[int], float | None]:
    """Full score of a row for several words, or None when it matches too few.

    Most rows a walk meets lack one of the words, so that is checked first."""
    keys, start, names_of, heads = index.keys, index.start, index.names, index.heads
    n = len(terms)
    zeros = itertools.repeat(0.0)
    # A long word's known keys (dict.get with a default, in C); a short word's
    # memo, asked only about name and company words.
    gets: list[Callable[[int, float], float]] = [t.quality.get for t in terms]
    memos: list[Callable[[int], float] | None] = [
        _Prefixed(t, index.vocab.words).__getitem__ if t.short_prefix else None for t in terms]

    def qualities(i: int, row: array[int], head: int) -> list[float]:
        memo = memos[i]
        if memo is not None:
            return list(map(memo, row[:head])) + [0.0] * (len(row) - head)
        return list(map(gets[i], row, zeros))

    def matching(i: int, row: array[int], head: int) -> Iterator[float]:
        memo = memos[i]
        return map(memo, row[:head]) if memo is not None else map(gets[i], row, zeros)

    # Each distinct word once, with how often it was typed (a row needs as many
    # words matching it: "jan jan" is Jan Janowiak, not Jan Minkina).
    times: dict[str, int] = {}
    for t in terms:
        times[t.token] = times.get(t.token, 0) + 1
    checks = [(i, times.pop(t.token)) for i, t in enumerate(terms) if t.token in times]

    def score(slot: int) -> float | None:
        row = keys[start[slot]:start[slot + 1]]
        head = heads[slot]
        if needed == n:
            for i, count in checks:
                hits = matching(i, row, head)
                if (count == 1 and not any(hits)) or (count > 1 and
                                                      sum(map(bool, hits)) < count):
                    return None
        total, matched, used, first = 0.0, 0, 0, -1
        for i in range(n):
            qs = qualities(i, row, head)
            best = max(qs) if qs else 0.0
            j = qs.index(best) if best > 0.0 else -1
            if j >= 0 and used >> j & 1:
                # One row word answers one query word: "jan jan" is not Jan Minkina.
                best, j = 0.0, -1
                for k, q in enumerate(qs):
                    if q > best and not used >> k & 1:
                        best, j = q, k
            if j < 0:
                if matched + n - i - 1 < needed:
                    return None
                continue
            used |= 1 << j
            total += best
            matched += 1
            if first < 0:
                first = j
        if matched < needed:
            return None
        names = names_of[slot]
        if names:
            total += COVERAGE * (used & ((1 << names) - 1)).bit_count() / names
            if first == 0:
                total += IN_ORDER
        return round(total, 6)

    return score
