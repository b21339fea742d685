"""Every distinct folded word the customers use, and how to find near spellings fast.

Words get small integer ids. Prefix ranges come from a sorted list (kept sorted
as words arrive, never re-sorted); typo candidates from buckets of words that
share their first letter and length, scanned by rapidfuzz in C. A typo in the
first letter itself is found by looking up the few spellings one edit away at
the start (a wrong, missing, extra or swapped first letter), so one slip is
always found wherever it is, and two or three slips when the first letter is
right (people rarely get it wrong twice).
"""

from __future__ import annotations

import bisect
import string

from rapidfuzz import process
from rapidfuzz.distance import OSA

_LETTERS = string.ascii_lowercase + string.digits
# The role a word plays in a customer's record; the index keys a word by
# (word id * ROLES + role), so "Thomas" the surname and "Thomas" the first name
# are told apart, and "Hande" the whole surname from "Hande" in "Bru-Hande".
# FIRST is the first word of the name (a row has at most one), MIDDLE any other
# word of the first name. Roles below ORG are name words. How much each counts:
FIRST, MIDDLE, SURNAME, SURNAME_PART, ORG, ADDRESS = range(6)
ROLES = 6
FIELD_WEIGHT = (1.0, 1.0, 1.0, 1.0, 0.9, 0.7)


def max_typos(token: str) -> int:
    """How many typos a query word may carry and still match."""
    if len(token) <= 2:
        return 0
    if len(token) <= 4:
        return 1
    # Two slips in a long word can be three edits apart (a swap beside a dropped
    # letter: "vespucci" -> "vescpci"), so long words allow three.
    return 2 if len(token) <= 6 else 3


class Vocabulary:
    """Not thread-safe on its own: the WordIndex's lock guards every call."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}  # word -> id (read directly in the build's loop)
        self.words: list[str] = []  # id -> word
        self._sorted: list[str] = []
        self._bulk = False  # while building, sort once at the end
        self._buckets: dict[tuple[str, int], list[str]] = {}

    def __len__(self) -> int:
        return len(self.words)

    def get(self, word: str) -> int | None:
        return self.ids.get(word)

    def add(self, word: str) -> int:
        """The word's id, adding the word if it is new."""
        wid = self.ids.get(word)
        if wid is None:
            wid = len(self.words)
            self.ids[word] = wid
            self.words.append(word)
            if self._bulk:
                self._sorted.append(word)
            else:
                bisect.insort(self._sorted, word)
            self._buckets.setdefault((word[0], len(word)), []).append(word)
        return wid

    def begin_bulk(self) -> None:
        self._bulk = True

    def end_bulk(self) -> None:
        self._bulk = False
        self._sorted.sort()

    def prefix_range(self, prefix: str) -> tuple[int, int]:
        """Positions in the sorted list of the words starting with `prefix`."""
        lo = bisect.bisect_left(self._sorted, prefix)
        return lo, bisect.bisect_left(self._sorted, prefix + "\x7f", lo)

    def prefixed(self, prefix: str, limit: int | None = None) -> list[str]:
        lo, hi = self.prefix_range(prefix)
        return self._sorted[lo:hi if limit is None else min(hi, lo + limit)]

    def typos(self, token: str, most: int) -> dict[str, int]:
        """Words within `most` edits of `token` (not itself): word -> edits."""
        found: dict[str, int] = {}
        if most <= 0 or not token:
            return found
        length, first = len(token), token[0]
        for size in range(max(1, length - most), length + most + 1):
            bucket = self._buckets.get((first, size))
            if bucket:
                for word, edits, _ in process.extract(token, bucket, scorer=OSA.distance,
                                                      score_cutoff=most, limit=None):
                    found[word] = int(edits)
        rest = token[1:]
        starts = {rest, token[1] + first + token[2:] if length > 1 else token}
        for letter in _LETTERS:
            starts.add(letter + rest)  # wrong first letter
            starts.add(letter + token)  # first letter left out
        for word in starts:
            if word != token and word and word[0] != first and word in self.ids:
                found.setdefault(word, 1)
        found.pop(token, None)
        return found
