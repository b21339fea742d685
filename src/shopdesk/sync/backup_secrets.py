"""What a backup carries of this counter's sync: its credential and its CA certificate.

The sync credential lives in the OS keyring or a private file, never in the
database (`credentials`), so a disk that dies takes it along. A backup keeps it
(encrypted with the backup key, like everything in the backup), and a restore puts it
back, so a counter rebuilt from its last backup resumes as the same terminal instead
of joining again. A leaked backup together with its recovery key would let someone
act as this terminal: `shopdesk central revoke` ends that, as for any lost counter.
Any thread.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from shopdesk.services.store import Store
from shopdesk.sync import credentials

ACCOUNT, TOKEN, API_KEY, CA = "sync-account", "sync-token", "sync-api-key", "central-ca.pem"
# The environment (a service account's injected token) is not what the counter keeps:
# read the keyring and the private file only.
_NO_ENV = ""


class SyncSecrets:
    """`collect` and `install` for `services.backup` (its SecretSource)."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def _account(self) -> str | None:
        with self._store.read() as session:
            row = session.connection().execute(text(
                "SELECT role_name, device_id FROM sync_state WHERE one = 1")).first()
        return (row[0] or row[1]) if row and (row[0] or row[1]) else None

    def _ca(self) -> Path:
        return self._store.root / "certs" / CA

    def collect(self) -> dict[str, bytes]:
        found: dict[str, bytes] = {}
        account = self._account()
        if account:
            found[ACCOUNT] = account.encode()
            root = self._store.root
            token = credentials.load(account, env=_NO_ENV, root=root)
            if token:
                found[TOKEN] = token.encode()
            key = credentials.load(f"{account}:apikey", env=_NO_ENV, root=root)
            if key:
                found[API_KEY] = key.encode()
        if self._ca().is_file():
            found[CA] = self._ca().read_bytes()
        return found

    def install(self, items: dict[str, bytes]) -> None:
        """Put back what `collect` kept, under the account it was kept for."""
        account = items[ACCOUNT].decode() if ACCOUNT in items else None
        if account and TOKEN in items:
            credentials.save(account, items[TOKEN].decode(), self._store.root)
        if account and API_KEY in items:
            credentials.save(f"{account}:apikey", items[API_KEY].decode(), self._store.root)
        if CA in items:
            self._ca().parent.mkdir(parents=True, exist_ok=True)
            self._ca().write_bytes(items[CA])
