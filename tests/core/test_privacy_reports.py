"""Monthly data quality and quarterly compliance reports (issue 15, spec 13.3): what they
find, as PDF (read back), as JSON, and made on schedule."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader

from shopdesk.cli import main
from shopdesk.db import dbkey
from shopdesk.domain.customer_rules import CustomerInput
from shopdesk.printing.privacy_data import PrivacyReport
from shopdesk.shop import Shop
from tests.conftest import Clock


def _customer(shop: Shop, first: str, phone: str, **extra: object) -> object:
    return shop.customers.register(CustomerInput(
        first_name=first, last_name="Nowak", phone=phone, **extra)).customer.id  # type: ignore[arg-type]


def _pdf_text(data: bytes) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)


def test_data_quality_finds_what_to_fix(shop: Shop, clock: Clock, tmp_path: Path) -> None:
    clock.now = datetime(2018, 3, 1, tzinfo=UTC)
    old = _customer(shop, "Olga", "07400 100001")
    clock.now = datetime(2026, 11, 20, tzinfo=UTC)
    ann = _customer(shop, "Ann", "07400 100002", date_of_birth="1990-01-02")
    twin = _customer(shop, "Ann", "07400 100003", date_of_birth="1990-01-02")
    scanned = _customer(shop, "Sid", "07400 100004")
    _customer(shop, "Tia", "07400 100005", marketing_opt_in=True)
    scan = tmp_path / "id.png"
    scan.write_bytes(b"\x89PNG id")
    shop.consent.record(scanned, "id_scan", True, "signed_form")  # type: ignore[arg-type]
    shop.documents.attach(scanned, scan, "id_scan")  # type: ignore[arg-type]
    shop.consent.record(scanned, "id_scan", False, "verbal")  # type: ignore[arg-type]
    # A number that validated when stored, and no longer does (a metadata update): the
    # database keeps what it was given; only the report can tell.
    con = dbkey.connect(Path(shop.db_path))
    con.execute("UPDATE customers SET whatsapp = '+44740012' WHERE id = ?", (ann.hex,))  # type: ignore[attr-defined]
    con.execute("DELETE FROM customer_consents WHERE customer_id = (SELECT id FROM customers "
                "WHERE first_name = 'Tia')")
    con.commit()
    con.close()
    report = shop.privacy_reports.data_quality()
    sections = {s.title: s for s in report.sections}
    assert [r[:2] for r in sections["Suspected duplicates"].rows] == [
        (f"{shop.customers.profile(ann).summary.code} Ann Nowak",  # type: ignore[arg-type]
         f"{shop.customers.profile(twin).summary.code} Ann Nowak")]  # type: ignore[arg-type]
    assert sections["Numbers that no longer validate"].rows == (
        (shop.customers.profile(ann).summary.code, "Ann Nowak", "WhatsApp", "+44740012"),)  # type: ignore[arg-type]
    problems = {r[2] for r in sections["Missing consents"].rows}
    assert problems == {"an ID scan is kept without a current ID-scan consent",
                        "marked as agreeing to marketing, with no consent recorded"}
    inactive = sections["No activity for more than 72 months"].rows
    assert [r[1] for r in inactive] == ["Olga Nowak"] and old
    # What a child process prints (`report data-quality --json`) is the same report again.
    assert PrivacyReport.from_json(json.loads(json.dumps(report.as_json()))) == report
    text = _pdf_text(shop.privacy_reports.pdf(report))
    assert "Monthly data-quality check" in text and "November 2026" in text
    assert "+44740012" in text and "Olga Nowak" in text and "Page 1 of" in text


def test_compliance_review_of_a_quarter(shop: Shop, clock: Clock, tmp_path: Path) -> None:
    clock.now = datetime(2026, 10, 5, 11, tzinfo=UTC)
    zed = _customer(shop, "Zed", "07400 100001")
    ann = _customer(shop, "Ann", "07400 100002", marketing_opt_in=True)
    shop.portability.export_data(ann, tmp_path / "ann.zip")  # type: ignore[arg-type]
    shop.erasure.forget(zed, "Letter of 2026-10-01")  # type: ignore[arg-type]
    shop.consent.record(ann, "marketing_sms", False, "verbal")  # type: ignore[arg-type]
    clock.now = datetime(2027, 1, 2, 9, tzinfo=UTC)
    report = shop.privacy_reports.compliance(day=datetime(2026, 11, 1).date())
    assert report.period.startswith("2026 Q4")
    sections = {s.title: s for s in report.sections}
    (erasure,) = sections["Erasures (right to be forgotten)"].rows
    assert erasure[4] == "Letter of 2026-10-01" and erasure[1] == "Olivia Owner"
    assert erasure[3] == "asked"
    assert [r[2] for r in sections["Exports of personal data"].rows] == [
        "a person's data (portability)"]
    sms = next(r for r in sections["Consents recorded"].rows if r[0] == "Marketing by SMS")
    assert sms[1:] == ("1", "1")
    assert dict(report.figures)["Audit trail"].startswith("intact")
    assert "Olivia Owner" in {r[0] for r in sections["Who can reach the data"].rows}
    as_json = report.as_json()
    json.dumps(as_json)  # plain JSON
    assert as_json["figures"]["Erasures"] == "1"
    text = _pdf_text(shop.privacy_reports.pdf(report))
    assert "Quarterly compliance review" in text and "Letter of 2026-10-01" in text


def test_reports_are_made_on_schedule_once_per_period(shop: Shop, clock: Clock) -> None:
    clock.now = datetime(2026, 11, 24, 9, tzinfo=UTC)
    made = shop.privacy_reports.run_due()
    assert sorted((m.kind, m.period) for m in made) == [("compliance", "2026 Q3"),
                                                        ("data-quality", "2026-11")]
    assert all(m.path.is_file() and m.path.read_bytes().startswith(b"%PDF") for m in made)
    assert shop.privacy_reports.run_due() == []  # nothing due until the period changes
    clock.now += timedelta(days=10)  # December: a new month, the same quarter
    assert [m.kind for m in shop.privacy_reports.run_due()] == ["data-quality"]
    clock.now = datetime(2027, 1, 3, tzinfo=UTC)
    assert sorted(m.period for m in shop.privacy_reports.run_due()) == ["2026 Q4", "2027-01"]
    assert [e.action for e in shop.audit.entries(entity="report")].count("privacy_report") == 5


def test_cli_report_pdf_and_json(shop: Shop, tmp_path: Path,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    _customer(shop, "Ann", "07400 100002")
    root = str(shop.root)
    shop.close()
    out = tmp_path / "dq.pdf"
    assert main(["report", "data-quality", "--out", str(out), "--data-dir", root]) == 0
    assert "Monthly data-quality check" in _pdf_text(out.read_bytes())
    capsys.readouterr()
    assert main(["report", "compliance", "--json", "--data-dir", root]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["kind"] == "compliance" and data["sections"]
    assert main(["report", "compliance", "--data-dir", root]) == 1
    assert capsys.readouterr().err.startswith("shopdesk: error: report compliance needs --out")
    assert main(["report", "summary", "--out", str(out), "--data-dir", root]) == 1
    assert "needs --from" in capsys.readouterr().err


def test_cli_report_due_makes_what_is_due_once(shop: Shop,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    root = str(shop.root)
    shop.close()
    assert main(["report", "due", "--json", "--data-dir", root]) == 0
    made = json.loads(capsys.readouterr().out)
    assert sorted(m["kind"] for m in made) == ["compliance", "data-quality"]
    assert all(Path(m["path"]).read_bytes().startswith(b"%PDF") for m in made)
    assert main(["report", "due", "--data-dir", root]) == 0
    assert capsys.readouterr().out.strip() == "no privacy report is due"
