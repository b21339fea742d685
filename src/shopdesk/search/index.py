"""In-memory inverted index of customers' words, keyed by SQLite rowid.

Memory is kept flat (``array`` postings and a flat forward list) because the
index must hold a million customers on a counter PC. Words are the stored,
field-tagged ``customers.words``; queries match them exactly, by prefix, or
within one or two typos (optimal string alignment, so a swap of two letters
is one typo).
"""

from __future__ import annotations

import bisect
import heapq
import threading
from array import array
from collections import OrderedDict
from collections.abc import Iterable

from rapidfuzz import process
from rapidfuzz.distance import OSA, JaroWinkler

FIELD_WEIGHT = {"n": 1.0, "o": 0.9, "a": 0.7}
EXACT, PREFIX, TYPO1, TYPO2, TYPO3 = 1.0, 0.75, 0.6, 0.4, 0.25
# Among rows matching every query word, prefer the one whose name the query
# covers whole ("Vitor Nogueira" over "Vitor Gabriel Nogueira"), then the one
# typed in order (first name first).
COVERAGE, IN_ORDER = 0.15, 0.1  # small: an exact word still beats a prefix, a prefix a typo
_EXPANSION_CACHE = 4096

Expansion = dict[int, float]  # word id -> match quality


def max_typos(token: str) -> int:
    """How many typos a query word may carry and still match."""
    if len(token) <= 2:
        return 0
    if len(token) <= 4:
        return 1
    # Two slips in a long word can be three edits apart (a swap beside a dropped
    # letter: "vespucci" -> "vescpci"), so long words allow three.
    return 2 if len(token) <= 6 else 3


