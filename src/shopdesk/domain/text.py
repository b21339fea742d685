"""Text rules every form shares: folding for matching, and the characters no field may hold.

`control_character` and `reject_controls` are the one check, applied by each rules
module (customers, devices, parts, tickets, support, staff, settings, documents), that
keeps terminal and display control codes out of stored text: C0 and C1 control codes
(NUL, BEL, BS, ESC, DEL...) other than tab, line feed and carriage return, which the
forms turn into spaces or keep as line breaks, and the Unicode bidirectional
embeddings, overrides and isolates (RLO and its kin, the "Trojan Source" characters),
which make a name display as something else. Pure; any thread.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from shopdesk.errors import FieldError, ValidationError

# Letters NFKD does not decompose into a base letter plus accent.
_SPECIAL = str.maketrans({
    "ß": "ss", "ø": "o", "Ø": "o", "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe",
    "đ": "d", "Đ": "d", "ł": "l", "Ł": "l", "ı": "i", "þ": "th", "ð": "d",
})
_NON_WORD = re.compile(r"[^0-9a-z@.+]+")

# LRE RLE PDF LRO RLO, LRI RLI FSI PDI. The marks LRM, RLM and ALM stay allowed:
# right-to-left names legitimately contain them, and they cannot reorder text.
BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f" + BIDI_CONTROLS + "]")
_NAMES = {
    0x00: "NUL", 0x07: "BEL", 0x08: "BS", 0x0B: "VT", 0x0C: "FF", 0x1B: "ESC", 0x7F: "DEL",
    0x9B: "CSI", 0x202A: "LRE", 0x202B: "RLE", 0x202C: "PDF", 0x202D: "LRO", 0x202E: "RLO",
    0x2066: "LRI", 0x2067: "RLI", 0x2068: "FSI", 0x2069: "PDI",
}


def fold(text: str) -> str:
    """Lower-case ASCII form: 'Müller' -> 'muller', 'Øst-Ærø' -> 'ost aero'."""
    text = text.translate(_SPECIAL)
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(_NON_WORD.sub(" ", stripped.casefold()).split())


def collapse_spaces(text: str) -> str:
    return " ".join(text.split())


def describe_character(char: str) -> str:
    """'U+001B (ESC)': how a message names a character that cannot be shown."""
    code = ord(char)
    name = _NAMES.get(code) or unicodedata.name(char, "control")
    return f"U+{code:04X} ({name})"


def control_character(text: str) -> str | None:
    """The first character of `text` no field may hold, described; None when clean."""
    found = FORBIDDEN.search(text)
    return describe_character(found.group()) if found else None


def control_error(field: str, text: str) -> FieldError | None:
    """The `control_character` rule for one field's text (None when it holds none)."""
    found = control_character(text)
    if found is None:
        return None
    return FieldError(field, "control_character",
                      f"contains the control character {found}; remove it")


@functools.cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


def control_errors(value: Any, field: str = "") -> list[FieldError]:
    """Every text inside `value` (a string, dataclass, mapping or sequence) that holds
    a forbidden character, named as the forms name fields (``devices[0].fault``)."""
    if isinstance(value, str):
        error = control_error(field or "text", value)
        return [error] if error else []
    prefix = f"{field}." if field else ""
    out: list[FieldError] = []
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        items = [(name, getattr(value, name)) for name in _field_names(type(value))]
        # One search over all the text fields first: an import checks every field of
        # every row, and nearly all are clean.
        texts = [item for _name, item in items if isinstance(item, str)]
        dirty = FORBIDDEN.search("\n".join(texts)) is not None
        for name, item in items:
            if isinstance(item, str):
                if dirty:
                    out += control_errors(item, prefix + name)
            elif isinstance(item, Mapping | list | tuple) or dataclasses.is_dataclass(item):
                out += control_errors(item, prefix + name)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            out += control_errors(str(key), f"{field or 'item'} name")
            out += control_errors(item, f"{prefix}{key}")
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            out += control_errors(item, f"{field or 'item'}[{i}]")
    return out


def reject_controls(value: Any = None, **fields: Any) -> None:
    """Raise one ValidationError naming every field whose text holds a control character.

    ``reject_controls(intake)`` walks a form's dataclass; ``reject_controls(note=note)``
    checks loose arguments by name.
    """
    errors = control_errors(value) if value is not None else []
    for name, item in fields.items():
        errors += control_errors(item, name)
    if errors:
        raise ValidationError(errors)
