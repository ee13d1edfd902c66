"""Who may open what: every route of the app against every role, generated from the route table.

The routes come from the app itself (`iter_route_contexts(app.routes)`, which also lists the
routes of the routers `include_router` added), so a new route fails
`test_every_route_has_an_expectation` until EXPECTED says what it does. Each route's access
level is read from the route (the `require(permission)` among its dependencies) and must agree
with EXPECTED, so dropping a `require(...)` fails as well.

A role that may use a route sends a request that passes the CSRF check but is deliberately
incomplete, so that it ends in a 4xx, or a 303 that changes nothing that matters.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, cast
from urllib.parse import quote, urlencode

import pytest
from fastapi import FastAPI
from fastapi.routing import RouteContext, iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from starlette.routing import Mount

from healthqa.people import accounts, answering, asking
from healthqa.people.accounts import Account
from healthqa.people.accounts.tokens import ROLE_SCOPES
from healthqa.people.audit import Actor
from healthqa.people.moderating import act_on_question, flag
from healthqa.store.models import Base
from healthqa.store.queries import get_question
from healthqa.web.auth import CSRF_COOKIE, PERMISSIONS, SESSION_COOKIE, form
from healthqa.web.links import SiteLinks
from tests.web import ARTICLE, demo_site, site_of

PASSWORD = "correct horse battery"
CSRF = "c" * 43  # any 43 characters: the check compares the cookie with the form field

VISITOR, ASKER, UNVERIFIED, EXPERT = "visitor", "asker", "unverified-expert", "expert"
MODERATOR, ADMIN = "moderator", "admin"
ROLES = (VISITOR, ASKER, UNVERIFIED, EXPERT, MODERATOR, ADMIN)
ACCOUNT_ROLE = {
    ASKER: "asker",
    UNVERIFIED: "expert",
    EXPERT: "expert",
    MODERATOR: "moderator",
    ADMIN: "admin",
}
SIGNED_IN = frozenset(ACCOUNT_ROLE)

# Who holds each permission of healthqa.web.auth: written out here, not read from PERMISSIONS.
HOLDERS = {
    "account": SIGNED_IN,
    "ask": SIGNED_IN,
    "expert": frozenset({UNVERIFIED, EXPERT}),
    "answer": frozenset({EXPERT}),  # a verified profile
    "moderate": frozenset({MODERATOR, ADMIN}),
    "admin": frozenset({ADMIN}),
}


@dataclass(frozen=True)
class Expect:
    """What a role allowed on a route gets. `send` is the form (pages) or JSON (API) it posts;
    `params` names the sample for a path parameter when it is not the parameter's own
    (see `samples`); `location` is where an allowed redirect goes."""

    permission: str | None
    status: int
    send: dict[str, Any] | None = None
    query: str = ""
    params: dict[str, str] = field(default_factory=dict)
    location: str | None = None


SHORT = {"body": "Too short."}  # an answer needs 20 characters
OPEN = {"external_id": "open_question"}
DEMO_ANSWER = {"answer_id": "demo_answer"}
ANSWER_TOOLS = "/expert/answers/{answer_id}"
SIGN_IN = {"email": "asker@example.org", "password": PASSWORD, "next": "/topics"}

EXPECTED: dict[tuple[str, str], Expect] = {
    # ----- the knowledge base, open to all (feeds.py, pages.py, api.py) -----
    ("/openapi.json", "GET"): Expect(None, 200),
    ("/robots.txt", "GET"): Expect(None, 200),
    ("/sitemap.xml", "GET"): Expect(None, 200),
    ("/sitemaps/{part}.xml", "GET"): Expect(None, 404),  # the demo fits in one sitemap
    ("/feed.atom", "GET"): Expect(None, 200),
    ("/topics/{slug}/feed.atom", "GET"): Expect(None, 200),
    ("/", "GET"): Expect(None, 200),
    ("/topics", "GET"): Expect(None, 200),
    ("/topics/{slug}", "GET"): Expect(None, 200),
    ("/q/{external_id}", "GET"): Expect(None, 301, location=ARTICLE),
    ("/q/{external_id}/{slug}", "GET"): Expect(None, 200, params={"slug": "article_slug"}),
    ("/ask", "GET"): Expect(None, 200),
    ("/ask/matches", "GET"): Expect(None, 200),
    ("/search", "GET"): Expect(None, 200),
    ("/language/{code}", "GET"): Expect(None, 303, location="/"),  # the language switch
    ("/docs", "GET"): Expect(None, 200),
    ("/api/v1/ask", "GET"): Expect(None, 200, query="q=back+pain&k=1"),
    ("/api/v1/home", "GET"): Expect(None, 200),
    ("/api/v1/search", "GET"): Expect(None, 200, query="q=pain&per_page=1"),
    ("/api/v1/questions", "GET"): Expect(None, 200),
    ("/api/v1/questions/{question_id}", "GET"): Expect(None, 200),
    ("/api/v1/questions/{question_id}/answers", "GET"): Expect(None, 200),
    ("/api/v1/questions/{question_id}/related", "GET"): Expect(None, 200),
    ("/api/v1/topics", "GET"): Expect(None, 200),
    ("/api/v1/topics/{slug}", "GET"): Expect(None, 200),
    # ----- asking, the private link, reports: open to all -----
    ("/ask", "POST"): Expect(None, 400, send={"title": ""}),
    ("/api/v1/questions", "POST"): Expect(None, 400, send={"title": " "}),
    ("/private/{token}", "GET"): Expect(None, 200),
    ("/private/{token}/edit", "POST"): Expect(None, 400, send={"title": ""}),
    ("/private/{token}/email", "POST"): Expect(None, 400, send={"email": "not an address"}),
    # deleting needs nothing more than the link: a link to nothing, so nothing goes
    ("/private/{token}/delete", "POST"): Expect(None, 404, params={"token": "unknown_token"}),
    ("/api/v1/private/{token}", "GET"): Expect(None, 200),
    ("/api/v1/private/{token}", "PUT"): Expect(None, 400, send={"title": ""}),
    ("/api/v1/private/{token}", "DELETE"): Expect(None, 404, params={"token": "unknown_token"}),
    ("/flag/{target}/{target_id}", "GET"): Expect(None, 200),
    ("/flag/{target}/{target_id}", "POST"): Expect(None, 400, send={"reason": ""}),
    ("/api/v1/flags", "POST"): Expect(None, 422, send={"target": "question", "id": "demo-0001"}),
    # ----- signing in, up and out: open to all -----
    ("/signin", "GET"): Expect(None, 200),
    ("/signin", "POST"): Expect(None, 303, send=SIGN_IN, location="/topics"),
    ("/signout", "POST"): Expect(None, 303, send={}, location="/"),
    ("/signup", "GET"): Expect(None, 200),
    ("/signup", "POST"): Expect(None, 400, send={"email": ""}),
    ("/reset", "GET"): Expect(None, 200),
    ("/reset", "POST"): Expect(None, 400, send={"email": ""}),  # not an email address
    # the private link's token is no mailed link
    ("/signup/{token}", "GET"): Expect(None, 400),
    ("/signup/{token}", "POST"): Expect(None, 400, send={}),
    ("/reset/{token}", "GET"): Expect(None, 400),
    ("/reset/{token}", "POST"): Expect(None, 400, send={}),
    # ----- any account (people.py, api_people.py) -----
    ("/account", "GET"): Expect("account", 200),
    ("/account/questions/{external_id}", "GET"): Expect("account", 404),  # none asked it
    ("/account/tokens", "POST"): Expect("account", 400, send={"name": "no scope chosen"}),
    # a bystander's token: only its owner can revoke it, so nothing happens
    ("/account/tokens/{token_id}/revoke", "POST"): Expect(
        "account", 303, send={}, location="/account#tokens"
    ),
    ("/signout/everywhere", "POST"): Expect(
        "account", 303, send={}, location="/signin?next=/account"
    ),
    ("/api/v1/me", "GET"): Expect("account", 200),
    ("/api/v1/me/questions", "GET"): Expect("account", 200),
    # ----- experts (experts.py, api_people.py) -----
    ("/expert/profile", "GET"): Expect("expert", 200),
    ("/expert/profile", "POST"): Expect("expert", 400, send={}),  # "name: fill this in"
    ("/expert/queue", "GET"): Expect("answer", 200),
    ("/expert/answer/{external_id}", "GET"): Expect("answer", 200, params=OPEN),
    ("/expert/answer/{external_id}", "POST"): Expect("answer", 400, send=SHORT, params=OPEN),
    ("/expert/answers/{answer_id}", "GET"): Expect("answer", 200),
    ("/expert/answers/{answer_id}/edit", "POST"): Expect("answer", 400, send=SHORT),
    # un-endorse an answer never endorsed (an expert may not endorse their own)
    ("/expert/answers/{answer_id}/endorse", "POST"): Expect(
        "answer", 303, send={"endorse": "no"}, params=DEMO_ANSWER, location=ANSWER_TOOLS
    ),
    ("/api/v1/queue", "GET"): Expect("answer", 200),
    ("/api/v1/questions/{question_id}/answers", "POST"): Expect("answer", 400, send=SHORT),
    # ----- moderators and admins (moderators.py, api_people.py) -----
    ("/moderate", "GET"): Expect("moderate", 200),
    ("/moderate/questions/{external_id}", "POST"): Expect("moderate", 400, send={}),  # no action
    ("/moderate/question", "POST"): Expect("moderate", 400, send={"id": "demo-0001"}),
    ("/moderate/answers/{answer_id}", "POST"): Expect("moderate", 400, send={}),
    ("/moderate/flags/{flag_id}", "POST"): Expect("moderate", 400, send={}),
    ("/moderate/experts", "GET"): Expect("moderate", 200),
    # the unverified expert stays unverified
    ("/moderate/experts/{user_id}", "POST"): Expect("moderate", 400, send={"action": "verfy"}),
    ("/api/v1/moderation/queue", "GET"): Expect("moderate", 200),
    # demo-0001 is published, not pending
    ("/api/v1/moderation/questions/{question_id}", "POST"): Expect(
        "moderate", 400, send={"action": "approve"}
    ),
    ("/admin/audit", "GET"): Expect("admin", 200),
    ("/admin/users", "GET"): Expect("admin", 200),
    ("/admin/users/{user_id}", "POST"): Expect("admin", 400, send={"action": "promote"}),
}

# What each form would change if the CSRF check let it through (test_forms_refuse_...).
WOULD_CHANGE: dict[str, dict[str, str]] = {
    "/ask": {"title": "Can I run a marathon with a cold?", "confirm": "yes"},
    "/signin": {"email": "asker@example.org", "password": PASSWORD},
    "/signout": {},
    "/signout/everywhere": {},
    "/signup": {"email": "newcomer@example.org"},
    "/reset": {"email": "asker@example.org"},
    "/signup/{token}": {"password": PASSWORD, "password2": PASSWORD},
    "/reset/{token}": {"password": PASSWORD, "password2": PASSWORD},
    "/account/tokens": {"name": "forged", "scope": "read"},
    "/account/tokens/{token_id}/revoke": {},
    "/private/{token}/edit": {"title": "A title changed by another site"},
    "/private/{token}/email": {"email": "forger@example.org"},
    "/private/{token}/delete": {},
    "/flag/{target}/{target_id}": {"reason": "spam"},
    "/expert/profile": {
        "name": "Forged Name",
        "profession": "Nurse",
        "speciality": "Nursing",
        "licence": "RN 1",
        "country": "Canada",
    },
    "/expert/answer/{external_id}": {"body": "An answer that another site wrote for me."},
    "/expert/answers/{answer_id}/edit": {"body": "An edit that another site wrote for me."},
    "/expert/answers/{answer_id}/endorse": {"endorse": "yes"},
    "/moderate/questions/{external_id}": {"action": "hide"},
    "/moderate/question": {"id": "demo-0001", "action": "lock"},
    "/moderate/answers/{answer_id}": {"action": "hide"},
    "/moderate/flags/{flag_id}": {"resolution": "hide"},
    "/moderate/experts/{user_id}": {"action": "verify"},
    "/admin/users/{user_id}": {"action": "role", "role": "admin"},
}


# ----- the site and its people -----


@dataclass(frozen=True)
class RoleSite:
    engine: Engine
    users: dict[str, Account]  # by role, for every role but the visitor
    api_tokens: dict[str, str]  # by role, with every scope the role may give
    samples: dict[str, str]  # path parameter values, by name
    routes: dict[tuple[str, str], RouteContext]  # by (path, method)
    clients: dict[str, TestClient]  # a browser or program per role, on the same app


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RoleSite]:
    # No reading tally: it flushes views on its own clock, and these tests compare the whole
    # database before and after a refused form.
    with demo_site(tmp_path_factory.mktemp("roles"), tally=False) as client:
        found = people_on(client)
        yield found
        for browser in found.clients.values():
            browser.close()


def people_on(client: TestClient) -> RoleSite:
    """Every role's account, API token and browser on the demo site, and a question of each
    kind for the path parameters."""
    site = site_of(client)
    engine = site.engine
    users = {
        role: accounts.add_user(engine, f"{role}@example.org", PASSWORD, kind)
        for role, kind in ACCOUNT_ROLE.items()
    }
    for role in (UNVERIFIED, EXPERT):
        accounts.save_profile(
            engine, users[role].id, name=f"Sam {role}", profession="Registered nurse",
            speciality="Nursing", licence=f"RN {users[role].id}", country="Canada",
        )  # fmt: skip
    moderator = Actor(users[MODERATOR].id, users[MODERATOR].email)
    accounts.verify(engine, moderator, users[EXPERT].id)
    api_tokens = {
        role: accounts.create_api_token(engine, user, "matrix", list(ROLE_SCOPES[user.role]))[1]
        for role, user in users.items()
    }
    bystander = accounts.add_user(engine, "bystander@example.org", PASSWORD)
    spare, _ = accounts.create_api_token(engine, bystander, "spare", ["read"])

    def ask(title: str) -> asking.Sent:
        return asking.submit(site, title, sender="test", confirm_new=True)

    pending = ask("Can I take ibuprofen while breastfeeding my baby?")
    waiting = ask("Is it normal to feel dizzy the day after a flu vaccine?")
    answered = ask("How long should a sprained ankle take to heal?")
    for sent in (waiting, answered):
        assert act_on_question(engine, moderator, sent.id, "approve") == "open"
    answer_id, status = answering.answer(
        site, users[EXPERT], answered.id,
        "Most mild sprains heal in two to six weeks; see a doctor if you cannot bear weight.",
        SiteLinks("http://testserver"),
    )  # fmt: skip
    assert status == "published"
    flag_id = flag(engine, "question", "demo-0001", "other", "a sample report", sender="test")
    samples = {
        "external_id": "demo-0001",
        "question_id": "demo-0001",
        "slug": "womens-health",
        "part": "1",
        "code": "es",
        "token": pending.token,  # the private link of a pending question
        "target": "question",
        "target_id": "demo-0001",
        "answer_id": str(answer_id),
        "flag_id": str(flag_id),
        "user_id": str(users[UNVERIFIED].id),
        "token_id": str(spare.id),  # the bystander's
        "open_question": waiting.id,  # approved, waiting for an expert
        "article_slug": ARTICLE.rsplit("/", 1)[1],
        "demo_answer": str(get_question(engine, "demo-0001").answers[0].id),
        "unknown_token": "no-question-has-this-link",
    }
    app = cast(FastAPI, client.app)
    clients = {role: TestClient(app, follow_redirects=False) for role in ROLES}
    return RoleSite(engine, users, api_tokens, samples, route_table(app), clients)


def route_table(app: FastAPI) -> dict[tuple[str, str], RouteContext]:
    """Every route of the app by (path, method), HEAD aside, the static files aside."""
    table = {}
    for route in iter_route_contexts(app.routes):
        if isinstance(route.original_route, Mount):
            continue
        assert route.path and route.methods, route
        for method in route.methods - {"HEAD"}:
            table[route.path, method] = route
    return table


def calls(route: RouteContext) -> set[Callable[..., Any]]:
    """Every dependency of the route, however deep."""
    found: set[Callable[..., Any]] = set()
    pending = [getattr(route, "dependant", None)]
    while pending:
        dependant = pending.pop()
        for sub in dependant.dependencies if dependant else []:
            if sub.call is not None:
                found.add(sub.call)
            pending.append(sub)
    return found


def permission_of(route: RouteContext) -> str | None:
    """The permission of the route's `require(...)`, or None for a route open to all."""
    found = {call.permission for call in calls(route) if hasattr(call, "permission")}
    assert len(found) <= 1, f"{route.path} requires {found}"
    return found.pop() if found else None


