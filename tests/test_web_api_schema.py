"""/api/v1 against its own OpenAPI schema, and against hostile input.

schemathesis makes one test per /api/v1 operation and sends it generated requests, the
anonymous ones and, for the people's side, the same with the bearer token of a verified expert
and of a moderator, so the authorised paths run too, not only the 401s. Every response must not
be a 5xx, must have a status and content type the schema documents, and must match the schema.
Half the time a path parameter or a field of the body names something that exists (a stored
question, a topic, the private link of a sent question, an answer), so that lookups succeed and
reports, moderation and answers really happen.

Then a list of hostile requests: each gets a 4xx with a message and leaves the database as it
was; hostile text that is a valid question is stored and shown escaped.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.errors import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import create_engine, delete, select

from healthqa.config import Settings
from healthqa.people import accounts, asking
from healthqa.people.moderating import act_on_question
from healthqa.store.models import Base, RateEvent
from healthqa.web.app import create_app
from tests.web import csrf, demo_site, site_of

PASSWORD = "correct horse battery"
SCRIPT = "<script>alert(1)</script>"
SQL = "'; DROP TABLE questions; --"
ANSWER = "Grapefruit juice can raise the level of some medicines in the blood: ask your pharmacist."
DRUGS = (
    "simvastatin amlodipine sertraline tacrolimus apixaban felodipine nifedipine buspirone".split()
)

# ----- fixtures -----


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with demo_site(tmp_path_factory.mktemp("schema")) as client:
        yield client


@dataclass(frozen=True)
class People:
    """Who calls the API, and what exists on the site for requests to name."""

    expert: dict[str, str]  # headers with the bearer token of a verified expert
    moderator: dict[str, str]
    known: dict[str, list[str]]  # path parameter or body field -> values that name something


@pytest.fixture(scope="module")
def people(site: TestClient) -> People:
    engine = site_of(site).engine
    moderator = accounts.add_user(engine, "mod@example.org", PASSWORD, "moderator")
    expert = accounts.add_user(engine, "nurse@example.org", PASSWORD, "expert")
    accounts.save_profile(
        engine, expert.id, name="Kim Park", profession="Registered nurse",
        speciality="General practice", licence="RN 556677", country="Canada",
    )  # fmt: skip
    accounts.verify(engine, moderator.actor, expert.id)
    _, expert_token = accounts.create_api_token(engine, expert, "schema", ["read", "ask", "answer"])
    _, moderator_token = accounts.create_api_token(
        engine, moderator, "schema", ["read", "ask", "moderate"]
    )
    # Questions sent on the site, all but two approved: open for the expert's answers.
    titles = [f"Is it safe to take {drug} with grapefruit juice?" for drug in DRUGS]
    sent = [
        asking.submit(site_of(site), title, sender=f"seed {i}", confirm_new=True)
        for i, title in enumerate(titles)
    ]
    for question in sent[2:]:
        act_on_question(engine, moderator.actor, question.id, "approve")
    stored = ["demo-0001", "demo-0030", "hostile-1", "pending-1", "GHR_0000001_Sec1"]
    answers = [str(a["id"]) for a in site.get("/api/v1/questions/demo-0001/answers").json()]
    return People(
        expert={"Authorization": f"Bearer {expert_token}"},
        moderator={"Authorization": f"Bearer {moderator_token}"},
        known={
            "question_id": stored + [question.id for question in sent],
            "slug": [topic["slug"] for topic in site.get("/api/v1/topics").json()],
            # Links to half of them only: DELETE must not remove all that later tests name.
            "token": [question.token for question in sent[::2]],
            "id": stored + answers,  # what a report points at: a question or an answer
            "body": [ANSWER],
        },
    )


@dataclass
class Tally:
    """What schemathesis tried, for the summary line at the end of the session."""

    cases: int = 0
    requests: int = 0
    operations: set[str] = field(default_factory=set)
    rate_limited: int = 0  # 429s: the question limit (5 an hour) is reached quickly
    failures: dict[str, int] = field(default_factory=dict)  # "operation: check -> status": calls

    def line(self) -> str:
        return (
            f"schemathesis: {self.cases} cases ({self.requests} requests) over "
            f"{len(self.operations)} operations, {sum(self.failures.values())} failures "
            f"({len(self.failures)} distinct), {self.rate_limited} answered 429"
        )


@pytest.fixture(scope="session")
def tally(request: pytest.FixtureRequest) -> Iterator[Tally]:
    found = Tally()
    yield found
    if not found.cases:
        return
    lines = [found.line()] + [f"  {name}: {n}" for name, n in sorted(found.failures.items())]
    plugins = request.config.pluginmanager
    reporter, capture = plugins.get_plugin("terminalreporter"), plugins.get_plugin("capturemanager")
    if reporter is None or capture is None:
        print(*lines, sep="\n")
        return
    with capture.global_and_fixture_disabled():  # past pytest's capture, onto the terminal
        reporter.write_line("")
        for line in lines:
            reporter.write_line(line)


# ----- /api/v1 against its schema -----

# The OpenAPI document does not depend on data, so it is read at import, from an app over an
# empty in-memory database: schemathesis then makes one pytest test per operation. The requests
# go to the demo site of the `site` fixture. (`schemathesis.pytest.from_fixture` would load it
# from the fixture, but it sets `Node._nodeid`, which pytest 9.2 no longer has.)
SPEC = create_app(create_engine("sqlite://"), settings=Settings(database_url="sqlite://")).openapi()
schema = schemathesis.openapi.from_dict(SPEC).include(path_regex="^/api/v1/")
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# A rate limit may answer any POST: 429 is accepted whether or not the schema lists it.
RATE_LIMITED_CHECKS = [c for c in CHECKS if c is not status_code_conformance]


@schema.parametrize()
@schema.given(data=st.data())
@settings(
    max_examples=200,
    deadline=None,
    database=None,  # nothing written to .hypothesis/
    suppress_health_check=[HealthCheck.too_slow],  # large bodies, on a busy machine
)
def test_api_v1_keeps_to_its_schema(
    case: schemathesis.Case[Any],
    data: st.DataObject,
    site: TestClient,
    people: People,
    tally: Tally,
) -> None:
    name_known_things(case, data, people.known)
    tally.cases += 1
    tally.operations.add(case.operation.label)
    # The people's side runs for a visitor, a verified expert and a moderator.
    callers = [{}, people.expert, people.moderator] if "people" in case.operation.tags else [{}]
    for headers in callers:
        response = case.call(app=site.app, headers=headers)
        tally.requests += 1
        checks = CHECKS
        if response.status_code == 429:
            tally.rate_limited += 1
            checks = RATE_LIMITED_CHECKS
            reset_rate_limits(site)  # so the next case reaches the database again
        try:
            case.validate_response(response, checks=checks, headers=headers)
        except (AssertionError, FailureGroup) as failure:
            label = f"{case.operation.label}: {_titles(failure)} -> {response.status_code}"
            tally.failures[label] = tally.failures.get(label, 0) + 1
            raise


def name_known_things(
    case: schemathesis.Case[Any], data: st.DataObject, known: dict[str, list[str]]
) -> None:
    """Half the time, make a path parameter or body field name something that exists."""
    for place in (case.path_parameters, case.body):
        if isinstance(place, dict):
            for name in sorted(place.keys() & known.keys()):
                if data.draw(st.booleans(), label=name):
                    place[name] = data.draw(st.sampled_from(known[name]), label=name)


def _titles(failure: BaseException) -> str:
    group = getattr(failure, "exceptions", None) or [failure]
    return ", ".join(sorted({str(getattr(f, "title", type(f).__name__)) for f in group}))


def reset_rate_limits(site: TestClient) -> None:
    with site_of(site).engine.begin() as conn:
        conn.execute(delete(RateEvent))


# ----- hostile input -----


@dataclass(frozen=True)
class Hostile:
    method: str
    url: str
    request: dict[str, Any] = field(default_factory=dict)  # keyword arguments of the client
    token: str = ""  # "expert" or "moderator": send that account's bearer token


def sending(method: str, url: str, body: Any, token: str = "") -> Hostile:
    return Hostile(method, url, {"json": body}, token)


def raw(method: str, url: str, content: bytes, kind: str = "application/json") -> Hostile:
    return Hostile(method, url, {"content": content, "headers": {"content-type": kind}})


def bearer(url: str, token: str | bytes, method: str = "GET") -> Hostile:
    return Hostile(method, url, {"headers": {"Authorization": token}})


def nested(levels: int) -> bytes:
    return b'{"title": ' + b"[" * levels + b"]" * levels + b"}"


QUESTIONS = "/api/v1/questions"
LONG = "a" * 10_000
UNKNOWN = secrets.token_urlsafe(24)
HOSTILE = {
    "script tag in a path": Hostile("GET", f"/api/v1/topics/{SCRIPT}"),
    "script tag in a query": Hostile(
        "GET", "/api/v1/search", {"params": {"q": "a", "source": SCRIPT}}
    ),
    "SQL in a path": Hostile("GET", f"/api/v1/questions/{SQL}"),
    "SQL in a query": Hostile("GET", "/api/v1/search", {"params": {"q": "pain", "type": SQL}}),
    "SQL in a private token": Hostile("DELETE", "/api/v1/private/' OR '1'='1"),
    "SQL in a report": sending(
        "POST", "/api/v1/flags", {"target": "question", "id": f"1{SQL}", "reason": "spam"}
    ),
    "SQL as an action": sending(
        "POST", "/api/v1/moderation/questions/demo-0001", {"action": SQL}, "moderator"
    ),
    "a title of 1 MB": sending("POST", QUESTIONS, {"title": "x" * 1_000_000}),
    "a body of 1 MB, not JSON": raw("POST", QUESTIONS, b"x" * 1_000_000),
    "an answer of 1 MB": sending(
        "POST", f"{QUESTIONS}/demo-0001/answers", {"body": "x" * 1_000_000}, "expert"
    ),
    "invalid UTF-8 in JSON": raw("POST", QUESTIONS, b'{"title": "Is \xff\xfe safe?"}'),
    "invalid UTF-8 in a query": Hostile("GET", "/api/v1/ask?q=%FF%FE%FD"),
    "invalid UTF-8 in a path": Hostile("GET", "/api/v1/questions/%FF%FE"),
    "text/plain to a JSON route": raw("POST", QUESTIONS, b'{"title": "Is it safe?"}', "text/plain"),
    "multipart to a JSON route": Hostile(
        "POST", QUESTIONS, {"files": {"title": ("t.txt", b"Is it safe?")}}
    ),
    "XML to a JSON route": raw(
        "POST", QUESTIONS, b"<q><title>Is it safe?</title></q>", "application/xml"
    ),
    "a form to a JSON route": Hostile("POST", "/api/v1/flags", {"data": {"target": "question"}}),
    "a JSON array": sending("POST", QUESTIONS, ["Is it safe?"]),
    "a JSON string": sending("PUT", f"/api/v1/private/{UNKNOWN}", "Is it safe?"),
    "JSON null": raw("POST", "/api/v1/flags", b"null"),
    "JSON nested 100,000 deep": raw("POST", QUESTIONS, nested(100_000)),
    "a NUL byte in a path": Hostile("GET", "/api/v1/questions/demo-0001%00"),
    "a NUL byte in a query": Hostile("GET", QUESTIONS, {"params": {"topic": "pregnancy\x00"}}),
    "a NUL byte in a title": sending(
        "POST", QUESTIONS, {"title": "Is tea\x00 safe?", "confirm_new": True}
    ),
    "a NUL byte in a report": sending(
        "POST", "/api/v1/flags", {"target": "question", "id": "demo-0001\x00", "reason": "spam"}
    ),
    "a path parameter of 10,000 characters": Hostile("GET", f"{QUESTIONS}/{LONG}/related"),
    "a private token of 10,000 characters": sending(
        "PUT", f"/api/v1/private/{LONG}", {"title": "Is it safe?"}
    ),
    "an unknown private token": Hostile("GET", f"/api/v1/private/{UNKNOWN}"),
    "an unknown private token to change": sending(
        "PUT", f"/api/v1/private/{UNKNOWN}", {"title": "Is it safe?"}
    ),
    "an unknown private token to delete": Hostile("DELETE", f"/api/v1/private/{UNKNOWN}"),
    "a garbage bearer token": bearer("/api/v1/me", "Bearer garbage"),
    "a made-up token of the right shape": bearer("/api/v1/me", f"Bearer hqa_{UNKNOWN}"),
    "a bearer token of 10,000 characters": bearer("/api/v1/me/questions", f"Bearer hqa_{LONG}"),
    "a bearer token of invalid UTF-8": bearer("/api/v1/moderation/queue", b"Bearer hqa_\xff\xfe"),
    "a password instead of a token": bearer("/api/v1/queue", "Basic dXNlcjpwYXNzd29yZA=="),
    "a garbage token to moderate": bearer(
        "/api/v1/moderation/questions/demo-0001", "Bearer x", "POST"
    ),
}

# What may change on any request, by design: rate_events counts every attempt, site_keys holds
# the key that hashes addresses for those counts (made on first use), embeddings caches the
# vectors of newly published questions when the search index catches up (on whichever request
# comes first), and a token's last use is recorded whenever it is sent.
BY_DESIGN = {"rate_events", "site_keys", "embeddings"}
LAST_USE = {"api_tokens": "last_used_at"}


def snapshot(site: TestClient) -> dict[str, tuple[int, str]]:
    """Each table's number of rows and a digest of their contents."""
    found = {}
    with site_of(site).engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            if table.name in BY_DESIGN:
                continue
            columns = [c for c in table.columns if c.name != LAST_USE.get(table.name)]
            rows = sorted(repr(tuple(row)) for row in conn.execute(select(*columns)))
            found[table.name] = (len(rows), hashlib.sha256("".join(rows).encode()).hexdigest())
    return found


