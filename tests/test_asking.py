"""Asking without an account: the checks before a question is stored, the private link, and the
question's way through moderation and an expert's answer into the knowledge base. The whole
life runs on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from healthqa.config import Settings, load_settings
from healthqa.ingest.demo import import_demo
from healthqa.kb import KnowledgeBase, open_index
from healthqa.people import accounts, answering, asking, limits
from healthqa.people.audit import Actor, read
from healthqa.people.moderating import act_on_answer, act_on_question, moderation_queue
from healthqa.search.ask import ask
from healthqa.search.index import SearchIndex
from healthqa.store.models import Question, Submission
from healthqa.web.links import SiteLinks

PASSWORD = "correct horse battery"
NEW = "Can I take my blood pressure tablets with grapefruit juice every morning?"


@pytest.fixture
def settings(engine: Engine) -> Settings:
    return load_settings(database_url=engine.url.render_as_string(hide_password=False))


@pytest.fixture
def index(engine: Engine, settings: Settings) -> Iterator[SearchIndex]:
    import_demo(engine)
    yield open_index(engine, settings)


def send(
    engine: Engine, index: SearchIndex, title: str, details: str = "", **kw: object
) -> asking.Sent:
    kw.setdefault("sender", "test-address")
    return asking.submit(KnowledgeBase(engine, index), title, details, **kw)  # type: ignore[arg-type]


def status_of(engine: Engine, external_id: str) -> str:
    with engine.connect() as conn:
        return str(conn.scalar(select(Question.status).where(Question.external_id == external_id)))


def test_a_question_goes_from_asker_to_moderator_to_expert_to_the_answer_engine(
    engine: Engine, index: SearchIndex, settings: Settings
) -> None:
    sent = send(engine, index, NEW, "I am 64 and take amlodipine.", email="asker@example.org")
    assert sent.status == "pending" and len(sent.token) >= 32 and not sent.held
    assert status_of(engine, sent.id) == "pending"
    with engine.connect() as conn:  # only a hash of the private link is stored
        assert conn.scalar(select(func.count()).where(Submission.token_hash == sent.token)) == 0

    moderator = accounts.add_user(engine, "mod@example.org", PASSWORD, "moderator")
    act_on_question(engine, moderator.actor, sent.id, "approve")
    assert status_of(engine, sent.id) == "open"
    assert [q.id for q in answering.queue(engine)] == [sent.id]

    expert = accounts.add_user(engine, "nurse@example.org", PASSWORD, "expert")
    with pytest.raises(answering.NotAllowed, match="verified"):
        answering.answer(
            KnowledgeBase(engine, index, settings), expert, sent.id,
            "Grapefruit raises amlodipine levels.", SiteLinks(""),
        )  # fmt: skip
    accounts.save_profile(
        engine, expert.id, name="Sam Lee", profession="Pharmacist", speciality="Pharmacy",
        licence="GPhC 2081234", country="United Kingdom",
    )  # fmt: skip
    accounts.verify(engine, moderator.actor, expert.id)
    body = (
        "Grapefruit juice can **raise the level** of some blood pressure tablets:\n\n"
        "- ask your pharmacist\n- read the leaflet"
    )
    kb, links = KnowledgeBase(engine, index, settings), SiteLinks("http://site")
    answer_id, status = answering.answer(kb, expert, sent.id, body, links)
    assert status == "published" and status_of(engine, sent.id) == "published"

    index.refresh(force=True)  # what the site does at most once a second
    found = ask(index, "is grapefruit juice ok with my blood pressure pills?", k=5)
    assert sent.id in [m.id for m in found.matches]

    view = asking.private_view(kb, asking.find(engine, sent.token))
    assert view.status == "published" and view.answer_ids == [answer_id]
    actions = [(e.action, e.target) for e in read(engine)]
    assert ("approve", "question") in actions and ("verify", "expert") in actions


def test_personal_data_is_masked_before_anything_is_stored(
    engine: Engine, index: SearchIndex
) -> None:
    sent = send(
        engine, index, "Rash on my arm after a tattoo, is it infected?",
        "My name is Jane Doe, call me on 555-123-4567 or jane.doe@example.com. I am 34.",
        confirm_new=True,
    )  # fmt: skip
    with engine.connect() as conn:
        body = conn.scalar(select(Question.body).where(Question.external_id == sent.id))
    assert body is not None
    assert "Jane Doe" not in body and "555-123-4567" not in body and "jane.doe@" not in body
    assert "I am 34" in body
    assert {"email", "phone", "name"} <= set(sent.masked)


def test_a_question_answered_already_is_offered_first(engine: Engine, index: SearchIndex) -> None:
    with pytest.raises(asking.AlreadyAnswered) as offered:
        send(engine, index, "Lower back pain since my IUD was put in, what should I do?")
    assert offered.value.matches[0].id == "demo-0001"
    sent = send(
        engine,
        index,
        "Lower back pain since my IUD was put in, what should I do?",
        confirm_new=True,
    )
    assert status_of(engine, sent.id) == "pending"


def test_refusals_store_nothing(engine: Engine, index: SearchIndex) -> None:
    too_many_links = "see http://a.example http://b.example http://c.example"
    cases = [
        ("", "", "type your question"),
        ("x" * 301, "", "under 300"),
        ("ok?", too_many_links, "link"),
    ]
    for title, details, message in cases:
        with pytest.raises(asking.QuestionRefused, match=message):
            send(engine, index, title, details)
    with pytest.raises(asking.QuestionRefused, match="not an email address"):
        send(engine, index, "Is it ok?", email="not an email")
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Submission)) == 0


def test_one_address_may_send_five_questions_an_hour(engine: Engine, index: SearchIndex) -> None:
    for n in range(5):
        send(engine, index, f"Question number {n} about my sore left knee?", confirm_new=True)
    with pytest.raises(limits.RateLimited, match="try again in"):
        send(engine, index, "One more about my sore knee?", confirm_new=True)
    send(engine, index, "Another person's question about knees?", sender="other", confirm_new=True)


def test_the_private_link_edits_and_deletes(engine: Engine, index: SearchIndex) -> None:
    sent = send(engine, index, NEW, confirm_new=True)
    submission, kb = asking.find(engine, sent.token), KnowledgeBase(engine, index)
    asking.edit(kb, submission, NEW + " (twice a day)", "New details")
    assert asking.private_view(kb, submission).title.endswith("(twice a day)")
    asking.set_email(engine, submission, "me@example.org")
    assert asking.private_view(kb, submission).email == "me@example.org"
    assert asking.remove(engine, submission) == sent.id
    with pytest.raises(asking.NoSuchQuestion):
        asking.find(engine, sent.token)
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).where(Question.external_id == sent.id)) == 0
    with pytest.raises(asking.NoSuchQuestion):
        asking.find(engine, "a" * 32)


def test_an_emergency_comes_first_in_the_moderation_queue(
    engine: Engine, index: SearchIndex
) -> None:
    routine = send(
        engine, index, "How long do I keep my knee brace on after a sprain?", confirm_new=True
    )
    urgent = send(
        engine, index, "Crushing chest pain spreading to my left arm right now, a heart attack?",
        sender="someone else", confirm_new=True,
    )  # fmt: skip
    assert urgent.triage["level"] == "emergency" and urgent.triage["advice"]
    order = [q.id for q in moderation_queue(engine).questions]
    assert order == [urgent.id, routine.id]


def test_a_signed_in_asker_finds_their_questions(engine: Engine, index: SearchIndex) -> None:
    me = accounts.add_user(engine, "me@example.org", PASSWORD)
    sent = send(engine, index, NEW, account=me, confirm_new=True)
    assert [q.id for q in asking.questions_of(engine, me)] == [sent.id]
    assert asking.find_own(engine, me, sent.id).question_id
    other = accounts.add_user(engine, "other@example.org", PASSWORD)
    with pytest.raises(asking.NoSuchQuestion):
        asking.find_own(engine, other, sent.id)


SITE_RULES = """
version = 1
hold = 3.0
[links]
question = 2
answer = 8
[[rule]]
id = "site.miracle"
pattern = '\\bmiracle\\b'
weight = 5.0
reason = "miracle claims"
source = "this site's moderators"
"""


def site_with_rules(engine: Engine, folder: Path, **more: Any) -> Settings:
    """The demo corpus in `engine`, and settings naming a spam rules file of the site's own."""
    import_demo(engine)
    (folder / "rules.toml").write_text(SITE_RULES)
    url = engine.url.render_as_string(hide_password=False)
    return load_settings(database_url=url, spam_rules_file=folder / "rules.toml", **more)


