"""Which columns hold personal data, and what erasing a customer does to each.

The one registry the right to be forgotten, data portability and the audit trail's
sealing are driven from (spec 13.1). Every table that belongs to a customer (its
own `customer_id`, or a parent that has one) is listed with every column, each
classified:

- ``erase``: personal; emptied on erasure (NULL, or the placeholder a NOT NULL
  column needs);
- ``pseudonymise``: personal, but the row must stay readable (a name, a phone
  number the rules require); replaced by a fixed placeholder;
- ``reset``: not personal, but erasure sets it (the customer becomes inactive,
  consents to contact end);
- ``keep``: not identifying, or kept because the law makes the shop keep it
  (invoices, service and device records for warranty), with the reason;
- ``derived``: computed from the columns above (search keys), recomputed.

A table whose rows are deleted on erasure (only local, unsynced tables may be) is
in `DELETED`. `tests/core/test_privacy_contract.py` enumerates every table and
column of the models and fails when one that belongs to a customer is missing here
or is not covered by both erasure and export: a new feature cannot forget.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ERASE, PSEUDONYMISE, RESET, KEEP, DERIVED = "erase", "pseudonymise", "reset", "keep", "derived"
TREATMENTS = (ERASE, PSEUDONYMISE, RESET, KEEP, DERIVED)
# A placeholder computed per row: a phone number no one has, unique to the erased
# customer (so two erased customers never look like duplicates), from the row id.
PHONE_FROM_ID = "phone_from_id"


@dataclass(frozen=True)
class Personal:
    treatment: str
    placeholder: Any = None
    derive: str | None = None  # PHONE_FROM_ID
    why: str = ""

    @property
    def scrubbed(self) -> bool:
        """Whether erasure writes this column."""
        return self.treatment in (ERASE, PSEUDONYMISE, RESET)


def _erase(placeholder: Any = None) -> Personal:
    return Personal(ERASE, placeholder)


def _pseudo(placeholder: Any = None, derive: str | None = None) -> Personal:
    return Personal(PSEUDONYMISE, placeholder, derive)


def _keep(why: str) -> Personal:
    return Personal(KEEP, why=why)


def _reset(value: Any) -> Personal:
    return Personal(RESET, value)


E = _erase()
ID = _keep("a random id, not personal by itself")
STAFF = _keep("a staff member, not the customer")
WHEN = _keep("a date of the shop's own records")
LAW = _keep("the shop must keep it (invoice, warranty, device history)")
REF = _keep("a reference to another record")
DERIVE = Personal(DERIVED, why="recomputed from the pseudonymised values")
ERASED_PHONE_PREFIX = "+999"  # an unassigned country code: no real number starts so

REGISTRY: dict[str, dict[str, Personal]] = {
    "customers": {
        "id": ID, "code": _keep("the pseudonym the kept records go by"),
        "first_name": _pseudo("Erased"), "last_name": _pseudo("customer"),
        "name_key": DERIVE, "last_key": DERIVE, "words": DERIVE, "phone_rev": DERIVE,
        "phone": _pseudo(derive=PHONE_FROM_ID), "email": E,
        "address_line1": E, "address_line2": E,
        "city": _keep("coarse location, kept for statistics"),
        "region": _keep("coarse location, kept for statistics"),
        "postcode": E, "country": _keep("the tax jurisdiction of the invoices"),
        "date_of_birth": E, "gender": E, "occupation": E, "company": E,
        "secondary_phone": E, "whatsapp": E,
        "customer_type": _keep("individual or business, not identifying"),
        "notes": E, "is_active": _reset(False), "merged_into": REF,
        "channel": _keep("how they registered, not identifying"),
        "registered_by": STAFF, "created_at": WHEN, "updated_at": WHEN,
        "last_visit_at": WHEN,
        "phone_verified_at": E, "phone_verified_by": E, "email_verified_at": E,
        "email_verified_by": E, "address_validated_at": E, "address_validated_by": E,
        "id_document_type": E, "id_document_last_digits": E, "id_checked_at": E,
        "id_checked_by": E,
    },
    "customer_preferences": {
        "customer_id": REF, "preferred_contact": _keep("a channel choice, not identifying"),
        "best_time": _keep("not identifying"), "language": _keep("not identifying"),
        "marketing_opt_in": _reset(False), "marketing_consent_at": E,
        "service_notifications": _reset(False),
    },
    "customer_loyalty": {
        "customer_id": REF, "tier": _keep("not identifying"), "opened_at": WHEN,
        "tier_since": WHEN, "below_since": WHEN, "referred_by": REF,
    },
    # The loyalty ledger (issue 17): the points are the shop's accounts; what staff
    # typed about the customer goes.
    "loyalty_entries": {
        "id": ID, "customer_id": REF, "kind": LAW, "source": LAW, "points": LAW,
        "spend": LAW, "reason": _erase(""), "ticket_id": REF, "ref_id": REF,
        "expires_at": WHEN, "staff_id": STAFF, "actor": STAFF, "created_at": WHEN,
    },
    # Feedback (issue 17): the scores stay for the shop's statistics, anonymous; the
    # customer's own words and a reviewer's name and review id go.
    "feedback": {
        "id": ID, "ticket_id": REF, "customer_id": REF,
        "channel": _keep("not identifying"), "csat": _keep("anonymous statistics"),
        "nps": _keep("anonymous statistics"), "ces": _keep("anonymous statistics"),
        "speed": _keep("anonymous statistics"), "quality": _keep("anonymous statistics"),
        "price": _keep("anonymous statistics"), "staff": _keep("anonymous statistics"),
        "communication": _keep("anonymous statistics"), "comment": _erase(""),
        "language": _keep("not identifying"), "sentiment": _keep("anonymous statistics"),
        "categories": _keep("anonymous statistics"), "technician_id": STAFF,
        "service_kind": _keep("not identifying"), "platform": _keep("not identifying"),
        "external_id": E, "author": E, "node": _keep("which counter recorded it"),
        "staff_id": STAFF, "actor": STAFF, "received_at": WHEN,
    },
    "customer_documents": {
        "id": ID, "customer_id": REF, "kind": _keep("what kind of file it was"),
        "title": _pseudo("erased document"), "filename": _pseudo("erased"),
        # The stored file is deleted too (when no other record uses it).
        "content_hash": _pseudo("0" * 64), "size": _keep("not identifying"),
        "added_by": STAFF, "added_at": WHEN,
    },
    "customer_services": {
        "id": ID, "customer_id": REF, "occurred_at": WHEN, "kind": LAW, "description": LAW,
        "staff_id": STAFF, "device_id": REF, "ticket_id": REF, "technician_id": STAFF,
        "labour": LAW, "total": LAW, "payment_method": LAW,
        "satisfaction": _keep("a rating, kept for statistics"),
    },
    "service_parts": {
        "id": ID, "service_id": REF, "name": LAW, "sku": LAW, "quantity": LAW,
        "unit_price": LAW,
    },
    "devices": {
        "id": ID, "make": LAW, "model": LAW, "imei": LAW, "imei2": LAW, "serial": LAW,
        "tac": LAW, "purchase_date": LAW, "manufacturer_warranty_until": LAW,
        "shop_warranty_until": LAW, "condition": LAW, "customer_id": REF,
        "created_at": WHEN, "updated_at": WHEN,
    },
    "device_owners": {
        "id": ID, "device_id": REF, "customer_id": REF, "from_at": LAW, "to_at": LAW,
    },
    "repair_tickets": {
        "id": ID, "number": _keep("the invoice number"), "customer_id": REF, "status": LAW,
        "technician_id": STAFF, "estimate": LAW, "estimate_approved": LAW,
        "approved_at": LAW, "deposit": LAW, "final_amount": LAW, "payment_method": LAW,
        "warranty_rework": LAW, "created_by": STAFF, "created_at": WHEN, "updated_at": WHEN,
        "collected_at": LAW, "promised_by": WHEN,
    },
    "ticket_devices": {
        "id": ID, "ticket_id": REF, "device_id": REF, "position": LAW, "fault": LAW,
        "checklist": LAW, "pre_existing_faults": LAW, "accessories": LAW,
        "passcode_encrypted": E,
    },
    "ticket_work_lines": {  # the invoice's lines: parts and labour, kept with the invoice
        "id": ID, "ticket_id": REF, "device_id": REF, "position": LAW, "kind": LAW,
        "description": LAW, "sku": LAW, "quantity": LAW, "unit_price": LAW,
        "created_at": WHEN, "updated_at": WHEN, "removed_at": WHEN,
    },
    "ticket_status_changes": {
        "id": ID, "ticket_id": REF, "from_status": LAW, "to_status": LAW, "staff_id": STAFF,
        "actor": STAFF, "at": WHEN, "note": _erase(""),
    },
    "support_tickets": {
        "id": ID, "number": _keep("the case number"), "customer_id": REF,
        "repair_ticket_id": REF, "device_id": REF, "priority": LAW, "status": LAW,
        "level": LAW, "complaint": LAW, "subject": _pseudo("(erased)"),
        "description": _pseudo("(erased)"), "due_at": WHEN, "resolved_at": WHEN,
        "resolution": E, "refund": LAW, "created_by": STAFF, "created_at": WHEN,
        "updated_at": WHEN,
    },
    "support_events": {
        "id": ID, "ticket_id": REF, "kind": LAW, "step": LAW, "from_level": LAW,
        "to_level": LAW, "note": _erase(""), "staff_id": STAFF, "actor": STAFF, "at": WHEN,
    },
    "customer_consents": {
        "id": ID, "customer_id": REF,
        "purpose": _keep("proof the shop processed lawfully"),
        "granted": _keep("proof the shop processed lawfully"),
        "method": _keep("proof the shop processed lawfully"),
        "at": WHEN, "recorded_at": WHEN, "recorded_by": STAFF, "note": E,
    },
    "customer_erasures": {
        "customer_id": REF, "erased_at": WHEN, "erased_by": STAFF,
        "reason": _keep("the record of the erasure itself (staff write no personal data)"),
    },
    "audit_keys": {
        "customer_id": REF, "wrapped": _erase(), "created_at": WHEN,
    },
    # Messaging (issue 16): what was said to and by the customer is erased; channel,
    # status and times stay (contact statistics), naming no one.
    "messages": {
        "id": ID, "customer_id": REF, "ticket_id": REF, "appointment_id": REF,
        "template": _keep("which automated message, not identifying"),
        "channel": _keep("not identifying"), "direction": _keep("not identifying"),
        "purpose": _keep("not identifying"), "language": _keep("not identifying"),
        "to_address": E, "subject": E, "body": _erase(""),
        "status": _keep("not identifying"), "outcome": _keep("a call's outcome, no content"),
        "node": _keep("the counter that wrote it"), "dedupe_key": REF, "due_at": WHEN,
        "next_attempt_at": WHEN, "attempts": _keep("not identifying"),
        "attempt_id": _keep("a random id, not personal by itself"), "attempt_at": WHEN,
        "provider_id": E, "last_error": E, "sent_at": WHEN, "staff_id": STAFF,
        "actor": STAFF, "created_at": WHEN, "updated_at": WHEN,
    },
    "message_receipts": {
        "id": ID, "message_id": REF, "provider_id": _pseudo("erased"),
        "status": _keep("not identifying"), "at": WHEN, "error": E,
    },
    "appointments": {
        "id": ID, "customer_id": REF, "device_id": REF, "ticket_id": REF, "day": WHEN,
        "starts_at": WHEN, "duration_minutes": _keep("not identifying"),
        "reason": _pseudo("(erased)"), "status": _keep("not identifying"),
        "created_by": STAFF, "created_at": WHEN, "updated_at": WHEN,
    },
    "verification_codes": {
        "id": ID, "customer_id": REF, "item": _keep("phone or email, not identifying"),
        "address": _erase(""), "code_hash": _erase("0" * 64), "link_hash": E,
        "channel": _keep("not identifying"), "node": _keep("the counter that wrote it"),
        "expires_at": WHEN, "attempts": _keep("not identifying"),
        "status": _keep("not identifying"), "verified_how": _keep("how, not who"),
        "verified_at": WHEN, "created_at": WHEN,
    },
}

# How each table reaches its customer: (column, parent table or None for a customer id).
CUSTOMER_PATH: dict[str, tuple[str, str | None]] = {
    "customers": ("id", None),
    **{t: ("customer_id", None) for t in (
        "customer_preferences", "customer_loyalty", "customer_documents",
        "customer_services", "devices", "device_owners", "repair_tickets",
        "support_tickets", "customer_consents", "customer_erasures", "audit_keys",
        "loyalty_entries", "feedback")},
    "messages": ("customer_id", None), "appointments": ("customer_id", None),
    "verification_codes": ("customer_id", None),
    "message_receipts": ("message_id", "messages"),
    "ticket_devices": ("ticket_id", "repair_tickets"),
    "ticket_status_changes": ("ticket_id", "repair_tickets"),
    "ticket_work_lines": ("ticket_id", "repair_tickets"),
    "service_parts": ("service_id", "customer_services"),
    "support_events": ("ticket_id", "support_tickets"),
}

# Local tables whose rows erasure deletes (a destroyed key cannot be a placeholder).
DELETED = {"audit_keys": "the key that opens the customer's sealed audit values"}

# Left out of a person's data export, with the reason given in the archive's README.
NOT_EXPORTED = {
    "audit_keys": "a secret key of this counter; the audit entries it opens are exported, "
                  "readable",
}
NOT_EXPORTED_COLUMNS = {
    ("ticket_devices", "passcode_encrypted"): "the device passcode, kept encrypted with this "
                                              "counter's key and erased at pickup",
}

# Tables that hold no customer's data of their own, and why. Bookkeeping tables that
# may carry copies of personal values are scrubbed by erasure as well (`SCRUBBED`).
NOT_PERSONAL: dict[str, str] = {
    "staff": "staff accounts (staff data, not customers')",
    "staff_directory": "staff names and roles (staff data, not customers')",
    "settings": "shop settings",
    "local_meta": "this counter's own bookkeeping",
    "sync_state": "this counter's sync identity",
    "audit_log": "personal values are sealed with the customer's key (audit_keys)",
    "sync_outbox": "queued changes: erasure scrubs the erased rows' values",
    "sync_conflicts": "conflict reports: erasure clears the erased rows' details",
    "sync_quarantine": "held rows: erasure clears the erased rows' copies",
    "alembic_version": "the schema revision",
    "message_templates": "the shop's message texts",
    "feedback_actions": "the shop's improvement actions (no customer in them)",
}
SCRUBBED = ("sync_outbox", "sync_conflicts", "sync_quarantine")

# Audit entries about these entities belong to the customer their row points at.
AUDIT_SUBJECTS: dict[str, str] = {
    "device": "devices", "repair_ticket": "repair_tickets",
    "support_ticket": "support_tickets", "service": "customer_services",
    "appointment": "appointments",
}
# Audit detail keys that hold free text or personal values, sealed when the entry has
# a customer; values under "fields" are sealed when the registry says the column is.
SEALED_DETAIL_KEYS = frozenset({"note", "reason", "filename", "last_digits", "type",
                                "title", "subject", "description", "resolution", "fault",
                                "sha256"})


def scrubbed_columns(table: str) -> dict[str, Personal]:
    return {c: p for c, p in REGISTRY.get(table, {}).items() if p.scrubbed}


def is_personal(table: str, column: str) -> bool:
    entry = REGISTRY.get(table, {}).get(column)
    return entry is not None and entry.treatment in (ERASE, PSEUDONYMISE, RESET)


def erased_phone(row_id: str) -> str:
    """The placeholder phone of an erased customer: +999 and 11 digits from the id
    (the id is random and not personal, so nothing of the person is in it)."""
    digits = int(row_id.replace("-", "")[:12], 16) % 10**11
    return f"{ERASED_PHONE_PREFIX}{digits:011d}"


def placeholder(table: str, column: str, row_id: str) -> Any:
    entry = REGISTRY[table][column]
    if entry.derive == PHONE_FROM_ID:
        return erased_phone(row_id)
    return entry.placeholder


def linked_tables() -> list[str]:
    """The tables that belong to a customer, parents before children."""
    order: list[str] = []

    def visit(table: str) -> None:
        if table in order:
            return
        parent = CUSTOMER_PATH[table][1]
        if parent is not None:
            visit(parent)
        order.append(table)

    for table in CUSTOMER_PATH:
        visit(table)
    return order