@pytest.mark.parametrize("hostile", list(HOSTILE.values()), ids=list(HOSTILE))
def test_hostile_requests_get_a_4xx_with_a_message(
    site: TestClient, people: People, hostile: Hostile
) -> None:
    request = dict(hostile.request)
    if hostile.token:
        request["headers"] = getattr(people, hostile.token)
    before = snapshot(site)
    response = site.request(hostile.method, hostile.url, **request)
    assert 400 <= response.status_code < 500, response.text[:500]
    error = response.json()["error"]
    assert error["status"] == response.status_code and error["message"].strip()
    assert snapshot(site) == before


FORM = "application/x-www-form-urlencoded"
HOSTILE_FORMS = {
    "a form of 1 MB": ({"title": "x" * 1_000_000}, FORM, 413, "too long"),
    "JSON to the form": ({"title": "Is it safe?"}, "application/json", 415, "urlencoded"),
    "XML to the form": ("<title>Is it safe?</title>", "application/xml", 415, "urlencoded"),
    "multipart to the form": ({"title": "Is it safe?"}, "multipart/form-data", 415, "urlencoded"),
    "no CSRF token": ({"title": "Is it safe?", "csrf": ""}, FORM, 403, "expired"),
    "a title that is only spaces": ({"title": " \t "}, FORM, 400, "type your question"),
    "a title of invalid UTF-8": ("title=%FF%FE", FORM, 400, "Not sent: the question is empty"),
    "a NUL byte in the title": (
        {"title": "Is grapefruit\x00 safe?", "confirm": "yes"},
        FORM,
        400,
        "NUL character",
    ),
}


