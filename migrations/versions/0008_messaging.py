"""Messaging (issue 16): messages (outbox and contact history), receipts, templates,
appointments, verification codes; all synced, so capture triggers are installed again.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from shopdesk.db import capture

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

_T = sa.String(length=32)  # UTC instants as ISO text (models.base.UTCDateTime)


def upgrade() -> None:
    capture.uninstall(op.get_bind())
    op.create_table(
        'appointments',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('customer_id', sa.Uuid(), nullable=False),
        sa.Column('device_id', sa.Uuid(), nullable=True),
        sa.Column('ticket_id', sa.Uuid(), nullable=True),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('starts_at', _T, nullable=False),
        sa.Column('duration_minutes', sa.Integer(), nullable=False),
        sa.Column('reason', sa.String(length=200), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('created_by', sa.Uuid(), nullable=True),
        sa.Column('created_at', _T, nullable=False),
        sa.Column('updated_at', _T, nullable=False),
        sa.CheckConstraint("status IN ('booked','cancelled','done','no_show')",
                           name=op.f('ck_appointments_status')),
        sa.CheckConstraint('duration_minutes > 0', name=op.f('ck_appointments_duration_positive')),
        sa.ForeignKeyConstraint(['customer_id'], ['customers.id'],
                                name=op.f('fk_appointments_customer_id_customers')),
        sa.ForeignKeyConstraint(['device_id'], ['devices.id'],
                                name=op.f('fk_appointments_device_id_devices')),
        sa.ForeignKeyConstraint(['ticket_id'], ['repair_tickets.id'],
                                name=op.f('fk_appointments_ticket_id_repair_tickets')),
        sa.ForeignKeyConstraint(['created_by'], ['staff_directory.id'],
                                name=op.f('fk_appointments_created_by_staff_directory')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_appointments')),
    )
    op.create_index('ix_appointments_day', 'appointments', ['day', 'starts_at'])
    op.create_index('ix_appointments_customer', 'appointments', ['customer_id'])

    op.create_table(
        'messages',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('customer_id', sa.Uuid(), nullable=True),
        sa.Column('ticket_id', sa.Uuid(), nullable=True),
        sa.Column('appointment_id', sa.Uuid(), nullable=True),
        sa.Column('template', sa.String(length=40), nullable=True),
        sa.Column('channel', sa.String(length=10), nullable=False),
        sa.Column('direction', sa.String(length=3), nullable=False),
        sa.Column('purpose', sa.String(length=14), nullable=False),
        sa.Column('language', sa.String(length=8), nullable=True),
        sa.Column('to_address', sa.String(length=254), nullable=True),
        sa.Column('subject', sa.String(length=200), nullable=True),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('outcome', sa.String(length=24), nullable=True),
        sa.Column('node', sa.String(length=8), nullable=False),
        sa.Column('dedupe_key', sa.String(length=120), nullable=True),
        sa.Column('due_at', _T, nullable=False),
        sa.Column('next_attempt_at', _T, nullable=True),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('attempt_id', sa.String(length=36), nullable=True),
        sa.Column('attempt_at', _T, nullable=True),
        sa.Column('provider_id', sa.String(length=80), nullable=True),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('sent_at', _T, nullable=True),
        sa.Column('staff_id', sa.Uuid(), nullable=True),
        sa.Column('actor', sa.String(length=120), nullable=True),
        sa.Column('created_at', _T, nullable=False),
        sa.Column('updated_at', _T, nullable=False),
        sa.CheckConstraint("channel IN ('whatsapp','sms','email','call','visit')",
                           name=op.f('ck_messages_channel')),
        sa.CheckConstraint("direction IN ('out','in')", name=op.f('ck_messages_direction')),
        sa.CheckConstraint("purpose IN ('service','marketing','verification','test','manual')",
                           name=op.f('ck_messages_purpose')),
        sa.CheckConstraint("status IN ('queued','sending','sent','delivered','read','failed',"
                           "'unknown','cancelled','logged','received')",
                           name=op.f('ck_messages_status')),
        sa.CheckConstraint('attempts >= 0', name=op.f('ck_messages_attempts_non_negative')),
        sa.ForeignKeyConstraint(['customer_id'], ['customers.id'],
                                name=op.f('fk_messages_customer_id_customers')),
        sa.ForeignKeyConstraint(['ticket_id'], ['repair_tickets.id'],
                                name=op.f('fk_messages_ticket_id_repair_tickets')),
        sa.ForeignKeyConstraint(['appointment_id'], ['appointments.id'],
                                name=op.f('fk_messages_appointment_id_appointments')),
        sa.ForeignKeyConstraint(['staff_id'], ['staff_directory.id'],
                                name=op.f('fk_messages_staff_id_staff_directory')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_messages')),
    )
    op.create_index('ix_messages_customer', 'messages', ['customer_id', 'created_at'])
    op.create_index('ix_messages_due', 'messages', ['status', 'next_attempt_at'])
    op.create_index('ix_messages_provider', 'messages', ['provider_id'])
    op.create_index('ix_messages_dedupe', 'messages', ['dedupe_key'])

    op.create_table(
        'message_receipts',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('message_id', sa.Uuid(), nullable=False),
        sa.Column('provider_id', sa.String(length=80), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('at', _T, nullable=False),
        sa.Column('error', sa.Text(), nullable=True),
        sa.CheckConstraint("status IN ('sent','delivered','read','failed')",
                           name=op.f('ck_message_receipts_status')),
        sa.ForeignKeyConstraint(['message_id'], ['messages.id'],
                                name=op.f('fk_message_receipts_message_id_messages')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_message_receipts')),
    )
    op.create_index('ix_message_receipts_message', 'message_receipts', ['message_id'])

    op.create_table(
        'message_templates',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('name', sa.String(length=40), nullable=False),
        sa.Column('language', sa.String(length=8), nullable=False),
        sa.Column('enabled', sa.Boolean(), nullable=False),
        sa.Column('delay_minutes', sa.Integer(), nullable=False),
        sa.Column('subject', sa.String(length=200), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('updated_at', _T, nullable=False),
        sa.CheckConstraint('delay_minutes >= 0',
                           name=op.f('ck_message_templates_delay_non_negative')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_message_templates')),
    )
    op.create_index('ix_message_templates_name', 'message_templates', ['name', 'language'],
                    unique=True)

    op.create_table(
        'verification_codes',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('customer_id', sa.Uuid(), nullable=False),
        sa.Column('item', sa.String(length=8), nullable=False),
        sa.Column('address', sa.String(length=254), nullable=False),
        sa.Column('code_hash', sa.String(length=64), nullable=False),
        sa.Column('link_hash', sa.String(length=64), nullable=True),
        sa.Column('channel', sa.String(length=10), nullable=False),
        sa.Column('node', sa.String(length=8), nullable=False),
        sa.Column('expires_at', _T, nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('verified_how', sa.String(length=16), nullable=True),
        sa.Column('verified_at', _T, nullable=True),
        sa.Column('created_at', _T, nullable=False),
        sa.CheckConstraint("item IN ('phone','email')", name=op.f('ck_verification_codes_item')),
        sa.CheckConstraint("status IN ('open','verified','expired','locked','cancelled')",
                           name=op.f('ck_verification_codes_status')),
        sa.CheckConstraint('attempts >= 0',
                           name=op.f('ck_verification_codes_attempts_non_negative')),
        sa.ForeignKeyConstraint(['customer_id'], ['customers.id'],
                                name=op.f('fk_verification_codes_customer_id_customers')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_verification_codes')),
    )
    op.create_index('ix_verification_codes_customer', 'verification_codes',
                    ['customer_id', 'item'])
    capture.install(op.get_bind())


def downgrade() -> None:
    capture.uninstall(op.get_bind())
    op.drop_table('verification_codes')
    op.drop_table('message_templates')
    op.drop_table('message_receipts')
    op.drop_table('messages')
    op.drop_table('appointments')
    capture.install(op.get_bind())
