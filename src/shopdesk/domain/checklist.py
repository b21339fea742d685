"""The condition checklist of a device at intake: each check is Yes, No or Not tested.

A check is a short name ("Powers on", "Screen cracked") with one of three
answers, or a short note instead ("Scratches": "back, left edge"). What staff
did not test is said to be not tested, never read as "no": an untested phone
must not read as a dead one.

Stored form (the JSON of ``ticket_devices.checklist``): name -> "yes", "no",
"not_tested" or the note. Tickets written before this rule stored booleans,
because the old form only had tick boxes: a tick (true) reads as Yes, and an
empty box (false) as Not tested, since an unticked box never said whether
anyone looked.

Pure functions; safe from any thread.
"""

from __future__ import annotations

from collections.abc import Mapping

from shopdesk.domain.choices import Labelled
from shopdesk.domain.text import collapse_spaces
from shopdesk.errors import FieldError, ValidationError

MAX_NOTE = 200


class Check(Labelled):
    YES = "yes"
    NO = "no"
    NOT_TESTED = "not_tested"


# The checks the intake form offers, most telling first.
STANDARD = ("Powers on", "Screen cracked", "Back cracked", "Touch works", "Buttons work",
            "Cameras work", "Charging port works", "Water damage")
_WORDS = {"yes": Check.YES, "y": Check.YES, "no": Check.NO, "n": Check.NO,
          "not_tested": Check.NOT_TESTED, "not tested": Check.NOT_TESTED,
          "untested": Check.NOT_TESTED, "not-tested": Check.NOT_TESTED}


def parse(value: object) -> Check | str | None:
    """An answer as given (True/False, "yes"/"no"/"not tested", a Check) or a note;
    None when it is neither (the caller names the field)."""
    if isinstance(value, Check):
        return value
    if isinstance(value, bool):  # an explicit answer from a caller, not an empty box
        return Check.YES if value else Check.NO
    if not isinstance(value, str):
        return None
    text = collapse_spaces(value)
    if not text:
        return Check.NOT_TESTED
    return _WORDS.get(text.lower(), text)


def clean(items: Mapping[str, object], where: str = "checklist") -> dict[str, str]:
    """The stored form of `items`, or ValidationError naming the bad entry."""
    out: dict[str, str] = {}
    errors: list[FieldError] = []
    for key, value in items.items():
        name = collapse_spaces(str(key))
        answer = parse(value)
        if not name or answer is None:
            errors.append(FieldError(where, "checklist", "each check is a name with yes, no, "
                                     "not tested or a short note"))
            continue
        if isinstance(answer, str) and not isinstance(answer, Check) \
                and len(answer) > MAX_NOTE:
            errors.append(FieldError(where, "too_long",
                                     f"a checklist note is at most {MAX_NOTE} characters"))
            continue
        out[name] = answer.value if isinstance(answer, Check) else answer
    if errors:
        raise ValidationError(errors)
    return out


def read(stored: Mapping[str, object]) -> dict[str, str]:
    """The stored checklist, old tickets included: each answer a `Check` (a str enum,
    equal to "yes" / "no" / "not_tested"), or the note as written."""
    out: dict[str, str] = {}
    for name, value in stored.items():
        if value is True:
            out[name] = Check.YES
        elif value is False or value is None:  # an old empty tick box: nobody said
            out[name] = Check.NOT_TESTED
        else:
            answer = parse(str(value))
            out[name] = answer if answer is not None else str(value)
    return out


def answer_label(value: str) -> str:
    """What a stored answer says on screen and paper: 'Yes', 'No', 'Not tested' or the note."""
    try:
        return Check(value).label
    except ValueError:
        return value


def summary(checklist: Mapping[str, str]) -> str:
    """One line: 'Powers on: Yes · Screen cracked: No · Water damage: Not tested'."""
    return " · ".join(f"{name}: {answer_label(value)}" for name, value in checklist.items())
