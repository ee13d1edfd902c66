"""The real question of a message (healthqa/search/message.py), and hard input through the real
web app: a very long message, one that asks four things, one in another language, a drug name
alone, a lab value alone."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from healthqa.search.focus import FocusMatcher
from healthqa.search.message import MAX_QUESTIONS, NOT_ENGLISH, read_questions, unread

NAMES = [
    ("Irritable bowel syndrome", "Irritable bowel syndrome"),
    ("IBS", "Irritable bowel syndrome"),
    ("Lupus", "Lupus"),
    ("Plaquenil", "Hydroxychloroquine"),
    ("Hydroxychloroquine", "Hydroxychloroquine"),
]


@pytest.fixture(scope="module")
def matcher() -> FocusMatcher:
    return FocusMatcher(NAMES)


def read(matcher: FocusMatcher, text: str) -> list[str]:
    return [q.text for q in read_questions(text, matcher.match(text))]


def test_greeting_story_and_thanks_are_dropped(matcher: FocusMatcher) -> None:
    text = (
        "Hi, my father has IBS and is losing weight day by day. Please help us. "
        "What foods should he avoid? Thanks in advance."
    )
    assert read(matcher, text) == ["Irritable bowel syndrome: What foods should he avoid?"]


def test_each_question_keeps_the_characters_it_came_from(matcher: FocusMatcher) -> None:
    text = "Dear doctor, I have lupus. Should I be worried about my kidneys?"
    (question,) = read_questions(text, matcher.match(text))
    assert text[question.start : question.end] == "Should I be worried about my kidneys?"
    assert question.focus == "Lupus"


def test_a_stand_in_is_replaced_by_the_focus_named_earlier(matcher: FocusMatcher) -> None:
    text = "My doctor wants to give me plaquenil. Is this drug safe in pregnancy?"
    assert read(matcher, text) == ["Is Hydroxychloroquine safe in pregnancy?"]


def test_a_sentence_that_asks_two_things_is_split(matcher: FocusMatcher) -> None:
    text = "What is lupus and how is it treated?"
    assert read(matcher, text) == ["What is lupus", "Lupus: how is it treated?"]


def test_a_story_joined_by_and_is_not_split(matcher: FocusMatcher) -> None:
    text = "My father has IBS and is losing weight. What should he eat?"
    assert read(matcher, text) == ["Irritable bowel syndrome: What should he eat?"]


def test_a_subject_line_repeated_as_the_first_sentence_counts_once(matcher: FocusMatcher) -> None:
    text = "Can lupus be inherited?. Can lupus be inherited? My mother has it."
    assert [q.rstrip(".") for q in read(matcher, text)] == ["Can lupus be inherited?"]


def test_at_most_four_questions(matcher: FocusMatcher) -> None:
    text = "Is lupus inherited? Is it curable? Can I get pregnant? Is plaquenil safe? Can I run?"
    assert len(read(matcher, text)) == MAX_QUESTIONS


@pytest.mark.parametrize("text", ["ldl 190", "plaquenil", "I have lupus."])
def test_a_message_that_asks_nothing_is_read_as_itself(matcher: FocusMatcher, text: str) -> None:
    assert read(matcher, text) == [text]


@pytest.mark.parametrize(
    ("text", "note"),
    [
        ("¿Qué es el lupus y cómo se trata?", NOT_ENGLISH),
        ("狼疮 是 什么 病", NOT_ENGLISH),
        ("What is lupus and how is it treated?", None),
        ("ldl 190", None),
        ("plaquenil", None),
    ],
)
def test_what_healthqa_could_not_read(text: str, note: str | None) -> None:
    assert unread(text) == note


# ----- hard input through the web app (the demo corpus) -----

FOUR_THINGS = (
    "Hello. I had a hormonal IUD fitted last week. Is the back pain normal? "
    "Can I take paracetamol for it? Do antibiotics stop the pill from working? "
    "How much vitamin D should I take? Thank you."
)
LONG = " ".join(["My back has been sore for a while and I lift boxes all day at work."] * 55)
HARD = [
    FOUR_THINGS,
    LONG + " Should I rest in bed for my lower back pain?",
    "¿Puedo tomar paracetamol durante el embarazo para el dolor de cabeza?",
    "sertraline",
    "ldl 190",
]


@pytest.mark.parametrize("text", HARD)
def test_hard_input_gets_a_page_and_an_api_answer(client: TestClient, text: str) -> None:
    page = client.get("/ask", params={"q": text})
    assert page.status_code == 200
    assert '<ol class="results">' in page.text or "We have no question like this yet" in page.text
    api = client.get("/api/v1/ask", params={"q": text})
    assert api.status_code == 200
    assert api.json()["read_as"]


def test_each_of_four_questions_is_read_and_answered(client: TestClient) -> None:
    body = client.get("/api/v1/ask", params={"q": FOUR_THINGS, "k": 8}).json()
    assert len(body["read_as"]) == 4
    top = [m["id"] for m in body["matches"][:8]]
    for expected in ("demo-0001", "demo-0046", "demo-0032"):  # IUD, antibiotics, vitamin D
        assert expected in top
    page = client.get("/ask", params={"q": FOUR_THINGS}).text
    assert "We read your question as:" in page


def test_another_language_says_so(client: TestClient) -> None:
    body = client.get("/api/v1/ask", params={"q": HARD[2]}).json()
    assert body["note"] == NOT_ENGLISH
    assert "does not look like English" in client.get("/ask", params={"q": HARD[2]}).text
    assert client.get("/api/v1/ask", params={"q": FOUR_THINGS}).json()["note"] is None


def test_a_drug_name_alone_finds_its_question(client: TestClient) -> None:
    body = client.get("/api/v1/ask", params={"q": "sertraline", "k": 3}).json()
    assert body["matches"][0]["id"] == "demo-0029"
    assert body["read_as"] == ["sertraline"]
