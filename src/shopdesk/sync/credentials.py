"""Where a terminal's sync credential lives: the OS keyring, else an environment variable.

Never in the database, the settings or a log. On a machine with no keyring
backend (a headless box, CI) `save` returns False and the caller tells the user
to set ``SHOPDESK_SYNC_TOKEN``; `load` reads that variable first, so a service
account can also inject it.

Any thread.
"""

from __future__ import annotations

import contextlib
import os
from typing import Any

KEYRING_SERVICE = "shopdesk-sync"
ENV_TOKEN = "SHOPDESK_SYNC_TOKEN"


def save(account: str, token: str) -> bool:
    """Keep `token` in the OS keyring; False when there is no working keyring."""
    try:
        import keyring
        from keyring.errors import KeyringError

        try:
            keyring.set_password(KEYRING_SERVICE, account, token)
            return keyring.get_password(KEYRING_SERVICE, account) == token
        except (KeyringError, RuntimeError, OSError):
            return False
    except ImportError:  # pragma: no cover - keyring is a dependency
        return False


def load(account: str, env: str = ENV_TOKEN) -> str | None:
    """The secret from the environment variable `env` if set, else from the keyring."""
    if os.environ.get(env):
        return os.environ[env]
    try:
        import keyring
        from keyring.errors import KeyringError

        try:
            return keyring.get_password(KEYRING_SERVICE, account)
        except (KeyringError, RuntimeError, OSError):
            return None
    except ImportError:  # pragma: no cover
        return None


def forget(account: str) -> None:
    try:
        import keyring
        from keyring.errors import KeyringError, PasswordDeleteError

        with contextlib.suppress(PasswordDeleteError, KeyringError, RuntimeError, OSError):
            keyring.delete_password(KEYRING_SERVICE, account)
    except ImportError:  # pragma: no cover
        pass


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
