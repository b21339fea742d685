"""The scheduled privacy reports (spec 13.3): monthly data quality, quarterly compliance.

`data_quality()` and `compliance()` build the reports (plain data: the window shows
them, `--json` prints them); `pdf(report)` draws one. `run_due()` makes whatever is
due (this month's data-quality report, last quarter's review once a quarter ended and
this quarter's so far) into `<data dir>/reports/` and remembers it, so the window can
call it at every start and a scheduled task can run `shopdesk report data-quality`.
Making a report is recorded in the audit trail (the reports list customers).

Thread rule: any thread; run it off the GUI thread (a data-quality check validates
every stored phone number).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import select

from shopdesk import private_files
from shopdesk.domain.permissions import Permission
from shopdesk.models import LocalMeta
from shopdesk.printing.data import ShopHeader
from shopdesk.printing.privacy_data import PrivacyReport, section
from shopdesk.services.audit import AuditTrail
from shopdesk.services.privacy import compliance, quality
from shopdesk.services.privacy.monitoring import Monitoring
from shopdesk.services.settings import SettingsService
from shopdesk.services.store import Store

KINDS = ("data-quality", "compliance")


@dataclass(frozen=True)
class Made:
    kind: str
    period: str
    path: Path


class PrivacyReports:
    """Builds, draws and schedules the two reports. See the module docstring."""

    def __init__(self, store: Store, audit: AuditTrail, settings: SettingsService,
                 monitoring: Monitoring) -> None:
        self._store, self._audit, self._settings = store, audit, settings
        self._monitoring = monitoring

    def _shop(self) -> ShopHeader:
        v = self._settings.all()
        return ShopHeader(v["shop.name"], v["shop.address"], v["shop.phone"],
                          v["shop.currency"])

    def data_quality(self, now: datetime | None = None) -> PrivacyReport:
        self._store.require(Permission.READ_AUDIT)
        now = now or self._store.clock()
        months = int(self._settings.get("privacy.retention_months"))
        with self._store.read() as session:
            conn = session.connection()
            live = quality.live_customers(conn)
            parts = (quality.duplicates(conn), quality.invalid_numbers(conn),
                     quality.missing_consents(conn), quality.beyond_retention(conn, now, months))
        figures = (("Active customers", f"{live:,}"),
                   *((p.title.split(" (")[0].replace("No activity for more than",
                                                      "Inactive >"), str(p.total))
                     for p in parts))
        return PrivacyReport("data-quality", "Monthly data-quality check", f"{now:%B %Y}",
                             self._shop(), now, figures, parts)

    def compliance(self, day: date | None = None, now: datetime | None = None) -> PrivacyReport:
        """The review of the quarter that holds `day` (default: today's)."""
        self._store.require(Permission.READ_AUDIT)
        now = now or self._store.clock()
        start, end, label = compliance.quarter_of(day or now.date())
        lo, hi = compliance.bounds(start, end)
        verified = self._audit.verify()
        alerts = [a for a in self._monitoring.alerts(days=(end - start).days + 31, now=now,
                                                     include_reviewed=True)
                  if lo <= a.at.isoformat() < hi]
        with self._store.read() as session:
            conn = session.connection()
            parts = [compliance.erasures(conn, lo, hi), compliance.exports(conn, lo, hi),
                     compliance.consents(conn, lo, hi), compliance.access(conn, lo, hi)]
            failed = compliance.failed_sign_ins(conn, lo, hi)
            parts.append(section("Access alerts", f"{failed} failed sign-ins this quarter.",
                                 ("When", "Who", "Alert"),
                                 [(f"{a.at:%Y-%m-%d %H:%M}", a.who, a.summary)
                                  for a in alerts]))
            parts.append(compliance.staff(conn))
        values = self._settings.all()
        parts.append(section("Settings in force", "", ("Setting", "Value"),
                             [(k, values[k]) for k in compliance.SETTINGS]))
        trail = (f"intact ({verified.checked:,} entries)" if verified.ok
                 else f"BROKEN at #{verified.bad_seq}: {verified.problem}")
        figures = (("Erasures", str(parts[0].total)), ("Exports", str(parts[1].total)),
                   ("Access alerts", str(len(alerts))), ("Failed sign-ins", str(failed)),
                   ("Audit trail", trail))
        last = date.fromordinal(end.toordinal() - 1)
        period = f"{label} ({start:%d %b} – {last:%d %b %Y})"
        return PrivacyReport("compliance", "Quarterly compliance review", period,
                             self._shop(), now, figures, tuple(parts))

    def make(self, kind: str, now: datetime | None = None,
             day: date | None = None) -> PrivacyReport:
        if kind not in KINDS:
            raise ValueError(f"no report '{kind}': one of {', '.join(KINDS)}")
        return (self.data_quality(now) if kind == "data-quality"
                else self.compliance(day, now=now))

    def pdf(self, report: PrivacyReport, path: Path | None = None) -> bytes:
        """The report as PDF bytes (written to `path` too when given); recorded."""
        from shopdesk.printing.privacy_report import privacy_report  # ReportLab: lazy

        actor = self._store.require(Permission.READ_AUDIT)
        data = privacy_report(report)
        if path is not None:
            tmp = path.with_name(path.name + ".partial")
            tmp.write_bytes(data)
            tmp.replace(path)
        with self._store.write() as session:
            self._audit.append(session, actor, "privacy_report", "report", report.kind,
                               {"kind": report.kind, "period": report.period,
                                "file": path.name if path else None})
        return data

    # -- the schedule --------------------------------------------------------------------
    @staticmethod
    def _periods(now: datetime) -> dict[str, tuple[str, date]]:
        """Each kind's period now: this month's check; the review of the last quarter."""
        start, _, _ = compliance.quarter_of(now.date())
        previous = date.fromordinal(start.toordinal() - 1)
        return {"data-quality": (f"{now:%Y-%m}", now.date()),
                "compliance": (compliance.quarter_of(previous)[2], previous)}

    def due(self, now: datetime | None = None) -> list[tuple[str, str]]:
        """(kind, period key) of the reports not made yet for their period."""
        now = now or self._store.clock()
        keys = {k: v[0] for k, v in self._periods(now).items()}
        with self._store.read() as session:
            made = {row.key: row.value for row in session.scalars(select(LocalMeta).where(
                LocalMeta.key.in_([f"reports.{k}" for k in KINDS])))}
        return [(k, v) for k, v in keys.items() if made.get(f"reports.{k}") != v]

    def run_due(self, folder: Path | None = None, now: datetime | None = None) -> list[Made]:
        """Make the reports that are due into `folder` (default `<data dir>/reports`)."""
        now = now or self._store.clock()
        folder = folder or self._store.root / "reports"
        private_files.private_dir(folder)  # reports name customers
        made = []
        periods = self._periods(now)
        for kind, key in self.due(now):
            report = self.make(kind, now, periods[kind][1])
            path = folder / f"{kind}-{key}.pdf"
            self.pdf(report, path)
            with self._store.write() as session:
                row = session.get(LocalMeta, f"reports.{kind}")
                if row is None:
                    session.add(LocalMeta(key=f"reports.{kind}", value=key))
                else:
                    row.value = key
            made.append(Made(kind, key, path))
        return made
