"""Registering, editing, deactivating and verifying customers (spec 1, 2.3)."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any, ParamSpec
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shopdesk.changes import Changes
from shopdesk.domain import codes
from shopdesk.domain.choices import IdDocumentType
from shopdesk.domain.customer_rules import CustomerInput, clean_customer
from shopdesk.domain.permissions import Permission
from shopdesk.domain.search_text import customer_words, reversed_digits
from shopdesk.domain.text import fold
from shopdesk.errors import FieldError, NotFound, ValidationError
from shopdesk.models import (
    Customer,
    CustomerDocument,
    CustomerLoyalty,
    CustomerPreferences,
    StaffDirectory,
)
from shopdesk.models.loyalty import balance_query
from shopdesk.services.audit import AuditTrail
from shopdesk.services.consent import register as consents
from shopdesk.services.consent.consent import ConsentService
from shopdesk.services.customers.customer_views import (
    CUSTOMER_COLUMNS,
    PREFERENCE_COLUMNS,
    CustomerProfile,
    CustomerSummary,
    Verification,
    document_of,
    input_of,
    summary_of,
    values_of,
)
from shopdesk.services.customers.lookup import CustomerLookup
from shopdesk.services.settings import SettingsService
from shopdesk.services.store import Actor, Store

VERIFIABLE = ("phone", "email", "address")
P = ParamSpec("P")


def _publishes(method: Callable[P, Saved]) -> Callable[P, Saved]:
    """Tell the store's listeners (the search index) once the write has committed."""
    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Saved:
        saved = method(*args, **kwargs)
        service = args[0]
        assert isinstance(service, CustomerService)
        service._store.publish(saved.changes)
        return saved
    return wrapper


@dataclass(frozen=True)
class Saved:
    """A write's result: the customer as now stored, and what changed."""

    customer: CustomerSummary
    changes: Changes


def derived_columns(values: dict[str, Any]) -> dict[str, str]:
    """Columns kept in step with the typed ones, for matching and search."""
    return {
        "name_key": fold(f"{values['first_name']} {values['last_name']}"),
        "last_key": fold(values["last_name"]),
        "words": customer_words(values["first_name"], values["last_name"], values["company"],
                                values["address_line1"], values["city"], values["postcode"]),
        "phone_rev": reversed_digits(values["phone"]) or "",
    }


def _jsonable(value: Any) -> Any:
    if isinstance(value, UUID):
        return value.hex
    return value.isoformat() if hasattr(value, "isoformat") else value


def created_fields(clean: dict[str, Any]) -> dict[str, list[Any]]:
    """Audit detail of a creation: each set field, from nothing to its value."""
    return {k: [None, _jsonable(v)] for k, v in clean.items() if v not in (None, "", False)}


