"""Where a terminal's sync credential lives: the OS keyring, else a private file, or an
environment variable.

Never in the database, the settings or a log. `save` tries the OS keyring first
(Windows Credential Manager, macOS Keychain, Secret Service); on a machine with none
(a headless Linux box) it keeps the secret in `<data dir>/keys/<account>.secret`,
created readable by this user only, so a restart does not lose it (the caller warns
that a copy of the data folder then carries it). `load` reads, in order: the
environment variable (a service account may inject it), the keyring, the file.

Any thread.
"""

from __future__ import annotations

import contextlib
import os
import re
from enum import Enum
from pathlib import Path
from typing import Any

from shopdesk import private_files

KEYRING_SERVICE = "shopdesk-sync"
ENV_TOKEN = "SHOPDESK_SYNC_TOKEN"


class Kept(Enum):
    """Where `save` put a secret."""

    KEYRING = "keyring"
    FILE = "file"
    NOWHERE = "nowhere"


def secret_file(root: Path, account: str) -> Path:
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", account)
    return root / "keys" / f"{safe}.secret"


def _keyring_save(account: str, secret: str) -> bool:
    try:
        import keyring
        from keyring.errors import KeyringError

        try:
            keyring.set_password(KEYRING_SERVICE, account, secret)
            return keyring.get_password(KEYRING_SERVICE, account) == secret
        except (KeyringError, RuntimeError, OSError):
            return False
    except ImportError:  # pragma: no cover - keyring is a dependency
        return False


def save(account: str, secret: str, root: Path | None = None) -> Kept:
    """Keep `secret` in the OS keyring, else (given a data dir) in a private file."""
    if _keyring_save(account, secret):
        path = secret_file(root, account) if root else None
        if path is not None and path.exists():
            path.unlink()  # the keyring holds it now; no stale copy beside the data
        return Kept.KEYRING
    if root is None:
        return Kept.NOWHERE
    path = secret_file(root, account)
    private_files.private_dir(path.parent)
    tmp = path.with_name(path.name + ".new")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(secret)
    os.replace(tmp, path)
    return Kept.FILE


def load(account: str, env: str = ENV_TOKEN, root: Path | None = None) -> str | None:
    """The secret from the environment variable `env` if set, else the keyring, else the
    private file of the data directory `root`."""
    if os.environ.get(env):
        return os.environ[env]
    try:
        import keyring
        from keyring.errors import KeyringError

        try:
            found = keyring.get_password(KEYRING_SERVICE, account)
        except (KeyringError, RuntimeError, OSError):
            found = None
    except ImportError:  # pragma: no cover
        found = None
    if found:
        return found
    if root is not None:
        path = secret_file(root, account)
        if path.is_file():
            return path.read_text(encoding="ascii").strip() or None
    return None


def forget(account: str, root: Path | None = None) -> None:
    try:
        import keyring
        from keyring.errors import KeyringError, PasswordDeleteError

        with contextlib.suppress(PasswordDeleteError, KeyringError, RuntimeError, OSError):
            keyring.delete_password(KEYRING_SERVICE, account)
    except ImportError:  # pragma: no cover
        pass
    if root is not None:
        with contextlib.suppress(FileNotFoundError):
            secret_file(root, account).unlink()


def memory_keyring() -> Any:
    """A keyring backend that keeps secrets in this process only.

    For tools that must never touch the OS keyring: the tests, the screenshot
    script and the benchmarks. Install it with ``keyring.set_keyring(...)``.
    """
    from keyring.backend import KeyringBackend

    class MemoryKeyring(KeyringBackend):
        priority = 1

        def __init__(self) -> None:
            super().__init__()
            self.secrets: dict[tuple[str, str], str] = {}

        def get_password(self, service: str, username: str) -> str | None:
            return self.secrets.get((service, username))

        def set_password(self, service: str, username: str, password: str) -> None:
            self.secrets[(service, username)] = password

        def delete_password(self, service: str, username: str) -> None:
            self.secrets.pop((service, username), None)

    return MemoryKeyring()
