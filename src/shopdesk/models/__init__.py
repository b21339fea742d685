"""SQLAlchemy 2 typed models on one DeclarativeBase; import this to register all tables."""

from shopdesk.models.audit import AuditEntry
from shopdesk.models.base import Base
from shopdesk.models.customers import (
    Customer,
    CustomerDocument,
    CustomerLoyalty,
    CustomerPreferences,
    ServiceRecord,
)
from shopdesk.models.meta import LocalMeta, Setting
from shopdesk.models.staff import Staff

__all__ = [
    "AuditEntry", "Base", "Customer", "CustomerDocument", "CustomerLoyalty",
    "CustomerPreferences", "LocalMeta", "ServiceRecord", "Setting", "Staff",
]