class CustomerService(CustomerLookup):
    """Customer use cases. Any thread; writes serialize on `Store.write()`.

    Every write and its audit entry commit in one transaction; a rejected
    input raises ValidationError before anything is written.
    """

    def __init__(self, store: Store, audit: AuditTrail, settings: SettingsService) -> None:
        super().__init__(store, settings)
        self._audit = audit
        self._consents = ConsentService(store, audit)

    # -- writes -----------------------------------------------------------------
    @_publishes
    def register(self, data: CustomerInput, referred_by: UUID | None = None) -> Saved:
        """Register a customer; `referred_by` is the customer who sent them (the
        referral bonus lands when this one's first paid service completes)."""
        actor = self._store.require(Permission.REGISTER_CUSTOMERS)
        clean = clean_customer(data, self._settings.policy(), self._store.clock().date())
        with self._store.write() as session:
            self.check_unique(session, clean)
            if referred_by is not None:
                referrer = session.get(Customer, referred_by)
                if referrer is None or not referrer.is_active:
                    raise ValidationError(FieldError(
                        "referred_by", "exists", "must be an active registered customer"))
                clean = {**clean, "referred_by": referred_by}
            row = self.insert(session, actor, clean)
            self._audit.append(session, actor, "create", "customer", row.id,
                               {"code": row.code, "fields": created_fields(clean)})
            self._store.emit(session, actor, "customer_registered", customer=row)
            saved = Saved(summary_of(row), Changes(customers=frozenset({row.id})))
        return saved

    def insert(self, session: Session, actor: Actor, clean: dict[str, Any],
               sequence: int | None = None) -> Customer:
        """Add a validated customer with its preferences and loyalty account (spec 1.4)."""
        now = self._store.clock()
        if sequence is None:
            sequence = self._store.next_sequence(session, "customer")
        customer_id = uuid.uuid4()
        row = Customer(
            id=customer_id, code=codes.customer_code(self._store.node_tag, sequence),
            **derived_columns(clean), registered_by=actor.staff_id,
            created_at=now, updated_at=now, is_active=True,
            **{c: clean[c] for c in CUSTOMER_COLUMNS},
        )
        row.preferences = CustomerPreferences(
            customer_id=customer_id,
            marketing_consent_at=now if clean["marketing_opt_in"] else None,
            **{c: clean[c] for c in PREFERENCE_COLUMNS},
        )
        row.loyalty = CustomerLoyalty(customer_id=customer_id, tier="bronze", opened_at=now,
                                      referred_by=clean.get("referred_by"))
        session.add(row)
        try:
            session.flush()
        except IntegrityError as exc:  # another process won a race for the phone/e-mail
            raise self._integrity(exc) from None
        # The consent register starts with the choices made on the form (spec 13.1).
        consents.insert_events(session.connection(), consents.form_rows(
            customer_id, clean, clean["channel"], now, actor.staff_id))
        return row

    @_publishes
    def update(self, customer_id: UUID, changes: dict[str, Any]) -> Saved:
        """Apply `changes` (field -> typed text) with the registration rules."""
        actor = self._store.require(Permission.EDIT_CUSTOMERS)
        policy = self._settings.policy()
        with self._store.write() as session:
            # Validated against the row as locked here, not a copy read earlier:
            # one read, and no other write can slip in between.
            row = self._editable(session, customer_id)
            before = values_of(row)
            clean = clean_customer(input_of(before).merged(changes), policy,
                                   self._store.clock().date())
            # Only a number or address being changed is checked: a duplicate that
            # arrived by sync must not freeze every other edit of either customer.
            self.check_unique(session, {k: clean[k] for k in ("phone", "email")
                                        if clean[k] != before[k]}, exclude=customer_id)
            diff = {k: [_jsonable(before[k]), _jsonable(v)]
                    for k, v in clean.items() if before[k] != v}
            if not diff:
                return Saved(summary_of(row), Changes())
            now = self._store.clock()
            for key in diff:
                target = row.preferences if key in PREFERENCE_COLUMNS else row
                setattr(target, key, clean[key])
            if "marketing_opt_in" in diff:
                row.preferences.marketing_consent_at = now if clean["marketing_opt_in"] else None
            for column, value in derived_columns(values_of(row)).items():
                setattr(row, column, value)
            row.updated_at = now
            # A changed number or address is no longer the one that was verified.
            for item, fields in (("phone", ("phone",)), ("email", ("email",)),
                                 ("address", ("address_line1", "city", "postcode"))):
                if any(f in diff for f in fields):
                    self._set_verified(row, item, None, None)
            try:
                session.flush()
            except IntegrityError as exc:
                raise self._integrity(exc) from None
            self._audit.append(session, actor, "update", "customer", row.id,
                               {"code": row.code, "fields": diff})
            # The register stays the one source of truth for the consent flags.
            self._consents.follow_preferences(session, actor, row.id, diff, row.channel)
            return Saved(summary_of(row), Changes(customers=frozenset({row.id})))

    def deactivate(self, customer_id: UUID, reason: str = "") -> Saved:
        return self._set_active(customer_id, False, reason)

    def reactivate(self, customer_id: UUID) -> Saved:
        return self._set_active(customer_id, True, "")

    @_publishes
    def _set_active(self, customer_id: UUID, active: bool, reason: str) -> Saved:
        actor = self._store.require(Permission.DEACTIVATE_CUSTOMERS)
        with self._store.write() as session:
            row = self._editable(session, customer_id)
            if row.is_active == active:
                return Saved(summary_of(row), Changes())
            row.is_active = active
            row.updated_at = self._store.clock()
            self._audit.append(session, actor, "reactivate" if active else "deactivate",
                               "customer", row.id,
                               {"code": row.code, "fields": {"is_active": [not active, active]},
                                "reason": reason.strip()})
            return Saved(summary_of(row), Changes(customers=frozenset({row.id})))

    @_publishes
    def set_verified(self, customer_id: UUID, item: str, verified: bool) -> Saved:
        """Record (or clear) that staff verified the phone, e-mail or address (spec 1.3)."""
        actor = self._store.require(Permission.VERIFY_CUSTOMERS)
        if item not in VERIFIABLE:
            raise ValidationError(FieldError("item", "choice",
                                             f"must be one of: {', '.join(VERIFIABLE)}"))
        with self._store.write() as session:
            row = self._editable(session, customer_id)
            if item == "email" and verified and not row.email:
                raise ValidationError(FieldError("email", "required",
                                                 "the customer has no e-mail address to verify"))
            now = self._store.clock() if verified else None
            self._set_verified(row, item, now, actor.staff_id if verified else None)
            row.updated_at = self._store.clock()
            self._audit.append(session, actor, "verify" if verified else "unverify",
                               "customer", row.id, {"code": row.code, "item": item})
            return Saved(summary_of(row), Changes(customers=frozenset({row.id})))

    @_publishes
    def record_id_check(self, customer_id: UUID, document_type: str,
                        last_digits: str) -> Saved:
        """Staff saw an ID document; only its type and last characters are kept."""
        actor = self._store.require(Permission.VERIFY_CUSTOMERS)
        errors = []
        kind = document_type.strip().lower()
        if kind not in [t.value for t in IdDocumentType]:
            errors.append(FieldError("id_document_type", "choice", "must be one of: "
                                     + ", ".join(t.value for t in IdDocumentType)))
        digits = last_digits.strip().upper()
        if not (2 <= len(digits) <= 6 and digits.isalnum()):
            errors.append(FieldError("id_document_last_digits", "format",
                                     "give the last 2 to 6 letters or digits only"))
        if errors:
            raise ValidationError(errors)
        with self._store.write() as session:
            row = self._editable(session, customer_id)
            row.id_document_type, row.id_document_last_digits = kind, digits
            row.id_checked_at, row.id_checked_by = self._store.clock(), actor.staff_id
            row.updated_at = self._store.clock()
            self._audit.append(session, actor, "id_check", "customer", row.id,
                               {"code": row.code, "type": kind, "last_digits": digits})
            return Saved(summary_of(row), Changes(customers=frozenset({row.id})))

    # -- reads that are audited -------------------------------------------------
    def open_profile(self, customer_id: UUID) -> CustomerProfile:
        """The profile, with a 'view' audit entry saying who looked (spec 13.2)."""
        actor = self._store.require(Permission.VIEW_CUSTOMERS)
        profile = self.profile(customer_id)
        with self._store.write() as session:
            self._audit.append(session, actor, "view", "customer", customer_id,
                               {"code": profile.summary.code})
        return profile

    def profile(self, customer_id: UUID) -> CustomerProfile:
        """The profile without recording a view (for internal use and edits)."""
        with self._store.read() as session:
            row = self._row(session, customer_id)
            staff_ids = {row.registered_by, row.phone_verified_by, row.email_verified_by,
                         row.address_validated_by, row.id_checked_by}
            docs = list(session.scalars(
                select(CustomerDocument).where(CustomerDocument.customer_id == customer_id)
                .order_by(CustomerDocument.added_at.desc())))
            staff_ids |= {d.added_by for d in docs}
            names: dict[UUID | None, str] = dict(session.execute(
                select(StaffDirectory.id, StaffDirectory.display_name).where(
                    StaffDirectory.id.in_([s for s in staff_ids if s]))).all())
            return CustomerProfile(
                summary=summary_of(row), values=values_of(row), updated_at=row.updated_at,
                registered_by=names.get(row.registered_by) if row.registered_by else None,
                marketing_consent_at=row.preferences.marketing_consent_at,
                loyalty_points=int(session.scalar(balance_query(customer_id)) or 0),
                loyalty_tier=row.loyalty.tier,
                verification=Verification(
                    row.phone_verified_at, names.get(row.phone_verified_by),
                    row.email_verified_at, names.get(row.email_verified_by),
                    row.address_validated_at, names.get(row.address_validated_by),
                    row.id_document_type, row.id_document_last_digits,
                    row.id_checked_at, names.get(row.id_checked_by)),
                documents=[document_of(d, names.get(d.added_by)) for d in docs],
            )

    # -- helpers ----------------------------------------------------------------
    def check_unique(self, session: Session, clean: dict[str, Any],
                     exclude: UUID | None = None) -> None:
        """One customer per phone and per e-mail (spec 2.3); names the holder."""
        errors = []
        for field in ("phone", "email"):
            value = clean.get(field)
            if not value:
                continue
            column = getattr(Customer, field)
            query = select(Customer.id, Customer.code, Customer.first_name,
                           Customer.last_name).where(column == value,
                                                     Customer.merged_into.is_(None))
            if exclude is not None:
                query = query.where(Customer.id != exclude)
            hit = session.execute(query).first()
            if hit:
                errors.append(FieldError(
                    field, "unique",
                    f"already belongs to customer {hit.code} ({hit.first_name} {hit.last_name})",
                    ref=str(hit.id)))
        if errors:
            raise ValidationError(errors)

    @staticmethod
    def holders(session: Session, field: str, values: Collection[str]) -> dict[str, str]:
        """value -> code of the (not merged) customer holding it, for `field` phone or
        email: the check of `check_unique` for many values at once (an import batch),
        run inside the write transaction that inserts them."""
        column = getattr(Customer, field)
        found: dict[str, str] = {}
        wanted = sorted({v for v in values if v})
        for start in range(0, len(wanted), 500):  # SQLite's bound-parameter limit
            for value, code in session.execute(
                    select(column, Customer.code).where(
                        column.in_(wanted[start:start + 500]), Customer.merged_into.is_(None))
                    .order_by(Customer.created_at.desc())):
                found[value] = code
        return found

    @staticmethod
    def _integrity(exc: IntegrityError) -> ValidationError:
        text = str(exc.orig)
        field = "email" if "email" in text else "phone" if "phone" in text else "customer"
        return ValidationError(FieldError(field, "unique",
                                          "is already used by another customer"))

    @staticmethod
    def _row(session: Session, customer_id: UUID) -> Customer:
        row = session.get(Customer, customer_id)
        if row is None:
            raise NotFound(f"no customer with id {customer_id}")
        return row

    @classmethod
    def _editable(cls, session: Session, customer_id: UUID) -> Customer:
        """The row to change; an erased customer's data cannot be entered again."""
        row = cls._row(session, customer_id)
        if consents.is_erased(session.connection(), customer_id):
            raise ValidationError(FieldError(
                "customer", "erased", "this customer's personal data was erased (right to "
                "be forgotten); register the person anew if they return"))
        return row

    @staticmethod
    def _set_verified(row: Customer, item: str, when: Any, who: UUID | None) -> None:
        prefix = {"phone": "phone_verified", "email": "email_verified",
                  "address": "address_validated"}[item]
        setattr(row, f"{prefix}_at", when)
        setattr(row, f"{prefix}_by", who)


__all__ = ["CustomerService", "Saved"]
