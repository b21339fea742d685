"""The plain data of the privacy reports (data quality, compliance review): sections of
rows, as text, so the PDF, the window and `--json` show the same thing.

Thread rule: any thread; pure.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shopdesk.printing.data import ShopHeader

ROW_LIMIT = 500  # rows listed per section; `total` says how many there are


@dataclass(frozen=True)
class Section:
    title: str
    note: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    total: int

    @property
    def cut(self) -> bool:
        return self.total > len(self.rows)


@dataclass(frozen=True)
class PrivacyReport:
    kind: str  # "data-quality" or "compliance"
    title: str
    period: str  # "November 2026", "2026 Q4 (1 Oct - 31 Dec)"
    shop: ShopHeader
    generated_at: datetime
    figures: tuple[tuple[str, str], ...]  # headline (label, value) pairs
    sections: tuple[Section, ...]

    def as_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "title": self.title, "period": self.period,
                "shop": self.shop.name, "generated_at": self.generated_at.isoformat(),
                "shop_header": dataclasses.asdict(self.shop),
                "figures": dict(self.figures),
                "sections": [{"title": s.title, "note": s.note, "total": s.total,
                              "header": list(s.header),
                              "rows": [dict(zip(s.header, r, strict=True)) for r in s.rows]}
                             for s in self.sections]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PrivacyReport:
        """The report `as_json` gave (the window reads it from a child process)."""
        sections = tuple(
            Section(s["title"], s["note"], tuple(s["header"]),
                    tuple(tuple(str(row[h]) for h in s["header"]) for row in s["rows"]),
                    int(s["total"]))
            for s in data["sections"])
        return cls(data["kind"], data["title"], data["period"],
                   ShopHeader(**data["shop_header"]),
                   datetime.fromisoformat(data["generated_at"]),
                   tuple((str(k), str(v)) for k, v in data["figures"].items()), sections)


def section(title: str, note: str, header: tuple[str, ...],
            rows: Sequence[Sequence[object]]) -> Section:
    """A section listing at most ROW_LIMIT of `rows` (cells shown as text)."""
    return Section(title, note, header,
                   tuple(tuple("" if c is None else str(c) for c in r) for r in rows[:ROW_LIMIT]),
                   len(rows))
