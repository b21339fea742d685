"""Feedback (issue 17): answers validated, analysed, detractors' complaints, reviews, reports."""

from __future__ import annotations

import csv
import io
import json
import sys
from datetime import date
from pathlib import Path
from uuid import UUID

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from shopdesk.cli import main as cli_main
from shopdesk.domain.feedback.sentiment import analyse
from shopdesk.errors import ValidationError
from shopdesk.models import SupportTicket
from shopdesk.models.feedback import Feedback
from shopdesk.services.feedback.feedback import complaint_id
from shopdesk.services.feedback.feedback_views import FeedbackInput
from shopdesk.shop import Shop
from tests.conftest import Clock
from tests.core.repair_helpers import add_staff, counts, customer
from tests.core.test_loyalty import I2, _no_keyring, collect  # noqa: F401 (autouse)

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from sentiment import evaluate


def number(shop: Shop, ticket: UUID) -> str:
    return shop.tickets.get(ticket).summary.number


def complaints(shop: Shop) -> int:
    with shop.store.read() as session:
        return session.scalar(select(func.count()).select_from(SupportTicket).where(
            SupportTicket.complaint.is_(True))) or 0


def test_bad_answers_are_refused_field_by_field_and_write_nothing(shop: Shop) -> None:
    ticket = collect(shop, customer(shop), "50")
    before = counts(shop)
    with pytest.raises(ValidationError) as caught:
        shop.feedback.record(FeedbackInput(ticket=ticket, csat="6", nps="eleven", ces=0,
                                           channel="fax", aspects={"speed": 9, "mood": 3}))
    fields = {e.field for e in caught.value.errors}
    assert fields == {"csat", "nps", "ces", "channel", "speed", "mood"}
    assert "csat: must be a whole number from 1 to 5" in str(caught.value)
    with pytest.raises(ValidationError, match="answer: give at least one score"):
        shop.feedback.record(FeedbackInput(ticket=ticket))
    assert counts(shop) == before


def test_a_promoter_is_recorded_analysed_and_earns_points_once(shop: Shop) -> None:
    owner = customer(shop)
    ticket = collect(shop, owner, "50")
    saved = shop.feedback.record(FeedbackInput(
        ticket=number(shop, ticket), csat=5, nps=10, ces=7, aspects={"staff": 5},
        comment="Great job, quick and friendly staff!")).feedback
    assert saved.sentiment > 50 and set(saved.categories) >= {"speed", "staff"}
    assert not saved.detractor and saved.complaint_number is None
    assert saved.points_earned == 20
    again = shop.feedback.record(FeedbackInput(ticket=ticket, csat=4)).feedback
    assert again.points_earned == 0
    assert shop.loyalty.balance(owner).balance == 50 + 20


@pytest.mark.parametrize(("scores", "comment", "priority"), [
    ({"nps": 6}, "", "normal"), ({"csat": 2}, "", "normal"), ({"nps": 2}, "", "high"),
    ({"csat": 4}, "Terrible, rude staff and the screen broke again. Never again!", "high"),
])
def test_a_detractor_opens_one_complaint_with_its_priority(
        shop: Shop, scores: dict[str, int], comment: str, priority: str) -> None:
    owner = customer(shop)
    ticket = collect(shop, owner, "50")
    saved = shop.feedback.record(FeedbackInput(ticket=ticket, comment=comment,
                                               **scores)).feedback  # type: ignore[arg-type]
    assert saved.detractor and saved.complaint_number is not None
    support = shop.support.get(complaint_id(saved.id)).ticket
    assert support.complaint and support.priority == priority
    assert support.customer_id == owner and support.repair_ticket_id == ticket
    # Catch-up passes and a second look never open it again.
    assert shop.feedback.process_pending() == 0
    assert shop.feedback.open_complaint(saved.id) == complaint_id(saved.id)
    assert complaints(shop) == 1


def test_a_neutral_answer_opens_nothing(shop: Shop) -> None:
    ticket = collect(shop, customer(shop), "50")
    shop.feedback.record(FeedbackInput(ticket=ticket, nps=7, csat=3, comment="It was ok."))
    assert complaints(shop) == 0


def test_a_crash_between_answer_and_complaint_is_caught_up(shop: Shop) -> None:
    ticket = collect(shop, customer(shop), "50")
    opened = shop.feedback.open_complaint
    shop.feedback.open_complaint = lambda _fid: None  # type: ignore[method-assign]
    saved = shop.feedback.record(FeedbackInput(ticket=ticket, nps=1)).feedback
    shop.feedback.open_complaint = opened  # type: ignore[method-assign]
    assert complaints(shop) == 0
    assert shop.feedback.process_pending() == 1 and complaints(shop) == 1
    assert shop.feedback.get(saved.id).complaint_number is not None


def test_comments_are_analysed_in_the_customers_language() -> None:
    assert analyse("Très déçu, trop cher et personne ne répond.", "fr").sentiment < -50
    assert analyse("Muy amables y rápidos, lo recomiendo.", "es").sentiment > 50
    unknown = analyse("Sehr gut", "de")
    assert not unknown.covered and unknown.language == "en"


def test_the_labelled_sample_scores_what_the_readme_says() -> None:
    """The figures are in-sample (the lexicon was written with the sample); they guard
    against the analysis getting worse."""
    for lang, f in evaluate().items():
        assert f["comments"] >= 60, lang
        assert f["sentiment_accuracy"] >= 0.9, lang
        for category in ("price", "speed", "quality", "staff", "communication"):
            assert f[f"{category}_recall"] >= 0.8, (lang, category)
            assert f[f"{category}_precision"] >= 0.6, (lang, category)


