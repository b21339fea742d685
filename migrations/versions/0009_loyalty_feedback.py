"""Loyalty ledger and feedback (issue 17).

- `loyalty_entries`: the insert-only ledger; a customer's points are the sum of
  their entries. Each account's old `customer_loyalty.points` becomes one opening
  entry (its id derived from the customer id, so every counter migrating the same
  account writes the same row, and sync keeps one).
- `customer_loyalty` keeps the tier (with when it moved and the demotion grace
  start) and gains who referred the customer; `points` goes (it was a delta-merged
  counter that could not say where points came from, nor expire them).
- `feedback` and `feedback_actions`: answers and the improvements they led to.

Tables rebuilt here lose their triggers, so the capture triggers are installed again.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from alembic import op

from shopdesk.db import capture

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

# The same namespace as shopdesk.domain.loyalty.rules.LEDGER_NS (a migration must not
# import app code that may change later; the value never changes).
_LEDGER_NS = uuid.UUID("6f1d3c52-7a55-4c4e-9d7e-1f6b0e5d9a17")
_OPENING_EXPIRES = "2027-12-01T00:00:00.000000+00:00"


def upgrade() -> None:
    bind = op.get_bind()
    capture.uninstall(bind)
    op.create_table(
        'loyalty_entries',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('customer_id', sa.Uuid(), nullable=False),
        sa.Column('kind', sa.String(length=8), nullable=False),
        sa.Column('source', sa.String(length=12), nullable=False),
        sa.Column('points', sa.Integer(), nullable=False),
        sa.Column('spend', sa.Integer(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('ticket_id', sa.Uuid(), nullable=True),
        sa.Column('ref_id', sa.String(length=36), nullable=True),
        sa.Column('expires_at', sa.String(length=32), nullable=True),
        sa.Column('staff_id', sa.Uuid(), nullable=True),
        sa.Column('actor', sa.String(length=120), nullable=False),
        sa.Column('created_at', sa.String(length=32), nullable=False),
        sa.CheckConstraint("kind IN ('opening','earn','redeem','expire','adjust','reverse','tier','notice')", name=op.f('ck_loyalty_entries_kind')),
        sa.CheckConstraint("source IN ('migration','ticket','purchase','referral','feedback','anniversary','social','staff','refund','expiry','tier','merge')", name=op.f('ck_loyalty_entries_source')),
        sa.CheckConstraint('points BETWEEN -100000000 AND 100000000', name=op.f('ck_loyalty_entries_points_range')),
        sa.CheckConstraint('spend >= 0', name=op.f('ck_loyalty_entries_spend_non_negative')),
        sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_loyalty_entries_customer_id_customers')),
        sa.ForeignKeyConstraint(['staff_id'], ['staff_directory.id'], name=op.f('fk_loyalty_entries_staff_id_staff_directory')),
        sa.ForeignKeyConstraint(['ticket_id'], ['repair_tickets.id'], name=op.f('fk_loyalty_entries_ticket_id_repair_tickets')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_loyalty_entries')),
    )
    op.create_index('ix_loyalty_entries_customer', 'loyalty_entries', ['customer_id', 'created_at'])
    op.create_index('ix_loyalty_entries_balance', 'loyalty_entries', ['customer_id', 'points'])
    op.create_index('ix_loyalty_entries_ticket', 'loyalty_entries', ['ticket_id'])
    op.create_index('ix_loyalty_entries_ref', 'loyalty_entries', ['ref_id'])
    op.create_index('ix_loyalty_entries_expiry', 'loyalty_entries', ['expires_at'])
    op.create_index('ix_loyalty_entries_kind', 'loyalty_entries', ['kind', 'created_at'])

    op.create_table(
        'feedback',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('ticket_id', sa.Uuid(), nullable=True),
        sa.Column('customer_id', sa.Uuid(), nullable=True),
        sa.Column('channel', sa.String(length=10), nullable=False),
        sa.Column('csat', sa.Integer(), nullable=True),
        sa.Column('nps', sa.Integer(), nullable=True),
        sa.Column('ces', sa.Integer(), nullable=True),
        sa.Column('speed', sa.Integer(), nullable=True),
        sa.Column('quality', sa.Integer(), nullable=True),
        sa.Column('price', sa.Integer(), nullable=True),
        sa.Column('staff', sa.Integer(), nullable=True),
        sa.Column('communication', sa.Integer(), nullable=True),
        sa.Column('comment', sa.Text(), nullable=False),
        sa.Column('language', sa.String(length=8), nullable=False),
        sa.Column('sentiment', sa.Integer(), nullable=False),
        sa.Column('categories', sa.String(length=80), nullable=False),
        sa.Column('technician_id', sa.Uuid(), nullable=True),
        sa.Column('service_kind', sa.String(length=24), nullable=True),
        sa.Column('platform', sa.String(length=40), nullable=True),
        sa.Column('external_id', sa.String(length=120), nullable=True),
        sa.Column('author', sa.String(length=120), nullable=True),
        sa.Column('node', sa.String(length=8), nullable=True),
        sa.Column('staff_id', sa.Uuid(), nullable=True),
        sa.Column('actor', sa.String(length=120), nullable=False),
        sa.Column('received_at', sa.String(length=32), nullable=False),
        sa.CheckConstraint("channel IN ('counter','survey','phone','review','whatsapp','email')", name=op.f('ck_feedback_channel')),
        sa.CheckConstraint('csat IS NULL OR csat BETWEEN 1 AND 5', name=op.f('ck_feedback_csat')),
        sa.CheckConstraint('nps IS NULL OR nps BETWEEN 0 AND 10', name=op.f('ck_feedback_nps')),
        sa.CheckConstraint('ces IS NULL OR ces BETWEEN 1 AND 7', name=op.f('ck_feedback_ces')),
        sa.CheckConstraint('speed IS NULL OR speed BETWEEN 1 AND 5', name=op.f('ck_feedback_speed')),
        sa.CheckConstraint('quality IS NULL OR quality BETWEEN 1 AND 5', name=op.f('ck_feedback_quality')),
        sa.CheckConstraint('price IS NULL OR price BETWEEN 1 AND 5', name=op.f('ck_feedback_price')),
        sa.CheckConstraint('staff IS NULL OR staff BETWEEN 1 AND 5', name=op.f('ck_feedback_staff')),
        sa.CheckConstraint('communication IS NULL OR communication BETWEEN 1 AND 5', name=op.f('ck_feedback_communication')),
        sa.CheckConstraint('sentiment BETWEEN -100 AND 100', name=op.f('ck_feedback_sentiment')),
        sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_feedback_customer_id_customers')),
        sa.ForeignKeyConstraint(['staff_id'], ['staff_directory.id'], name=op.f('fk_feedback_staff_id_staff_directory')),
        sa.ForeignKeyConstraint(['technician_id'], ['staff_directory.id'], name=op.f('fk_feedback_technician_id_staff_directory')),
        sa.ForeignKeyConstraint(['ticket_id'], ['repair_tickets.id'], name=op.f('fk_feedback_ticket_id_repair_tickets')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback')),
    )
    op.create_index('ix_feedback_received', 'feedback', ['received_at'])
    op.create_index('ix_feedback_ticket', 'feedback', ['ticket_id'])
    op.create_index('ix_feedback_customer', 'feedback', ['customer_id'])

    op.create_table(
        'feedback_actions',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('category', sa.String(length=16), nullable=False),
        sa.Column('description', sa.Text(), nullable=False),
        sa.Column('started_on', sa.Date(), nullable=False),
        sa.Column('staff_id', sa.Uuid(), nullable=True),
        sa.Column('actor', sa.String(length=120), nullable=False),
        sa.Column('created_at', sa.String(length=32), nullable=False),
        sa.CheckConstraint("category IN ('price','speed','quality','staff','communication','other')", name=op.f('ck_feedback_actions_category')),
        sa.ForeignKeyConstraint(['staff_id'], ['staff_directory.id'], name=op.f('fk_feedback_actions_staff_id_staff_directory')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback_actions')),
    )
    op.create_index('ix_feedback_actions_started', 'feedback_actions', ['started_on'])

    balances = bind.execute(sa.text(
        "SELECT customer_id, points, opened_at FROM customer_loyalty WHERE points <> 0")).all()

    with op.batch_alter_table('customer_loyalty', recreate='always') as batch:
        batch.drop_constraint(op.f('ck_customer_loyalty_points_non_negative'), type_='check')
        batch.drop_column('points')
        batch.add_column(sa.Column('tier_since', sa.String(length=32), nullable=True))
        batch.add_column(sa.Column('below_since', sa.String(length=32), nullable=True))
        batch.add_column(sa.Column('referred_by', sa.Uuid(), nullable=True))
        batch.create_foreign_key(op.f('fk_customer_loyalty_referred_by_customers'),
                                 'customers', ['referred_by'], ['id'])
    capture.install(bind)
    # Old balances become opening lots, captured (a joined counter sends them). Every
    # value comes from the account, so every counter that has the customer writes the
    # very same row and the server keeps one; they expire a year after this release.
    if balances:
        bind.execute(sa.text(
            "INSERT INTO loyalty_entries (id, customer_id, kind, source, points, spend, reason, "
            "ticket_id, ref_id, expires_at, staff_id, actor, created_at) VALUES (:id, :c, "
            "'opening', 'migration', :p, 0, 'balance before the loyalty ledger', NULL, NULL, "
            ":e, NULL, 'migration 0009', :at)"),
            [{"id": uuid.uuid5(_LEDGER_NS, f"opening:{r[0]}").hex, "c": r[0], "p": int(r[1]),
              "e": _OPENING_EXPIRES, "at": r[2]} for r in balances])


def downgrade() -> None:
    bind = op.get_bind()
    capture.uninstall(bind)
    with op.batch_alter_table('customer_loyalty', recreate='always') as batch:
        batch.drop_constraint(op.f('fk_customer_loyalty_referred_by_customers'),
                              type_='foreignkey')
        batch.drop_column('referred_by')
        batch.drop_column('below_since')
        batch.drop_column('tier_since')
        batch.add_column(sa.Column('points', sa.Integer(), nullable=False, server_default='0'))
        batch.create_check_constraint('points_non_negative', 'points >= 0')
    # Balances come back as plain counters (never below zero).
    bind.execute(sa.text(
        "UPDATE customer_loyalty SET points = max(0, coalesce((SELECT sum(points) FROM "
        "loyalty_entries e WHERE e.customer_id = customer_loyalty.customer_id), 0))"))
    op.drop_table('feedback_actions')
    op.drop_table('feedback')
    op.drop_table('loyalty_entries')
    capture.install(bind)
