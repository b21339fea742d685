"""Scores replied to the satisfaction survey become feedback answers (issue 16's survey,
issue 17's feedback).

The survey (`satisfaction_survey`, sent the delay after pickup) asks for a score from 1
to 5 in reply and is tied to its repair ticket. A reply arrives by webhook on the
central database and is pulled like any change; after each delivery run the counter
that sent the survey (its `node`: exactly one counter) records the first reply that
answers it (same customer and channel, within `ANSWER_WITHIN`, before the next message
on that channel) as a feedback answer for the ticket: CSAT = the score, the words after
it as the comment. That earns the customer's feedback points, and a detractor (CSAT <=
2, or a strongly negative comment) opens its complaint, through `FeedbackService`.

The answer's id derives from the reply's id, so a second run, a crash after the insert
or another counter never records it twice. The survey link (`shop.survey_url`) is the
shop's own web form, which writes its answers to the central database itself; nothing
here serves or changes it.

Thread rule: any thread but the window's (the sender's runner thread calls it).
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from uuid import UUID

from sqlalchemy import select

from shopdesk.changes import Changes
from shopdesk.domain.messaging import rules
from shopdesk.domain.permissions import Role
from shopdesk.errors import ValidationError
from shopdesk.models import Feedback, Message
from shopdesk.services.feedback.feedback import FeedbackService, clean_feedback, complaint_id
from shopdesk.services.feedback.feedback_views import FeedbackInput
from shopdesk.services.messaging.outbox import NAMESPACE
from shopdesk.services.store import Actor, Store

log = logging.getLogger(__name__)
ANSWER_WITHIN = timedelta(days=7)
LOOK_BACK = timedelta(days=30)  # surveys whose replies may still be coming in or pulled
REPLY_ACTOR = Actor(None, "satisfaction survey reply", Role.OWNER)
# The feedback table's channels: an SMS reply to the survey is a survey answer.
FEEDBACK_CHANNEL = {"whatsapp": "whatsapp", "email": "email", "sms": "survey"}


def answer_id(reply_id: UUID) -> UUID:
    """The feedback answer recorded from a reply (the same on every counter)."""
    return uuid.uuid5(NAMESPACE, f"survey_reply:{reply_id.hex}")


class SurveyReplies:
    """Records survey replies as feedback; see the module docstring."""

    def __init__(self, store: Store, feedback: FeedbackService) -> None:
        self._store = store
        self._feedback = feedback

    def process(self) -> int:
        """Record the replies not yet recorded; returns how many were."""
        pending = self._pending()
        recorded = 0
        for fid, data in pending:
            try:
                clean = clean_feedback(data)
                with self._store.write() as session:
                    if session.get(Feedback, fid) is not None:
                        continue
                    row = self._feedback.insert_in(session, REPLY_ACTOR, data, clean,
                                                   row_id=fid)
                    customer = row.customer_id
            except ValidationError as why:  # cannot happen for a 1-5 score; never fatal
                log.warning("survey reply not recorded: %s", why)
                continue
            recorded += 1
            complaint = self._feedback.open_complaint(fid)
            self._store.publish(Changes(
                customers=frozenset({customer} if customer else set()), feedback=True,
                loyalty=customer is not None,
                support=frozenset({complaint_id(fid)}) if complaint else frozenset()))
        return recorded

    def _pending(self) -> list[tuple[UUID, FeedbackInput]]:
        now = self._store.clock()
        out: list[tuple[UUID, FeedbackInput]] = []
        with self._store.read() as session:
            surveys = session.scalars(select(Message).where(
                Message.template == "satisfaction_survey", Message.direction == "out",
                Message.node == self._store.node_tag, Message.ticket_id.is_not(None),
                Message.sent_at.is_not(None), Message.sent_at >= now - LOOK_BACK))
            for survey in surveys:
                sent_at = survey.sent_at
                assert sent_at is not None and survey.ticket_id is not None
                # A reply answers the latest message sent before it on that channel.
                following = session.scalar(select(Message.sent_at).where(
                    Message.customer_id == survey.customer_id, Message.direction == "out",
                    Message.channel == survey.channel, Message.sent_at > sent_at)
                    .order_by(Message.sent_at).limit(1))
                query = select(Message).where(
                    Message.customer_id == survey.customer_id, Message.direction == "in",
                    Message.channel == survey.channel, Message.created_at > sent_at,
                    Message.created_at <= sent_at + ANSWER_WITHIN)
                if following is not None:
                    query = query.where(Message.created_at < following)
                reply = session.scalar(query.order_by(Message.created_at).limit(1))
                if reply is None:
                    continue
                score = rules.survey_score(reply.body)
                fid = answer_id(reply.id)
                if score is None or session.get(Feedback, fid) is not None:
                    continue
                comment = " ".join(reply.body.split())[1:].strip(" -:,.;!")
                out.append((fid, FeedbackInput(
                    ticket=survey.ticket_id, channel=FEEDBACK_CHANNEL[survey.channel],
                    csat=score, comment=comment, received_at=reply.created_at)))
        return out
