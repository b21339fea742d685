"""In-memory inverted index of customers' words, in the order this counter saw them.

Each customer occupies a *slot*; slots are handed out in the order customers
were last seen (at the first build, by the later of their last update and last
visit; afterwards every write or received change makes that customer the
newest). Postings list slots in ascending order, so walking one backwards
visits its customers newest first: the ranking (`search/ranking.py`) can stop
as soon as nothing older can outrank what it found, instead of scoring every
match. An edit moves the customer to a new slot; the old one is marked empty
(never rebuilt).

A word is kept once per role it plays (first name, surname, company, address),
so a surname and a first name that are spelt alike are told apart. Memory is
flat because a counter PC must hold a million customers: the postings of the
first build are one ``array`` (compressed-row layout: `_offsets` into
`_base`), later writes go to a small array per key (`_delta`), and every slot's
word keys sit in one forward array with per-slot ``array``/``bytearray``
columns beside it.

For the one- and two-letter prefixes the box sends first, each prefix keeps
its latest few hundred slots ready (`recent`), kept current on every write.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import threading
from array import array
from collections.abc import Iterable

from shopdesk.search.ranking import rank
from shopdesk.search.vocabulary import (
    ADDRESS,
    FIRST,
    MIDDLE,
    ORG,
    ROLES,
    SURNAME,
    SURNAME_PART,
    Vocabulary,
    max_typos,
)

__all__ = ["RECENT_KEEP", "WordIndex", "max_typos"]

RECENT_KEEP = 512  # latest slots kept per short prefix: the window asks for 500
_RECENT_SLACK = 128  # trim in steps, not on every write
_EMPTY = array("I")
Row = tuple[int, str, bool, str | None]  # rowid, tagged words, active, folded surname


class WordIndex:
    """Thread-safe: every public method takes the index's lock (the ranking runs
    under it, so a write waits for a running search and vice versa).

    Rows are SQLite rowids of ``customers``; `put` replaces a row's words and
    active flag (an edit) and makes it the newest, so the index never needs a
    rebuild.
    """

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.vocab = Vocabulary()
        self._offsets = array("I", [0])  # key -> start of its first-build slots in _base
        self._base = array("I")
        self._delta: dict[int, array[int]] = {}  # key -> slots added since
        self.slot_row = array("I")  # slot -> rowid (0: an empty slot)
        self._row_slot = array("i")  # rowid -> slot (-1: not indexed)
        self.start = array("I", [0])  # slot -> offset of its keys in `keys` (one extra)
        self.names = bytearray()  # slot -> how many of its first keys are name words
        self.heads = bytearray()  # slot -> how many are name or company words
        self.active = bytearray()
        self.keys = array("I")  # every slot's word keys, name words first
        self._recent: dict[tuple[str, bool], array[int]] = {}  # (prefix, address?) -> slots
        self._trimmed: set[tuple[str, bool]] = set()  # lists that dropped older slots
        self._prefix_rows: dict[tuple[str, bool], int] = {}  # rows per short prefix
        self._rows = 0
        self.version = 0

    def __len__(self) -> int:
        return self._rows

    # -- writing --------------------------------------------------------------------
    def put(self, rowid: int, words: str, recency: float = 0.0, active: bool = True,
            surname: str | None = None) -> None:
        """Index (or re-index) one row as the newest. `words` is the stored, tagged
        ``customers.words``; `surname` the folded last name (which name words are
        surnames); without it the last name word is taken for the surname.
        `recency` is accepted for older callers: a row put is the newest."""
        self.extend([(rowid, words, active, surname)])

    def put_many(self, rows: Iterable[tuple[int, str, float, bool]]) -> None:
        """Index (rowid, words, recency, active) rows, ordered among themselves by
        recency (a later `put` is newer than all of them)."""
        self.extend((r[0], r[1], r[3], None) for r in sorted(rows, key=lambda r: r[2]))

    def extend(self, rows: Iterable[Row], expected: tuple[int, int] | None = None) -> None:
        """Index rows given oldest first: the first build (into an empty index), and
        the rows a write changed. `expected` (rows, highest rowid), when known, lets
        the build size its arrays once instead of growing them."""
        with self.lock:
            if self._rows == 0 and not self.slot_row:
                if expected:
                    self._reserve(*expected)
                self._build(rows)
            else:
                for rowid, words, active, surname in rows:
                    self._put(rowid, words, active, surname)
            self.version += 1

    def _reserve(self, rows: int, top_rowid: int) -> None:
        """Allocate the per-slot columns at their final size, to be filled in place:
        arrays grown step by step leave freed holes the allocator keeps."""
        self._row_slot = array("i", [-1]) * (top_rowid + 1)
        self.slot_row = array("I", [0]) * rows
        self.start = array("I", [0]) * (rows + 1)
        self.names, self.heads, self.active = bytearray(rows), bytearray(rows), bytearray(rows)

    def _build(self, rows: Iterable[Row]) -> None:
        """The first build, in two passes: the forward keys row by row, then every
        key's slots laid out in one array (no per-word arrays to outgrow)."""
        self.vocab.begin_bulk()
        counts = array("I")
        keys, start, names, heads = self.keys, self.start, self.names, self.heads
        active, slot_row, row_slot = self.active, self.slot_row, self._row_slot
        keys_of, vocab = self._keys, self.vocab
        reserved = len(slot_row)  # slots allocated by _reserve, filled in place
        slot = 0
        try:
            for rowid, words, is_active, surname in rows:
                row, named, head = keys_of(words, surname)
                if rowid >= len(row_slot):
                    self._grow(rowid)
                    row_slot = self._row_slot
                old = row_slot[rowid]
                if old >= 0:  # the same row twice: keep the later (the older is laid
                    slot_row[old] = 0  # out too, and skipped as empty)
                else:
                    self._rows += 1
                row_slot[rowid] = slot
                keys.extend(row)
                if slot < reserved:
                    slot_row[slot] = rowid
                    start[slot + 1] = len(keys)
                    names[slot], heads[slot], active[slot] = named, head, 1 if is_active else 0
                else:
                    slot_row.append(rowid)
                    start.append(len(keys))
                    names.append(named)
                    heads.append(head)
                    active.append(1 if is_active else 0)
                slot += 1
                if len(vocab) * ROLES > len(counts):  # new words: room for their keys
                    counts.frombytes(bytes(4 * max(len(vocab) * ROLES - len(counts),
                                                   len(counts) // 2)))
                for key in row:
                    counts[key] += 1
        finally:
            self.vocab.end_bulk()
        if slot < reserved:  # fewer rows than expected
            for column in (slot_row, names, heads, active):
                del column[slot:]
            del start[slot + 1:]
        self._offsets = array("I", itertools.accumulate(counts, initial=0))
        del counts
        base = array("I", [0]) * self._offsets[-1]
        fill = self._offsets[:-1]
        for slot in range(len(self.slot_row)):
            for key in keys[start[slot]:start[slot + 1]]:
                base[fill[key]] = slot
                fill[key] += 1
        del fill
        self._base = base
        self._recent_from_base()

    def _recent_from_base(self) -> None:
        """Each short prefix's latest slots and row count, from the laid-out postings:
        a lazy merge of each word's newest slots, one two-letter prefix at a time (so
        little is held at once)."""
        offsets, base, get = self._offsets, memoryview(self._base), self.vocab.get
        end = len(offsets) - 1
        counts = self._prefix_rows
        ones: dict[tuple[str, bool], list[Iterable[int]]] = {}
        for first, same_first in itertools.groupby(self.vocab.prefixed(""), key=lambda w: w[:1]):
            for two, same_two in itertools.groupby(same_first, key=lambda w: w[:2]):
                parts: tuple[list[Iterable[int]], list[Iterable[int]]] = ([], [])  # name, address
                for word in same_two:
                    wid = get(word) or 0
                    for role in range(ROLES):
                        key = wid * ROLES + role
                        lo, hi = (offsets[key], offsets[key + 1]) if key < end else (0, 0)
                        if lo < hi:
                            parts[role == ADDRESS].append(base[max(lo, hi - RECENT_KEEP):hi])
                            one = (first, role == ADDRESS)
                            counts[one] = counts.get(one, 0) + hi - lo
                            if len(two) > 1:
                                counts[(two, role == ADDRESS)] = counts.get(
                                    (two, role == ADDRESS), 0) + hi - lo
                for address in (False, True):
                    if parts[address]:
                        kept = (self._keep((two, address), parts[address]) if len(two) > 1
                                else parts[address])
                        ones.setdefault((first, address), []).extend(
                            [kept] if isinstance(kept, array) else kept)
        for prefix, gathered in ones.items():
            self._keep(prefix, gathered)

    def _keep(self, prefix: tuple[str, bool], parts: list[Iterable[int]]) -> array[int]:
        """The latest RECENT_KEEP distinct slots of ascending `parts`, kept for `prefix`."""
        newest: list[int] = []
        for slot in heapq.merge(*(reversed(p) for p in parts), reverse=True):  # type: ignore[call-overload]
            if not newest or slot != newest[-1]:
                newest.append(slot)
                if len(newest) >= RECENT_KEEP:
                    self._trimmed.add(prefix)  # (perhaps nothing was left: refill finds out)
                    break
        latest = array("I", reversed(newest))
        self._recent[prefix] = latest
        return latest

    def _grow(self, rowid: int) -> None:
        missing = rowid + 1 - len(self._row_slot)
        if missing > 0:
            self._row_slot.extend(array("i", [-1]) * max(missing, len(self._row_slot) // 8,
                                                          1024))

    def _put(self, rowid: int, words: str, active: bool, surname: str | None) -> None:
        self._grow(rowid)
        old = self._row_slot[rowid]
        if old >= 0:
            self._unlink(old)
        else:
            self._rows += 1
        row, named, head = self._keys(words, surname)
        slot = len(self.slot_row)
        self.slot_row.append(rowid)
        self._row_slot[rowid] = slot
        self.keys.extend(row)
        self.start.append(len(self.keys))
        self.names.append(named)
        self.heads.append(head)
        self.active.append(1 if active else 0)
        for key in row:
            delta = self._delta.get(key)
            if delta is None:
                self._delta[key] = array("I", [slot])
            else:
                delta.append(slot)
        counts = self._prefix_rows
        for prefix in self._prefixes(row):
            counts[prefix] = counts.get(prefix, 0) + 1
            recent = self._recent.get(prefix)
            if recent is None:
                self._recent[prefix] = array("I", [slot])
            else:
                recent.append(slot)
                if len(recent) > RECENT_KEEP + _RECENT_SLACK:
                    del recent[:len(recent) - RECENT_KEEP]
                    self._trimmed.add(prefix)

    def _keys(self, words: str, surname: str | None) -> tuple[list[int], int, int]:
        """A row's word keys (name words, company words, then address words), how many
        are name words and how many name or company words."""
        # Stored words always carry a word after the tag; a bare tag is skipped.
        tagged = [t for t in dict.fromkeys(words.split()) if t[1:]][:255]
        if surname:
            last = surname.split()
        else:
            names = [t for t in tagged if t[0] == "n"]
            last = [names[-1][1:]] if len(names) > 1 else []
        whole = SURNAME if len(last) == 1 else SURNAME_PART
        ids, add = self.vocab.ids, self.vocab.add
        plains = [t[1:] for t in tagged]
        wids = [add(p) if w is None else w
                for w, p in zip(map(ids.get, plains), plains, strict=True)]
        name_keys: list[int] = []
        org_keys: list[int] = []
        address_keys: list[int] = []
        for t, plain, wid in zip(tagged, plains, wids, strict=True):
            tag = t[0]
            if tag == "n":
                # The first name word is a first name even when the surname repeats it.
                role = (whole if plain in last else MIDDLE) if name_keys else FIRST
                name_keys.append(wid * ROLES + role)
            elif tag == "o":
                org_keys.append(wid * ROLES + ORG)
            else:
                address_keys.append(wid * ROLES + ADDRESS)
        return (name_keys + org_keys + address_keys, len(name_keys),
                len(name_keys) + len(org_keys))

    def _prefixes(self, keys: Iterable[int]) -> set[tuple[str, bool]]:
        words = self.vocab.words
        out: set[tuple[str, bool]] = set()
        for key in keys:
            word, address = words[key // ROLES], key % ROLES == ADDRESS
            out.add((word[:1], address))
            if len(word) > 1:
                out.add((word[:2], address))
        return out

    def _unlink(self, slot: int) -> None:
        row = self.keys[self.start[slot]:self.start[slot + 1]]
        for key in row:
            delta = self._delta.get(key)
            if delta is not None:
                i = bisect.bisect_left(delta, slot)
                if i < len(delta) and delta[i] == slot:
                    del delta[i]
            # In the first build's layout the slot stays: it is skipped as empty.
        counts = self._prefix_rows
        for prefix in self._prefixes(row):
            counts[prefix] -= 1
            recent = self._recent.get(prefix)
            if recent is not None:
                i = bisect.bisect_left(recent, slot)
                if i < len(recent) and recent[i] == slot:
                    del recent[i]
        self.slot_row[slot] = 0
        # The old keys stay in `keys` as garbage; edits are rare next to reads.

    # -- reading (callers hold `lock`) ---------------------------------------------
    def recency(self, rowid: int) -> int:
        """Higher is more recently seen; -1 for a row not in the index."""
        return self._row_slot[rowid] if 0 <= rowid < len(self._row_slot) else -1

    def size(self, key: int) -> int:
        """How many slots hold `key` (empty ones of the first build included)."""
        base = (self._offsets[key + 1] - self._offsets[key]
                if key + 1 < len(self._offsets) else 0)
        delta = self._delta.get(key)
        return base + (len(delta) if delta else 0)

    def slot_parts(self, key: int) -> tuple[Iterable[int], Iterable[int]]:
        """The slots holding `key`, oldest first, in two ascending parts (first build,
        since), for C-level consumers such as `set.update`. Empty slots may be
        among them: check `slot_row`."""
        base: Iterable[int] = _EMPTY
        if key + 1 < len(self._offsets):
            base = memoryview(self._base)[self._offsets[key]:self._offsets[key + 1]]
        return base, self._delta.get(key, _EMPTY)

    def newest_first(self, key: int) -> Iterable[int]:
        delta = self._delta.get(key)
        base: Iterable[int] = _EMPTY
        if key + 1 < len(self._offsets):
            lo, hi = self._offsets[key], self._offsets[key + 1]
            if lo < hi:
                base = reversed(memoryview(self._base)[lo:hi])
        if delta:
            return itertools.chain(reversed(delta), base)
        return base

    def recent(self, prefix: str, address: bool, wanted: int) -> array[int]:
        """Ascending latest slots of rows with a (name/company or address) word
        starting with a one- or two-letter `prefix`; at least `wanted` of them
        when that many exist (a list shortened by edits is refilled)."""
        key = (prefix, address)
        recent = self._recent.get(key)
        if recent is None:
            return _EMPTY
        if len(recent) < min(wanted, RECENT_KEEP) and key in self._trimmed:
            recent = self._refill(prefix, address)
        return recent

    def prefix_rows(self, prefix: str, address: bool) -> int:
        """About how many rows have a (name/company or address) word starting with a
        one- or two-letter `prefix`."""
        return self._prefix_rows.get((prefix, address), 0)

    def _refill(self, prefix: str, address: bool) -> array[int]:
        roles = (ADDRESS,) if address else (FIRST, MIDDLE, SURNAME, SURNAME_PART, ORG)
        get, slot_row = self.vocab.get, self.slot_row
        tail = array("I")
        for word in self.vocab.prefixed(prefix):
            wid = get(word) or 0
            for role in roles:
                newest = (s for s in self.newest_first(wid * ROLES + role) if slot_row[s])
                tail.extend(itertools.islice(newest, RECENT_KEEP))
        refilled = array("I", sorted(set(heapq.nlargest(2 * RECENT_KEEP, tail)))[-RECENT_KEEP:])
        self._recent[(prefix, address)] = refilled
        self._trimmed.discard((prefix, address))
        return refilled

    def search(self, tokens: list[str], limit: int, *,
               active_only: bool = False) -> list[tuple[int, float]]:
        """Best `limit` (rowid, score) for the query words, best first (see ranking)."""
        if not tokens:
            return []
        with self.lock:
            return rank(self, tokens, limit, active_only)
