"""The OS keyring (Windows Credential Manager, macOS Keychain, Secret Service), and
private files: the two places shopdesk keeps a secret outside its database.

`get`/`put` never raise: a machine without a keyring backend (a headless box) simply
has none, and the caller falls back (a private file for most keys; a passphrase for
the database key, `shopdesk.db.dbkey`). `write_private` creates a file only this user
may read. Used by `services.keys.LocalKey` and `db.dbkey`. Any thread; never logs a
secret.
"""

from __future__ import annotations

import os
from pathlib import Path

from shopdesk import private_files

KEYRING_SERVICE = "shopdesk"


def get(name: str) -> str | None:
    """The secret stored as `name`, or None (absent, or no keyring here)."""
    try:
        import keyring
        from keyring.errors import KeyringError

        try:
            return keyring.get_password(KEYRING_SERVICE, name)
        except (KeyringError, RuntimeError, OSError):
            return None
    except ImportError:  # pragma: no cover - keyring is a dependency
        return None


def put(name: str, value: str) -> bool:
    """Store `value` as `name`; True only if the keyring took it and gives it back."""
    try:
        import keyring
        from keyring.errors import KeyringError

        try:
            keyring.set_password(KEYRING_SERVICE, name, value)
            return keyring.get_password(KEYRING_SERVICE, name) == value
        except (KeyringError, RuntimeError, OSError):
            return False
    except ImportError:  # pragma: no cover
        return False


def write_private(path: Path, data: bytes) -> bool:
    """Create `path` with `data`, readable by this user only; False if it already existed."""
    private_files.private_dir(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    return True
