"""Advanced search filters (spec 3.2), applied in SQL alone or with text."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.sql import ColumnElement

from shopdesk.domain.choices import Channel, ContactMethod, CustomerType
from shopdesk.errors import FieldError, ValidationError
from shopdesk.models import Customer, CustomerPreferences, ServiceRecord


@dataclass(frozen=True)
class SearchFilters:
    """Every field is optional; all given ones must hold."""

    customer_type: str | None = None
    registered_from: date | None = None
    registered_to: date | None = None
    last_service_from: date | None = None
    last_service_to: date | None = None
    service_kind: str | None = None
    location: str | None = None  # city, postcode (start) or region
    preferred_contact: str | None = None
    marketing_opt_in: bool | None = None
    channel: str | None = None
    active_only: bool = False

    @property
    def empty(self) -> bool:
        return self == SearchFilters()

    def key(self) -> tuple[Any, ...]:
        return tuple(self.__dict__.values())

    def validate(self) -> None:
        errors = []
        for field, value, enum in (("customer_type", self.customer_type, CustomerType),
                                   ("preferred_contact", self.preferred_contact, ContactMethod),
                                   ("channel", self.channel, Channel)):
            if value is not None and value not in [m.value for m in enum]:
                errors.append(FieldError(field, "choice", "must be one of: "
                                         + ", ".join(m.value for m in enum)))
        for field, lo, hi in (("registered", self.registered_from, self.registered_to),
                              ("last_service", self.last_service_from, self.last_service_to)):
            if lo and hi and lo > hi:
                errors.append(FieldError(f"{field}_to", "date_range",
                                         "is before the start of the range"))
        if errors:
            raise ValidationError(errors)


def _start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _end(day: date) -> datetime:
    return _start(day + timedelta(days=1))


def conditions(f: SearchFilters) -> list[ColumnElement[bool]]:
    """SQL conditions on `Customer` for the given filters."""
    out: list[ColumnElement[bool]] = []
    if f.customer_type:
        out.append(Customer.customer_type == f.customer_type)
    if f.registered_from:
        out.append(Customer.created_at >= _start(f.registered_from))
    if f.registered_to:
        out.append(Customer.created_at < _end(f.registered_to))
    if f.active_only:
        out.append(Customer.is_active.is_(True))
    if f.channel:
        out.append(Customer.channel == f.channel)
    if f.location:
        place = f.location.strip()
        out.append(or_(func.lower(Customer.city) == place.lower(),
                       func.lower(Customer.region) == place.lower(),
                       Customer.postcode.like(place.upper().replace(" ", "") + "%"),
                       Customer.postcode.like(place.upper() + "%")))
    if f.preferred_contact or f.marketing_opt_in is not None:
        prefs = [CustomerPreferences.customer_id == Customer.id]
        if f.preferred_contact:
            prefs.append(CustomerPreferences.preferred_contact == f.preferred_contact)
        if f.marketing_opt_in is not None:
            prefs.append(CustomerPreferences.marketing_opt_in.is_(f.marketing_opt_in))
        out.append(exists(select(1).where(and_(*prefs))))
    if f.service_kind:
        out.append(exists(select(1).where(ServiceRecord.customer_id == Customer.id,
                                          ServiceRecord.kind == f.service_kind)))
    if f.last_service_from or f.last_service_to:
        last = (select(func.max(ServiceRecord.occurred_at))
                .where(ServiceRecord.customer_id == Customer.id).scalar_subquery())
        if f.last_service_from:
            out.append(last >= _start(f.last_service_from))
        if f.last_service_to:
            out.append(last < _end(f.last_service_to))
    return out
