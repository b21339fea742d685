"""Errors the core raises; each carries a message fit to show staff as it is."""

from __future__ import annotations

from dataclasses import dataclass


class ShopdeskError(Exception):
    """Base class: the message is one line a person can act on."""


@dataclass(frozen=True)
class FieldError:
    """One broken rule: which field, which rule (a stable code), and a sentence."""

    field: str
    rule: str
    message: str
    ref: str | None = None  # id of a record the rule points at (e.g. the existing customer)

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class ValidationError(ShopdeskError):
    """Input broke one or more rules; nothing was written."""

    def __init__(self, errors: list[FieldError] | FieldError) -> None:
        self.errors: list[FieldError] = errors if isinstance(errors, list) else [errors]
        super().__init__("; ".join(str(e) for e in self.errors))

    def for_field(self, field: str) -> FieldError | None:
        return next((e for e in self.errors if e.field == field), None)


class PermissionDenied(ShopdeskError):
    """The signed-in staff member's role does not allow the action."""


class NotSignedIn(PermissionDenied):
    """An action needs a staff member and nobody is signed in."""


class AuthenticationFailed(ShopdeskError):
    """Wrong username, PIN or password (deliberately not saying which)."""


class AccountLocked(AuthenticationFailed):
    """Too many failed sign-ins; the account is locked for a while."""


class NotFound(ShopdeskError):
    """The record asked for does not exist."""


class DatabaseBusy(ShopdeskError):
    """Another process kept the database's write lock for longer than a write may wait."""
