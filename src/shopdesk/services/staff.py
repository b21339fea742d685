"""Staff accounts, sign-in with argon2-hashed PIN or password, and lock-out."""

from __future__ import annotations

import builtins
import functools
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shopdesk.changes import Changes
from shopdesk.domain.permissions import Permission, Role
from shopdesk.domain.text import control_errors, reject_controls
from shopdesk.errors import (
    AccountLocked,
    AuthenticationFailed,
    FieldError,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from shopdesk.models import Staff
from shopdesk.services.audit import AuditTrail
from shopdesk.services.settings import SettingsService
from shopdesk.services.store import Actor, Store

_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,39}$")
_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    # Verified against when the username is unknown, so timing does not reveal
    # it; made on first need because hashing costs ~100 ms at start-up.
    return _hasher.hash("not-a-real-secret")


@dataclass(frozen=True)
class StaffInfo:
    id: UUID
    username: str
    display_name: str
    role: Role
    secret_kind: str
    is_active: bool
    locked_until: datetime | None
    created_at: datetime

    def actor(self) -> Actor:
        return Actor(self.id, self.display_name, self.role)


def _info(row: Staff) -> StaffInfo:
    return StaffInfo(row.id, row.username, row.display_name, Role(row.role), row.secret_kind,
                     row.is_active, row.locked_until, row.created_at)


MIN_PIN, MAX_PIN = 4, 8


def check_secret(secret: str, min_pin: int = MIN_PIN) -> str:
    """'pin' for `min_pin`-8 digits, 'password' for 8+ characters with a non-digit; else
    error. `min_pin` is the shop's ``security.min_pin_length`` (4 unless raised)."""
    if secret.isdigit():
        if min_pin <= len(secret) <= MAX_PIN:
            return "pin"
        raise ValidationError(FieldError(
            "secret", "pin_length",
            f"a PIN has {min_pin} to {MAX_PIN} digits" + (
                " (this shop's minimum, setting security.min_pin_length)"
                if min_pin > MIN_PIN else "")))
    if len(secret) < 8:
        raise ValidationError(FieldError(
            "secret", "password_length", "a password has at least 8 characters"))
    return "password"


