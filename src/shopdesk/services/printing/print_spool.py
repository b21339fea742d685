"""Prints that did not reach paper, kept for reprint (issue #6).

A failed print (no printer, printer offline) is saved as the PDF it would
have printed under ``<data dir>/print-queue/``, so nothing the customer needs
is lost; staff reprint or discard it later. Any thread; plain files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from shopdesk import private_files
from shopdesk.errors import NotFound
from shopdesk.models.base import utcnow

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class PendingPrint:
    path: Path
    kind: str
    reference: str
    queued_at: datetime
    reason: str


class PrintSpool:
    def __init__(self, root: Path) -> None:
        self.folder = root / "print-queue"

    def keep(self, pdf: bytes, kind: str, reference: str, reason: str) -> PendingPrint:
        """Save a print that failed; returns where it is kept."""
        private_files.private_dir(self.folder)
        now = utcnow()
        stem = f"{now:%Y%m%dT%H%M%S%f}-{_UNSAFE.sub('_', kind)}-{_UNSAFE.sub('_', reference)}"
        path = self.folder / f"{stem}.pdf"
        tmp = path.with_suffix(".partial")
        tmp.write_bytes(pdf)
        private_files.private_file(tmp).replace(path)
        note = path.with_suffix(".txt")
        note.write_text(reason.strip() + "\n", encoding="utf-8")
        private_files.private_file(note)
        return PendingPrint(path, kind, reference, now, reason.strip())

    def pending(self) -> list[PendingPrint]:
        """Kept prints, oldest first."""
        if not self.folder.is_dir():
            return []
        out = []
        for path in sorted(self.folder.glob("*.pdf")):
            stamp, _, rest = path.stem.partition("-")
            kind, _, reference = rest.partition("-")
            note = path.with_suffix(".txt")
            reason = note.read_text(encoding="utf-8").strip() if note.is_file() else ""
            try:
                queued = datetime.strptime(stamp, "%Y%m%dT%H%M%S%f").replace(
                    tzinfo=utcnow().tzinfo)
            except ValueError:
                continue
            out.append(PendingPrint(path, kind, reference, queued, reason))
        return out

    def done(self, item: PendingPrint) -> None:
        """The print went through (or staff discarded it): forget it."""
        if not item.path.is_file():
            raise NotFound(f"{item.path.name} is no longer in the print queue")
        item.path.unlink()
        item.path.with_suffix(".txt").unlink(missing_ok=True)
