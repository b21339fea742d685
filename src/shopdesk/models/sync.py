"""This counter's side of sync: its identity, the outbox, and the conflicts it was told of.

None of these tables is itself synced. `SYNCED` names the tables that are, and
which of their columns stay on this counter (derived search columns, the
passcode encrypted with this counter's own key).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import BigInteger, CheckConstraint, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from shopdesk.models.base import Base


class SyncState(Base):
    """One row once this data directory joined a store; no row while it stands alone.

    `capture` switches the outbox triggers on; pull-apply turns it off inside its
    own transaction so pulled rows never echo back as local changes.
    """

    __tablename__ = "sync_state"
    __table_args__ = (CheckConstraint("one = 1", name="single_row"),)

    one: Mapped[int] = mapped_column(Integer, primary_key=True, default=1)
    capture: Mapped[int] = mapped_column(Integer, default=0)
    next_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    device_id: Mapped[str | None] = mapped_column(String(36))
    device_name: Mapped[str | None] = mapped_column(String(80))
    store_name: Mapped[str | None] = mapped_column(String(80))
    central_url: Mapped[str | None] = mapped_column(Text)  # never holds a password
    role_name: Mapped[str | None] = mapped_column(String(63))
    transport: Mapped[str] = mapped_column(String(8), default="direct")
    # Where this file was when it joined: a copy opened elsewhere is detected.
    db_path: Mapped[str | None] = mapped_column(Text)
    db_instance_id: Mapped[str | None] = mapped_column(String(36))
    pull_cursor: Mapped[int] = mapped_column(BigInteger, default=0)
    pull_target: Mapped[int] = mapped_column(BigInteger, default=0)
    device_last_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    server_epoch: Mapped[str | None] = mapped_column(String(36))
    last_sync_at: Mapped[str | None] = mapped_column(String(32))
    last_error: Mapped[str | None] = mapped_column(Text)
    paused_reason: Mapped[str | None] = mapped_column(Text)
    # The newest audit entry (JSON: node, seq, hash) the server has acknowledged:
    # `audit verify` compares the chain with it, and a push sends a newer one.
    audit_anchor: Mapped[str | None] = mapped_column(Text)
    # Adaptive sizes (issue 11): a call cut off by the server's statement timeout
    # is retried smaller, and the sizes grow back after successes; kept across runs.
    pull_page: Mapped[int | None] = mapped_column(Integer)
    push_batch: Mapped[int | None] = mapped_column(Integer)


class OutboxEntry(Base):
    """One local change waiting for (or answered by) the central server.

    Written by the capture triggers in the same transaction as the change
    itself; `device_seq` is gap-free and gives the order the server applies.
    Applied entries are deleted; rejected ones stay, with the reason, until
    staff dismiss them.
    """

    __tablename__ = "sync_outbox"
    __table_args__ = (
        CheckConstraint("status IN ('pending','rejected','conflict')", name="status"),
        Index("ix_sync_outbox_row", "table_name", "row_id"),
        Index("ix_sync_outbox_status", "status", "device_seq"),
    )

    device_seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    mutation_id: Mapped[str] = mapped_column(String(36), unique=True)
    kind: Mapped[str] = mapped_column(String(16), default="row")
    table_name: Mapped[str | None] = mapped_column(String(40))
    row_id: Mapped[str | None] = mapped_column(String(36))
    op: Mapped[str | None] = mapped_column(String(8))
    new_values: Mapped[str | None] = mapped_column(Text)  # JSON
    base_values: Mapped[str | None] = mapped_column(Text)  # JSON
    status: Mapped[str] = mapped_column(String(10), default="pending")
    result: Mapped[str | None] = mapped_column(Text)  # JSON from the server
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[str | None] = mapped_column(String(32))


class SyncConflict(Base):
    """A conflict the server recorded, as last pulled (kept in step by sync)."""

    __tablename__ = "sync_conflicts"
    __table_args__ = (Index("ix_sync_conflicts_status", "status"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(24))
    table_name: Mapped[str] = mapped_column(String(40))
    row_a: Mapped[str | None] = mapped_column(String(36))
    row_b: Mapped[str | None] = mapped_column(String(36))
    column_name: Mapped[str | None] = mapped_column(String(40))
    details: Mapped[str] = mapped_column(Text, default="{}")
    status: Mapped[str] = mapped_column(String(12), default="open")
    resolution: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[str | None] = mapped_column(String(32))
    resolved_at: Mapped[str | None] = mapped_column(String(32))


class QuarantinedRow(Base):
    """A pulled row this counter could not store, kept with the reason (issue 10).

    The rest of the page is applied; a manager sees these in the sync panel. A later
    version of the same row that can be stored resolves the entry by itself.
    """

    __tablename__ = "sync_quarantine"
    __table_args__ = (
        CheckConstraint("status IN ('open','resolved','dismissed')", name="status"),
        CheckConstraint("kind IN ('refused','orphan')", name="kind"),
        Index("ix_sync_quarantine_row", "table_name", "row_id"),
        Index("ix_sync_quarantine_status", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # refused: not stored; orphan: stored, but it refers to a row this counter lacks.
    kind: Mapped[str] = mapped_column(String(8), default="refused")
    table_name: Mapped[str] = mapped_column(String(40))
    row_id: Mapped[str] = mapped_column(String(64))
    server_seq: Mapped[int] = mapped_column(BigInteger)
    data: Mapped[str] = mapped_column(Text)  # as received, cut to ROW_BYTES
    reason: Mapped[str] = mapped_column(Text)
    received_at: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(10), default="open")


# How a terminal may write a synced table (the server enforces it, issue 10):
# shared: any store's terminal may insert and update (one customer base);
# store: only terminals of the store that inserted the row may update it;
# append: rows are inserted once and never changed.
MODES = ("shared", "store", "append")


@dataclass(frozen=True)
class SyncedTable:
    name: str
    local_only: frozenset[str] = frozenset()
    # Columns where the later arrival simply wins, without a conflict record
    # (bookkeeping instants that change on every edit).
    quiet: frozenset[str] = frozenset()
    # Counters: concurrent changes add up instead of overwriting each other.
    delta: frozenset[str] = frozenset()
    pk: str = "id"
    mode: str = "shared"
    # Columns no terminal may change once the row exists (the server refuses it).
    immutable: frozenset[str] = frozenset()
    # (column, parent table): an inserted row belongs to its parent's store.
    owner: tuple[str, str] | None = None
    # With per-store scoping on (`central setup --store-scoped`), a counter pulls only
    # its own store's rows of these tables (tickets, devices and what hangs off them).
    scoped: bool = False


_MADE = frozenset({"created_at", "created_by"})

SYNCED: tuple[SyncedTable, ...] = (
    SyncedTable("staff_directory", quiet=frozenset({"updated_at"}), mode="store",
                immutable=frozenset({"node"})),
    SyncedTable("customers", local_only=frozenset({"name_key", "last_key", "words", "phone_rev"}),
                quiet=frozenset({"updated_at", "last_visit_at"}),
                immutable=frozenset({"code", "created_at", "merged_into", "registered_by"})),
    SyncedTable("customer_preferences", pk="customer_id"),
    SyncedTable("customer_loyalty", pk="customer_id",
                immutable=frozenset({"opened_at"})),
    # The loyalty ledger and feedback (issue 17): facts, never changed once written.
    # Shared, not append, like the consent register: an entry whose id is derived from
    # what it is about (an expiry, an opening balance, an imported review) is the same
    # row with the same values on every counter that writes it, from any store, and
    # identical copies are accepted; a copy that differs is refused (immutable).
    SyncedTable("loyalty_entries", immutable=frozenset({
        "customer_id", "kind", "source", "points", "spend", "reason", "ticket_id", "ref_id",
        "expires_at", "staff_id", "actor", "created_at"})),
    SyncedTable("feedback", immutable=frozenset({
        "ticket_id", "customer_id", "channel", "csat", "nps", "ces", "speed", "quality",
        "price", "staff", "communication", "comment", "language", "sentiment", "categories",
        "technician_id", "service_kind", "platform", "external_id", "author", "node",
        "staff_id", "actor", "received_at"})),
    SyncedTable("feedback_actions", mode="append"),
    SyncedTable("customer_documents",
                immutable=frozenset({"content_hash", "added_by", "added_at"})),
    SyncedTable("devices", quiet=frozenset({"updated_at"}), immutable=frozenset({"created_at"}),
                scoped=True),
    SyncedTable("device_owners", scoped=True),
    SyncedTable("repair_tickets", quiet=frozenset({"updated_at"}), mode="store",
                immutable=_MADE | {"number"}, scoped=True),
    SyncedTable("ticket_devices", local_only=frozenset({"passcode_encrypted"}), mode="store",
                immutable=frozenset({"ticket_id"}), owner=("ticket_id", "repair_tickets"),
                scoped=True),
    SyncedTable("ticket_status_changes", mode="append", owner=("ticket_id", "repair_tickets"),
                scoped=True),
    # Never deleted (no synced row is): a line taken off the ticket gets removed_at.
    SyncedTable("ticket_work_lines", quiet=frozenset({"updated_at"}), mode="store",
                immutable=frozenset({"ticket_id", "created_at"}),
                owner=("ticket_id", "repair_tickets"), scoped=True),
    SyncedTable("customer_services", mode="store", owner=("ticket_id", "repair_tickets"),
                scoped=True),
    SyncedTable("service_parts", mode="store", immutable=frozenset({"service_id"}),
                owner=("service_id", "customer_services"), scoped=True),
    SyncedTable("support_tickets", quiet=frozenset({"updated_at"}), mode="store",
                immutable=_MADE | {"number"}, scoped=True),
    SyncedTable("support_events", mode="append", owner=("ticket_id", "support_tickets"),
                scoped=True),
    # The consent register: rows never change once written. Shared, not append: a row
    # migrated from an opt-in is the same row (same id, same values) on every counter
    # that had the customer, and each may send it; identical copies are accepted.
    SyncedTable("customer_consents",
                immutable=frozenset({"customer_id", "purpose", "granted", "method", "at",
                                     "recorded_at", "recorded_by", "note"})),
    # Erasure tombstones: written once; the server makes them when it erases.
    SyncedTable("customer_erasures", pk="customer_id", mode="append"),
    # Messaging (issue 16). `node` never changes: it names the only counter that may
    # send the message, and a second counter writing the same automation row is refused.
    # Scoped like the tickets they name: with per-store scoping a store's counters get
    # only its own; replies from customers (no store) reach every store.
    SyncedTable("appointments", quiet=frozenset({"updated_at"}), mode="store",
                immutable=_MADE, scoped=True),
    SyncedTable("messages", quiet=frozenset({"updated_at"}), mode="store",
                immutable=frozenset({"node", "created_at", "direction"}), scoped=True),
    SyncedTable("message_receipts", mode="append", scoped=True),
    SyncedTable("message_templates", quiet=frozenset({"updated_at"})),
    SyncedTable("verification_codes", mode="store",
                immutable=frozenset({"node", "code_hash", "customer_id", "created_at"})),
)
SYNCED_BY_NAME = {t.name: t for t in SYNCED}

# Columns that point at a customer: the server follows merge redirects on them.
CUSTOMER_REFS: dict[str, str] = {
    "customer_preferences": "customer_id", "customer_loyalty": "customer_id",
    "customer_documents": "customer_id", "devices": "customer_id",
    "device_owners": "customer_id", "repair_tickets": "customer_id",
    "customer_services": "customer_id", "support_tickets": "customer_id",
    "customer_consents": "customer_id",
    "appointments": "customer_id", "messages": "customer_id",
    "verification_codes": "customer_id",
    # A merge re-points the loser's ledger and feedback at the survivor (issue 17).
    "loyalty_entries": "customer_id", "feedback": "customer_id",
}
# Other parent references the server checks exist before accepting a row.
PARENT_REFS: tuple[tuple[str, str, str], ...] = (
    ("device_owners", "device_id", "devices"),
    ("ticket_devices", "ticket_id", "repair_tickets"),
    ("ticket_devices", "device_id", "devices"),
    ("ticket_status_changes", "ticket_id", "repair_tickets"),
    ("ticket_work_lines", "ticket_id", "repair_tickets"),
    ("ticket_work_lines", "device_id", "devices"),
    ("service_parts", "service_id", "customer_services"),
    ("support_events", "ticket_id", "support_tickets"),
    ("message_receipts", "message_id", "messages"),
    ("loyalty_entries", "ticket_id", "repair_tickets"),
    ("feedback", "ticket_id", "repair_tickets"),
)

__all__ = [
    "CUSTOMER_REFS",
    "MODES",
    "PARENT_REFS",
    "SYNCED",
    "SYNCED_BY_NAME",
    "OutboxEntry",
    "QuarantinedRow",
    "SyncConflict",
    "SyncState",
    "SyncedTable",
]
