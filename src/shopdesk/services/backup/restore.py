"""Restores (spec 12.2): the whole database from a backup, or one customer.

**Whole database** (`database`): the backup is verified first; the database as it is
now is backed up ("before-restore", unless the directory holds no staff yet: a
new computer); the backup's database is written under this data directory's key
to ``<name>.restoring``, checked (`integrity_check`, the row counts the backup
recorded) and upgraded if it is from an older schema; the documents and keys it
carries are put back; then, with every connection closed, it replaces the live
file in one rename. Until that rename nothing the app reads has changed. Numbers
this counter already handed out (customer codes, ticket numbers, audit entries)
are never handed out again: the restored file continues after the higher of the
backup's and the replaced database's. A counter joined to a central database is
marked restored (`local_meta` ``sync.restored``), so its next sync round resumes
instead of pausing as for a copied file (`shopdesk.sync.engine`).

**One customer** (`customer`): the customer and everything hanging off them
(`models.sync` CUSTOMER_REFS and PARENT_REFS: preferences, loyalty, documents,
devices, tickets and their devices and status history, service records and parts,
support tickets and events) are read from the backup without unpacking it (`vfs`)
and written into the live database in one transaction, as new changes: inserted
where missing, updated where they differ, so capture sends them to the other
counters. Rows made since the backup are kept.

Thread rule: call off the GUI thread (they read the whole backup, or part of it).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from shopdesk import paths
from shopdesk.changes import Changes
from shopdesk.db import cipher, dbkey, migrate, pages
from shopdesk.db.engine import make_engine
from shopdesk.domain.permissions import Permission
from shopdesk.errors import NotFound, ShopdeskError
from shopdesk.services.audit import AuditTrail
from shopdesk.services.backup import archive
from shopdesk.services.backup.backups import (
    LAST_GOOD_META,
    RESTORED_FROM_META,
    RESULTS_META,
    BackupService,
    SecretSource,
)
from shopdesk.services.backup.parts import key_stores, page_image, parse_recovery_code
from shopdesk.services.backup.restore_one import PARENTS_FIRST, as_uuid, graph, upsert
from shopdesk.services.customers.document_files import DocumentFiles
from shopdesk.services.store import Actor, Store

RESTORED_META = "sync.restored"
# Where this counter's numbers show: (table, column, local sequence).
SEQUENCES = (("customers", "code", "customer"), ("repair_tickets", "number", "repair_ticket"),
              ("support_tickets", "number", "support_ticket"))


@dataclass(frozen=True)
class RestoreReport:
    backup: str
    created_at: str
    schema: str
    upgraded: bool
    counts: dict[str, int]
    documents: int
    keys: tuple[str, ...]
    safety_backup: str | None
    resumes_sync: bool
    seconds: float


@dataclass(frozen=True)
class CustomerRestoreReport:
    customer_id: str
    code: str
    name: str
    inserted: dict[str, int]
    updated: dict[str, int]
    documents: int
    seconds: float
    changes: Changes


def _remove(*files: Path) -> None:
    for file in files:
        file.unlink(missing_ok=True)


class RestoreService:
    """Restores into this data directory (see the module docstring). Any thread but
    the GUI's."""

    def __init__(self, store: Store, audit: AuditTrail, backups: BackupService,
                 files: DocumentFiles, secrets_source: SecretSource | None = None) -> None:
        self._store, self._audit, self._backups = store, audit, backups
        self._files, self._secrets = files, secrets_source

    def _key(self, recovery: str | None) -> bytes:
        return parse_recovery_code(recovery) if recovery else self._backups.backup_key()

    # -- the whole database ---------------------------------------------------------
    def database(self, path: Path, recovery: str | None,
                 close: Callable[[], None]) -> RestoreReport:
        """Replace the database with the backup at `path`. `close` shuts every
        connection of the caller (the Shop); the Shop must be opened again after."""
        actor = self._store.require(Permission.RESTORE_BACKUPS)
        started = time.perf_counter()
        db_path = paths.database_path(self._store.root)
        key = self._store.db_key or dbkey.existing(db_path)
        work = db_path.with_name(db_path.name + ".restoring")
        _remove(work)
        with archive.ArchiveReader(path, self._key(recovery)) as reader:
            # Checked as it is restored: every block and hash as it is read, then the
            # rebuilt database (integrity_check, the rows the backup recorded).
            manifest = reader.manifest
            safety = None
            if self._has_staff():
                try:
                    safety = self._backups.run("before-restore", prune=False).name
                except ShopdeskError as exc:
                    raise ShopdeskError(f"the current database could not be backed up "
                                        f"first ({exc}); nothing was restored") from None
            live = self._live_numbers()
            try:
                pages.write_encrypted(work, page_image(reader), key)
                upgraded = self._check_restored(work, key, manifest)
                resumes = self._mark(work, key, live, path.name, db_path)
                documents = self._put_documents(reader)
                kept = self._put_keys(reader, work, key)
            except BaseException:
                _remove(work)
                raise
        close()
        self._replace(db_path, work, key)
        report = RestoreReport(path.name, str(manifest.get("created_at", "")),
                               str(manifest.get("schema", "")), upgraded,
                               dict(manifest.get("counts", {})), documents, kept, safety,
                               resumes, time.perf_counter() - started)
        self._record(db_path, key, actor, report)
        return report

    def _has_staff(self) -> bool:
        with self._store.read() as session:
            return bool(session.connection().execute(text("SELECT count(*) FROM staff")
                                                      ).scalar_one())

    def _live_numbers(self) -> dict[str, Any]:
        """The highest numbers the current database handed out, never to be reused, and
        its record of backups (which are still in the folder, and were checked)."""
        with self._store.read() as session:
            conn = session.connection()
            found: dict[str, Any] = {k: int(v) for k, v in conn.execute(text(
                "SELECT key, value FROM local_meta WHERE key LIKE 'seq.%'")).all()}
            found["audit"] = int(conn.execute(text(
                "SELECT coalesce(max(seq), 0) FROM sqlite_sequence WHERE name = 'audit_log'")
            ).scalar_one())
            found.update(conn.execute(text(
                "SELECT key, value FROM local_meta WHERE key IN (:r, :g)"),
                {"r": RESULTS_META, "g": LAST_GOOD_META}).all())
        return found

    def _check_restored(self, work: Path, key: cipher.DbKey, manifest: dict[str, Any]) -> bool:
        problem, counts = cipher.check(work, key)
        if problem != "ok" or counts != manifest.get("counts"):
            raise ShopdeskError(f"the restored database failed its check ({problem}); "
                                "nothing was restored")
        if migrate.current_revision(work, key) != migrate.SCHEMA_HEAD:
            migrate.upgrade(work, key, copy_first=False)
            return True
        return False

    def _mark(self, work: Path, key: cipher.DbKey, live: dict[str, Any], name: str,
              db_path: Path) -> bool:
        con = cipher.connect(work, key)
        try:
            con.execute("BEGIN IMMEDIATE")
            for meta_key in (RESULTS_META, LAST_GOOD_META):
                if meta_key in live:
                    con.execute("INSERT OR REPLACE INTO local_meta (key, value) VALUES (?, ?)",
                                (meta_key, live[meta_key]))
            for seq_key, value in live.items():
                if seq_key.startswith("seq."):
                    con.execute("INSERT INTO local_meta (key, value) VALUES (?, ?) ON CONFLICT "
                                "(key) DO UPDATE SET value = max(CAST(value AS INTEGER), "
                                "CAST(excluded.value AS INTEGER))", (seq_key, str(value)))
            con.execute("UPDATE sqlite_sequence SET seq = max(seq, ?) WHERE name = 'audit_log'",
                        (live.get("audit", 0),))
            # Backups taken after this one, before the restore, hold audit entries the
            # restored trail never had: `newest_anchor` looks only at later backups.
            con.execute("INSERT OR REPLACE INTO local_meta (key, value) VALUES (?, ?)",
                        (RESTORED_FROM_META, json.dumps({
                            "backup": name, "at": self._store.clock().isoformat()})))
            state = con.execute("SELECT device_id, next_seq FROM sync_state WHERE one = 1"
                                ).fetchone()
            resumes = bool(state and state[0])
            if resumes:
                marker = json.dumps({"backup": name, "next_seq": int(state[1]),
                                     "at": self._store.clock().isoformat()})
                con.execute("INSERT OR REPLACE INTO local_meta (key, value) VALUES (?, ?)",
                            (RESTORED_META, marker))
                # An explicit restore, here: not a copy that must pause (its path).
                con.execute("UPDATE sync_state SET db_path = ?, paused_reason = NULL",
                            (str(db_path),))
            con.execute("COMMIT")
        finally:
            con.close()
        return resumes

    def _put_documents(self, reader: archive.ArchiveReader) -> int:
        done = 0
        for name in reader.members:
            if name.startswith("documents/"):
                self._files.put(reader.read(name))
                done += 1
        return done

    def _put_keys(self, reader: archive.ArchiveReader, work: Path, key: cipher.DbKey
                  ) -> tuple[str, ...]:
        con = cipher.connect(work, key)
        try:
            meta = dict(con.execute("SELECT key, value FROM local_meta").fetchall())
        finally:
            con.close()
        stores = key_stores(self._store.root, {"audit_key_id": meta.get("audit.key_id"),
                                               "node": meta.get("node_tag")})
        extra: dict[str, bytes] = {}
        for member in reader.members:
            if not member.startswith("keys/"):
                continue
            name = member.removeprefix("keys/")
            if name in stores:
                stores[name].install(reader.read(member))
            else:
                extra[name] = reader.read(member)
        if extra and self._secrets is not None:
            self._secrets.install(extra)
        return tuple(sorted(m.removeprefix("keys/") for m in reader.members
                            if m.startswith("keys/")))

    @staticmethod
    def _replace(db_path: Path, work: Path, key: cipher.DbKey) -> None:
        con = cipher.connect(db_path, key)
        try:
            # Everything in the old file's WAL goes into it, and no other connection
            # may hold it (leaving WAL needs that): the rename cannot strand a writer.
            con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            mode = con.execute("PRAGMA journal_mode = DELETE").fetchone()[0]
        finally:
            con.close()
        if str(mode).lower() != "delete":
            _remove(work)
            raise ShopdeskError(f"{db_path} is open in another shopdesk (a window or a "
                                "command): close it and restore again; nothing was restored")
        os.replace(work, db_path)
        _remove(Path(f"{db_path}-wal"), Path(f"{db_path}-shm"))

    def _record(self, db_path: Path, key: cipher.DbKey, actor: Actor,
                report: RestoreReport) -> None:
        engine = make_engine(db_path, key)
        try:
            store = Store(self._store.root, engine, self._store.clock, db_key=key)
            store.actor = actor
            with store.write() as session:
                AuditTrail(store).append(session, actor, "restore", "backup", report.backup, {
                    "created_at": report.created_at, "schema": report.schema,
                    "upgraded": report.upgraded, "safety_backup": report.safety_backup})
        finally:
            engine.dispose()

    # -- one customer ---------------------------------------------------------------
    def customer(self, path: Path, code: str, recovery: str | None = None
                 ) -> CustomerRestoreReport:
        """Put one customer and their records back from the backup at `path`."""
        actor = self._store.require(Permission.RESTORE_BACKUPS)
        started = time.perf_counter()
        from shopdesk.services.backup.vfs import close_database, open_database

        with archive.ArchiveReader(path, self._key(recovery)) as reader:
            con = open_database(reader)
            try:
                found = con.execute("SELECT id, code, first_name, last_name FROM customers "
                                    "WHERE code = ?", (code.strip().upper(),)).fetchone()
                if found is None:
                    raise NotFound(f"no customer {code} in the backup {path.name}")
                rows = graph(con, found[0])
            finally:
                close_database(con)
            hashes = [r["content_hash"] for r in rows.get("customer_documents", [])]
            blobs = [reader.read(f"documents/{h}") for h in hashes
                     if f"documents/{h}" in reader.members]
        inserted: dict[str, int] = {}
        updated: dict[str, int] = {}
        try:
            with self._store.write() as session:
                conn = session.connection()
                for table in PARENTS_FIRST:
                    for row in rows.get(table, []):
                        outcome = upsert(conn, table, row)
                        if outcome == "inserted":
                            inserted[table] = inserted.get(table, 0) + 1
                        elif outcome == "updated":
                            updated[table] = updated.get(table, 0) + 1
                self._audit.append(session, actor, "restore_customer", "customer",
                                   as_uuid(found[0]), {"backup": path.name,
                                                     "inserted": inserted, "updated": updated})
        except IntegrityError as exc:
            raise ShopdeskError(f"customer {found[1]} cannot be restored beside the current "
                                f"records ({str(exc.orig).splitlines()[0]}); nothing was "
                                "restored") from None
        for blob in blobs:
            self._files.put(blob)
        changes = Changes(customers=frozenset({as_uuid(found[0])}),
                          devices=frozenset(as_uuid(r["id"]) for r in rows.get("devices", [])),
                          tickets=frozenset(as_uuid(r["id"])
                                            for r in rows.get("repair_tickets", [])),
                          support=frozenset(as_uuid(r["id"])
                                            for r in rows.get("support_tickets", [])),
                          documents=frozenset({as_uuid(found[0])}) if blobs else frozenset())
        self._store.publish(changes)
        return CustomerRestoreReport(found[0], found[1], f"{found[2]} {found[3]}", inserted,
                                     updated, len(blobs), time.perf_counter() - started,
                                     changes)
