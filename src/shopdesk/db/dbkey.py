"""Where a shop database's key comes from: the OS keyring, or a passphrase.

- **Keyring** (Windows Credential Manager, macOS Keychain, Secret Service): a new
  database gets 32 random bytes, kept as ``database-key-<salt>`` (service
  "shopdesk"), the salt being the file's own first 16 bytes, so the entry follows
  the data directory's database wherever the folder is moved on this computer.
- **Passphrase**, where there is no keyring (a headless box) or when one is given:
  the key is scrypt(passphrase, salt) (N=2^15, r=8, p=1). The passphrase comes from
  the window's prompt at start, or `SHOPDESK_DB_PASSPHRASE` for the command line and
  service accounts. It is never stored; the derived key stays in this process's
  memory only.

A new database prefers a given passphrase, then the keyring; with neither,
`KeyUnavailable(new=True)` tells the window to ask for a passphrase to choose. An
existing database tries its keyring entry, then the passphrase. Any thread; derived
keys are cached per (salt, passphrase) so scrypt runs once per process.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import threading
from pathlib import Path
from typing import Any

from shopdesk import keychain
from shopdesk.db.cipher import (
    KEY_BYTES,
    SALT_BYTES,
    DatabaseKeyError,
    DbKey,
    file_salt,
    file_state,
)
from shopdesk.db.cipher import connect as cipher_connect

ENV_PASSPHRASE = "SHOPDESK_DB_PASSPHRASE"
KEYRING_PREFIX = "database-key-"
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2 ** 15, 8, 1
MIN_PASSPHRASE = 8

_cache: dict[tuple[bytes, str], DbKey] = {}
_lock = threading.Lock()


class KeyUnavailable(DatabaseKeyError):
    """No key for this database here: neither in the keyring nor a passphrase given.
    `new` is True when the database is about to be created or encrypted (the window
    asks for a passphrase to choose, twice) rather than opened."""

    def __init__(self, message: str, new: bool) -> None:
        super().__init__(message)
        self.new = new


def keyring_name(salt: bytes) -> str:
    return f"{KEYRING_PREFIX}{salt.hex()}"


def from_passphrase(passphrase: str, salt: bytes) -> DbKey:
    """The key a passphrase gives for this salt (scrypt, about 0.1 s; cached)."""
    with _lock:
        found = _cache.get((salt, passphrase))
    if found is None:
        raw = hashlib.scrypt(passphrase.encode("utf-8"), salt=salt, n=SCRYPT_N, r=SCRYPT_R,
                             p=SCRYPT_P, maxmem=64 * 1024 * 1024, dklen=KEY_BYTES)
        found = DbKey(raw, salt)
        with _lock:
            _cache[(salt, passphrase)] = found
    return found


def _from_keyring(salt: bytes) -> DbKey | None:
    with _lock:
        found = _cache.get((salt, ""))
    if found is not None:
        return found
    stored = keychain.get(keyring_name(salt))
    if not stored:
        return None
    try:
        found = DbKey(bytes.fromhex(stored), salt)
    except ValueError:
        return None
    with _lock:
        _cache[(salt, "")] = found
    return found


def _given(passphrase: str | None) -> str | None:
    return passphrase or os.environ.get(ENV_PASSPHRASE) or None


def existing(db_path: Path, passphrase: str | None = None) -> DbKey:
    """The key of the encrypted database at `db_path`, or KeyUnavailable."""
    salt = file_salt(db_path)
    found = _from_keyring(salt)
    if found is not None:
        return found
    given = _given(passphrase)
    if given:
        return from_passphrase(given, salt)
    raise KeyUnavailable(
        f"the database {db_path} is encrypted and its key is not in this computer's "
        f"keyring: give its passphrase (${ENV_PASSPHRASE} for the command line)", new=False)


def new(db_path: Path, passphrase: str | None = None) -> DbKey:
    """A key for a database about to be created (or a plain one about to be encrypted)."""
    salt = secrets.token_bytes(SALT_BYTES)
    given = _given(passphrase)
    if given:
        if len(given) < MIN_PASSPHRASE:
            raise DatabaseKeyError(f"passphrase: must be at least {MIN_PASSPHRASE} characters")
        return from_passphrase(given, salt)
    raw = secrets.token_bytes(KEY_BYTES)
    if keychain.put(keyring_name(salt), raw.hex()):
        found = DbKey(raw, salt)
        with _lock:
            _cache[(salt, "")] = found
        return found
    raise KeyUnavailable(
        f"this computer has no keyring to keep the key of {db_path}: choose a passphrase "
        f"(${ENV_PASSPHRASE} for the command line)", new=True)


def for_database(db_path: Path, passphrase: str | None = None) -> DbKey:
    """The key to open `db_path` with, made when the file is new or still plain."""
    if file_state(db_path) == "encrypted":
        return existing(db_path, passphrase)
    return new(db_path, passphrase)


def source(key: DbKey) -> str:
    """'keyring' or 'passphrase': where this key lives, for `shopdesk backup key`."""
    return "keyring" if _from_keyring(key.salt) == key else "passphrase"


def connect(db_path: Path, passphrase: str | None = None) -> Any:
    """A raw DB-API connection to the encrypted database at `db_path`, keyed as the
    app would key it (for tools and tests that need SQL beneath the services)."""
    return cipher_connect(db_path, existing(db_path, passphrase))