def may(role: str, permission: str | None) -> bool:
    return permission is None or role in HOLDERS[permission]


def url_of(site: RoleSite, path: str, expect: Expect) -> str:
    values = {name: site.samples[expect.params.get(name, name)] for name in names_in(path)}
    return path.format(**values)


def names_in(path: str) -> list[str]:
    return [part.split("}")[0] for part in path.split("{")[1:]]


def session_of(site: RoleSite, role: str) -> str | None:
    """A new session of the role (the visitor has none)."""
    return None if role == VISITOR else accounts.start_session(site.engine, site.users[role].id)


def send(
    site: RoleSite,
    role: str,
    method: str,
    url: str,
    body: dict[str, Any] | None,
    *,
    session: str | None = None,
    csrf: str | None = CSRF,
    headers: dict[str, str] | None = None,
) -> Any:
    """One request as `role`: to the API with the role's token and no cookie; to a page with
    the `session` cookie and the CSRF cookie, a form with `csrf` as its token (None: none)."""
    client = site.clients[role]
    client.cookies.clear()
    headers = dict(headers or {})
    if url.startswith("/api/"):
        if role != VISITOR:
            headers["Authorization"] = f"Bearer {site.api_tokens[role]}"
        return client.request(method, url, json=body, headers=headers)
    if session is not None:
        client.cookies.set(SESSION_COOKIE, session)
    client.cookies.set(CSRF_COOKIE, CSRF)
    if method == "GET":
        return client.get(url, headers=headers)
    fields = {**(body or {}), **({"csrf": csrf} if csrf is not None else {})}
    headers["Content-Type"] = "application/x-www-form-urlencoded"  # even when empty
    return client.post(url, content=urlencode(fields), headers=headers)


