"""Backups of one data directory (spec 12.1): taken, verified, listed, pruned.

A backup (`archive`) holds what a rebuilt counter needs that is not on the central
server, and what is: the whole database as it was at one instant (customers,
devices, tickets, staff accounts and their PIN hashes, settings, the audit trail,
this counter's sync position and queued changes), every document file, and the
keys kept outside the database (the audit trail's HMAC key, the passcode key, the
sync credential and CA certificate, through `SecretSource`). It does not hold the
database key: a restore writes the database under the key of the data directory it
is restored into.

Each backup is made from a snapshot (`snapshot`: a copy that passed
`integrity_check` with every table holding the rows the source had at the moment of
the copy), written under a temporary name (``.part``), verified (the file opens with
the key and is read back whole: every block decrypts, and the database's pages and
every document match the SHA-256 taken while writing, so it holds exactly the checked
copy), then renamed; the result is recorded (`local_meta`, the audit trail) whether
it succeeded or not. `verify` (``shopdesk backup verify``) goes further on any
backup: it rebuilds the database from the file and runs `integrity_check` and the
row counts on that. A failure (a full disk, an unplugged USB disk) leaves the
previous backups and the live database as they were. Backups are encrypted with
the shop's backup key, kept in the (encrypted) database and shown to a manager as
the recovery key: with it, a backup can be restored on a new computer.

Thread rule: `run` and `verify` may take minutes; call them off the GUI thread
(`runner`). Everything else is quick and safe from any thread.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from shopdesk import __version__, paths, private_files
from shopdesk.db import cipher, dbkey, pages
from shopdesk.domain.permissions import Permission, Role
from shopdesk.errors import ShopdeskError
from shopdesk.models import LocalMeta
from shopdesk.services.audit import Anchor, AuditTrail
from shopdesk.services.backup import archive, retention, snapshot
from shopdesk.services.backup.parts import (
    DATABASE,
    BackupInfo,
    BackupResult,
    BackupStatus,
    chunked,
    describe_failure,
    facts_of,
    key_stores,
    page_image,
    parse_recovery_code,
    recovery_code,
    stamp,
)
from shopdesk.services.settings import SettingsService
from shopdesk.services.store import Actor, Store

KEY_META, RESULTS_META, LAST_GOOD_META = "backup.key", "backup.results", "backup.last_good"
RESTORED_FROM_META = "backup.restored_from"
MAX_AGE = timedelta(days=1)
_PAGES_PER_CHUNK = archive.BLOCK // pages.PAGE_SIZE
_KEPT_RESULTS = 60


class BackupFailed(ShopdeskError):
    """A backup was not made (the reason is the message); nothing else changed."""


class SecretSource(Protocol):
    """Secrets kept outside the database by a layer above this one (sync)."""

    def collect(self) -> dict[str, bytes]: ...

    def install(self, items: dict[str, bytes]) -> None: ...


class BackupService:
    """Takes, checks, lists and prunes this counter's backups (module docstring)."""

    def __init__(self, store: Store, audit: AuditTrail, settings: SettingsService,
                 secrets_source: SecretSource | None = None) -> None:
        self._store, self._audit, self._settings = store, audit, settings
        self._secrets = secrets_source
        self.db_path = paths.database_path(store.root)

    # -- where and with what -------------------------------------------------------
    def folder(self) -> Path:
        chosen = self._settings.get("backup.folder")
        return Path(chosen).expanduser() if chosen else paths.backups_dir(self._store.root)

    def backup_key(self) -> bytes:
        """The shop's backup key (made once, kept in the encrypted database)."""
        with self._store.read() as session:
            row = session.get(LocalMeta, KEY_META)
            if row is not None:
                return bytes.fromhex(row.value)
        with self._store.write() as session:
            row = session.get(LocalMeta, KEY_META)
            if row is None:
                row = LocalMeta(key=KEY_META, value=secrets.token_bytes(32).hex())
                session.add(row)
            return bytes.fromhex(row.value)

    def recovery_key(self) -> str:
        """The recovery key to write down: it opens every backup of this shop."""
        actor = self._store.require(Permission.RESTORE_BACKUPS)
        key = self.backup_key()
        with self._store.write() as session:
            self._audit.append(session, actor, "show_recovery_key", "backup", "-", {})
        return recovery_code(key)

    # -- taking one --------------------------------------------------------------
    def run(self, reason: str = "manual", clock: Callable[[], datetime] | None = None,
            prune: bool = True) -> BackupResult:
        """Take, verify and keep one backup; prune the ones no longer kept (unless
        `prune` is False: a restore keeps the backup it restores). Raises
        BackupFailed (after recording why) when no backup could be made."""
        actor = (Actor(None, "automatic backup", Role.OWNER) if reason == "auto"
                 else self._store.require(Permission.BACK_UP))
        now = (clock or self._store.clock)()
        folder = self.folder()
        name = self._free_name(folder, f"shopdesk-{self._store.node_tag}-{stamp(now)}",
                               reason)
        started = time.perf_counter()
        result: BackupResult
        try:
            result = self._make(folder, name, reason, now, started)
        except (ShopdeskError, OSError, cipher.Error) as exc:
            problem = describe_failure(exc, folder)
            result = BackupResult(False, name, None, now.isoformat(), problem,
                                  time.perf_counter() - started)
            self._record(actor, result)
            raise BackupFailed(f"backup failed: {problem}") from None
        self._record(actor, result)
        if prune:
            self.prune(now)
        return result

    def _free_name(self, folder: Path, stem: str, reason: str) -> str:
        """A name no backup in `folder` (or recorded here) has: two in one second
        get -2, -3..."""
        taken = set(self._results())
        for n in range(1, 1000):
            name = f"{stem}{'' if n == 1 else f'-{n}'}-{reason}{archive.SUFFIX}"
            if name not in taken and not (folder / name).exists():
                return name
        raise BackupFailed(f"too many backups named {stem} in {folder}")

    def _make(self, folder: Path, name: str, reason: str, now: datetime,
              started: float) -> BackupResult:
        key = self._store.db_key or dbkey.existing(self.db_path)
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob(f"shopdesk-{self._store.node_tag}-*{archive.SUFFIX}.part"):
            stale.unlink()  # left by a backup that was killed; never a finished one
        snapshot.clear_leftovers(self._store.root)
        backup_key = self.backup_key()
        snap = snapshot.take(self.db_path, key, self._store.root)
        part = folder / f"{name}.part"
        writer: archive.ArchiveWriter | None = None
        try:
            facts = facts_of(snap)
            writer = archive.ArchiveWriter(part, backup_key, {
                "created_at": now.isoformat(), "reason": reason, "node": self._store.node_tag,
                "schema": facts["schema"], "app": __version__})
            db_member = writer.add(DATABASE, chunked(pages.plain_pages(snap.path, snap.key),
                                                      _PAGES_PER_CHUNK))
            documents, missing = self._add_documents(writer, facts["documents"])
            kept_keys = self._add_keys(writer, facts)
            writer.finish({"created_at": now.isoformat(), "reason": reason,
                           "node": self._store.node_tag, "schema": facts["schema"],
                           "counts": snap.counts, "documents": documents,
                           "missing_documents": missing, "keys": kept_keys,
                           "audit_anchor": facts["anchor"], "sync": facts["sync"]})
            writer = None
            # The snapshot passed integrity_check with the source's row counts; the
            # file must hold exactly its pages (read back whole, every hash checked).
            problem = self.check(part, backup_key, snap.counts, rebuild=False)
            if problem:
                raise BackupFailed(problem)
            final = folder / name
            os.replace(part, final)
        except BaseException:
            if writer is not None:
                writer.abort()
            elif part.exists():
                part.unlink()
            raise
        finally:
            snap.remove()
        note = f"{len(missing)} document file(s) missing from the data directory" if missing \
            else ""
        return BackupResult(True, name, final, now.isoformat(), note,
                            time.perf_counter() - started, final.stat().st_size,
                            db_member.size, len(documents), dict(snap.counts))

    def _add_documents(self, writer: archive.ArchiveWriter,
                       hashes: list[str]) -> tuple[list[str], list[str]]:
        from shopdesk.services.customers.document_files import DocumentFiles

        files = DocumentFiles(self._store.root, (self._store.db_key or dbkey.existing(
            self.db_path)).derive("documents"))
        kept, missing = [], []
        for digest in hashes:
            try:
                data = files.read(digest)
            except ShopdeskError:
                missing.append(digest)
                continue
            writer.add(f"documents/{digest}", [data])
            kept.append(digest)
        return kept, missing

    def _add_keys(self, writer: archive.ArchiveWriter, facts: dict[str, Any]) -> list[str]:
        found: dict[str, bytes] = {}
        for name, local in key_stores(self._store.root, facts).items():
            value = local.get()
            if value:
                found[name] = value
        if self._secrets is not None:
            found.update(self._secrets.collect())
        for name, value in sorted(found.items()):
            writer.add(f"keys/{name}", [value])
        return sorted(found)

    # -- checking one ---------------------------------------------------------------
    def check(self, path: Path, backup_key: bytes, expected: dict[str, int] | None = None,
              rebuild: bool = True) -> str:
        """'' when the backup at `path` is sound, else what is wrong. Every block must
        decrypt and every member match its SHA-256 (the file holds exactly what was
        written). With `rebuild`, the database is also rebuilt from the file (under a
        throwaway key, in ``<data dir>/tmp``) and must pass `integrity_check` and hold
        the rows `expected` (else those the backup recorded)."""
        try:
            with archive.ArchiveReader(path, backup_key) as reader:
                for name in reader.members:
                    if name != DATABASE or not rebuild:
                        for _chunk in reader.chunks(name):
                            pass
                if rebuild:
                    want = expected if expected is not None else reader.manifest.get("counts")
                    return self._rebuilt(reader, want or {})
        except archive.BackupError as exc:
            return str(exc)
        return ""

    def _rebuilt(self, reader: archive.ArchiveReader, want: dict[str, int]) -> str:
        member = reader.member(DATABASE)
        folder = private_files.private_dir(snapshot.work_dir(self._store.root))
        snapshot.ensure_space(folder, member.size)
        throwaway = cipher.DbKey(secrets.token_bytes(32), secrets.token_bytes(16))
        work = folder / f"snapshot-check-{secrets.token_hex(8)}.sqlite"
        try:
            pages.write_encrypted(work, page_image(reader), throwaway)
            problem, counts = cipher.check(work, throwaway)
        except pages.PageError as exc:
            return f"the database in the backup cannot be rebuilt: {exc}"
        finally:
            work.unlink(missing_ok=True)
        if problem != "ok":
            return f"the database in the backup fails integrity_check: {problem}"
        if counts != want:
            differ = sorted(t for t in set(counts) | set(want) if counts.get(t) != want.get(t))
            return f"the backup's row counts differ from the source in {differ}"
        return ""

    def verify(self, path: Path, recovery: str | None = None) -> BackupResult:
        """Check a backup as `run` does after writing one; records the result."""
        key = parse_recovery_code(recovery) if recovery else self.backup_key()
        started = time.perf_counter()
        header = archive.read_header(path)
        problem = self.check(path, key)
        result = BackupResult(not problem, path.name, path, str(header.get("created_at", "")),
                              problem, time.perf_counter() - started, path.stat().st_size)
        self._record(None, result, verified_only=True)
        return result

    # -- what is there ---------------------------------------------------------------
    def available(self, folder: Path | None = None) -> list[BackupInfo]:
        """The backups in the folder, newest first (every counter's, if it is shared)."""
        folder = folder or self.folder()
        results = self._results()
        found: list[tuple[Path, dict[str, Any], datetime]] = []
        for path in folder.glob(f"*{archive.SUFFIX}") if folder.is_dir() else []:
            try:
                header = archive.read_header(path)
                when = datetime.fromisoformat(header["created_at"])
            except (archive.BackupError, KeyError, ValueError):
                continue
            found.append((path, header, when))
        mine = [(p.name, w) for p, h, w in found if h.get("node") == self._store.node_tag]
        roles = retention.roles(mine, self._store.clock())
        out = []
        for path, header, when in sorted(found, key=lambda item: item[2], reverse=True):
            record = results.get(path.name, {})
            out.append(BackupInfo(path.name, path, when, str(header.get("reason", "")),
                                  str(header.get("node", "")), str(header.get("schema", "")),
                                  path.stat().st_size, record.get("ok"),
                                  str(record.get("problem", "")),
                                  tuple(sorted(roles.get(path.name, ())))))
        return out

    def newest_anchor(self) -> tuple[Anchor | None, str]:
        """The audit anchor in this counter's newest backup, and which backup it was.
        After a restore, only the backup restored and those taken since count: the
        ones in between hold entries the restored trail never had."""
        with self._store.read() as session:
            row = session.get(LocalMeta, RESTORED_FROM_META)
            restored = json.loads(row.value) if row else None
        for info in self.available():
            if info.node != self._store.node_tag:
                continue
            if restored and info.name != restored["backup"] and \
                    info.created_at < datetime.fromisoformat(restored["at"]):
                continue
            try:
                with archive.ArchiveReader(info.path, self.backup_key()) as reader:
                    anchor = Anchor.from_json(reader.manifest.get("audit_anchor"))
            except archive.BackupError:
                continue
            return anchor, f"the backup {info.name}"
        return None, ""

    def prune(self, now: datetime | None = None) -> list[str]:
        """Delete this counter's backups no longer kept (`retention`)."""
        mine = [(i.name, i.created_at) for i in self.available() if i.node == self._store.node_tag]
        gone = retention.to_delete(mine, now or self._store.clock())
        for name in gone:
            (self.folder() / name).unlink(missing_ok=True)
        return gone

    def status(self) -> BackupStatus:
        with self._store.read() as session:
            row = session.get(LocalMeta, LAST_GOOD_META)
            last_good = datetime.fromisoformat(row.value) if row else None
        results = self._results()
        last = max(results.values(), key=lambda r: r.get("at", ""), default=None)
        overdue = last_good is None or self._store.clock() - last_good > MAX_AGE
        return BackupStatus(self.folder(), last_good, last, overdue)

    def due(self) -> bool:
        """Whether an automatic backup should run now (none good within a day)."""
        if self._settings.get("backup.auto") != "true":
            return False
        return self.status().overdue

    # -- records ----------------------------------------------------------------------
    def _results(self) -> dict[str, dict[str, Any]]:
        with self._store.read() as session:
            row = session.get(LocalMeta, RESULTS_META)
            found: dict[str, dict[str, Any]] = json.loads(row.value) if row else {}
        return found

    def _record(self, actor: Actor | None, result: BackupResult,
                verified_only: bool = False) -> None:
        with self._store.write() as session:
            row = session.get(LocalMeta, RESULTS_META)
            results = json.loads(row.value) if row else {}
            results[result.name] = result.as_json()
            newest = sorted(results.items(), key=lambda kv: kv[1].get("at", ""))[-_KEPT_RESULTS:]
            value = json.dumps(dict(newest))
            if row is None:
                session.add(LocalMeta(key=RESULTS_META, value=value))
            else:
                row.value = value
            if result.ok and not verified_only:
                good = session.get(LocalMeta, LAST_GOOD_META)
                if good is None:
                    session.add(LocalMeta(key=LAST_GOOD_META, value=result.at))
                else:
                    good.value = max(good.value, result.at)
            if actor is not None:
                self._audit.append(session, actor, "backup", "backup", result.name,
                                   result.as_json())


