"""Support tickets and complaints (spec 10.1-10.3): priorities, levels, complaint steps.

* Priorities carry a resolution target in hours (low 72, normal 24, high 8,
  urgent 2); a ticket still open after its target is overdue.
* Escalation levels front desk < supervisor < manager < owner (10.1). Staff act
  at the level of their role (a technician at front-desk level); escalating to
  a level, or resolving a ticket at a level, needs a role at or above it.
  Complaints are a manager's matter, and so are refunds.
* A complaint's five steps (10.2) are recorded in order, each only after the
  one before it.

Support numbers are ``S-<NODE>-<SEQ>``, unique across counters like customer codes.
Pure; safe from any thread.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from shopdesk.domain.choices import Labelled
from shopdesk.domain.permissions import Role
from shopdesk.errors import FieldError, ValidationError

SUPPORT_PREFIX = "S"


class Priority(Labelled):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"

    @property
    def target_hours(self) -> int:
        return TARGET_HOURS[self]


TARGET_HOURS = {Priority.LOW: 72, Priority.NORMAL: 24, Priority.HIGH: 8, Priority.URGENT: 2}


class SupportStatus(Labelled):
    OPEN = "open"
    RESOLVED = "resolved"
    CLOSED = "closed"


class Level(Labelled):
    FRONT_DESK = "front_desk"
    SUPERVISOR = "supervisor"
    MANAGER = "manager"
    OWNER = "owner"

    @property
    def rank(self) -> int:
        return list(Level).index(self)


_ROLE_LEVEL = {Role.FRONT_DESK: Level.FRONT_DESK, Role.TECHNICIAN: Level.FRONT_DESK,
               Role.SUPERVISOR: Level.SUPERVISOR, Role.MANAGER: Level.MANAGER,
               Role.OWNER: Level.OWNER}
COMPLAINT_LEVEL = Level.MANAGER


def level_of(role: Role | str) -> Level:
    """The escalation level a staff member of `role` acts at."""
    return _ROLE_LEVEL[Role(role)]


class ComplaintStep(Labelled):
    REGISTRATION = "registration"
    INVESTIGATION = "investigation"
    RESOLUTION_PROPOSAL = "resolution_proposal"
    IMPLEMENTATION = "implementation"
    SATISFACTION = "satisfaction"

    @property
    def label(self) -> str:
        return _STEP_LABELS[self]


_STEP_LABELS = {
    ComplaintStep.REGISTRATION: "Complaint registration and acknowledgement",
    ComplaintStep.INVESTIGATION: "Investigation and fact-finding",
    ComplaintStep.RESOLUTION_PROPOSAL: "Resolution proposal and approval",
    ComplaintStep.IMPLEMENTATION: "Implementation and follow-up",
    ComplaintStep.SATISFACTION: "Satisfaction confirmation",
}
STEPS = tuple(ComplaintStep)


def choice(enum: type[Labelled], value: str, field: str) -> str:
    text = value.strip().lower()
    if text not in {m.value for m in enum}:
        raise ValidationError(FieldError(
            field, "choice", f"'{value}' is not one of: " + ", ".join(m.value for m in enum)))
    return text


def due_at(opened_at: datetime, priority: Priority | str) -> datetime:
    return opened_at + timedelta(hours=TARGET_HOURS[Priority(priority)])


def next_step(done: Sequence[str]) -> ComplaintStep | None:
    """The step to record next, given the steps recorded so far (in order)."""
    return STEPS[len(done)] if len(done) < len(STEPS) else None


def check_step(done: Sequence[str], step: ComplaintStep | str) -> None:
    """Raise ValidationError (rule `complaint_step_order`) unless `step` comes next."""
    wanted = ComplaintStep(step)
    expected = next_step(done)
    if expected == wanted:
        return
    if expected is None:
        reason = "all five complaint steps are already recorded"
    elif wanted.value in done:
        reason = f"'{wanted.label}' is already recorded; next is '{expected.label}'"
    else:
        reason = (f"'{wanted.label}' may only be recorded after '{expected.label}'")
    raise ValidationError(FieldError("step", "complaint_step_order", reason))


def check_escalation(current: Level | str, target: Level | str, role: Role | str) -> None:
    """Escalation goes up, and only to a level the acting role reaches."""
    a, b, own = Level(current), Level(target), level_of(role)
    if b.rank <= a.rank:
        raise ValidationError(FieldError(
            "level", "escalation_direction",
            f"the ticket is already at {a.label.lower()} level; escalate to a higher level"))
    if own.rank < b.rank:
        raise ValidationError(FieldError(
            "level", "escalation_role",
            f"only a {b.label.lower()} or above may take a ticket to {b.label.lower()} level "
            f"({Role(role).label.lower()} staff act at {own.label.lower()} level)"))


def required_level(level: Level | str, complaint: bool) -> Level:
    """The level whose role may resolve a ticket at `level`."""
    current = Level(level)
    if complaint and current.rank < COMPLAINT_LEVEL.rank:
        return COMPLAINT_LEVEL
    return current


def support_number(node_tag: str, sequence: int) -> str:
    return f"{SUPPORT_PREFIX}-{node_tag}-{sequence:04d}"
