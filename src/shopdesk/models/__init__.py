"""SQLAlchemy 2 typed models on one DeclarativeBase; import this to register all tables."""

from shopdesk.models.audit import AuditEntry
from shopdesk.models.base import Base
from shopdesk.models.customers import (
    Customer,
    CustomerDocument,
    CustomerLoyalty,
    CustomerPreferences,
    ServicePart,
    ServiceRecord,
)
from shopdesk.models.devices import Device, DeviceOwner
from shopdesk.models.meta import LocalMeta, Setting
from shopdesk.models.repairs import RepairTicket, TicketDevice, TicketStatusChange
from shopdesk.models.staff import Staff
from shopdesk.models.support import SupportEvent, SupportTicket
from shopdesk.models.sync import OutboxEntry, SyncConflict, SyncState

__all__ = [
    "AuditEntry", "Base", "Customer", "CustomerDocument", "CustomerLoyalty",
    "CustomerPreferences", "Device", "DeviceOwner", "LocalMeta", "OutboxEntry", "RepairTicket",
    "ServicePart", "ServiceRecord", "Setting", "Staff", "SupportEvent", "SupportTicket",
    "SyncConflict", "SyncState",
    "TicketDevice", "TicketStatusChange",
]
