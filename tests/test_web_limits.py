"""Every form takes as much text as the check behind it allows, and the API schema states the
same limits: each is rendered from the constant that defines it (`healthqa.people.limits`,
`search.ask.MAX_CHARS`, the importers' id limit), so a limit changed there changes the forms.

The pages are fetched as their visitors see them (anyone, the asker of a question, a
moderator, an expert), and parsed as a browser would read them.
"""

from __future__ import annotations

import re
from email.parser import BytesParser
from email.policy import default as default_policy
from html.parser import HTMLParser
from typing import Any

import pytest
from fastapi.testclient import TestClient

from healthqa.ingest.records import LIMITS as RECORD_LIMITS
from healthqa.people import accounts
from healthqa.people.limits import (
    ANSWER_CHARS,
    COUNTRY_CHARS,
    DETAILS_CHARS,
    EMAIL_CHARS,
    NAME_CHARS,
    NOTE_CHARS,
    PASSWORD_CHARS,
    PASSWORD_MIN_CHARS,
    TITLE_CHARS,
)
from healthqa.people.moderating import FLAG_REASONS, QUESTION_ACTIONS
from healthqa.search.ask import MAX_CHARS
from healthqa.web.auth import SESSION_COOKIE
from tests.web import post_form, site_of

PASSWORD = "correct horse battery"
PROFILE = {
    "name": "Kim Park",
    "profession": "Registered nurse",
    "speciality": "General practice",
    "licence": "RN 556677",
    "country": "Canada",
}
QUESTION = "Is it safe to drink grapefruit juice with my blood pressure tablets?"
ANSWER = "Grapefruit can raise the level of some blood pressure tablets: ask your pharmacist."
Limits = tuple[int | None, int | None]  # a field's maxlength and minlength


class Form(HTMLParser):
    """A page's form fields as a browser reads them: for each name, the limits of the text
    fields of that name and the last one's value, and the choices of radio buttons and selects."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.limits: dict[str, set[Limits]] = {}
        self.values: dict[str, str] = {}
        self.choices: dict[str, list[str]] = {}
        self._textarea: str | None = None  # the name of the textarea being read
        self._select: str | None = None
        self._option = False
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {key: value or "" for key, value in attrs}
        name, kind = found.get("name", ""), found.get("type", "text")
        if tag == "input" and kind == "radio":
            self.choices.setdefault(name, []).append(found["value"])
        elif tag == "textarea" or (tag == "input" and kind not in ("hidden", "checkbox")):
            limits = (number(found.get("maxlength")), number(found.get("minlength")))
            self.limits.setdefault(name, set()).add(limits)
            self.values[name] = found.get("value", "")
        self._textarea = name if tag == "textarea" else None
        self._select = name if tag == "select" else self._select
        self._option = tag == "option"

    def handle_endtag(self, tag: str) -> None:
        self._textarea = None
        self._select = None if tag == "select" else self._select
        self._option = False

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self.values[self._textarea] += data
        if self._select is not None and self._option:
            self.choices.setdefault(self._select, []).append(data.strip())


def number(text: str | None) -> int | None:
    return None if text is None else int(text)


def most(chars: int) -> set[Limits]:
    return {(chars, None)}


@pytest.fixture(scope="module")
def pages(client: TestClient) -> dict[str, Form]:
    """Every page with a text field, as its visitor sees it."""
    engine = site_of(client).engine
    moderator = accounts.add_user(engine, "mod@example.org", PASSWORD, "moderator")
    expert = accounts.add_user(engine, "nurse@example.org", PASSWORD, "expert")
    accounts.save_profile(engine, expert.id, **PROFILE)
    accounts.verify(engine, moderator.actor, expert.id)
    anyone, mod, nurse = (TestClient(client.app) for _ in range(3))
    mod.cookies.set(SESSION_COOKIE, accounts.start_session(engine, moderator.id))
    nurse.cookies.set(SESSION_COOKIE, accounts.start_session(engine, expert.id))
    sent = post_form(anyone, "/ask", {"title": QUESTION, "confirm": "yes"}, follow_redirects=False)
    post_form(anyone, "/signup", {"email": "new@example.org"})
    done = post_form(nurse, "/expert/answer/demo-0003", {"body": ANSWER}, follow_redirects=False)
    answer_id = done.headers["location"].rsplit("#a", 1)[1]
    html = {
        "ask": anyone.get("/ask", params={"q": QUESTION, "send": 1}).text,
        "sign in": anyone.get("/signin").text,
        "sign up": anyone.get("/signup").text,
        "password": anyone.get(sign_up_link(client)).text,
        "private": anyone.get(sent.headers["location"]).text,
        "flag": anyone.get("/flag/question/demo-0002").text,
        "moderate": mod.get("/moderate").text,
        "expert profile": nurse.get("/expert/profile").text,
        "expert answer": nurse.get("/expert/answer/demo-0004").text,
        "expert edit": nurse.get(f"/expert/answers/{answer_id}").text,
    }
    return {name: Form(page) for name, page in html.items()}


def sign_up_link(client: TestClient) -> str:
    """The path of the newest sign-up link in the site's outbox (no SMTP host: mail is kept)."""
    newest = max(site_of(client).settings.outbox_dir.glob("*.eml"))  # the names sort by time
    message = BytesParser(policy=default_policy).parsebytes(newest.read_bytes())
    found = re.search(r"http://testserver(/signup/\S+)", message.get_content())
    assert found, message.get_content()
    return found.group(1)