class StaffService:
    """Staff management for managers and owners; sign-in for everyone.

    Callable from any thread; writes go through `Store.write()`.
    """

    def __init__(self, store: Store, audit: AuditTrail, settings: SettingsService) -> None:
        self._store = store
        self._audit = audit
        self._settings = settings

    def min_pin_length(self) -> int:
        """Digits a new or reset PIN needs at least (setting ``security.min_pin_length``).
        Enforced when a PIN is set, so raising it never locks anyone out."""
        return int(self._settings.get("security.min_pin_length"))

    def count(self) -> int:
        with self._store.read() as session:
            return session.scalar(select(func.count()).select_from(Staff)) or 0

    def list(self) -> list[StaffInfo]:
        self._store.require(Permission.MANAGE_STAFF)
        with self._store.read() as session:
            return [_info(s) for s in session.scalars(select(Staff).order_by(Staff.username))]

    def assignable(self) -> builtins.list[StaffInfo]:
        """Active staff anyone signed in may pick from (technician pickers, filters):
        technicians first, then by name. No secrets or lock-out state are exposed."""
        self._store.require(Permission.VIEW_REPAIRS)
        with self._store.read() as session:
            rows = [_info(s) for s in session.scalars(
                select(Staff).where(Staff.is_active.is_(True)))]
        rows.sort(key=lambda s: (s.role != Role.TECHNICIAN, s.display_name.lower()))
        return [StaffInfo(s.id, s.username, s.display_name, s.role, "", True, None,
                          s.created_at) for s in rows]

    def create_owner(self, username: str, display_name: str, secret: str) -> StaffInfo:
        """First start only: the shop's first account, an owner, needs no sign-in."""
        if self.count():
            raise PermissionDenied("the owner account already exists; sign in to add staff")
        system = Actor(None, "first start", Role.OWNER)
        return self._create(system, username, display_name, Role.OWNER, secret)

    def create(self, username: str, display_name: str, role: Role | str,
               secret: str) -> StaffInfo:
        actor = self._store.require(Permission.MANAGE_STAFF)
        role = self._role(role)
        if role.rank > actor.role.rank:
            raise PermissionDenied(f"a {actor.role.label} may not create a {role.label} account")
        return self._create(actor, username, display_name, role, secret)

    def _create(self, actor: Actor, username: str, display_name: str, role: Role,
                secret: str) -> StaffInfo:
        errors: list[FieldError] = []
        username = username.strip().lower()
        if not _USERNAME.match(username):
            errors.append(FieldError("username", "username_format",
                                     "use 2-40 lower-case letters, digits, '.', '_' or '-'"))
        errors += control_errors(display_name, "display_name")
        display_name = " ".join(display_name.split())
        if not display_name:
            errors.append(FieldError("display_name", "required", "is required"))
        try:
            kind = check_secret(secret, self.min_pin_length())
        except ValidationError as exc:
            errors.extend(exc.errors)
        if errors:
            raise ValidationError(errors)
        digest = _hasher.hash(secret)
        with self._store.write() as session:
            if session.scalar(select(Staff.id).where(Staff.username == username)):
                raise ValidationError(FieldError("username", "unique",
                                                 f"'{username}' is already taken"))
            row = Staff(username=username, display_name=display_name, role=role.value,
                        secret_kind=kind, secret_hash=digest, created_by=actor.staff_id,
                        created_at=self._store.clock(), updated_at=self._store.clock())
            session.add(row)
            session.flush()
            self._audit.append(session, actor, "create", "staff", row.id,
                               {"username": username, "role": role.value})
            return _info(row)

    def update(self, staff_id: UUID, *, display_name: str | None = None,
               role: Role | str | None = None, is_active: bool | None = None,
               secret: str | None = None) -> tuple[StaffInfo, Changes]:
        actor = self._store.require(Permission.MANAGE_STAFF)
        new_role = self._role(role) if role is not None else None
        if display_name is not None:
            reject_controls(display_name=display_name)
        kind = check_secret(secret, self.min_pin_length()) if secret is not None else None
        digest = _hasher.hash(secret) if secret is not None else None
        with self._store.write() as session:
            row = session.get(Staff, staff_id)
            if row is None:
                raise NotFound("no such staff member")
            if Role(row.role).rank > actor.role.rank or (
                    new_role and new_role.rank > actor.role.rank):
                raise PermissionDenied(f"a {actor.role.label} may not change that account")
            detail: dict[str, object] = {}
            if display_name is not None and " ".join(display_name.split()) != row.display_name:
                name = " ".join(display_name.split())
                if not name:
                    raise ValidationError(FieldError("display_name", "required", "is required"))
                detail["display_name"] = [row.display_name, name]
                row.display_name = name
            if new_role is not None and new_role.value != row.role:
                self._guard_last_owner(session, row, "change the role of")
                detail["role"] = [row.role, new_role.value]
                row.role = new_role.value
            if is_active is not None and is_active != row.is_active:
                if not is_active:
                    if row.id == actor.staff_id:
                        raise PermissionDenied("you cannot deactivate your own account")
                    self._guard_last_owner(session, row, "deactivate")
                detail["is_active"] = [row.is_active, is_active]
                row.is_active = is_active
            if digest is not None and kind is not None:
                row.secret_hash, row.secret_kind = digest, kind
                row.failed_attempts, row.locked_until = 0, None
                detail["secret"] = "reset"
            if detail:
                row.updated_at = self._store.clock()
                self._audit.append(session, actor, "update", "staff", row.id, detail)
            return _info(row), Changes(staff=True)

    def sign_in(self, username: str, secret: str) -> StaffInfo:
        """Verify the secret; count failures and lock the account after too many.

        A failed attempt is committed (counter and audit entry) before the error
        is raised, so lock-out survives a restart.
        """
        max_failures = int(self._settings.get("security.max_failed_signins"))
        lock_minutes = int(self._settings.get("security.lockout_minutes"))
        username = username.strip().lower()
        failure: AuthenticationFailed
        with self._store.write() as session:
            row = session.scalar(select(Staff).where(Staff.username == username))
            now = self._store.clock()
            if row is None or not row.is_active:
                _verify(_dummy_hash(), secret)
                # Recorded too (spec 2.4): guessing at names is worth a manager's look.
                self._audit.append(session, Actor(None, "sign-in screen", Role.FRONT_DESK),
                                   "sign_in_failed", "staff", "unknown",
                                   {"username": username[:40]})
                failure = AuthenticationFailed("wrong username or PIN/password")
            else:
                actor = Actor(row.id, row.display_name, Role(row.role))
                if row.locked_until and row.locked_until > now:
                    minutes = int((row.locked_until - now).total_seconds() // 60) + 1
                    raise AccountLocked(f"account locked after too many failed sign-ins; "
                                        f"try again in {minutes} min or ask a manager")
                if _verify(row.secret_hash, secret):
                    row.failed_attempts, row.locked_until = 0, None
                    if _hasher.check_needs_rehash(row.secret_hash):
                        row.secret_hash = _hasher.hash(secret)
                    self._audit.append(session, actor, "sign_in", "staff", row.id, {})
                    return _info(row)
                row.failed_attempts += 1
                if row.failed_attempts >= max_failures:
                    row.locked_until = now + timedelta(minutes=lock_minutes)
                    row.failed_attempts = 0
                    self._audit.append(session, actor, "locked", "staff", row.id, {})
                    failure = AccountLocked(
                        f"too many failed sign-ins: account locked for {lock_minutes} min")
                else:
                    self._audit.append(session, actor, "sign_in_failed", "staff", row.id, {})
                    failure = AuthenticationFailed("wrong username or PIN/password")
        raise failure

    @staticmethod
    def _role(role: Role | str) -> Role:
        try:
            return Role(role)
        except ValueError:
            raise ValidationError(FieldError(
                "role", "choice", f"must be one of: {', '.join(r.value for r in Role)}"
            )) from None

    @staticmethod
    def _guard_last_owner(session: Session, row: Staff, verb: str) -> None:
        if row.role != Role.OWNER:
            return
        owners = session.scalar(select(func.count()).select_from(Staff).where(
            Staff.role == Role.OWNER.value, Staff.is_active.is_(True)))
        if (owners or 0) <= 1:
            raise PermissionDenied(f"cannot {verb} the last active owner")


def _verify(digest: str, secret: str) -> bool:
    try:
        return _hasher.verify(digest, secret)
    except (VerificationError, InvalidHashError):
        return False
