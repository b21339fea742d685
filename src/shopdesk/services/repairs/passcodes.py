"""Device passcodes at rest: Fernet-encrypted, with the key outside the database.

The key lives in the OS keyring (service "shopdesk", name
``passcode-key-<node tag>``); where no keyring backend is available it is a
file ``<data dir>/keys/passcode.key`` created once (mode 0600), never inside
the database, so a copied database file does not reveal passcodes. Once a
key file exists it is used first, so a shop never switches keys under its
stored passcodes. The key and the passcodes are never logged.

Thread rule: any thread; the key is loaded once under a lock.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from shopdesk.errors import ShopdeskError

KEYRING_SERVICE = "shopdesk"
log = logging.getLogger(__name__)


class PasscodeUnreadable(ShopdeskError):
    """The stored passcode cannot be decrypted with this counter's key."""


class PasscodeBox:
    def __init__(self, root: Path, node_tag: str) -> None:
        self._file = root / "keys" / "passcode.key"
        self._name = f"passcode-key-{node_tag}"
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
        if self._file.is_file():
            return self._file.read_bytes().strip()
        key = self._from_keyring()
        if key is not None:
            return key
        return self._new_key_file()

    def _from_keyring(self) -> bytes | None:
        try:
            import keyring
            from keyring.errors import KeyringError

            try:
                stored = keyring.get_password(KEYRING_SERVICE, self._name)
                if stored:
                    return stored.encode("ascii")
                key = Fernet.generate_key()
                keyring.set_password(KEYRING_SERVICE, self._name, key.decode("ascii"))
                if keyring.get_password(KEYRING_SERVICE, self._name) != key.decode("ascii"):
                    return None
                return key
            except (KeyringError, RuntimeError, OSError):
                return None
        except ImportError:  # pragma: no cover - keyring is a dependency
            return None

    def _new_key_file(self) -> bytes:
        log.info("no OS keyring available; keeping the passcode key in a key file")
        self._file.parent.mkdir(parents=True, exist_ok=True)
        key = Fernet.generate_key()
        try:
            fd = os.open(self._file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first
            return self._file.read_bytes().strip()
        with os.fdopen(fd, "wb") as handle:
            handle.write(key)
        return key
