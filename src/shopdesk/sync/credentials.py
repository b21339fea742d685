"""Where a terminal's sync credential lives: the OS keyring, else an environment variable.

Never in the database, the settings or a log. On a machine with no keyring
backend (a headless box, CI) `save` returns False and the caller tells the user
to set ``SHOPDESK_SYNC_TOKEN``; `load` reads that variable first, so a service
account can also inject it.

Any thread.
"""

from __future__ import annotations

import os

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


def load(account: str) -> str | None:
    if os.environ.get(ENV_TOKEN):
        return os.environ[ENV_TOKEN]
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

        try:
            keyring.delete_password(KEYRING_SERVICE, account)
        except (PasswordDeleteError, KeyringError, RuntimeError, OSError):
            pass
    except ImportError:  # pragma: no cover
        pass
