"""Device passcodes at rest: Fernet-encrypted, with the key outside the database.

The key is a `LocalKey` (shopdesk.services.keys): in the OS keyring (service
"shopdesk", name ``passcode-key-<node tag>``), else the file
``<data dir>/keys/passcode.key`` (mode 0600), never inside the database, so a
copied database file does not reveal passcodes. The key and the passcodes are
never logged.

Thread rule: any thread; the key is loaded once under a lock.
"""

from __future__ import annotations

import threading
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from shopdesk.errors import ShopdeskError
from shopdesk.services.keys import LocalKey


class PasscodeUnreadable(ShopdeskError):
    """The stored passcode cannot be decrypted with this counter's key."""


class PasscodeBox:
    def __init__(self, root: Path, node_tag: str) -> None:
        self._key_store = LocalKey(root, "passcode", Fernet.generate_key,
                                   keyring_name=f"passcode-key-{node_tag}")
        self._fernet: Fernet | None = None
        self._lock = threading.Lock()

    def encrypt(self, passcode: str) -> str:
        return self._box().encrypt(passcode.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        try:
            return self._box().decrypt(token.encode("ascii")).decode("utf-8")
        except InvalidToken:
            raise PasscodeUnreadable(
                "the passcode cannot be read with this counter's key (was the key "
                "replaced?); ask the customer for it again") from None

    def _box(self) -> Fernet:
        with self._lock:
            if self._fernet is None:
                self._fernet = Fernet(self._key())
            return self._fernet

    def _key(self) -> bytes:
        key = self._key_store.get()
        assert key is not None  # LocalKey creates one on first use
        return key