# ----- the table against the app -----


def test_every_route_has_an_expectation(site: RoleSite) -> None:
    missing = sorted(set(site.routes) - set(EXPECTED))
    assert not missing, "routes with no entry in EXPECTED: " + ", ".join(
        f"{method} {path}" for path, method in missing
    )
    gone = sorted(set(EXPECTED) - set(site.routes))
    assert not gone, "EXPECTED names routes the app lacks: " + ", ".join(
        f"{method} {path}" for path, method in gone
    )
    cells = len(site.routes) * len(ROLES)
    print(f"role matrix: {len(site.routes)} routes x {len(ROLES)} roles = {cells} cells")


def test_each_route_requires_the_permission_the_table_gives_it(site: RoleSite) -> None:
    wrong = [
        f"{method} {path}: the route requires {permission_of(route)!r}, "
        f"EXPECTED says {EXPECTED[path, method].permission!r}"
        for (path, method), route in sorted(site.routes.items())
        if (path, method) in EXPECTED and permission_of(route) != EXPECTED[path, method].permission
    ]
    assert not wrong, "\n".join(wrong)


def test_every_permission_has_its_holders() -> None:
    assert set(HOLDERS) == set(PERMISSIONS)


# ----- the matrix -----


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("path", "method"), sorted(EXPECTED), ids=lambda part: part)
def test_role_matrix(site: RoleSite, path: str, method: str, role: str) -> None:
    expect = EXPECTED[path, method]
    permission = permission_of(site.routes[path, method])
    url = url_of(site, path, expect)
    query = f"?{expect.query}" if expect.query else ""
    # a new session for each request: POST /signout ends the one it is sent with
    response = send(site, role, method, url + query, expect.send, session=session_of(site, role))
    if may(role, permission):
        location = expect.location and url_of(site, expect.location, expect)
        wanted = (expect.status, location)
    elif role != VISITOR:
        wanted = (403, None)
    elif path.startswith("/api/"):
        wanted = (401, None)
    else:
        wanted = (303, "/signin?next=" + quote(url, safe="/"))
    got = (response.status_code, response.headers.get("location"))
    assert got == wanted, f"{role} {method} {url}: {response.text[:300]}"


