"""Sync (issue #5): this counter's sync state, the outbox, pulled conflicts.

Phone, e-mail and IMEI lose their UNIQUE indexes (plain indexes instead): the
service still refuses a duplicate typed at this counter, but a customer that
another counter registered offline with the same number must be storable when
it is pulled, as a suspected duplicate, never dropped. Customers gain
`merged_into`, the redirect a merge leaves. Capture triggers are installed;
they stay idle until the counter joins a store.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from shopdesk.db import capture

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('customers') as batch:
        batch.drop_constraint('uq_customers_phone', type_='unique')
        batch.drop_constraint('uq_customers_email', type_='unique')
        batch.add_column(sa.Column('merged_into', sa.Uuid(), nullable=True))
        batch.create_index('ix_customers_phone', ['phone'])
        batch.create_index('ix_customers_email', ['email'])
    with op.batch_alter_table('devices') as batch:
        batch.drop_constraint('uq_devices_imei', type_='unique')
        batch.create_index('ix_devices_imei', ['imei'])

    op.create_table('sync_state',
    sa.Column('one', sa.Integer(), nullable=False),
    sa.Column('capture', sa.Integer(), nullable=False),
    sa.Column('next_seq', sa.BigInteger(), nullable=False),
    sa.Column('device_id', sa.String(length=36), nullable=True),
    sa.Column('device_name', sa.String(length=80), nullable=True),
    sa.Column('store_name', sa.String(length=80), nullable=True),
    sa.Column('central_url', sa.Text(), nullable=True),
    sa.Column('role_name', sa.String(length=63), nullable=True),
    sa.Column('transport', sa.String(length=8), nullable=False),
    sa.Column('db_path', sa.Text(), nullable=True),
    sa.Column('db_instance_id', sa.String(length=36), nullable=True),
    sa.Column('pull_cursor', sa.BigInteger(), nullable=False),
    sa.Column('pull_target', sa.BigInteger(), nullable=False),
    sa.Column('device_last_seq', sa.BigInteger(), nullable=False),
    sa.Column('server_epoch', sa.String(length=36), nullable=True),
    sa.Column('last_sync_at', sa.String(length=32), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('paused_reason', sa.Text(), nullable=True),
    sa.CheckConstraint('one = 1', name=op.f('ck_sync_state_single_row')),
    sa.PrimaryKeyConstraint('one', name=op.f('pk_sync_state'))
    )
    op.create_table('sync_outbox',
    sa.Column('device_seq', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('mutation_id', sa.String(length=36), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('table_name', sa.String(length=40), nullable=True),
    sa.Column('row_id', sa.String(length=36), nullable=True),
    sa.Column('op', sa.String(length=8), nullable=True),
    sa.Column('new_values', sa.Text(), nullable=True),
    sa.Column('base_values', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('result', sa.Text(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.String(length=32), nullable=True),
    sa.CheckConstraint("status IN ('pending','rejected','conflict')", name=op.f('ck_sync_outbox_status')),
    sa.PrimaryKeyConstraint('device_seq', name=op.f('pk_sync_outbox')),
    sa.UniqueConstraint('mutation_id', name=op.f('uq_sync_outbox_mutation_id'))
    )
    op.create_index('ix_sync_outbox_row', 'sync_outbox', ['table_name', 'row_id'])
    op.create_index('ix_sync_outbox_status', 'sync_outbox', ['status', 'device_seq'])
    op.create_table('sync_conflicts',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('table_name', sa.String(length=40), nullable=False),
    sa.Column('row_a', sa.String(length=36), nullable=True),
    sa.Column('row_b', sa.String(length=36), nullable=True),
    sa.Column('column_name', sa.String(length=40), nullable=True),
    sa.Column('details', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('resolution', sa.String(length=16), nullable=True),
    sa.Column('created_at', sa.String(length=32), nullable=True),
    sa.Column('resolved_at', sa.String(length=32), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_conflicts'))
    )
    op.create_index('ix_sync_conflicts_status', 'sync_conflicts', ['status'])
    capture.install(op.get_bind())


def downgrade() -> None:
    bind = op.get_bind()
    for table in ('customers', 'customer_preferences', 'customer_loyalty', 'customer_documents',
                  'devices', 'device_owners', 'repair_tickets', 'ticket_devices',
                  'ticket_status_changes', 'customer_services', 'service_parts',
                  'support_tickets', 'support_events'):
        for action in ('insert', 'update', 'delete'):
            bind.exec_driver_sql(f'DROP TRIGGER IF EXISTS sync_{table}_{action}')
    op.drop_table('sync_conflicts')
    op.drop_table('sync_outbox')
    op.drop_table('sync_state')
    with op.batch_alter_table('devices') as batch:
        batch.drop_index('ix_devices_imei')
        batch.create_unique_constraint('uq_devices_imei', ['imei'])
    with op.batch_alter_table('customers') as batch:
        batch.drop_index('ix_customers_email')
        batch.drop_index('ix_customers_phone')
        batch.drop_column('merged_into')
        batch.create_unique_constraint('uq_customers_email', ['email'])
        batch.create_unique_constraint('uq_customers_phone', ['phone'])
