"""Privacy (issue 15): the consent register, erasure tombstones, audit keys.

- `customer_consents` (synced): one row per grant or withdrawal. The marketing
  opt-ins and service-notification refusals already stored become its first rows,
  so the register and `customer_preferences` agree from the start. Their ids and
  values are derived from the customer (id, consent time), so every counter that
  holds the customer makes the very same rows, and the server accepts each copy.
- `customer_erasures` (synced): one tombstone per erased customer.
- `audit_keys` (local): the per-customer keys that seal personal values in the
  audit trail.

Capture triggers are installed for the new synced tables before the register is
filled, so a joined counter sends its carried-over consents like any new record;
the erasure guard triggers (`db.privacy_guard`) are installed last. A joined counter
pulls everything once more (its cursor goes back to 0): while it ran the older
version it skipped rows of tables it did not know.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from shopdesk.db import capture, privacy_guard

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

# Two hex digits per purpose end a carried-over row's id (the customer's id gives the
# rest), so the same customer's rows have the same ids on every counter.
_WHEN = "coalesce(p.marketing_consent_at, c.created_at)"
# Service notifications are allowed unless refused: only a refusal is carried over.
_CARRIED = (
    ("06", "service_notifications", "p.service_notifications = 0", "0", "c.created_at"),
    ("02", "marketing_whatsapp", "p.marketing_opt_in = 1", "1", _WHEN),
    ("03", "marketing_sms", "p.marketing_opt_in = 1", "1", _WHEN),
    ("04", "marketing_email", "p.marketing_opt_in = 1", "1", _WHEN),
    ("05", "marketing_phone", "p.marketing_opt_in = 1", "1", _WHEN),
)
NOTE = "carried over from the preferences of an earlier version"


def upgrade() -> None:
    op.create_table(
        'customer_consents',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('customer_id', sa.Uuid(), nullable=False),
        sa.Column('purpose', sa.String(length=24), nullable=False),
        sa.Column('granted', sa.Boolean(), nullable=False),
        sa.Column('method', sa.String(length=12), nullable=False),
        sa.Column('at', sa.String(length=32), nullable=False),
        sa.Column('recorded_at', sa.String(length=32), nullable=False),
        sa.Column('recorded_by', sa.Uuid(), nullable=True),
        sa.Column('note', sa.Text(), nullable=True),
        sa.CheckConstraint(
            "purpose IN ('service_notifications','marketing_whatsapp','marketing_sms',"
            "'marketing_email','marketing_phone','id_scan','data_processing')",
            name=op.f('ck_customer_consents_purpose')),
        sa.CheckConstraint("method IN ('signed_form','online','verbal','imported')",
                           name=op.f('ck_customer_consents_method')),
        sa.ForeignKeyConstraint(['customer_id'], ['customers.id'],
                                name=op.f('fk_customer_consents_customer_id_customers')),
        sa.ForeignKeyConstraint(['recorded_by'], ['staff_directory.id'],
                                name=op.f('fk_customer_consents_recorded_by_staff_directory')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_customer_consents')),
    )
    op.create_index('ix_customer_consents_customer', 'customer_consents',
                    ['customer_id', 'purpose', 'at'])
    op.create_index('ix_customer_consents_purpose', 'customer_consents', ['purpose', 'at'])
    op.create_table(
        'customer_erasures',
        sa.Column('customer_id', sa.Uuid(), nullable=False),
        sa.Column('erased_at', sa.String(length=32), nullable=False),
        sa.Column('erased_by', sa.Uuid(), nullable=True),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['customer_id'], ['customers.id'],
                                name=op.f('fk_customer_erasures_customer_id_customers')),
        sa.ForeignKeyConstraint(['erased_by'], ['staff_directory.id'],
                                name=op.f('fk_customer_erasures_erased_by_staff_directory')),
        sa.PrimaryKeyConstraint('customer_id', name=op.f('pk_customer_erasures')),
    )
    op.create_table(
        'audit_keys',
        sa.Column('customer_id', sa.Uuid(), nullable=False),
        sa.Column('wrapped', sa.String(length=120), nullable=False),
        sa.Column('created_at', sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(['customer_id'], ['customers.id'],
                                name=op.f('fk_audit_keys_customer_id_customers')),
        sa.PrimaryKeyConstraint('customer_id', name=op.f('pk_audit_keys')),
    )
    bind = op.get_bind()
    capture.install(bind)
    for code, purpose, where, granted, when in _CARRIED:
        op.execute(
            "INSERT INTO customer_consents (id, customer_id, purpose, granted, method, at, "
            f"recorded_at, recorded_by, note) SELECT substr(c.id, 1, 30) || '{code}', c.id, "
            f"'{purpose}', {granted}, 'imported', {when}, {when}, NULL, '{NOTE}' "
            "FROM customers c JOIN customer_preferences p ON p.customer_id = c.id "
            f"WHERE {where} AND c.merged_into IS NULL ORDER BY c.rowid")
    privacy_guard.install(bind)
    # A counter that already synced ignored these tables' rows while it ran an older
    # version (a tombstone or a consent from an upgraded counter): pull everything once
    # more, so none is missed. Rows with unsent local changes are never overwritten.
    op.execute("UPDATE sync_state SET pull_cursor = 0")


def downgrade() -> None:
    bind = op.get_bind()
    privacy_guard.uninstall(bind)
    capture.uninstall(bind)
    op.drop_table('audit_keys')
    op.drop_table('customer_erasures')
    op.drop_index('ix_customer_consents_purpose', table_name='customer_consents')
    op.drop_index('ix_customer_consents_customer', table_name='customer_consents')
    op.drop_table('customer_consents')
    capture.install(bind)
