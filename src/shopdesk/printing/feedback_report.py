"""The feedback report for a date range (spec 8.2; issue 17), A4, with charts.

Headline CSAT, NPS and CES with their counts; the CSAT distribution and the NPS
split as charts; aspect ratings; comment categories (all and negative); scores per
technician, service type, channel and month; complaints; and each improvement
action with its category's sentiment before and after. Same look as the summary
report (`printing.report`), whose table and chart helpers it uses.

Thread rule: any thread; pure.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, SimpleDocTemplate, Spacer, Table, TableStyle

from shopdesk.domain.feedback.figures import FeedbackReport, GroupScores, Score
from shopdesk.printing import fonts
from shopdesk.printing.common import NumberedCanvas, para, styles
from shopdesk.printing.data import ShopHeader
from shopdesk.printing.report import MARGIN, WIDTH, _bars, _grid, _pie

A4_SIZE = (210 * mm, 297 * mm)


@dataclass(frozen=True)
class FeedbackReportData:
    shop: ShopHeader
    report: FeedbackReport
    generated_at: datetime


def _s(score: Score) -> str:
    return "-" if score.value is None else f"{score.value}"


def feedback_report(data: FeedbackReportData) -> bytes:
    fonts.register()
    s = styles(9)
    r = data.report
    items: list[Flowable] = [
        para(f"{data.shop.name}: customer feedback", s["title"]),
        para(f"{r.start:%d %b %Y} to {r.end:%d %b %Y} · {r.answers} answers · generated "
             f"{data.generated_at:%d %b %Y %H:%M}", s["small"]), Spacer(1, 4 * mm),
        _grid([["CSAT (1-5)", "NPS (-100..100)", "CES (1-7)", "Complaints"],
               [f"{_s(r.csat)} (n={r.csat.count})", f"{_s(r.nps)} (n={r.nps.count})",
                f"{_s(r.ces)} (n={r.ces.count})",
                f"{r.complaints_opened} opened, {r.complaints_resolved} resolved"]],
              s, header=True, widths=[WIDTH / 4] * 4), Spacer(1, 4 * mm)]
    half = WIDTH / 2 - 2 * mm
    charts = Table([[para("Satisfaction (answers per score)", s["bold"]),
                     para("Recommendation (NPS groups)", s["bold"])],
                    [_bars([f"{i} star{'s' if i > 1 else ''}" for i in range(1, 6)],
                           [float(r.csat_distribution[i]) for i in range(1, 6)], half),
                     _pie(["Promoters (9-10)", "Passives (7-8)", "Detractors (0-6)"],
                          [float(r.promoters), float(r.passives), float(r.detractors)],
                          half)]], colWidths=[half + 2 * mm] * 2, hAlign="LEFT")
    charts.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                                ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    items += [KeepTogether([para("Scores", s["h2"]), charts])]
    aspects = [[a.capitalize(), _s(v), str(v.count)] for a, v in r.aspects.items()]
    items += [KeepTogether([
        para("Service quality by aspect (1-5)", s["h2"]),
        _grid([["Aspect", "Average", "Answers"], *aspects], s, header=True,
              widths=[WIDTH * 0.3, WIDTH * 0.2, WIDTH * 0.2]),
        _bars([a.capitalize() for a, v in r.aspects.items() if v.count],
              [float(v.value or 0) for v in r.aspects.values() if v.count], WIDTH * 0.7)])]
    cats = [c for c, n in r.categories.items() if n]
    items += [KeepTogether([
        para(f"What comments are about (sentiment {_s(r.sentiment)}, "
             f"n={r.sentiment.count})", s["h2"]),
        _grid([["Category", "Comments", "Negative"],
               *([[c, str(r.categories[c]), str(r.negative_categories[c])] for c in cats]
                 or [["no comments", "", ""]])],
              s, header=True, widths=[WIDTH * 0.3, WIDTH * 0.2, WIDTH * 0.2]),
        _bars(cats, [float(r.negative_categories[c]) for c in cats], WIDTH * 0.7)])]
    for title, groups in (("By technician", r.by_technician),
                          ("By service type", r.by_service), ("By channel", r.by_channel),
                          ("By month", r.by_month)):
        items += [KeepTogether([para(title, s["h2"]), _groups(groups, s)])]
    if r.actions:
        rows = [[f"{a.started_on:%Y-%m-%d}", a.category, a.description,
                 f"{_s(a.before_sentiment)} (n={a.before_sentiment.count})",
                 f"{_s(a.after_sentiment)} (n={a.after_sentiment.count})"] for a in r.actions]
        items += [KeepTogether([
            para("Improvement actions: the category's comment sentiment 90 days before "
                 "and after", s["h2"]),
            _grid([["From", "Category", "Action", "Before", "After"], *rows], s, header=True,
                  widths=[WIDTH * f for f in (0.13, 0.14, 0.43, 0.15, 0.15)])])]
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4_SIZE, leftMargin=MARGIN, rightMargin=MARGIN,
                            topMargin=MARGIN, bottomMargin=MARGIN + 5 * mm,
                            title="Feedback report", author=data.shop.name)

    class Footer(NumberedCanvas):
        footer = f"{data.shop.name} · feedback {r.start:%Y-%m-%d} to {r.end:%Y-%m-%d}"

    doc.build(items, canvasmaker=Footer)
    return out.getvalue()


def _groups(groups: tuple[GroupScores, ...], s: dict[str, Any]) -> Flowable:
    rows = [[g.name, str(g.answers), f"{_s(g.csat)} (n={g.csat.count})",
             f"{_s(g.nps)} (n={g.nps.count})", f"{_s(g.ces)} (n={g.ces.count})"]
            for g in groups] or [["none in this period", "", "", "", ""]]
    return _grid([["", "Answers", "CSAT", "NPS", "CES"], *rows], s, header=True,
                 widths=[WIDTH * f for f in (0.32, 0.12, 0.18, 0.2, 0.18)])