def test_a_site_rule_holds_an_answer_until_a_moderator_publishes_it(
    sqlite_engine: Engine, tmp_path: Path, smtp: Any
) -> None:
    engine = sqlite_engine
    settings = site_with_rules(engine, tmp_path, smtp_host=smtp.host, smtp_port=smtp.port)
    index = open_index(engine, settings)
    sent = send(engine, index, NEW, email="asker@example.org", confirm_new=True)
    moderator = Actor(None, "mod@example.org")
    act_on_question(engine, moderator, sent.id, "approve")
    expert = accounts.add_user(engine, "e@example.org", PASSWORD, "expert")
    accounts.save_profile(
        engine, expert.id, name="Dr A", profession="Physician", speciality="Pharmacy",
        licence="X1", country="Spain",
    )  # fmt: skip
    accounts.verify(engine, moderator, expert.id)
    held = "Grapefruit is a miracle cure for high blood pressure, trust me."
    kb, links = KnowledgeBase(engine, index, settings), SiteLinks("http://site")
    answer_id, status = answering.answer(kb, expert, sent.id, held, links)
    assert status == "pending" and status_of(engine, sent.id) == "open"
    assert [a.id for a in moderation_queue(engine).answers] == [answer_id]
    assert smtp.messages == []  # nothing public yet, no notice
    act_on_answer(kb, moderator, answer_id, "approve", links)
    assert status_of(engine, sent.id) == "published"
    (notice,) = smtp.wait_for(1)
    assert (
        notice["To"] == "asker@example.org" and f"http://site/q/{sent.id}" in notice.get_content()
    )


