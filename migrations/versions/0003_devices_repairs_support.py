"""Devices and their owners, repair tickets, richer service records, support tickets.

Amounts are integer minor units (pence). Existing service records get the new
columns with zero amounts; their kind is kept if it is one of the five kinds
of spec 5.1 and read as 'repair' otherwise (none were written before this).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('devices',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('make', sa.String(length=60), nullable=False),
    sa.Column('model', sa.String(length=80), nullable=False),
    sa.Column('imei', sa.String(length=15), nullable=True),
    sa.Column('imei2', sa.String(length=15), nullable=True),
    sa.Column('serial', sa.String(length=40), nullable=True),
    sa.Column('tac', sa.String(length=8), nullable=True),
    sa.Column('purchase_date', sa.Date(), nullable=True),
    sa.Column('manufacturer_warranty_until', sa.Date(), nullable=True),
    sa.Column('shop_warranty_until', sa.Date(), nullable=True),
    sa.Column('condition', sa.String(length=12), nullable=False),
    sa.Column('customer_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.String(length=32), nullable=False),
    sa.Column('updated_at', sa.String(length=32), nullable=False),
    sa.CheckConstraint("condition IN ('new','good','fair','poor','broken')", name=op.f('ck_devices_condition')),
    sa.CheckConstraint('imei IS NULL OR length(imei) = 15', name=op.f('ck_devices_imei_length')),
    sa.CheckConstraint('imei2 IS NULL OR length(imei2) = 15', name=op.f('ck_devices_imei2_length')),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_devices_customer_id_customers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_devices')),
    sa.UniqueConstraint('imei', name=op.f('uq_devices_imei'))
    )
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.create_index('ix_devices_customer', ['customer_id'], unique=False)
        batch_op.create_index('ix_devices_imei2', ['imei2'], unique=False)
        batch_op.create_index('ix_devices_serial', ['serial'], unique=False)
        batch_op.create_index('ix_devices_tac', ['tac'], unique=False)

    op.create_table('repair_tickets',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('customer_id', sa.Uuid(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('technician_id', sa.Uuid(), nullable=True),
    sa.Column('estimate', sa.Integer(), nullable=True),
    sa.Column('estimate_approved', sa.Boolean(), nullable=True),
    sa.Column('approved_at', sa.String(length=32), nullable=True),
    sa.Column('deposit', sa.Integer(), nullable=False),
    sa.Column('final_amount', sa.Integer(), nullable=True),
    sa.Column('payment_method', sa.String(length=16), nullable=True),
    sa.Column('warranty_rework', sa.Boolean(), nullable=False),
    sa.Column('created_by', sa.Uuid(), nullable=True),
    sa.Column('created_at', sa.String(length=32), nullable=False),
    sa.Column('updated_at', sa.String(length=32), nullable=False),
    sa.Column('collected_at', sa.String(length=32), nullable=True),
    sa.CheckConstraint("payment_method IS NULL OR payment_method IN ('cash','card','mobile_money','bank_transfer','store_credit')", name=op.f('ck_repair_tickets_payment_method')),
    sa.CheckConstraint("status IN ('received','diagnosing','awaiting_approval','awaiting_parts','in_repair','ready','collected','cancelled')", name=op.f('ck_repair_tickets_status')),
    sa.CheckConstraint('deposit >= 0', name=op.f('ck_repair_tickets_deposit_non_negative')),
    sa.CheckConstraint('estimate IS NULL OR estimate >= 0', name=op.f('ck_repair_tickets_estimate_non_negative')),
    sa.CheckConstraint('final_amount IS NULL OR final_amount >= 0', name=op.f('ck_repair_tickets_final_amount_non_negative')),
    sa.ForeignKeyConstraint(['created_by'], ['staff.id'], name=op.f('fk_repair_tickets_created_by_staff')),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_repair_tickets_customer_id_customers')),
    sa.ForeignKeyConstraint(['technician_id'], ['staff.id'], name=op.f('fk_repair_tickets_technician_id_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_repair_tickets')),
    sa.UniqueConstraint('number', name=op.f('uq_repair_tickets_number'))
    )
    with op.batch_alter_table('repair_tickets', schema=None) as batch_op:
        batch_op.create_index('ix_repair_tickets_customer', ['customer_id', 'created_at'], unique=False)
        batch_op.create_index('ix_repair_tickets_status_updated', ['status', 'updated_at'], unique=False)
        batch_op.create_index('ix_repair_tickets_technician', ['technician_id', 'updated_at'], unique=False)
        batch_op.create_index('ix_repair_tickets_updated', ['updated_at'], unique=False)

    op.create_table('device_owners',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('device_id', sa.Uuid(), nullable=False),
    sa.Column('customer_id', sa.Uuid(), nullable=False),
    sa.Column('from_at', sa.String(length=32), nullable=False),
    sa.Column('to_at', sa.String(length=32), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_device_owners_customer_id_customers')),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_device_owners_device_id_devices'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_device_owners'))
    )
    with op.batch_alter_table('device_owners', schema=None) as batch_op:
        batch_op.create_index('ix_device_owners_customer', ['customer_id'], unique=False)
        batch_op.create_index('ix_device_owners_device', ['device_id', 'from_at'], unique=False)

    op.create_table('support_tickets',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('customer_id', sa.Uuid(), nullable=False),
    sa.Column('repair_ticket_id', sa.Uuid(), nullable=True),
    sa.Column('device_id', sa.Uuid(), nullable=True),
    sa.Column('priority', sa.String(length=8), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('level', sa.String(length=12), nullable=False),
    sa.Column('complaint', sa.Boolean(), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('due_at', sa.String(length=32), nullable=False),
    sa.Column('resolved_at', sa.String(length=32), nullable=True),
    sa.Column('resolution', sa.Text(), nullable=True),
    sa.Column('refund', sa.Integer(), nullable=True),
    sa.Column('created_by', sa.Uuid(), nullable=True),
    sa.Column('created_at', sa.String(length=32), nullable=False),
    sa.Column('updated_at', sa.String(length=32), nullable=False),
    sa.CheckConstraint("level IN ('front_desk','supervisor','manager','owner')", name=op.f('ck_support_tickets_level')),
    sa.CheckConstraint("priority IN ('low','normal','high','urgent')", name=op.f('ck_support_tickets_priority')),
    sa.CheckConstraint("status IN ('open','resolved','closed')", name=op.f('ck_support_tickets_status')),
    sa.CheckConstraint('refund IS NULL OR refund >= 0', name=op.f('ck_support_tickets_refund_non_negative')),
    sa.ForeignKeyConstraint(['created_by'], ['staff.id'], name=op.f('fk_support_tickets_created_by_staff')),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_support_tickets_customer_id_customers')),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_support_tickets_device_id_devices')),
    sa.ForeignKeyConstraint(['repair_ticket_id'], ['repair_tickets.id'], name=op.f('fk_support_tickets_repair_ticket_id_repair_tickets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_tickets')),
    sa.UniqueConstraint('number', name=op.f('uq_support_tickets_number'))
    )
    with op.batch_alter_table('support_tickets', schema=None) as batch_op:
        batch_op.create_index('ix_support_tickets_customer', ['customer_id'], unique=False)
        batch_op.create_index('ix_support_tickets_status_due', ['status', 'due_at'], unique=False)
        batch_op.create_index('ix_support_tickets_updated', ['updated_at'], unique=False)

    op.create_table('ticket_devices',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('ticket_id', sa.Uuid(), nullable=False),
    sa.Column('device_id', sa.Uuid(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('fault', sa.Text(), nullable=False),
    sa.Column('checklist', sa.Text(), nullable=False),
    sa.Column('pre_existing_faults', sa.Text(), nullable=False),
    sa.Column('accessories', sa.Text(), nullable=False),
    sa.Column('passcode_encrypted', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_ticket_devices_device_id_devices')),
    sa.ForeignKeyConstraint(['ticket_id'], ['repair_tickets.id'], name=op.f('fk_ticket_devices_ticket_id_repair_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_devices')),
    sa.UniqueConstraint('ticket_id', 'device_id', name=op.f('uq_ticket_devices_ticket_id_device_id'))
    )
    with op.batch_alter_table('ticket_devices', schema=None) as batch_op:
        batch_op.create_index('ix_ticket_devices_device', ['device_id'], unique=False)

    op.create_table('ticket_status_changes',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('ticket_id', sa.Uuid(), nullable=False),
    sa.Column('from_status', sa.String(length=20), nullable=True),
    sa.Column('to_status', sa.String(length=20), nullable=False),
    sa.Column('staff_id', sa.Uuid(), nullable=True),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('at', sa.String(length=32), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.CheckConstraint("to_status IN ('received','diagnosing','awaiting_approval','awaiting_parts','in_repair','ready','collected','cancelled')", name=op.f('ck_ticket_status_changes_to_status')),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_ticket_status_changes_staff_id_staff')),
    sa.ForeignKeyConstraint(['ticket_id'], ['repair_tickets.id'], name=op.f('fk_ticket_status_changes_ticket_id_repair_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_status_changes'))
    )
    with op.batch_alter_table('ticket_status_changes', schema=None) as batch_op:
        batch_op.create_index('ix_ticket_status_changes_ticket', ['ticket_id', 'at'], unique=False)

    op.create_table('service_parts',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('service_id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('sku', sa.String(length=40), nullable=True),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('unit_price', sa.Integer(), nullable=False),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_service_parts_quantity_positive')),
    sa.CheckConstraint('unit_price >= 0', name=op.f('ck_service_parts_unit_price_non_negative')),
    sa.ForeignKeyConstraint(['service_id'], ['customer_services.id'], name=op.f('fk_service_parts_service_id_customer_services'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_parts'))
    )
    with op.batch_alter_table('service_parts', schema=None) as batch_op:
        batch_op.create_index('ix_service_parts_service', ['service_id'], unique=False)

    op.create_table('support_events',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('ticket_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('step', sa.String(length=24), nullable=True),
    sa.Column('from_level', sa.String(length=12), nullable=True),
    sa.Column('to_level', sa.String(length=12), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('staff_id', sa.Uuid(), nullable=True),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('at', sa.String(length=32), nullable=False),
    sa.CheckConstraint("kind IN ('opened','escalation','complaint_step','note','resolved','closed')", name=op.f('ck_support_events_kind')),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_support_events_staff_id_staff')),
    sa.ForeignKeyConstraint(['ticket_id'], ['support_tickets.id'], name=op.f('fk_support_events_ticket_id_support_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_events'))
    )
    with op.batch_alter_table('support_events', schema=None) as batch_op:
        batch_op.create_index('ix_support_events_ticket', ['ticket_id', 'at'], unique=False)

    op.execute("UPDATE customer_services SET kind = 'repair' WHERE kind NOT IN "
               "('repair','part_purchase','consultation','warranty_claim','return_exchange')")
    with op.batch_alter_table('customer_services', schema=None) as batch_op:
        batch_op.add_column(sa.Column('device_id', sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column('ticket_id', sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column('technician_id', sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column('labour', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('total', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('payment_method', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('satisfaction', sa.Integer(), nullable=True))
        batch_op.create_index('ix_customer_services_device', ['device_id', 'occurred_at'], unique=False)
        batch_op.create_index('ix_customer_services_ticket', ['ticket_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_customer_services_technician_id_staff'), 'staff', ['technician_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_customer_services_ticket_id_repair_tickets'), 'repair_tickets', ['ticket_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_customer_services_device_id_devices'), 'devices', ['device_id'], ['id'])
        batch_op.create_check_constraint(batch_op.f('ck_customer_services_kind'), "kind IN ('repair','part_purchase','consultation','warranty_claim','return_exchange')")
        batch_op.create_check_constraint(batch_op.f('ck_customer_services_payment_method'), "payment_method IS NULL OR payment_method IN ('cash','card','mobile_money','bank_transfer','store_credit')")
        batch_op.create_check_constraint(batch_op.f('ck_customer_services_satisfaction'), 'satisfaction IS NULL OR satisfaction BETWEEN 1 AND 5')
        batch_op.create_check_constraint(batch_op.f('ck_customer_services_amounts_non_negative'), 'labour >= 0 AND total >= 0')
    with op.batch_alter_table('customer_services', schema=None) as batch_op:
        batch_op.alter_column('labour', server_default=None)
        batch_op.alter_column('total', server_default=None)


def downgrade() -> None:
    with op.batch_alter_table('customer_services', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_customer_services_amounts_non_negative'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_customer_services_satisfaction'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_customer_services_payment_method'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_customer_services_kind'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_customer_services_device_id_devices'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_customer_services_ticket_id_repair_tickets'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_customer_services_technician_id_staff'), type_='foreignkey')
        batch_op.drop_index('ix_customer_services_ticket')
        batch_op.drop_index('ix_customer_services_device')
        batch_op.drop_column('satisfaction')
        batch_op.drop_column('payment_method')
        batch_op.drop_column('total')
        batch_op.drop_column('labour')
        batch_op.drop_column('technician_id')
        batch_op.drop_column('ticket_id')
        batch_op.drop_column('device_id')

    with op.batch_alter_table('support_events', schema=None) as batch_op:
        batch_op.drop_index('ix_support_events_ticket')

    op.drop_table('support_events')
    with op.batch_alter_table('service_parts', schema=None) as batch_op:
        batch_op.drop_index('ix_service_parts_service')

    op.drop_table('service_parts')
    with op.batch_alter_table('ticket_status_changes', schema=None) as batch_op:
        batch_op.drop_index('ix_ticket_status_changes_ticket')

    op.drop_table('ticket_status_changes')
    with op.batch_alter_table('ticket_devices', schema=None) as batch_op:
        batch_op.drop_index('ix_ticket_devices_device')

    op.drop_table('ticket_devices')
    with op.batch_alter_table('support_tickets', schema=None) as batch_op:
        batch_op.drop_index('ix_support_tickets_updated')
        batch_op.drop_index('ix_support_tickets_status_due')
        batch_op.drop_index('ix_support_tickets_customer')

    op.drop_table('support_tickets')
    with op.batch_alter_table('device_owners', schema=None) as batch_op:
        batch_op.drop_index('ix_device_owners_device')
        batch_op.drop_index('ix_device_owners_customer')

    op.drop_table('device_owners')
    with op.batch_alter_table('repair_tickets', schema=None) as batch_op:
        batch_op.drop_index('ix_repair_tickets_updated')
        batch_op.drop_index('ix_repair_tickets_technician')
        batch_op.drop_index('ix_repair_tickets_status_updated')
        batch_op.drop_index('ix_repair_tickets_customer')

    op.drop_table('repair_tickets')
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.drop_index('ix_devices_tac')
        batch_op.drop_index('ix_devices_serial')
        batch_op.drop_index('ix_devices_imei2')
        batch_op.drop_index('ix_devices_customer')

    op.drop_table('devices')
