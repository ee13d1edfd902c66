"""The people's pages in-process: cookies, signing in and out, CSRF, throttling, password reset
through a real SMTP server, the private page of a question, reports, moderation and expert
answers. Page by page, as a browser would (the Playwright walk is in test_web_walk.py)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete, func, select

from healthqa.config import load_settings
from healthqa.ingest.demo import import_demo
from healthqa.people import accounts
from healthqa.people.audit import Actor
from healthqa.store.models import Answer, Flag, Question, RateEvent, Submission
from healthqa.web.app import create_app
from tests.smtp import smtp_server
from tests.web import HOSTILE, csrf, demo_site, post_form, site_of

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def mail() -> Iterator[Any]:
    with smtp_server() as server:
        yield server


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, mail: Any) -> Iterator[TestClient]:
    with pytest.MonkeyPatch.context() as env:
        env.setenv("HEALTHQA_SMTP_HOST", mail.host)
        env.setenv("HEALTHQA_SMTP_PORT", str(mail.port))
        with demo_site(tmp_path_factory.mktemp("people")) as client:
            engine = site_of(client).engine
            accounts.add_user(engine, "mod@example.org", PASSWORD, "moderator")
            accounts.add_user(engine, "asker@example.org", PASSWORD)
            expert = accounts.add_user(engine, "nurse@example.org", PASSWORD, "expert")
            accounts.save_profile(
                engine, expert.id, name="Kim Park", profession="Registered nurse",
                speciality="General practice", licence="RN 556677", country="Canada",
            )  # fmt: skip
            accounts.verify(engine, Actor(None, "setup"), expert.id)
            yield client


def browser(site: TestClient) -> TestClient:
    """A fresh browser (no cookies) on the same site."""
    return TestClient(site.app)


def signed_in(site: TestClient, email: str) -> TestClient:
    client = browser(site)
    response = post_form(
        client, "/signin", {"email": email, "password": PASSWORD, "next": "/account"}
    )
    assert response.status_code == 200 and email in response.text  # followed to /account
    return client


def count(site: TestClient, table: Any) -> int:
    with site_of(site).engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(table)) or 0)


def test_cookies_are_http_only_same_site_and_secure_off_this_machine(tmp_path: Path) -> None:
    with demo_site(tmp_path) as plain:  # the shared demo site turns Secure off for http tests
        site_of(plain).settings.secure_cookies = None
        engine = site_of(plain).engine
        accounts.add_user(engine, "me@example.org", PASSWORD)
        client = TestClient(plain.app, base_url="https://health.example")
        client.get("/signin")
        response = post_form(
            client,
            "/signin",
            {"email": "me@example.org", "password": PASSWORD},
            follow_redirects=False,
        )
        cookie = response.headers["set-cookie"]
        assert "hqa_session=" in cookie and "HttpOnly" in cookie and "Secure" in cookie
        assert "SameSite=lax" in cookie
        local = TestClient(plain.app, base_url="http://127.0.0.1:8000")
        assert "Secure" not in local.get("/signin").headers["set-cookie"]  # a development server


def test_sign_in_and_out_and_the_account_page(site: TestClient) -> None:
    anonymous = browser(site)
    response = anonymous.get("/account", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/signin?next=/account"
    client = signed_in(site, "asker@example.org")
    assert client.get("/account").status_code == 200
    assert "private, no-store" in client.get("/account").headers["cache-control"]
    post_form(client, "/signout", {})
    assert client.get("/account", follow_redirects=False).status_code == 303


def test_sign_out_everywhere_ends_every_session(site: TestClient) -> None:
    laptop, phone = signed_in(site, "asker@example.org"), signed_in(site, "asker@example.org")
    post_form(laptop, "/signout/everywhere", {})
    assert phone.get("/account", follow_redirects=False).status_code == 303


def test_a_wrong_password_and_an_unknown_email_read_the_same(site: TestClient) -> None:
    pages = []
    for email in ("asker@example.org", "nobody-here@example.org"):
        response = post_form(
            browser(site), "/signin", {"email": email, "password": "not my password"}
        )
        assert response.status_code == 400
        pages.append(re.sub(r'value="[^"]*"', "", response.text))
    assert pages[0] == pages[1] and "do not match an account" in pages[0]


def test_sign_in_is_throttled_after_five_failures(site: TestClient) -> None:
    client = browser(site)
    form = {"email": "throttled@example.org", "password": "guess guess guess"}
    statuses = [post_form(client, "/signin", form).status_code for _ in range(6)]
    assert statuses == [400] * 5 + [429]
    assert "try again in" in post_form(client, "/signin", form).text


def test_forms_without_the_csrf_token_are_refused_and_change_nothing(site: TestClient) -> None:
    client = signed_in(site, "asker@example.org")
    before = count(site, Question)
    no_token = client.post("/ask", data={"title": "A question with no token?"})
    wrong = client.post("/ask", data={"title": "A question with a wrong token?", "csrf": "x" * 43})
    other_site = client.post(
        "/ask", data={"title": "From elsewhere?", "csrf": client.cookies["hqa_csrf"]},
        headers={"origin": "https://evil.example"},
    )  # fmt: skip
    for response in (no_token, wrong, other_site):
        assert response.status_code == 403 and "form" in response.text
    assert count(site, Question) == before
    assert client.get("/account").status_code == 200  # still signed in: nothing happened


def test_password_reset_end_to_end_through_the_site(site: TestClient, mail: Any) -> None:
    engine = site_of(site).engine
    accounts.add_user(engine, "forgetful@example.org", PASSWORD)
    client = browser(site)
    seen = len(mail.messages)
    known = post_form(client, "/reset", {"email": "forgetful@example.org"})
    unknown = post_form(client, "/reset", {"email": "never-registered@example.org"})
    assert known.status_code == unknown.status_code == 200
    assert known.text.replace("forgetful", "X") == unknown.text.replace("never-registered", "X")
    message = mail.wait_for(seen + 1)[-1]
    assert message["To"] == "forgetful@example.org"
    path = re.search(r"http://testserver(/reset/\S+)", message.get_content())
    assert path, message.get_content()
    assert "Choose a new password" in client.get(path.group(1)).text
    form = {"password": "my new long password", "password2": "my new long password"}
    done = post_form(client, path.group(1), form)
    assert done.status_code == 200 and "forgetful@example.org" in done.text  # signed in
    assert client.get(path.group(1)).status_code == 400  # the link worked once
    assert accounts.authenticate(engine, "forgetful@example.org", "my new long password")


def test_an_anonymous_question_answered_by_an_expert(site: TestClient, mail: Any) -> None:
    asker = browser(site)
    form = {
        "title": f"Is {HOSTILE} grapefruit juice safe with my blood pressure tablets?",
        "details": "I take amlodipine. Call me on 555-123-4567.",
        "email": "worried@example.org",
    }
    sent = post_form(asker, "/ask", form, follow_redirects=False)
    assert sent.status_code == 303
    private = sent.headers["location"].split("?")[0]
    page = asker.get(sent.headers["location"]).text
    assert "Keep this page" in page and "phone" in page and "555-123-4567" not in page
    assert "&lt;script&gt;" in page and HOSTILE not in page
    with site_of(site).engine.connect() as conn:
        external_id = conn.scalar(
            select(Question.external_id).where(Question.title.contains("grapefruit"))
        )
    assert external_id and site.get(f"/q/{external_id}").status_code == 404

    moderator = signed_in(site, "mod@example.org")
    assert external_id in moderator.get("/moderate").text
    post_form(moderator, f"/moderate/questions/{external_id}", {"action": "approve"})
    expert = signed_in(site, "nurse@example.org")
    assert external_id in expert.get("/expert/queue").text
    body = (
        "Grapefruit can **raise** amlodipine levels.\n\n- ask a pharmacist\n- <script>x()</script>"
    )
    answered = post_form(
        expert, f"/expert/answer/{external_id}", {"body": body}, follow_redirects=False
    )
    assert answered.status_code == 303
    article = site.get(answered.headers["location"]).text
    assert "Kim Park" in article and "Registered nurse" in article and "Verified expert" in article
    assert "<strong>raise</strong>" in article and "<script>x()" not in article
    assert "worried@example.org" not in article and "555-123-4567" not in article
    notice = mail.wait_for(len(mail.messages))[-1]
    assert notice["To"] == "worried@example.org" and external_id in notice.get_content()
    assert "Answered" in asker.get(private).text and "Kim Park" in asker.get(private).text
    # found at once by other words (the index caught up before the answer's response)
    found = site.get("/api/v1/ask", params={"q": "grapefruit with amlodipine, is it ok?"}).json()
    assert external_id in [m["id"] for m in found["matches"]]


def test_the_private_link_deletes_the_question(site: TestClient) -> None:
    client = browser(site)
    sent = post_form(
        client, "/ask", {"title": "Does cold water help a sprained wrist heal faster?"},
        follow_redirects=False,
    )  # fmt: skip
    private = sent.headers["location"].split("?")[0]
    before = count(site, Submission)
    assert "deleted" in post_form(client, f"{private}/delete", {}).text
    assert count(site, Submission) == before - 1
    assert client.get(private).status_code == 404


def test_anyone_can_report_and_a_moderator_hides(site: TestClient) -> None:
    client = browser(site)
    assert "What is wrong?" in client.get("/flag/question/demo-0002").text
    before = count(site, Flag)
    post_form(client, "/flag/question/demo-0002", {"reason": "unsafe", "note": HOSTILE})
    assert count(site, Flag) == before + 1
    assert post_form(client, "/flag/question/nope", {"reason": "spam"}).status_code == 404
    assert post_form(client, "/flag/question/demo-0002", {"reason": "boring"}).status_code == 400
    moderator = signed_in(site, "mod@example.org")
    queue = moderator.get("/moderate").text
    assert "Unsafe medical advice" in queue and "&lt;script&gt;" in queue and HOSTILE not in queue
    with site_of(site).engine.connect() as conn:
        flag_id = conn.scalar(select(Flag.id).order_by(Flag.id.desc()))
    post_form(moderator, f"/moderate/flags/{flag_id}", {"resolution": "hide"})
    assert site.get("/q/demo-0002").status_code == 404
    with site_of(site).engine.connect() as conn:
        hidden = conn.scalar(select(Question.status).where(Question.external_id == "demo-0002"))
    assert hidden == "hidden"


def test_experts_edit_with_history_and_endorse(site: TestClient) -> None:
    engine = site_of(site).engine
    other = accounts.add_user(engine, "gp@example.org", PASSWORD, "expert")
    accounts.save_profile(
        engine, other.id, name="Dr Omar Haddad", profession="Physician",
        speciality="General practice", licence="GMC 7654321", country="United Kingdom",
    )  # fmt: skip
    accounts.verify(engine, Actor(None, "setup"), other.id)
    nurse = signed_in(site, "nurse@example.org")
    body = "Rest the ankle, raise it and use a cold pack for twenty minutes at a time."
    done = post_form(nurse, "/expert/answer/demo-0003", {"body": body}, follow_redirects=False)
    answer_id = int(done.headers["location"].rsplit("#a", 1)[1])
    edited = body + " See a doctor if you cannot put weight on it."
    post_form(nurse, f"/expert/answers/{answer_id}/edit", {"body": edited})
    gp = signed_in(site, "gp@example.org")
    post_form(gp, f"/expert/answers/{answer_id}/endorse", {"endorse": "yes"})
    page = site.get("/q/demo-0003").text
    assert "edited on" in page and "cannot put weight" in page
    assert "Endorsed by Dr Omar Haddad" in page
    tools = gp.get(f"/expert/answers/{answer_id}").text
    assert "Withdraw my endorsement" in tools
    assert "Earlier versions" in nurse.get(f"/expert/answers/{answer_id}").text
    refused = post_form(gp, f"/expert/answers/{answer_id}/edit", {"body": edited + " (gp)"})
    assert refused.status_code == 403
    with engine.connect() as conn:
        assert conn.scalar(select(Answer.body).where(Answer.id == answer_id)) == edited


def test_a_moderator_locks_a_question_against_new_answers(site: TestClient) -> None:
    moderator = signed_in(site, "mod@example.org")
    post_form(moderator, "/moderate/question", {"id": "demo-0004", "action": "lock"})
    nurse = signed_in(site, "nurse@example.org")
    body = "A long enough answer to a locked question, which must be refused."
    assert post_form(nurse, "/expert/answer/demo-0004", {"body": body}).status_code == 403
    post_form(moderator, "/moderate/question", {"id": "demo-0004", "action": "unlock"})
    done = post_form(nurse, "/expert/answer/demo-0004", {"body": body}, follow_redirects=False)
    assert done.status_code == 303
    assert (
        post_form(moderator, "/moderate/question", {"id": "nope", "action": "lock"}).status_code
        == 404
    )
    log = signed_in(site, "mod@example.org").get("/admin/audit")
    assert log.status_code == 403  # the audit log is for admins


def test_unknown_fields_and_actions_are_refused_not_obeyed(site: TestClient) -> None:
    nurse = signed_in(site, "nurse@example.org")
    profile = {
        "name": "Kim Park", "profession": "Registered nurse", "speciality": "General practice",
        "licence": "RN 556677", "country": "Canada", "user_id": "1", "engine": "x",
    }  # fmt: skip
    saved = post_form(nurse, "/expert/profile", profile, follow_redirects=False)
    assert saved.status_code == 303  # the extra fields are ignored
    moderator = signed_in(site, "mod@example.org")
    engine = site_of(site).engine
    nurse_account = accounts.get_user(engine, "nurse@example.org")
    typo = post_form(moderator, f"/moderate/experts/{nurse_account.id}", {"action": "verfy"})
    assert typo.status_code == 400
    assert accounts.is_verified(engine, nurse_account)  # still verified


def test_nul_characters_get_a_400_on_both_databases(engine: Engine, tmp_path: Path) -> None:
    """PostgreSQL refuses NUL in text: without these checks each request below was a 500."""
    import_demo(engine)
    url = engine.url.render_as_string(hide_password=False)
    settings = load_settings(database_url=url, index_dir=tmp_path / "index", secure_cookies=False)
    client = TestClient(create_app(engine, settings=settings))
    assert client.get("/q/a%00b").status_code == 400
    assert client.get("/api/v1/search", params={"q": "a\x00b"}).status_code == 400
    question = {"title": "Is tea\x00 safe?", "confirm_new": True}
    assert client.post("/api/v1/questions", json=question).status_code == 400
    report = {"target": "question", "id": "a\x00b", "reason": "spam"}
    assert client.post("/api/v1/flags", json=report).status_code == 400
    sign_in = post_form(client, "/signin", {"email": "a\x00@example.org", "password": "x" * 12})
    assert sign_in.status_code == 400
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Submission)) == 0


def test_behind_a_proxy_the_configured_address_is_this_site(site: TestClient) -> None:
    client = browser(site)
    settings = site_of(site).settings
    form = {"title": "Is a proxy origin accepted?", "csrf": csrf(client)}
    headers = {"origin": "https://health.example"}
    assert client.post("/ask", data=form, headers=headers).status_code == 403
    settings.site_url = "https://health.example/"
    try:
        sent = client.post("/ask", data=form, headers=headers, follow_redirects=False)
        assert sent.status_code == 303
    finally:
        settings.site_url = None


def test_behind_a_trusted_proxy_each_visitor_has_their_own_limit(site: TestClient) -> None:
    settings = site_of(site).settings
    client = browser(site)  # TestClient connects from "testclient"
    spoofed = {"x-forwarded-for": "198.51.100.1"}

    def send(n: int, headers: dict[str, str]) -> int:
        form = {"title": f"Question {n} about a sore shoulder after sleeping on it?"}
        data = {**form, "confirm": "yes", "csrf": csrf(client)}
        return client.post("/ask", data=data, headers=headers, follow_redirects=False).status_code

    with site_of(site).engine.begin() as conn:
        conn.execute(delete(RateEvent))
    # not trusted: the header is ignored, every request counts for "testclient"
    assert [send(n, spoofed) for n in range(6)] == [303] * 5 + [429]
    settings.trusted_proxies = ["testclient"]
    try:
        assert send(6, spoofed) == 303  # the visitor behind the proxy has a limit of their own
        assert send(7, {"x-forwarded-for": "198.51.100.2, 203.0.113.9"}) == 303
    finally:
        settings.trusted_proxies = []


def test_an_admin_changes_roles_and_disables_accounts(site: TestClient) -> None:
    engine = site_of(site).engine
    admin = accounts.add_user(engine, "admin@example.org", PASSWORD, "admin")
    target = accounts.add_user(engine, "troll@example.org", PASSWORD)
    trolls_browser = signed_in(site, "troll@example.org")
    boss = signed_in(site, "admin@example.org")
    assert "troll@example.org" in boss.get("/admin/users").text
    post_form(boss, f"/admin/users/{target.id}", {"action": "role", "role": "expert"})
    assert accounts.get_account(engine, target.id).role == "expert"
    post_form(boss, f"/admin/users/{target.id}", {"action": "disable"})
    assert trolls_browser.get("/account", follow_redirects=False).status_code == 303  # out
    refused = post_form(
        browser(site), "/signin", {"email": "troll@example.org", "password": PASSWORD}
    )
    assert refused.status_code == 400
    assert post_form(boss, f"/admin/users/{admin.id}", {"action": "disable"}).status_code == 400
    assert post_form(boss, "/admin/users/999999", {"action": "enable"}).status_code == 404
    log = boss.get("/admin/audit").text
    assert "troll@example.org: asker -&gt; expert" in log and "disable" in log


def test_a_token_made_on_the_account_page_works_on_the_api(site: TestClient) -> None:
    asker = signed_in(site, "asker@example.org")
    made = post_form(asker, "/account/tokens", {"name": "my script", "scope": ["read", "ask"]})
    token = re.search(r'<code class="token">(hqa_[\w-]+)</code>', made.text)
    assert made.status_code == 200 and token
    assert token.group(1) not in asker.get("/account").text  # shown once
    me = site.get("/api/v1/me", headers={"authorization": f"Bearer {token.group(1)}"}).json()
    assert me == {
        "email": "asker@example.org",
        "role": "asker",
        "verified": False,
        "scopes": ["ask", "read"],
    }
    refused = post_form(asker, "/account/tokens", {"name": "x", "scope": "moderate"})
    assert refused.status_code == 400 and "cannot give the" in refused.text
    assert site.get("/api/v1/me", headers={"authorization": "Bearer hqa_nope"}).status_code == 401


@pytest.mark.parametrize(
    "target", ["//evil.example", "/\t/evil.example", "/\\evil.example", "https://evil.example"]
)
def test_sign_in_never_sends_anyone_to_another_site(site: TestClient, target: str) -> None:
    form = {"email": "asker@example.org", "password": PASSWORD, "next": target}
    response = post_form(browser(site), "/signin", form, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/account"
