"""SQLCipher: the one way shopdesk opens a database file.

A shop database is a SQLCipher 4 file (AES-256-CBC per page, HMAC-SHA512 per page,
through `sqlcipher3`, a DB-API module SQLAlchemy drives as its pysqlite dialect). Its
key is 32 random bytes in the OS keyring, or derived from a passphrase
(`shopdesk.db.dbkey`); it is given raw (``x'<key><salt>'``), so opening a connection
costs no key derivation. The first 16 bytes of the file are its salt, stored in clear
by SQLCipher: they name the database's keyring entry.

Everything that opens a shop database goes through `connect` (and `make_engine`,
which uses it): the app's engine, the sync engine's own engine, migrations, the copy
made before an upgrade, backups and restores. Nothing opens the file unencrypted;
only a plain file from before encryption is read without a key, to convert it
(`db.encrypt`).

Thread rule: a connection belongs to the thread that uses it (SQLAlchemy's pool
hands each one to one thread at a time); the functions here may be called from any.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlcipher3 import dbapi2 as sqlcipher

from shopdesk.errors import ShopdeskError

HEADER = b"SQLite format 3\x00"
KEY_BYTES, SALT_BYTES = 32, 16
Error = sqlcipher.Error
FileState = Literal["missing", "empty", "plain", "encrypted"]


class Connection(Protocol):
    """What shopdesk uses of a sqlcipher3 connection (the module has no type hints)."""

    def execute(self, sql: str, parameters: Any = ..., /) -> Any: ...

    def backup(self, target: Any, /) -> None: ...

    def close(self) -> None: ...


class DatabaseKeyError(ShopdeskError):
    """The key at hand does not open the database (or no key was found for it)."""


@dataclass(frozen=True, repr=False)
class DbKey:
    """A database's raw SQLCipher key and its salt. Never printed or logged."""

    key: bytes
    salt: bytes

    def __post_init__(self) -> None:
        if len(self.key) != KEY_BYTES or len(self.salt) != SALT_BYTES:
            raise ValueError("a database key is 32 bytes with a 16-byte salt")

    def __repr__(self) -> str:
        return "DbKey(<hidden>)"

    @property
    def pragma(self) -> str:
        # A raw key with its salt: SQLCipher skips PBKDF2 and writes this salt into
        # a new file (an existing file's salt must be the same).
        return f"PRAGMA key = \"x'{self.key.hex()}{self.salt.hex()}'\""

    def derive(self, purpose: str) -> bytes:
        """A 32-byte subkey for `purpose` (document files...), independent of the
        database key itself (HKDF-SHA256)."""
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=self.salt,
                    info=f"shopdesk {purpose} v1".encode()).derive(self.key)

    @property
    def check(self) -> str:
        """A short fingerprint to tell keys apart without revealing them."""
        return hashlib.sha256(b"shopdesk key check" + self.key).hexdigest()[:16]


def file_state(path: Path) -> FileState:
    """What is at `path`: nothing, an empty file, a plain SQLite file or an encrypted one."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(len(HEADER))
    except FileNotFoundError:
        return "missing"
    if not head:
        return "empty"
    return "plain" if head == HEADER else "encrypted"


def file_salt(path: Path) -> bytes:
    """The salt SQLCipher keeps in clear at the start of an encrypted file."""
    with open(path, "rb") as handle:
        salt = handle.read(SALT_BYTES)
    if len(salt) != SALT_BYTES:
        raise DatabaseKeyError(f"{path} is too short to be a shopdesk database")
    return salt


def connect(path: Path | str, key: DbKey | None, *, check_same_thread: bool = False,
            timeout: float = 10.0, verify: bool = True) -> Connection:
    """A connection to `path` keyed with `key` (None: a plain file, to convert it).

    The key is checked at once: a wrong key raises DatabaseKeyError with one line
    saying so, before anything reads or writes the file. Autocommit (explicit BEGIN).
    """
    con: Connection = sqlcipher.connect(str(path), check_same_thread=check_same_thread,
                                        timeout=timeout, isolation_level=None)
    try:
        # SQLCipher logs a failed HMAC check to stderr; the caller says it in one line.
        con.execute("PRAGMA cipher_log_level = NONE")
        if key is not None:
            con.execute(key.pragma)
            # Pin the on-disk format (SQLCipher 4 defaults), whatever a later
            # SQLCipher makes the default: db.pages reads and writes exactly this.
            con.execute("PRAGMA cipher_compatibility = 4")
        if verify:
            con.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlcipher.DatabaseError as exc:
        con.close()
        if "not a database" in str(exc) or "encrypted" in str(exc):
            what = "the database key" if key is not None else "no key"
            raise DatabaseKeyError(
                f"{path} cannot be opened with {what}: a wrong passphrase, a key from "
                "another computer, or a damaged file (nothing was changed)") from None
        raise
    return con


def integrity(con: Any, schema: str = "main") -> str:
    """'ok', or the first problem `PRAGMA integrity_check` finds."""
    row = con.execute(f"PRAGMA {schema}.integrity_check(1)").fetchone()
    return str(row[0]) if row else "no answer"


def tables(con: Any, schema: str = "main") -> list[str]:
    return [r[0] for r in con.execute(
        f"SELECT name FROM {schema}.sqlite_master WHERE type = 'table' "
        "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name")]


def counts(con: Any, schema: str = "main") -> dict[str, int]:
    """Rows in every table, to compare a copy with what it was made from."""
    return {t: int(con.execute(f'SELECT count(*) FROM {schema}."{t}"').fetchone()[0])
            for t in tables(con, schema)}


def check(path: Path | str, key: DbKey | None) -> tuple[str, dict[str, int]]:
    """(`integrity` answer, `counts`) of the database file at `path`, keyed with `key`:
    how every copy (encryption, backup, restore) is checked against its source."""
    con = connect(path, key)
    try:
        return integrity(con), counts(con)
    finally:
        con.close()


def export(con: Any, target: Path, key: DbKey) -> None:
    """Copy `con`'s main database into a new encrypted file (SQLCipher's
    sqlcipher_export: schema, rows, user_version). `con` must not be in a
    transaction (ATTACH cannot run inside one)."""
    con.execute(f"ATTACH DATABASE ? AS target KEY \"x'{key.key.hex()}{key.salt.hex()}'\"",
                (str(target),))
    try:
        con.execute("PRAGMA target.cipher_compatibility = 4")
        con.execute("SELECT sqlcipher_export('target')").fetchall()
        version = con.execute("PRAGMA main.user_version").fetchone()[0]
        con.execute(f"PRAGMA target.user_version = {int(version)}")
    finally:
        con.execute("DETACH DATABASE target")
