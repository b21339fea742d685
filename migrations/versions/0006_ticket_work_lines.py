"""Repair tickets get a promised-by date and work lines (parts and labour while open).

`repair_tickets.promised_by` is the day the shop promised the repair (the ticket
board marks tickets past it as overdue); existing tickets have none. The new
table `ticket_work_lines` is synced like the other ticket tables (a line taken
off the ticket gets `removed_at`; synced rows are never deleted), so the capture
triggers are installed again for the new table and the new column.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from shopdesk.db import capture

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

WORK_LINES = 'ticket_work_lines'


def upgrade() -> None:
    op.add_column('repair_tickets', sa.Column('promised_by', sa.Date(), nullable=True))
    op.create_index('ix_repair_tickets_status_promised', 'repair_tickets',
                    ['status', 'promised_by', 'created_at'])
    op.create_table(WORK_LINES,
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('ticket_id', sa.Uuid(), nullable=False),
    sa.Column('device_id', sa.Uuid(), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('sku', sa.String(length=40), nullable=True),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('unit_price', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.String(length=32), nullable=False),
    sa.Column('updated_at', sa.String(length=32), nullable=False),
    sa.Column('removed_at', sa.String(length=32), nullable=True),
    sa.CheckConstraint("kind IN ('part','labour')", name=op.f('ck_ticket_work_lines_kind')),
    sa.CheckConstraint('quantity >= 1', name=op.f('ck_ticket_work_lines_quantity_positive')),
    sa.CheckConstraint('unit_price >= 0',
                       name=op.f('ck_ticket_work_lines_unit_price_non_negative')),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'],
                            name=op.f('fk_ticket_work_lines_device_id_devices')),
    sa.ForeignKeyConstraint(['ticket_id'], ['repair_tickets.id'], ondelete='CASCADE',
                            name=op.f('fk_ticket_work_lines_ticket_id_repair_tickets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_work_lines'))
    )
    op.create_index('ix_ticket_work_lines_ticket', WORK_LINES, ['ticket_id', 'position'])
    capture.install(op.get_bind())


def downgrade() -> None:
    bind = op.get_bind()
    for action in ('insert', 'update', 'delete'):
        bind.exec_driver_sql(f'DROP TRIGGER IF EXISTS sync_{WORK_LINES}_{action}')
    op.drop_index('ix_ticket_work_lines_ticket', table_name=WORK_LINES)
    op.drop_table(WORK_LINES)
    # Batch mode copies the table, which drops its triggers: installed again below.
    with op.batch_alter_table('repair_tickets') as batch:
        batch.drop_index('ix_repair_tickets_status_promised')
        batch.drop_column('promised_by')
    capture.install(bind)  # skips the table that is gone
