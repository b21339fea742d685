"""Staff roles and the one table saying which role may do what."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    FRONT_DESK = "front_desk"
    TECHNICIAN = "technician"
    SUPERVISOR = "supervisor"
    MANAGER = "manager"
    OWNER = "owner"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()

    @property
    def rank(self) -> int:
        return list(Role).index(self)


class Permission(StrEnum):
    VIEW_CUSTOMERS = "view_customers"
    REGISTER_CUSTOMERS = "register_customers"
    EDIT_CUSTOMERS = "edit_customers"
    DEACTIVATE_CUSTOMERS = "deactivate_customers"
    VERIFY_CUSTOMERS = "verify_customers"
    ATTACH_DOCUMENTS = "attach_documents"
    IMPORT_EXPORT = "import_export"
    MANAGE_STAFF = "manage_staff"
    READ_AUDIT = "read_audit"
    CHANGE_SETTINGS = "change_settings"
    VIEW_REPAIRS = "view_repairs"
    MANAGE_DEVICES = "manage_devices"
    MANAGE_TICKETS = "manage_tickets"
    RECORD_SERVICES = "record_services"
    HANDLE_SUPPORT = "handle_support"
    REFUND = "refund"
    MERGE_CUSTOMERS = "merge_customers"
    RESOLVE_CONFLICTS = "resolve_conflicts"
    ADJUST_LOYALTY = "adjust_loyalty"  # grant or take points by hand, with a reason
    RECORD_FEEDBACK = "record_feedback"
    MANAGE_FEEDBACK = "manage_feedback"  # import reviews, record improvement actions
    # Every role may hold it, but the repair service also requires the actor to
    # be the technician assigned to the ticket (checked per ticket, not per role).
    REVEAL_PASSCODE = "reveal_passcode"
    BACK_UP = "back_up"
    # Restoring replaces data (and shows the recovery key that opens every backup).
    RESTORE_BACKUPS = "restore_backups"
    # Privacy (spec 13.1): consents are recorded at the counter; erasing a person and
    # handing over everything held about them are a manager's decision.
    RECORD_CONSENT = "record_consent"
    ERASE_CUSTOMERS = "erase_customers"
    EXPORT_PERSONAL_DATA = "export_personal_data"


_ALL = frozenset(Role)
_SUPERVISOR_UP = frozenset({Role.SUPERVISOR, Role.MANAGER, Role.OWNER})
_MANAGER_UP = frozenset({Role.MANAGER, Role.OWNER})

PERMISSIONS: dict[Permission, frozenset[Role]] = {
    Permission.VIEW_CUSTOMERS: _ALL,
    Permission.REGISTER_CUSTOMERS: _ALL,
    Permission.EDIT_CUSTOMERS: _ALL,
    Permission.ATTACH_DOCUMENTS: _ALL,
    Permission.VERIFY_CUSTOMERS: frozenset({Role.FRONT_DESK}) | _SUPERVISOR_UP,
    Permission.DEACTIVATE_CUSTOMERS: _SUPERVISOR_UP,
    Permission.IMPORT_EXPORT: _MANAGER_UP,
    Permission.MANAGE_STAFF: _MANAGER_UP,
    Permission.READ_AUDIT: _MANAGER_UP,
    Permission.CHANGE_SETTINGS: _MANAGER_UP,
    Permission.MERGE_CUSTOMERS: _SUPERVISOR_UP,
    Permission.RESOLVE_CONFLICTS: _SUPERVISOR_UP,
    Permission.VIEW_REPAIRS: _ALL,
    Permission.MANAGE_DEVICES: _ALL,
    Permission.MANAGE_TICKETS: _ALL,
    Permission.RECORD_SERVICES: _ALL,
    Permission.HANDLE_SUPPORT: _ALL,
    Permission.REFUND: _MANAGER_UP,
    Permission.REVEAL_PASSCODE: _ALL,
    Permission.BACK_UP: _ALL,
    Permission.RESTORE_BACKUPS: _MANAGER_UP,
    Permission.RECORD_CONSENT: _ALL,
    Permission.ERASE_CUSTOMERS: _MANAGER_UP,
    Permission.EXPORT_PERSONAL_DATA: _MANAGER_UP,
    Permission.ADJUST_LOYALTY: _SUPERVISOR_UP,
    Permission.RECORD_FEEDBACK: _ALL,
    Permission.MANAGE_FEEDBACK: _MANAGER_UP,
}


def allowed(role: Role | str, permission: Permission) -> bool:
    return Role(role) in PERMISSIONS[permission]
