"""`shop.feedback`: recording and complaints (FeedbackService), plus reviews and reports.

Thread rule: any thread, as the parts it joins.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from shopdesk.changes import Changes
from shopdesk.services.feedback.feedback import FeedbackService
from shopdesk.services.feedback.feedback_report import feedback_report
from shopdesk.services.feedback.feedback_views import FeedbackReport, ImportResult
from shopdesk.services.feedback.reviews import import_reviews


class FeedbackDesk(FeedbackService):
    """Feedback answers, online reviews, the period's figures."""

    def import_reviews(self, path: Path) -> ImportResult:
        result = import_reviews(self._store, self, path)
        if result.added:
            self._store.publish(Changes(feedback=True))
        return result

    def report(self, start: date, end: date) -> FeedbackReport:
        return feedback_report(self._store, start, end)

    def on_changes(self, changes: Changes) -> None:
        """Store listener: answers pulled from the central database may be detractors
        this counter must open a complaint for (on the sync thread, after its commit)."""
        if changes.remote and changes.feedback:
            self.process_pending()