def write_reviews(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["platform", "review_id", "author", "rating",
                                                    "date", "text", "customer"])
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_reviews_import_good_rows_reject_bad_ones_and_skip_repeats(
        shop: Shop, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    owner = customer(shop)
    code = shop.customers.profile(owner).summary.code
    path = write_reviews(tmp_path / "google.csv", [
        dict(platform="Google", review_id="g1", author="A. Smith", rating="5",
             date="2026-10-01", text="Fantastic service, fast and friendly", customer=""),
        dict(platform="Google", review_id="g2", author="B. Jones", rating="1",
             date="2026-10-02", text="Rude staff, overpriced.", customer=code),
        dict(platform="Google", review_id="g3", author="C", rating="9", date="2026-10-03",
             text="", customer=""),
        dict(platform="Google", review_id="g4", author="D", rating="4", date="03/10/2026",
             text="ok", customer=""),
        dict(platform="", review_id="g5", author="E", rating="4", date="2026-10-03",
             text="ok", customer=""),
    ])
    root = str(shop.root)
    assert cli_main(["--data-dir", root, "feedback", "import-reviews", str(path)]) == 3
    out, err = capsys.readouterr()
    assert "2 reviews imported, 0 already there, 3 rejected, 1 complaints opened" in out
    assert "line 4: rating: must be a whole number from 1 to 5" in err
    assert "line 5: date: '03/10/2026' is not a date (YYYY-MM-DD)" in err
    assert "line 6: platform: is required" in err
    assert cli_main(["--data-dir", root, "feedback", "import-reviews", str(path), "--json"]) == 3
    result = json.loads(capsys.readouterr().out)
    assert result["added"] == 0 and result["duplicates"] == 2
    with shop.store.read() as session:
        rows = list(session.scalars(select(Feedback).where(Feedback.channel == "review")))
        assert {r.author for r in rows} == {"A. Smith", "B. Jones"}
        assert all(r.node is None for r in rows)
    assert complaints(shop) == 1


def test_reviews_file_without_the_needed_columns_is_refused(shop: Shop, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]
                                                            ) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("stars,text\n5,great\n", encoding="utf-8")
    assert cli_main(["--data-dir", str(shop.root), "feedback", "import-reviews",
                     str(path)]) == 1
    assert capsys.readouterr().err.strip() == (
        "shopdesk: error: bad.csv: the header lacks the column(s) platform, rating, date "
        "(known: platform, rating, date, review_id, author, text, language, ticket, customer)")


def test_report_scores_with_counts_per_technician_and_actions(
        shop: Shop, clock: Clock, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tech = add_staff(shop, "tomas", "technician")
    owner = customer(shop)
    first = collect(shop, owner, "50")
    second = collect(shop, owner, "50", number=I2, technician=tech)
    shop.feedback.record(FeedbackInput(ticket=first, csat=5, nps=10, ces=6,
                                       comment="Quick and friendly"))
    shop.feedback.record(FeedbackInput(ticket=second, csat=2, nps=3, ces=2,
                                       comment="Far too expensive"))
    shop.feedback.record(FeedbackInput(ticket=second, nps=8, channel="phone"))
    shop.feedback.add_action("price", "Cheaper screen supplier", clock.now.date())
    today = clock.now.date()
    report = shop.feedback.report(today, today)
    assert report.answers == 3
    assert (report.csat.value, report.csat.count) == (3.5, 2)
    assert (report.nps.count, report.promoters, report.passives, report.detractors) == (
        3, 1, 1, 1)
    assert report.nps.value == 0 and report.ces.count == 2
    assert report.categories["price"] == 1 and report.negative_categories["price"] == 1
    assert report.complaints_opened == 1
    assert {g.name for g in report.by_channel} == {"counter", "phone"}
    assert {g.name: g.answers for g in report.by_technician} == {"(none)": 1, "Tomas": 2}
    assert [a.category for a in report.actions] == ["price"]
    root = str(shop.root)
    assert cli_main(["--data-dir", root, "feedback", "report", "--from", str(today), "--to",
                     str(today), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["csat"] == {"value": "3.50", "count": 2}
    assert shown["nps"] == {"value": "0.0", "count": 3}
    assert shown["ces"] == {"value": "4.00", "count": 2}
    pdf = tmp_path / "feedback.pdf"
    assert cli_main(["--data-dir", root, "report", "feedback", "--from", str(today), "--to",
                     str(today), "--out", str(pdf)]) == 0
    text = " ".join(PdfReader(io.BytesIO(pdf.read_bytes())).pages[0].extract_text().split())
    assert "customer feedback" in text and "3.50 (n=2)" in text
    assert cli_main(["--data-dir", root, "feedback", "report", "--from", "2026-13-01",
                     "--to", str(today)]) == 1
    assert "--from: '2026-13-01' is not a date" in capsys.readouterr().err
    assert cli_main(["--data-dir", root, "feedback", "report", "--from", str(today),
                     "--to", str(date(2020, 1, 1))]) == 1


def test_cli_record_prints_and_fails_in_one_line(shop: Shop,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    ticket = number(shop, collect(shop, customer(shop), "50"))
    root = str(shop.root)
    assert cli_main(["--data-dir", root, "feedback", "record", ticket, "--csat", "1",
                     "--comment", "Awful", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["detractor"] and shown["complaint_number"].startswith("S-")
    assert cli_main(["--data-dir", root, "feedback", "record", ticket, "--nps", "12"]) == 1
    assert capsys.readouterr().err == (
        "shopdesk: error: nps: must be a whole number from 0 to 10\n")
    assert cli_main(["--data-dir", root, "feedback", "record", "R-XXXX-9999", "--csat",
                     "3"]) == 1
    assert "no repair ticket R-XXXX-9999" in capsys.readouterr().err
