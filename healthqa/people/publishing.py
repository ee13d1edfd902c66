"""What answering and moderating share: an answer going out (the question becomes public and
searchable), the notice to the asker, and the order of the queues (emergencies first)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, case, select, update

from healthqa.config import Settings
from healthqa.people.mail import Links, Mail, MailError, send
from healthqa.store.models import Question, Submission

log = logging.getLogger(__name__)

# Queues put the questions triage found urgent first: the asker was shown the urgent-care
# notice at once, and a person should see them before anything else.
URGENCY = case(
    (Submission.triage_level == "emergency", 0), (Submission.triage_level == "urgent", 1), else_=2
)


def publish(conn: Connection, question_id: int) -> None:
    """An answer is out: the question becomes public, and searchable at the next refresh."""
    now = datetime.now(UTC)
    conn.execute(
        update(Question)
        .where(Question.id == question_id)
        .values(
            status=case((Question.status == "open", "published"), else_=Question.status),
            updated_at=now,
        )
    )
    conn.execute(
        update(Submission)
        .where(Submission.question_id == question_id, Submission.answered_at.is_(None))
        .values(answered_at=now)
    )


def notify_asker(engine: Engine, settings: Settings, question_id: int, links: Links) -> None:
    """Mail the asker once, if they left an address. A mail failure is logged, not raised:
    the answer is out either way, and the private page shows it."""
    with engine.connect() as conn:
        row = conn.execute(
            select(Submission.email, Question.external_id, Question.title)
            .join(Question, Question.id == Submission.question_id)
            .where(
                Submission.question_id == question_id,
                Submission.email.is_not(None),
                Submission.notified_at.is_(None),
                Question.status == "published",
            )
        ).first()
    if row is None:
        return
    email, external_id, title = str(row[0]), row[1], row[2]
    text = (
        f"An expert answered the question you sent to {links.site}:\n\n  {title}\n\n"
        f"Read the answer here:\n{links.question(external_id)}\n\n"
        "The answer is general information, not a diagnosis. If your symptoms are severe "
        "or getting worse, contact a doctor or emergency services."
    )
    try:
        send(settings, Mail(email, "Your question has an answer", text))
    except MailError as exc:
        log.warning("answer notice for %s not sent: %s", external_id, exc)
        return
    with engine.begin() as conn:
        conn.execute(
            update(Submission)
            .where(Submission.question_id == question_id)
            .values(notified_at=datetime.now(UTC))
        )
