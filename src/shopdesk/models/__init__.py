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
from shopdesk.models.feedback import Feedback, FeedbackAction
from shopdesk.models.loyalty import LoyaltyEntry
from shopdesk.models.messaging import (
    Appointment,
    Message,
    MessageReceipt,
    MessageTemplate,
    VerificationCode,
)
from shopdesk.models.meta import LocalMeta, Setting
from shopdesk.models.privacy import AuditKey, CustomerConsent, CustomerErasure
from shopdesk.models.repairs import (
    RepairTicket,
    TicketDevice,
    TicketStatusChange,
    TicketWorkLine,
)
from shopdesk.models.staff import Staff, StaffDirectory
from shopdesk.models.support import SupportEvent, SupportTicket
from shopdesk.models.sync import OutboxEntry, QuarantinedRow, SyncConflict, SyncState

__all__ = [
    "Appointment",
    "AuditEntry",
    "AuditKey",
    "Base",
    "Customer",
    "CustomerConsent",
    "CustomerDocument",
    "CustomerErasure",
    "CustomerLoyalty",
    "CustomerPreferences",
    "Device",
    "DeviceOwner",
    "Feedback",
    "FeedbackAction",
    "LocalMeta",
    "LoyaltyEntry",
    "Message",
    "MessageReceipt",
    "MessageTemplate",
    "OutboxEntry",
    "QuarantinedRow",
    "RepairTicket",
    "ServicePart",
    "ServiceRecord",
    "Setting",
    "Staff",
    "StaffDirectory",
    "SupportEvent",
    "SupportTicket",
    "SyncConflict",
    "SyncState",
    "TicketDevice",
    "TicketStatusChange",
    "TicketWorkLine",
    "VerificationCode",
]