def test_an_edited_question_is_screened_with_the_sites_own_rules(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    engine = sqlite_engine
    settings = site_with_rules(engine, tmp_path)
    kb = KnowledgeBase(engine, open_index(engine, settings), settings)
    sent = asking.submit(kb, NEW, sender="test-address", confirm_new=True)
    assert not sent.held
    submission = asking.find(engine, sent.token)
    asking.edit(kb, submission, NEW, "Grapefruit is a miracle cure, I read.")
    with engine.connect() as conn:
        score = conn.scalar(
            select(Submission.spam_score).where(Submission.question_id == submission.question_id)
        )
    assert score is not None and score >= 5.0  # the site's "miracle" rule, not the bundled ones


def test_an_edited_question_gets_the_display_title_of_its_new_title(
    engine: Engine, index: SearchIndex
) -> None:
    """An asker's edit and a moderator's both store the display title of the new title
    (healthqa/ingest/titles.py): a question typed in lower case gets its capital and "?"."""
    sent = send(engine, index, "how long does morning sickness last", confirm_new=True)
    assert display_title_of(engine, sent.id) == "How long does morning sickness last?"
    kb = KnowledgeBase(engine, index)
    asking.edit(kb, asking.find(engine, sent.token), "is morning sickness worse with twins", "")
    assert display_title_of(engine, sent.id) == "Is morning sickness worse with twins?"
    moderator = Actor(None, "mod@example.org")
    act_on_question(engine, moderator, sent.id, "edit", title="does ginger help morning sickness")
    assert display_title_of(engine, sent.id) == "Does ginger help morning sickness?"


def display_title_of(engine: Engine, external_id: str) -> str | None:
    with engine.connect() as conn:
        query = select(Question.display_title).where(Question.external_id == external_id)
        return conn.scalar(query)
