"""Text folding used for matching names regardless of accents and case."""

from __future__ import annotations

import re
import unicodedata

# Letters NFKD does not decompose into a base letter plus accent.
_SPECIAL = str.maketrans({
    "ß": "ss", "ø": "o", "Ø": "o", "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe",
    "đ": "d", "Đ": "d", "ł": "l", "Ł": "l", "ı": "i", "þ": "th", "ð": "d",
})
_NON_WORD = re.compile(r"[^0-9a-z@.+]+")


def fold(text: str) -> str:
    """Lower-case ASCII form: 'Müller' -> 'muller', 'Øst-Ærø' -> 'ost aero'."""
    text = text.translate(_SPECIAL)
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(_NON_WORD.sub(" ", stripped.casefold()).split())


def collapse_spaces(text: str) -> str:
    return " ".join(text.split())