# ----- forms and where credentials come from -----

FORMS = sorted(key for key in EXPECTED if key[1] == "POST" and not key[0].startswith("/api/"))


def snapshot(engine: Engine) -> dict[str, list[Any]]:
    """Every row of every table but the embeddings (derived, and large)."""
    with engine.connect() as conn:
        return {
            table.name: [tuple(row) for row in conn.execute(select(table))]
            for table in Base.metadata.sorted_tables
            if table.name != "embeddings"
        }


@pytest.mark.parametrize(("path", "method"), FORMS, ids=lambda part: part)
def test_forms_refuse_a_missing_or_wrong_csrf_token_and_change_nothing(
    site: RoleSite, path: str, method: str
) -> None:
    route = site.routes[path, method]
    assert form in calls(route), f"POST {path} takes a form without the CSRF check"
    forged = WOULD_CHANGE.get(path)
    assert forged is not None, f"WOULD_CHANGE has no form for POST {path}"
    # the first role allowed, signed in so that /signout has a session to end
    role = next(role for role in ROLES if role in SIGNED_IN and may(role, permission_of(route)))
    url = url_of(site, path, EXPECTED[path, method])
    session = session_of(site, role)
    before = snapshot(site.engine)
    elsewhere = {"Origin": "https://forger.example"}
    attempts = {
        "no token": send(site, role, method, url, forged, session=session, csrf=None),
        "a wrong token": send(site, role, method, url, forged, session=session, csrf="x" * 43),
        "another site": send(site, role, method, url, forged, session=session, headers=elsewhere),
    }
    statuses = {name: response.status_code for name, response in attempts.items()}
    assert statuses == dict.fromkeys(attempts, 403)
    assert snapshot(site.engine) == before


def test_pages_read_only_the_session_cookie_and_the_api_only_the_token(site: RoleSite) -> None:
    client = site.clients[ADMIN]
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, str(session_of(site, ADMIN)))
    assert client.get("/account").status_code == 200
    assert client.get("/api/v1/me").status_code == 401
    client.cookies.clear()
    bearer = {"Authorization": f"Bearer {site.api_tokens[ADMIN]}"}
    assert client.get("/api/v1/me", headers=bearer).status_code == 200
    assert client.get("/account", headers=bearer).headers["location"] == "/signin?next=/account"
