"""The pieces of a backup the service, the restore and the window share.

The views (`BackupResult`, `BackupInfo`, `BackupStatus`), the recovery key as people
write it down, what a backup says about itself (`facts`, read from its snapshot),
the keys outside the database it carries (`key_stores`), the page image of its
database, and the one-line wording of a failure. Pure or file-level; any thread.
"""

from __future__ import annotations

import base64
import errno
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from shopdesk.db import cipher, migrate, pages
from shopdesk.errors import ShopdeskError
from shopdesk.services.backup import archive, snapshot
from shopdesk.services.keys import LocalKey

DATABASE = "database.sqlite"


@dataclass(frozen=True)
class BackupResult:
    ok: bool
    name: str
    path: Path | None
    at: str
    problem: str = ""
    seconds: float = 0.0
    size: int = 0
    database_bytes: int = 0
    documents: int = 0
    counts: dict[str, int] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "name": self.name, "at": self.at, "problem": self.problem,
                "seconds": round(self.seconds, 2), "size": self.size}


@dataclass(frozen=True)
class BackupInfo:
    name: str
    path: Path
    created_at: datetime
    reason: str
    node: str
    schema: str
    size: int
    verified: bool | None  # None: not verified on this counter
    problem: str
    roles: tuple[str, ...]


@dataclass(frozen=True)
class BackupStatus:
    folder: Path
    last_good_at: datetime | None
    last: dict[str, Any] | None  # the newest result, good or not
    overdue: bool


def recovery_code(key: bytes) -> str:
    """The backup key as people can write it down: base32 in groups of four."""
    text = base64.b32encode(key).decode("ascii").rstrip("=")
    return "-".join(text[i:i + 4] for i in range(0, len(text), 4))


def parse_recovery_code(code: str) -> bytes:
    text = "".join(ch for ch in code.upper() if ch.isalnum())
    try:
        key = base64.b32decode(text + "=" * (-len(text) % 8))
    except ValueError:
        key = b""
    if len(key) != 32:
        raise ShopdeskError("recovery key: not a shopdesk recovery key (52 letters and "
                            "digits, in groups of four)")
    return key


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def chunked(items: Iterable[bytes], per: int) -> Iterator[bytes]:
    batch: list[bytes] = []
    for item in items:
        batch.append(item)
        if len(batch) == per:
            yield b"".join(batch)
            batch = []
            time.sleep(0)  # hand the interpreter to the window's thread between blocks
    if batch:
        yield b"".join(batch)


def key_stores(root: Path, facts: dict[str, Any]) -> dict[str, LocalKey]:
    """The keys kept outside the database that a backup carries, by archive name."""
    stores: dict[str, LocalKey] = {}
    if facts.get("audit_key_id"):
        stores["audit.key"] = LocalKey(root, "audit", keyring_name=(
            f"audit-key-{facts['audit_key_id']}"), create=False)
    if facts.get("node"):
        stores["passcode.key"] = LocalKey(root, "passcode", keyring_name=(
            f"passcode-key-{facts['node']}"), create=False)
    return stores


def page_image(reader: archive.ArchiveReader) -> Iterator[bytes]:
    """The plain pages of the backup's database, in order (checked against its hash)."""
    for chunk in reader.chunks(DATABASE):
        for start in range(0, len(chunk), pages.PAGE_SIZE):
            yield chunk[start:start + pages.PAGE_SIZE]


def facts_of(snap: snapshot.Snapshot) -> dict[str, Any]:
    """What the backup says about itself, read from the snapshot."""
    con = cipher.connect(snap.path, snap.key)
    try:
        meta = dict(con.execute("SELECT key, value FROM local_meta").fetchall())
        schema = con.execute("SELECT version_num FROM alembic_version").fetchone()
        anchor = con.execute("SELECT node, seq, hash FROM audit_log ORDER BY seq DESC "
                             "LIMIT 1").fetchone()
        documents = [r[0] for r in con.execute(
            "SELECT DISTINCT content_hash FROM customer_documents ORDER BY content_hash")]
        sync = con.execute("SELECT device_id, next_seq, pull_cursor, device_last_seq "
                           "FROM sync_state WHERE one = 1").fetchone()
    finally:
        con.close()
    return {"schema": schema[0] if schema else migrate.SCHEMA_HEAD,
            "node": meta.get("node_tag"), "audit_key_id": meta.get("audit.key_id"),
            "anchor": {"node": anchor[0], "seq": anchor[1], "hash": anchor[2]} if anchor
            else None, "documents": documents,
            "sync": dict(zip(("device_id", "next_seq", "pull_cursor", "device_last_seq"),
                             sync, strict=True)) if sync else None}


def describe_failure(exc: BaseException, folder: Path) -> str:
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return (f"the backup folder {folder} is full (no space left on the device); the "
                "previous backups and the live database are untouched")
    if isinstance(exc, OSError):
        return (f"the backup folder {folder} cannot be written ({exc.strerror or exc}); the "
                "previous backups and the live database are untouched")
    return str(exc)
