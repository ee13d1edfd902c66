"""A burst of expert answers and moderation actions for the fault tests, run as

    python -m tests.burst URL FIRST COUNT

Writes answers FIRST..FIRST+COUNT-1 to the published questions in turn, by the base's experts
in turn; hides every third answer and locks then unlocks every fifth question. Each write is
printed as a JSON line once its transaction has committed (its acknowledgement): a parent that
kills this process knows every write that was acknowledged, and at most one more may have
committed unannounced.
"""

from __future__ import annotations

import json
import sys

from sqlalchemy import select

from healthqa.kb import KnowledgeBase
from healthqa.people import accounts, answering
from healthqa.people.audit import Actor
from healthqa.people.moderating import act_on_answer, act_on_question
from healthqa.store.models import Question
from healthqa.web.links import SiteLinks

MODERATOR = Actor(None, "fault test")


def body(n: int) -> str:
    return f"Answer number {n} of the burst: rest, fluids and a visit to your doctor."


def main() -> None:
    url, first, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    kb = KnowledgeBase.open(url)
    experts = accounts.list_users(kb.engine, "expert")
    with kb.engine.connect() as conn:
        query = select(Question.external_id).where(Question.status == "published")
        questions = list(conn.scalars(query.order_by(Question.id)))
    links = SiteLinks("http://fault.test")
    for n in range(first, first + count):
        question = questions[n % len(questions)]
        answer_id, status = answering.answer(
            kb, experts[n % len(experts)], question, body(n), links
        )
        say(n=n, answer=answer_id, question=question, status=status)
        if n % 3 == 0:
            say(
                n=n, answer=answer_id, hidden=act_on_answer(kb, MODERATOR, answer_id, "hide", links)
            )
        if n % 5 == 0:
            for action in ("lock", "unlock"):
                act_on_question(kb.engine, MODERATOR, question, action, reason="fault test")
                say(n=n, question=question, action=action)


def say(**fields: object) -> None:
    print(json.dumps(fields), flush=True)


if __name__ == "__main__":
    main()
