"""A customer's row by id or by code as typed: the lookup every area's services share.

Thread rule: any thread, inside the caller's session.
"""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import select
from sqlalchemy.orm import Session

from shopdesk.domain.codes import normalize_code
from shopdesk.errors import NotFound
from shopdesk.models import Customer


def customer_row(session: Session, customer: UUID | str) -> Customer:
    """The customer by id, or by code as typed ("k7qx-0042"); NotFound if none."""
    if isinstance(customer, UUID):
        row = session.get(Customer, customer)
        if row is None:
            raise NotFound(f"no customer with id {customer}")
        return row
    found = session.scalar(select(Customer).where(Customer.code == normalize_code(customer)))
    if found is None:
        raise NotFound(f"no customer with code {customer.strip()}")
    return found
