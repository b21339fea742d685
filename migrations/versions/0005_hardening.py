"""Hardening (issue 10): a synced staff directory, a quarantine for pulled rows, an
audit trail whose numbers are never reused and whose hashes are keyed.

- `staff_directory` (id, name, role, active, node): the part of a staff account every
  counter may know. Triggers keep it in step with `staff`; every staff reference
  (registered by, technician, created by...) now points at it, so a ticket pulled from
  another counter keeps a real foreign key (`foreign_key_check` stays clean).
- `sync_quarantine`: pulled rows this counter could not store, with the reason.
- `audit_log`: AUTOINCREMENT, and `alg` says how each hash was made; the entries
  written so far keep plain SHA-256 ('sha256'), new ones use HMAC-SHA-256 with a key
  kept in the OS keyring.
- `sync_state`: the acknowledged audit anchor and the adaptive page and batch sizes.

Tables rebuilt here lose their triggers, so the capture triggers are installed again
(and cover the new synced table).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from shopdesk.db import capture

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

# (table, column) that name a staff member, with their foreign key.
STAFF_REFS = (
    ("customers", "registered_by"), ("customer_services", "staff_id"),
    ("customer_services", "technician_id"), ("customer_documents", "added_by"),
    ("repair_tickets", "technician_id"), ("repair_tickets", "created_by"),
    ("ticket_status_changes", "staff_id"), ("support_tickets", "created_by"),
    ("support_events", "staff_id"),
)
_NOW = "strftime('%Y-%m-%dT%H:%M:%f000+00:00','now')"
_NODE = "coalesce((SELECT value FROM local_meta WHERE key = 'node_tag'), '')"


def upgrade() -> None:
    capture.uninstall(op.get_bind())  # tables are rebuilt below; installed again at the end
    op.create_table(
        'staff_directory',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('display_name', sa.String(length=80), nullable=False),
        sa.Column('role', sa.String(length=16), nullable=False),
        sa.Column('is_active', sa.Boolean(), nullable=False),
        sa.Column('node', sa.String(length=8), nullable=False),
        sa.Column('updated_at', sa.String(length=32), nullable=False),
        sa.CheckConstraint("role IN ('front_desk','technician','supervisor','manager','owner')",
                           name=op.f('ck_staff_directory_role')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_directory')),
    )
    op.execute(f"INSERT INTO staff_directory (id, display_name, role, is_active, node, "
               f"updated_at) SELECT id, display_name, role, is_active, {_NODE}, {_NOW} "
               f"FROM staff")
    # Every write to staff, whatever made it, updates the directory in the same transaction.
    op.execute(f"""CREATE TRIGGER staff_directory_insert AFTER INSERT ON staff
BEGIN INSERT INTO staff_directory (id, display_name, role, is_active, node, updated_at)
 VALUES (NEW.id, NEW.display_name, NEW.role, NEW.is_active, {_NODE}, {_NOW})
 ON CONFLICT(id) DO UPDATE SET display_name = excluded.display_name, role = excluded.role,
 is_active = excluded.is_active, updated_at = excluded.updated_at;
END""")
    op.execute(f"""CREATE TRIGGER staff_directory_update AFTER UPDATE OF display_name, role,
 is_active ON staff WHEN OLD.display_name IS NOT NEW.display_name OR OLD.role IS NOT NEW.role
 OR OLD.is_active IS NOT NEW.is_active
BEGIN UPDATE staff_directory SET display_name = NEW.display_name, role = NEW.role,
 is_active = NEW.is_active, updated_at = {_NOW} WHERE id = NEW.id;
END""")

    tables: dict[str, list[str]] = {}
    for table, column in STAFF_REFS:
        tables.setdefault(table, []).append(column)
    for table, columns in tables.items():
        with op.batch_alter_table(table, recreate='always') as batch:
            for column in columns:
                batch.drop_constraint(f'fk_{table}_{column}_staff', type_='foreignkey')
                batch.create_foreign_key(f'fk_{table}_{column}_staff_directory',
                                         'staff_directory', [column], ['id'])

    op.create_table(
        'sync_quarantine',
        sa.Column('id', sa.Integer(), nullable=False, autoincrement=True),
        sa.Column('kind', sa.String(length=8), nullable=False),
        sa.Column('table_name', sa.String(length=40), nullable=False),
        sa.Column('row_id', sa.String(length=64), nullable=False),
        sa.Column('server_seq', sa.BigInteger(), nullable=False),
        sa.Column('data', sa.Text(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('received_at', sa.String(length=32), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.CheckConstraint("status IN ('open','resolved','dismissed')",
                           name=op.f('ck_sync_quarantine_status')),
        sa.CheckConstraint("kind IN ('refused','orphan')", name=op.f('ck_sync_quarantine_kind')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_quarantine')),
    )
    op.create_index('ix_sync_quarantine_row', 'sync_quarantine', ['table_name', 'row_id'])
    op.create_index('ix_sync_quarantine_status', 'sync_quarantine', ['status'])

    with op.batch_alter_table('sync_state') as batch:
        batch.add_column(sa.Column('audit_anchor', sa.Text(), nullable=True))
        batch.add_column(sa.Column('pull_page', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('push_batch', sa.Integer(), nullable=True))

    op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
    op.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
    with op.batch_alter_table('audit_log', recreate='always',
                              table_kwargs={'sqlite_autoincrement': True}) as batch:
        batch.add_column(sa.Column('alg', sa.String(length=12), nullable=False,
                                   server_default='sha256'))
        batch.create_check_constraint(op.f('ck_audit_log_alg'), "alg IN ('sha256','hmac-sha256')")
    op.execute("CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
               "BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END")
    op.execute("CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
               "BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END")

    capture.install(op.get_bind())


def downgrade() -> None:
    bind = op.get_bind()
    capture.uninstall(bind)
    op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
    op.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
    with op.batch_alter_table('audit_log', recreate='always',
                              table_kwargs={'sqlite_autoincrement': False}) as batch:
        batch.drop_constraint(op.f('ck_audit_log_alg'), type_='check')
        batch.drop_column('alg')
    op.execute("CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
               "BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END")
    op.execute("CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
               "BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END")
    with op.batch_alter_table('sync_state') as batch:
        batch.drop_column('push_batch')
        batch.drop_column('pull_page')
        batch.drop_column('audit_anchor')
    op.drop_index('ix_sync_quarantine_status', 'sync_quarantine')
    op.drop_index('ix_sync_quarantine_row', 'sync_quarantine')
    op.drop_table('sync_quarantine')
    tables: dict[str, list[str]] = {}
    for table, column in STAFF_REFS:
        tables.setdefault(table, []).append(column)
    for table, columns in tables.items():
        with op.batch_alter_table(table, recreate='always') as batch:
            for column in columns:
                batch.drop_constraint(f'fk_{table}_{column}_staff_directory', type_='foreignkey')
                batch.create_foreign_key(f'fk_{table}_{column}_staff', 'staff', [column], ['id'])
    op.execute("DROP TRIGGER IF EXISTS staff_directory_update")
    op.execute("DROP TRIGGER IF EXISTS staff_directory_insert")
    op.drop_table('staff_directory')
    capture.install(bind)