class WordIndex:
    """Thread-safe: every public method takes the index's lock.

    Rows are SQLite rowids of ``customers``; `put` replaces a row's words,
    recency and active flag (an edit), so the index never needs a rebuild.
    """

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._ids: dict[str, int] = {}  # tagged word -> word id
        self._tagged: list[str] = []  # word id -> tagged word
        self._postings: list[array[int]] = []  # word id -> rowids
        self._is_name = bytearray()  # word id -> 1 for a name word
        self._plain: dict[str, list[int]] = {}  # untagged word -> word ids
        self._sorted_plain: list[str] = []  # for prefix ranges
        self._by_length: dict[int, list[str]] = {}  # typo candidates differ by <= 2 letters
        self._sorted_dirty = False
        self._start = array("q")  # rowid -> offset in _fwd (-1: absent)
        self._count = array("B")  # rowid -> number of words
        self._fwd = array("i")
        self._recency = array("d")
        self._active = bytearray()
        self._rows = 0
        self._cache: OrderedDict[tuple[str, bool], Expansion] = OrderedDict()
        self.version = 0

    # -- building -------------------------------------------------------------------
    def put(self, rowid: int, words: str, recency: float, active: bool) -> None:
        with self._lock:
            self._grow(rowid)
            if self._start[rowid] >= 0:
                self._unlink(rowid)
            else:
                self._rows += 1
            tids = [self._word_id(w) for w in dict.fromkeys(words.split())][:255]
            self._start[rowid] = len(self._fwd)
            self._count[rowid] = len(tids)
            self._fwd.extend(tids)
            for tid in tids:
                self._postings[tid].append(rowid)
            self._recency[rowid] = recency
            self._active[rowid] = 1 if active else 0
            self.version += 1

    def put_many(self, rows: Iterable[tuple[int, str, float, bool]]) -> None:
        with self._lock:
            for rowid, words, recency, active in rows:
                self.put(rowid, words, recency, active)

    def __len__(self) -> int:
        return self._rows

    def recency(self, rowid: int) -> float:
        return self._recency[rowid] if rowid < len(self._recency) else 0.0

    def _grow(self, rowid: int) -> None:
        missing = rowid + 1 - len(self._start)
        if missing > 0:
            extra = max(missing, len(self._start) // 2, 1024)
            self._start.extend([-1] * extra)
            self._count.extend(bytes(extra))
            self._recency.extend([0.0] * extra)
            self._active.extend(bytes(extra))

    def _unlink(self, rowid: int) -> None:
        start, count = self._start[rowid], self._count[rowid]
        for tid in self._fwd[start:start + count]:
            self._postings[tid].remove(rowid)
        # The old words stay in _fwd as garbage; edits are rare next to reads.

    def _word_id(self, tagged: str) -> int:
        tid = self._ids.get(tagged)
        if tid is None:
            tid = len(self._tagged)
            self._ids[tagged] = tid
            self._tagged.append(tagged)
            self._postings.append(array("i"))
            self._is_name.append(1 if tagged[0] == "n" else 0)
            plain = tagged[1:]
            if plain not in self._plain:
                self._plain[plain] = []
                self._sorted_dirty = True
                self._by_length.setdefault(len(plain), []).append(plain)
            self._plain[plain].append(tid)
            self._cache.clear()
        return tid

    def drop_caches(self) -> None:
        """Forget cached word expansions (benchmarks time first-seen queries)."""
        with self._lock:
            self._cache.clear()

    # -- querying -------------------------------------------------------------------
    def expand(self, token: str, allow_prefix: bool = True) -> Expansion:
        """Word ids `token` may stand for, with the quality of each match."""
        key = (token, allow_prefix)
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                return cached
            quality: dict[str, float] = {}
            if token in self._plain:
                quality[token] = EXACT
            if allow_prefix:
                for word in self._prefixed(token):
                    quality.setdefault(word, PREFIX)
            typos = max_typos(token)
            for length in range(len(token) - typos, len(token) + typos + 1) if typos else ():
                for word, distance, _ in process.extract(
                        token, self._by_length.get(length, ()), scorer=OSA.distance,
                        score_cutoff=typos, limit=None):
                    if word not in quality:
                        # Same number of typos: the closer spelling wins
                        # ("sordman" is Söderman before Jordan).
                        base = TYPO1 if distance == 1 else TYPO2 if distance == 2 else TYPO3
                        quality[word] = base + 0.1 * (
                            JaroWinkler.normalized_similarity(token, word))
            expansion = {tid: q * FIELD_WEIGHT[self._tagged[tid][0]]
                         for word, q in quality.items() for tid in self._plain[word]}
            self._cache[key] = expansion
            if len(self._cache) > _EXPANSION_CACHE:
                self._cache.popitem(last=False)
            return expansion

    def _prefixed(self, token: str) -> list[str]:
        if self._sorted_dirty:
            self._sorted_plain = sorted(self._plain)
            self._sorted_dirty = False
        words = self._sorted_plain
        lo = bisect.bisect_left(words, token)
        hi = bisect.bisect_left(words, token + "\x7f")
        return words[lo:hi]

    def search(self, tokens: list[str], limit: int, *,
               active_only: bool = False) -> list[tuple[int, float]]:
        """Best `limit` (rowid, score) for the query words, best first.

        Every word must match (exactly, as a prefix, or with typos); when none
        matches all, rows matching all but one are returned instead.
        """
        if not tokens:
            return []
        with self._lock:
            expansions = [self.expand(t) for t in tokens]
            sizes = [sum(len(self._postings[tid]) for tid in e) for e in expansions]
            results = self._score(expansions, sizes, len(tokens), active_only)
            if not results and len(tokens) > 1:
                results = self._score(expansions, sizes, len(tokens) - 1, active_only)
            recency = self._recency
            return heapq.nlargest(limit, results, key=lambda r: (r[1], recency[r[0]]))

    def _score(self, expansions: list[Expansion], sizes: list[int], needed: int,
               active_only: bool) -> list[tuple[int, float]]:
        order = sorted(range(len(expansions)), key=sizes.__getitem__)
        postings = self._postings
        if needed == len(expansions):
            # Intersect row sets, rarest first, while that is cheap (set operations
            # run in C); rows left are then checked word by word.
            candidates: set[int] = set()
            for tid in expansions[order[0]]:
                candidates.update(postings[tid])
            for i in order[1:]:
                if not candidates or sizes[i] > 8 * len(candidates) + 2000:
                    break
                rows: set[int] = set()
                for tid in expansions[i]:
                    rows.update(postings[tid])
                candidates &= rows
        else:
            # Any of the (all - needed + 1) rarest words can stand for a row
            # matching `needed` of them, so their union misses none.
            candidates = set()
            for i in order[:len(expansions) - needed + 1]:
                for tid in expansions[i]:
                    candidates.update(postings[tid])
        start, count, fwd, active = self._start, self._count, self._fwd, self._active
        is_name = self._is_name
        results = []
        for rowid in candidates:
            if active_only and not active[rowid]:
                continue
            s = start[rowid]
            row_words = fwd[s:s + count[rowid]]
            total, matched = 0.0, 0
            used: set[int] = set()
            first_hit = -1
            for expansion in expansions:
                best, best_tid = 0.0, -1
                for tid in row_words:
                    q = expansion.get(tid)
                    # One word of the row answers one word of the query:
                    # "jan jan" is not Jan Minkina.
                    if q is not None and q > best and tid not in used:
                        best, best_tid = q, tid
                if best:
                    matched += 1
                    total += best
                    used.add(best_tid)
                    if first_hit < 0:
                        first_hit = best_tid
            if matched >= needed:
                names = [tid for tid in row_words if is_name[tid]]
                if names:
                    total += COVERAGE * sum(1 for t in names if t in used) / len(names)
                    if first_hit == names[0]:
                        total += IN_ORDER
                results.append((rowid, total))
        return results
