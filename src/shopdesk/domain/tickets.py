"""The repair ticket workflow: statuses, the one transition table, ticket numbers.

A ticket moves received -> diagnosing -> awaiting approval / awaiting parts ->
in repair -> ready -> collected, or is cancelled; collected and cancelled are
final. Only the moves in `TRANSITIONS` are allowed; `check_move` explains a
refused one naming both statuses and the allowed next ones.

Ticket numbers are ``R-<NODE>-<SEQ>`` (like customer codes, see
`shopdesk.domain.codes`), so two counters numbering offline never collide.

Pure; safe from any thread.
"""

from __future__ import annotations

import re

from shopdesk.domain.choices import Labelled
from shopdesk.domain.codes import ALPHABET, NODE_LENGTH, normalize_code
from shopdesk.errors import FieldError, ValidationError

TICKET_PREFIX = "R"
_NUMBER = re.compile(rf"^{TICKET_PREFIX}-[{ALPHABET}]{{{NODE_LENGTH}}}-\d{{4,}}$")


class TicketStatus(Labelled):
    RECEIVED = "received"
    DIAGNOSING = "diagnosing"
    AWAITING_APPROVAL = "awaiting_approval"
    AWAITING_PARTS = "awaiting_parts"
    IN_REPAIR = "in_repair"
    READY = "ready"
    COLLECTED = "collected"
    CANCELLED = "cancelled"

    @property
    def final(self) -> bool:
        return self in FINAL


S = TicketStatus
FINAL = frozenset({S.COLLECTED, S.CANCELLED})
# Where a ticket may go from each status. Cancelling is possible until pickup;
# "ready" may go back to repair when the customer finds a fault at the counter.
TRANSITIONS: dict[TicketStatus, frozenset[TicketStatus]] = {
    S.RECEIVED: frozenset({S.DIAGNOSING, S.AWAITING_APPROVAL, S.IN_REPAIR, S.CANCELLED}),
    S.DIAGNOSING: frozenset({S.AWAITING_APPROVAL, S.AWAITING_PARTS, S.IN_REPAIR, S.READY,
                             S.CANCELLED}),
    S.AWAITING_APPROVAL: frozenset({S.AWAITING_PARTS, S.IN_REPAIR, S.READY, S.CANCELLED}),
    S.AWAITING_PARTS: frozenset({S.AWAITING_APPROVAL, S.IN_REPAIR, S.CANCELLED}),
    S.IN_REPAIR: frozenset({S.AWAITING_APPROVAL, S.AWAITING_PARTS, S.READY, S.CANCELLED}),
    S.READY: frozenset({S.IN_REPAIR, S.COLLECTED, S.CANCELLED}),
    S.COLLECTED: frozenset(),
    S.CANCELLED: frozenset(),
}
OPEN_STATUSES = tuple(s for s in TicketStatus if s not in FINAL)


def status(value: str, field: str = "status") -> TicketStatus:
    try:
        return TicketStatus(value.strip().lower())
    except ValueError:
        raise ValidationError(FieldError(
            field, "choice", f"'{value}' is not a ticket status; one of: "
            + ", ".join(s.value for s in TicketStatus))) from None


def can_move(current: TicketStatus | str, target: TicketStatus | str) -> bool:
    return TicketStatus(target) in TRANSITIONS[TicketStatus(current)]


def next_statuses(current: TicketStatus | str) -> tuple[TicketStatus, ...]:
    allowed = TRANSITIONS[TicketStatus(current)]
    return tuple(s for s in TicketStatus if s in allowed)


def check_move(current: TicketStatus | str, target: TicketStatus | str) -> None:
    """Raise ValidationError (rule `status_transition`) unless the move is allowed."""
    a, b = TicketStatus(current), TicketStatus(target)
    if can_move(a, b):
        return
    if a.final:
        reason = (f"the ticket is {a.label.lower()}, which is final; "
                  f"it cannot move to {b.label.lower()}")
    elif a == b:
        reason = f"the ticket is already {a.label.lower()}"
    else:
        options = ", ".join(s.label.lower() for s in next_statuses(a))
        reason = (f"a ticket that is {a.label.lower()} cannot move to {b.label.lower()}; "
                  f"it may move to: {options}")
    raise ValidationError(FieldError("status", "status_transition", reason))


def next_step(current: TicketStatus | str, estimate_approved: bool | None) -> TicketStatus | None:
    """The usual next move from `current` (the ticket page's F5), or None.

    received -> diagnosing -> awaiting approval (in repair when the customer
    already approved the estimate) -> in repair -> ready; waiting for parts goes
    on to repair. Ready goes on only by pickup, and final statuses nowhere.
    """
    status = TicketStatus(current)
    if status == S.DIAGNOSING:
        return S.IN_REPAIR if estimate_approved is True else S.AWAITING_APPROVAL
    step = {S.RECEIVED: S.DIAGNOSING, S.AWAITING_APPROVAL: S.IN_REPAIR,
            S.AWAITING_PARTS: S.IN_REPAIR, S.IN_REPAIR: S.READY}.get(status)
    assert step is None or can_move(status, step)
    return step


def ticket_number(node_tag: str, sequence: int) -> str:
    return f"{TICKET_PREFIX}-{node_tag}-{sequence:04d}"


def normalize_number(text: str) -> str:
    """Upper-case, look-alike letters read as digits in the node tag and sequence."""
    text = text.strip().upper()
    prefix, sep, rest = text.partition("-")
    if sep and prefix == TICKET_PREFIX:
        return f"{TICKET_PREFIX}-{normalize_code(rest)}"
    return text


def looks_like_ticket_number(text: str) -> bool:
    return bool(_NUMBER.match(normalize_number(text)))
