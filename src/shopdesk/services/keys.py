"""Secrets of one data directory, kept outside its database.

A key lives in the OS keyring (service "shopdesk") when there is one, so a copy of
the data folder alone reveals nothing; where there is no keyring backend (a headless
box) it is a file `<data dir>/keys/<name>.key`, created once, readable only by the
user. Once a key file exists it is used first, so a shop never switches keys under
data already protected by it. Keys are never logged.

Used by the passcode box (Fernet key) and the audit trail (HMAC key).
Thread rule: any thread; `LocalKey.get()` loads once under a lock.
"""

from __future__ import annotations

import base64
import logging
import secrets
import threading
from collections.abc import Callable
from pathlib import Path

from shopdesk import keychain

KEYRING_SERVICE = keychain.KEYRING_SERVICE
log = logging.getLogger(__name__)


# The keyring and private-file primitives moved to shopdesk.keychain, which the
# database layer shares (db.dbkey); these names stay for the code that uses them.
_keyring_get, _keyring_put = keychain.get, keychain.put
write_private = keychain.write_private


def new_urlsafe_key() -> bytes:
    """32 random bytes, url-safe base64 (a Fernet key has exactly this form)."""
    return base64.urlsafe_b64encode(secrets.token_bytes(32))


class LocalKey:
    """One named key of a data directory (see the module docstring)."""

    def __init__(self, root: Path, name: str, make: Callable[[], bytes] = new_urlsafe_key,
                 *, keyring_name: str | None = None, create: bool = True) -> None:
        self._file = root / "keys" / f"{name}.key"
        self._name = keyring_name or f"{name}-key"
        self._make, self._create = make, create
        self._value: bytes | None = None
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return self._name

    def get(self) -> bytes | None:
        """The key; made on first use (unless `create=False`, then None when absent)."""
        with self._lock:
            if self._value is None:
                self._value = self._load()
            return self._value

    def _load(self) -> bytes | None:
        if self._file.is_file():
            return self._file.read_bytes().strip()
        stored = _keyring_get(self._name)
        if stored:
            return stored.encode("ascii")
        if not self._create:
            return None
        key = self._make()
        if _keyring_put(self._name, key.decode("ascii")):
            return key
        log.info("no OS keyring available; keeping the %s key in a key file", self._name)
        if not write_private(self._file, key):  # another process made it first
            return self._file.read_bytes().strip()
        return key

    def install(self, value: bytes) -> None:
        """Keep `value` as this key (one brought back from a backup), where `get()`
        would have made it: the keyring, else the private key file. A key already
        here is left alone when it is the same, and replaced when not."""
        with self._lock:
            if self._file.is_file():
                if self._file.read_bytes().strip() != value:
                    self._file.unlink()
                    write_private(self._file, value)
            elif not _keyring_put(self._name, value.decode("ascii")):
                write_private(self._file, value)
            self._value = value