@pytest.mark.parametrize(
    ("fields", "kind", "status", "message"), HOSTILE_FORMS.values(), ids=list(HOSTILE_FORMS)
)
def test_hostile_forms_to_the_ask_page_get_a_4xx_page_with_a_message(
    site: TestClient, fields: dict[str, str] | str, kind: str, status: int, message: str
) -> None:
    browser = TestClient(site.app)
    before = snapshot(site)
    request = _sent_as(fields, kind, csrf(browser))
    response = browser.post("/ask", **request, follow_redirects=False)
    assert response.status_code == status, response.text[:500]
    assert message in response.text
    assert snapshot(site) == before


def _sent_as(fields: dict[str, str] | str, kind: str, token: str) -> dict[str, Any]:
    """The client's arguments: `fields` with the CSRF token (unless they set one) as `kind`."""
    if isinstance(fields, str):
        body = f"{fields}&csrf={token}" if kind == FORM else fields
        return {"content": body.encode(), "headers": {"content-type": kind}}
    fields = {"csrf": token, **fields}
    if kind == "multipart/form-data":
        return {"files": {name: (None, value) for name, value in fields.items()}}
    if kind == "application/json":
        return {"json": fields}
    return {"data": fields}


def test_hostile_text_in_a_valid_question_is_stored_and_shown_escaped(site: TestClient) -> None:
    reset_rate_limits(site)
    title = f"Is {SCRIPT} in my tea safe? {SQL}"
    details = '<img src=x onerror="alert(2)"> It tastes odd.'
    response = site.post(
        "/api/v1/questions", json={"title": title, "details": details, "confirm_new": True}
    )
    assert response.status_code == 201, response.text
    token = response.json()["private_token"]
    assert site.get(f"/api/v1/private/{token}").json()["title"] == title  # JSON: as sent
    page = site.get(f"/private/{token}")
    assert page.status_code == 200
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text and "<script>alert" not in page.text
    assert "<img src=x" not in page.text
    assert site.get("/api/v1/questions").status_code == 200  # the table is still there


def test_hostile_text_in_the_ask_form_is_stored_and_shown_escaped(site: TestClient) -> None:
    reset_rate_limits(site)
    browser = TestClient(site.app)
    fields = {"title": f"Can {SCRIPT} cause headaches?", "confirm": "yes", "csrf": csrf(browser)}
    response = browser.post("/ask", data=fields, follow_redirects=False)
    assert response.status_code == 303, response.text[:500]
    page = browser.get(response.headers["location"])
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text and "<script>alert" not in page.text


def test_sql_in_a_search_is_only_words(site: TestClient) -> None:
    before = snapshot(site)
    response = site.get("/api/v1/search", params={"q": SQL})
    assert response.status_code == 200
    assert response.json()["terms"] == ["drop", "table", "questions"]
    assert snapshot(site) == before
