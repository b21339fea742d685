"""Initial schema: staff, customers with their profile tables, settings, audit log.

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-24 02:45:48.339195
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_log',
    sa.Column('seq', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('node', sa.String(length=8), nullable=False),
    sa.Column('at', sa.String(length=32), nullable=False),
    sa.Column('staff_id', sa.Uuid(), nullable=True),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('entity', sa.String(length=32), nullable=False),
    sa.Column('entity_id', sa.String(length=64), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.CheckConstraint('length(hash) = 64', name=op.f('ck_audit_log_hash_length')),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_audit_log'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index('ix_audit_log_entity', ['entity', 'entity_id', 'seq'], unique=False)

    op.create_table('local_meta',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_local_meta'))
    )
    op.create_table('settings',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_settings'))
    )
    op.create_table('staff',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('username', sa.String(length=40), nullable=False),
    sa.Column('display_name', sa.String(length=80), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('secret_kind', sa.String(length=8), nullable=False),
    sa.Column('secret_hash', sa.String(length=200), nullable=False),
    sa.Column('failed_attempts', sa.Integer(), nullable=False),
    sa.Column('locked_until', sa.String(length=32), nullable=True),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.String(length=32), nullable=False),
    sa.Column('updated_at', sa.String(length=32), nullable=False),
    sa.Column('created_by', sa.Uuid(), nullable=True),
    sa.CheckConstraint("role IN ('front_desk','technician','supervisor','manager','owner')", name=op.f('ck_staff_role')),
    sa.CheckConstraint("secret_kind IN ('pin','password')", name=op.f('ck_staff_secret_kind')),
    sa.CheckConstraint('failed_attempts >= 0', name=op.f('ck_staff_failed_attempts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff')),
    sa.UniqueConstraint('username', name=op.f('uq_staff_username'))
    )
    op.create_table('customers',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('first_name', sa.String(length=80), nullable=False),
    sa.Column('last_name', sa.String(length=80), nullable=False),
    sa.Column('name_key', sa.String(length=170), nullable=False),
    sa.Column('last_key', sa.String(length=80), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('address_line1', sa.String(length=200), nullable=True),
    sa.Column('address_line2', sa.String(length=200), nullable=True),
    sa.Column('city', sa.String(length=80), nullable=True),
    sa.Column('region', sa.String(length=80), nullable=True),
    sa.Column('postcode', sa.String(length=16), nullable=True),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('date_of_birth', sa.Date(), nullable=True),
    sa.Column('gender', sa.String(length=20), nullable=True),
    sa.Column('occupation', sa.String(length=200), nullable=True),
    sa.Column('company', sa.String(length=200), nullable=True),
    sa.Column('secondary_phone', sa.String(length=20), nullable=True),
    sa.Column('whatsapp', sa.String(length=20), nullable=True),
    sa.Column('customer_type', sa.String(length=12), nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('registered_by', sa.Uuid(), nullable=True),
    sa.Column('created_at', sa.String(length=32), nullable=False),
    sa.Column('updated_at', sa.String(length=32), nullable=False),
    sa.Column('last_visit_at', sa.String(length=32), nullable=True),
    sa.Column('phone_verified_at', sa.String(length=32), nullable=True),
    sa.Column('phone_verified_by', sa.Uuid(), nullable=True),
    sa.Column('email_verified_at', sa.String(length=32), nullable=True),
    sa.Column('email_verified_by', sa.Uuid(), nullable=True),
    sa.Column('address_validated_at', sa.String(length=32), nullable=True),
    sa.Column('address_validated_by', sa.Uuid(), nullable=True),
    sa.Column('id_document_type', sa.String(length=24), nullable=True),
    sa.Column('id_document_last_digits', sa.String(length=6), nullable=True),
    sa.Column('id_checked_at', sa.String(length=32), nullable=True),
    sa.Column('id_checked_by', sa.Uuid(), nullable=True),
    sa.CheckConstraint("channel IN ('walk_in','online_form','whatsapp','phone_call','repair_intake')", name=op.f('ck_customers_channel')),
    sa.CheckConstraint("customer_type IN ('individual','business')", name=op.f('ck_customers_customer_type')),
    sa.CheckConstraint("phone LIKE '+%'", name=op.f('ck_customers_phone_e164')),
    sa.CheckConstraint('email IS NULL OR email = lower(email)', name=op.f('ck_customers_email_lower')),
    sa.ForeignKeyConstraint(['registered_by'], ['staff.id'], name=op.f('fk_customers_registered_by_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customers')),
    sa.UniqueConstraint('code', name=op.f('uq_customers_code')),
    sa.UniqueConstraint('email', name=op.f('uq_customers_email')),
    sa.UniqueConstraint('phone', name=op.f('uq_customers_phone'))
    )
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.create_index('ix_customers_last_key', ['last_key'], unique=False)
        batch_op.create_index('ix_customers_name_key', ['name_key'], unique=False)
        batch_op.create_index('ix_customers_updated_at', ['updated_at'], unique=False)

    op.create_table('customer_documents',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('customer_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('added_by', sa.Uuid(), nullable=True),
    sa.Column('added_at', sa.String(length=32), nullable=False),
    sa.CheckConstraint("kind IN ('id_scan','signed_form','photo','other')", name=op.f('ck_customer_documents_kind')),
    sa.CheckConstraint('length(content_hash) = 64', name=op.f('ck_customer_documents_hash_length')),
    sa.ForeignKeyConstraint(['added_by'], ['staff.id'], name=op.f('fk_customer_documents_added_by_staff')),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_customer_documents_customer_id_customers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer_documents'))
    )
    with op.batch_alter_table('customer_documents', schema=None) as batch_op:
        batch_op.create_index('ix_customer_documents_customer', ['customer_id', 'added_at'], unique=False)

    op.create_table('customer_loyalty',
    sa.Column('customer_id', sa.Uuid(), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('tier', sa.String(length=10), nullable=False),
    sa.Column('opened_at', sa.String(length=32), nullable=False),
    sa.CheckConstraint("tier IN ('bronze','silver','gold','platinum')", name=op.f('ck_customer_loyalty_tier')),
    sa.CheckConstraint('points >= 0', name=op.f('ck_customer_loyalty_points_non_negative')),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_customer_loyalty_customer_id_customers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('customer_id', name=op.f('pk_customer_loyalty'))
    )
    op.create_table('customer_preferences',
    sa.Column('customer_id', sa.Uuid(), nullable=False),
    sa.Column('preferred_contact', sa.String(length=12), nullable=False),
    sa.Column('best_time', sa.String(length=12), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('marketing_opt_in', sa.Boolean(), nullable=False),
    sa.Column('marketing_consent_at', sa.String(length=32), nullable=True),
    sa.Column('service_notifications', sa.Boolean(), nullable=False),
    sa.CheckConstraint("best_time IN ('any','morning','afternoon','evening')", name=op.f('ck_customer_preferences_best_time')),
    sa.CheckConstraint("preferred_contact IN ('whatsapp','sms','phone','email','in_person')", name=op.f('ck_customer_preferences_preferred_contact')),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_customer_preferences_customer_id_customers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('customer_id', name=op.f('pk_customer_preferences'))
    )
    op.create_table('customer_services',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('customer_id', sa.Uuid(), nullable=False),
    sa.Column('occurred_at', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('staff_id', sa.Uuid(), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_customer_services_customer_id_customers')),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_customer_services_staff_id_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer_services'))
    )
    with op.batch_alter_table('customer_services', schema=None) as batch_op:
        batch_op.create_index('ix_customer_services_customer', ['customer_id', 'occurred_at'], unique=False)


    # The audit trail is append-only: the database itself refuses edits.
    op.execute(
        "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
        "BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END"
    )
    op.execute(
        "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
        "BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END"
    )

def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
    op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
    with op.batch_alter_table('customer_services', schema=None) as batch_op:
        batch_op.drop_index('ix_customer_services_customer')

    op.drop_table('customer_services')
    op.drop_table('customer_preferences')
    op.drop_table('customer_loyalty')
    with op.batch_alter_table('customer_documents', schema=None) as batch_op:
        batch_op.drop_index('ix_customer_documents_customer')

    op.drop_table('customer_documents')
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.drop_index('ix_customers_updated_at')
        batch_op.drop_index('ix_customers_name_key')
        batch_op.drop_index('ix_customers_last_key')

    op.drop_table('customers')
    op.drop_table('staff')
    op.drop_table('settings')
    op.drop_table('local_meta')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_log_entity')

    op.drop_table('audit_log')
