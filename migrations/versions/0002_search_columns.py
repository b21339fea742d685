"""Search columns: field-tagged words and reversed phone digits, phone indexes.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("words", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("phone_rev", sa.String(length=20), nullable=False,
                                      server_default=""))
        batch_op.create_index("ix_customers_phone_rev", ["phone_rev"], unique=False)
        batch_op.create_index("ix_customers_whatsapp", ["whatsapp"], unique=False)
        batch_op.create_index("ix_customers_secondary_phone", ["secondary_phone"], unique=False)
    _backfill()
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.alter_column("words", server_default=None)
        batch_op.alter_column("phone_rev", server_default=None)


def _backfill() -> None:
    # The word rules live in the domain package; a later change to them comes
    # with its own migration re-deriving the column.
    from shopdesk.domain.search_text import customer_words, reversed_digits

    conn = op.get_bind()
    rows = conn.execute(sa.text(
        "SELECT id, first_name, last_name, company, address_line1, city, postcode, phone "
        "FROM customers")).fetchall()
    update = sa.text("UPDATE customers SET words = :words, phone_rev = :rev WHERE id = :id")
    params = [{"id": r.id, "rev": reversed_digits(r.phone) or "",
               "words": customer_words(r.first_name, r.last_name, r.company,
                                       r.address_line1, r.city, r.postcode)} for r in rows]
    if params:
        conn.execute(update, params)


def downgrade() -> None:
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_index("ix_customers_secondary_phone")
        batch_op.drop_index("ix_customers_whatsapp")
        batch_op.drop_index("ix_customers_phone_rev")
        batch_op.drop_column("phone_rev")
        batch_op.drop_column("words")
