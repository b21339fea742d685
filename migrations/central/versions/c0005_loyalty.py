"""Loyalty ledger (issue 17): `customer_loyalty.points` is gone from the counters.

The points are now the sum of `loyalty_entries` rows (synced like any table; the
registries `central setup` refreshes describe it). Each counter's migration 0009
turns its balance into an opening entry whose id and values are the same on every
counter that had the customer, and sends it; the server keeps one.

Here the stored `customer_loyalty` rows lose their `points` key (a later tier
change would otherwise be refused: `points` is no longer a column the server
knows), and the merge stops adding the loser's points to the survivor's (the
loser's ledger entries are re-pointed instead, as every customer reference is).

Revision ID: c0005
Revises: c0004
Create Date: 2026-11-30
"""

from __future__ import annotations

import re

from alembic import op

revision = 'c0005'
down_revision = 'c0004'
branch_labels = None
depends_on = None

# c0001's apply_merge (renamed apply_merge_c0001 by c0003, which wraps it) moved a
# delta-merged points counter between the customers;
# that block is cut out (the function is patched in place; it stops if not there).
_POINTS = re.compile(
    r"SELECT \(data->>'points'\)::numeric INTO pts .*?END IF;\n", re.DOTALL)


def upgrade() -> None:
    raw = op.get_bind().connection.driver_connection
    raw.execute("UPDATE sync.rows SET data = data - 'points' "
                "WHERE table_name = 'customer_loyalty' AND data ? 'points'")
    raw.execute("DELETE FROM sync.policies WHERE table_name = 'customer_loyalty' "
                "AND column_name = 'points'")
    source = raw.execute("SELECT pg_get_functiondef('sync.apply_merge_c0001(sync.devices, jsonb)'"
                         "::regprocedure)").fetchone()[0]
    patched, count = _POINTS.subn("", source)
    if count != 1:
        raise RuntimeError("c0005: sync.apply_merge does not move points as c0001 did; "
                           "cannot take that out")
    raw.execute(patched)


def downgrade() -> None:
    raise NotImplementedError("the central schema is only upgraded (`shopdesk central setup`)")