EXPECTED: dict[str, dict[str, set[Limits]]] = {
    "ask": {
        "q": most(MAX_CHARS),  # what the engine reads of a message
        "title": most(TITLE_CHARS),
        "details": most(DETAILS_CHARS),
        "email": most(EMAIL_CHARS),
    },
    "sign in": {"email": most(EMAIL_CHARS), "password": most(PASSWORD_CHARS)},
    "sign up": {"email": most(EMAIL_CHARS)},
    "password": {
        "name": most(NAME_CHARS),
        "password": {(PASSWORD_CHARS, PASSWORD_MIN_CHARS)},
        "password2": {(PASSWORD_CHARS, PASSWORD_MIN_CHARS)},
    },
    "private": {
        "title": most(TITLE_CHARS),
        "details": most(DETAILS_CHARS),
        "email": most(EMAIL_CHARS),
    },
    "flag": {"note": most(NOTE_CHARS)},
    "moderate": {
        "reason": most(NOTE_CHARS),
        "title": most(TITLE_CHARS),
        "details": most(DETAILS_CHARS),
        "id": most(RECORD_LIMITS["id"]),
    },
    "expert profile": {
        **{name: most(NAME_CHARS) for name in ("name", "profession", "licence")},
        "country": most(COUNTRY_CHARS),
    },
    "expert answer": {"body": most(ANSWER_CHARS)},
    "expert edit": {"body": most(ANSWER_CHARS)},
}


@pytest.mark.parametrize("page", EXPECTED)
def test_each_text_field_allows_what_the_library_allows(pages: dict[str, Form], page: str) -> None:
    assert pages[page].limits == EXPECTED[page]


def test_the_forms_offer_the_librarys_reasons_and_actions(pages: dict[str, Form]) -> None:
    assert pages["flag"].choices == {"reason": list(FLAG_REASONS)}
    assert set(pages["moderate"].choices["action"]) <= set(QUESTION_ACTIONS)


def test_a_long_message_fills_the_title_to_its_limit_and_moves_whole_into_the_details(
    client: TestClient,
) -> None:
    words = "my knee has been swollen since the football match"
    typed = " ".join([words] * (TITLE_CHARS // len(words) + 2))  # longer than a title
    assert len(typed) <= MAX_CHARS  # and read whole
    form = Form(client.get("/ask", params={"q": typed, "send": 1}).text)
    assert len(form.values["title"]) <= TITLE_CHARS and form.values["title"].endswith("…")
    assert form.values["details"].strip() == typed


def test_the_api_schema_states_the_same_limits(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]

    def field(model: str, name: str) -> dict[str, Any]:
        """A property's schema; of an optional one, the schema of the value when there is one."""
        found: dict[str, Any] = schemas[model]["properties"][name]
        return next(kind for kind in found.get("anyOf", [found]) if kind != {"type": "null"})

    assert field("NewQuestion", "title")["maxLength"] == TITLE_CHARS
    assert field("NewQuestion", "details")["maxLength"] == DETAILS_CHARS
    assert field("NewQuestion", "email")["maxLength"] == EMAIL_CHARS
    assert field("QuestionEdit", "title")["maxLength"] == TITLE_CHARS
    assert field("NewAnswer", "body")["maxLength"] == ANSWER_CHARS
    assert field("NewFlag", "note")["maxLength"] == NOTE_CHARS
    assert field("NewFlag", "reason")["enum"] == list(FLAG_REASONS)
    assert field("ModerationAction", "action")["enum"] == list(QUESTION_ACTIONS)
    assert field("ModerationAction", "details")["maxLength"] == DETAILS_CHARS
