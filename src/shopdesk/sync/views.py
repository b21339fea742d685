"""What staff see of sync: the status bar's figures, conflicts, rejected changes and
quarantined rows, as frozen dataclasses (no database, no network).

Pure data; any thread.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SyncStatus:
    joined: bool
    device_name: str | None
    store: str | None
    transport: str | None
    central_url: str | None
    pending: int
    rejected: int
    open_conflicts: int
    last_sync_at: str | None
    last_error: str | None
    paused_reason: str | None
    cursor: int
    server_seq: int
    quarantined: int = 0

    def as_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Conflict:
    id: str
    kind: str  # duplicate_phone | duplicate_email | duplicate_imei | field | update_on_deleted
    table: str
    row_a: str | None
    row_b: str | None
    column: str | None
    details: dict[str, Any]
    status: str
    resolution: str | None
    created_at: str | None

    @property
    def duplicate_customers(self) -> bool:
        """Two customers share a phone or e-mail: the merge screen's kind of conflict."""
        return self.table == "customers" and self.kind.startswith("duplicate_")

    @property
    def summary(self) -> str:
        if self.kind.startswith("duplicate_"):
            return (f"{self.column} {self.details.get('value')} is on two {self.table}: "
                    f"{self.row_a} and {self.row_b}")
        if self.kind == "field":
            return (f"{self.table}.{self.column} of {self.row_a} was changed on two counters: "
                    f"kept {self.details.get('kept')!r}, "
                    f"overwrote {self.details.get('overwritten')!r}")
        return f"{self.kind} on {self.table} {self.row_a}"


@dataclass(frozen=True)
class RejectedChange:
    device_seq: int
    table: str | None
    row_id: str | None
    op: str | None
    reason: str
    values: dict[str, Any]


@dataclass(frozen=True)
class QuarantinedRow:
    """A pulled row this counter did not store ('refused') or stored pointing at a row
    it lacks ('orphan'), with the reason; a manager looks at these."""

    id: int
    kind: str
    table: str
    row_id: str
    reason: str
    received_at: str
    data: dict[str, Any]


@dataclass(frozen=True)
class JoinResult:
    device_name: str
    store: str
    node_tag: str
    queued: int
    kept: str  # where the credential went: keyring, file or nowhere (see credentials.Kept)
    secret_file: str | None  # the private file, when there was no keyring
    token: str | None  # only when it could be kept nowhere: shown once


def conflict_of(row: Any) -> Conflict:
    try:
        details = json.loads(row["details"] or "{}")
    except ValueError:
        details = {}
    return Conflict(row["id"], row["kind"], row["table_name"], row["row_a"], row["row_b"],
                    row["column_name"], details, row["status"], row["resolution"],
                    row["created_at"])
