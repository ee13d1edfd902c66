"""A question's whole life, walked in a real browser on a real server.

`healthqa serve` starts as the README's first command starts it (a fresh SQLite file, the demo
corpus loaded on first start), with a real SMTP server for its mail; an admin makes a moderator
and an expert account with `healthqa user add`. Then, in Debian's Chromium, only through the
site's pages and forms: a visitor sends a question nobody has answered, the expert fills in a
profile, a moderator verifies the expert and approves the question, the expert answers it in
Markdown, the visitor reads the answer on their private page and in the notice mail, and the
question is found by other words on the ask page.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

import pytest

from tests.browser import chromium, free_port, wait_until_up
from tests.smtp import SmtpServer, smtp_server

HEALTHQA = Path(sys.executable).with_name("healthqa")  # the installed command
# Nothing in the demo corpus asks this (its closest match scores well below "close").
QUESTION = "Is it safe to drink grapefruit juice while taking statins for my cholesterol?"
PARAPHRASE = "Does grapefruit interfere with cholesterol medicine like simvastatin?"
ASKER = "worried.asker@example.org"
MODERATOR = ("moderator@example.org", "moderator password 1")
EXPERT = ("gp@example.org", "expert password 1")
PROFILE = {
    "Name, as shown with your answers": "Dr Amira Haddad",
    "Profession": "Physician",
    "Licence or registration number": "GMC 7654321",
    "Country of the licence": "United Kingdom",
}
SPECIALITY = "General practice"  # sees questions of every topic in the queue
ANSWER = """Grapefruit juice raises the level of some statins in the blood.

**Check the leaflet of your own statin**: the advice differs between them.

- Simvastatin and atorvastatin: avoid large amounts of grapefruit juice.
- Rosuvastatin and pravastatin: grapefruit makes little difference.

Ask your pharmacist if you are unsure, and see a doctor about unexplained muscle pain."""


@dataclass
class Site:
    base: str
    env: dict[str, str]
    mail: SmtpServer


@pytest.fixture
def site(tmp_path: Path, _model_cache: Path) -> Iterator[Site]:
    """`healthqa serve` in a fresh data folder, sending its mail to a real SMTP server."""
    home = tmp_path / "home"
    with smtp_server() as mail:
        env = os.environ | {
            "HEALTHQA_HOME": str(home),  # the default SQLite file lives here
            "HEALTHQA_CACHE_DIR": str(_model_cache),
            "HEALTHQA_NO_PROGRESS": "1",
            "HEALTHQA_SMTP_HOST": mail.host,
            "HEALTHQA_SMTP_PORT": str(mail.port),
        }
        for name in ("HEALTHQA_DATABASE_URL", "HEALTHQA_CONFIG", "HEALTHQA_TOPICS_FILE"):
            env.pop(name, None)
        port = free_port()
        log = (tmp_path / "server.log").open("wb")
        server = subprocess.Popen(
            [str(HEALTHQA), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            wait_until_up(f"{base}/robots.txt", server)
            yield Site(base, env, mail)
        finally:
            server.terminate()
            server.wait(timeout=30)
            log.close()


@pytest.fixture
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


def add_user(site: Site, email: str, password: str, role: str) -> None:
    """What an admin types: `healthqa user add EMAIL --role ROLE --password-stdin`."""
    done = subprocess.run(
        [str(HEALTHQA), "user", "add", email, "--role", role, "--password-stdin"],
        input=f"{password}\n",
        env=site.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert f"added {email} as {role}" in done.stdout


class Browsing:
    """One browser context per person, each page reporting its console errors to `problems`."""

    def __init__(self, browser: Any, base: str) -> None:
        self.browser, self.base = browser, base
        self.problems: list[str] = []
        self.expected: set[str] = set()  # URLs whose failed load is part of the walk

    def person(self) -> Any:
        """A new page in a context of its own: no cookies shared with anyone else."""
        context = self.browser.new_context(base_url=self.base)
        context.set_default_timeout(15_000)
        context.on("console", self._console)
        context.on("weberror", lambda error: self.problems.append(str(error.error)))
        return context.new_page()

    def _console(self, message: Any) -> None:
        where = message.location.get("url", "")
        if message.type == "error" and where not in self.expected:
            self.problems.append(f"{where}: {message.text}")


def sign_in(page: Any, email: str, password: str) -> None:
    page.goto("/signin")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/account")


def test_a_question_sent_approved_answered_read_and_found(site: Site, browser: Any) -> None:
    add_user(site, *MODERATOR, "moderator")
    add_user(site, *EXPERT, "expert")
    walk = Browsing(browser, site.base)

    # 1. A visitor asks what the knowledge base does not answer, and sends it to an expert.
    visitor = walk.person()
    visitor.goto("/ask")
    visitor.get_by_label("What would you like to know?").fill(QUESTION)
    visitor.get_by_role("button", name="Find answers").click()
    visitor.wait_for_url(f"**/ask?q={quote_plus(QUESTION)}")
    assert visitor.get_by_role("heading", name="We have no question like this yet").count() == 0
    assert visitor.get_by_role("heading", name="None of these fits?").is_visible()
    assert visitor.get_by_label("Your question").input_value() == QUESTION
    visitor.get_by_label("Email for a notice when it is answered").fill(ASKER)
    visitor.get_by_role("button", name="Send to an expert").click()
    visitor.wait_for_url(re.compile(r"/private/[\w-]+\?sent=1$"))
    assert visitor.get_by_role("heading", name="Your question was sent").is_visible()
    assert "Waiting for a moderator's check" in visitor.locator("p.status").inner_text()
    private_link = visitor.url.removesuffix("?sent=1")
    assert visitor.locator("code.token").inner_text() == private_link
    visitor.context.close()

    # 2. The expert signs in and fills in a profile; the queue stays closed until verified.
    expert = walk.person()
    sign_in(expert, *EXPERT)
    expert.goto("/expert/profile")
    for label, value in PROFILE.items():
        expert.get_by_label(label).fill(value)
    expert.get_by_label("Speciality").select_option(SPECIALITY)
    expert.get_by_role("button", name="Save").click()
    expert.wait_for_url("**/expert/profile?saved=1")
    assert expert.get_by_role("status").inner_text() == "Saved."
    walk.expected.add(f"{site.base}/expert/queue")  # the browser logs the 403 as an error
    refused = expert.goto("/expert/queue")
    assert refused is not None and refused.status == 403
    assert "verified" in expert.locator("main").inner_text()

    # 3. The moderator verifies the expert, then approves the question.
    moderator = walk.person()
    sign_in(moderator, *MODERATOR)
    moderator.goto("/moderate/experts")
    card = moderator.locator("article", has_text=PROFILE["Name, as shown with your answers"])
    assert "GMC 7654321" in card.inner_text()
    card.get_by_role("button", name="Verify").click()
    card.get_by_text("✓ Verified").wait_for()  # the page came back with the badge
    moderator.goto("/moderate")
    waiting = moderator.locator("#questions article", has_text=QUESTION)
    question_id = waiting.locator("p.meta").inner_text().split(" · ")[0]
    assert question_id.startswith("ask-")
    waiting.get_by_role("button", name="Approve").click()
    moderator.wait_for_url("**/moderate#questions")
    assert moderator.locator("#questions article", has_text=QUESTION).count() == 0
    moderator.context.close()

    # 4. The expert finds the question in the queue and answers it in Markdown.
    expert.goto("/expert/queue")
    expert.get_by_role("link", name=QUESTION).click()
    expert.wait_for_url(f"**/expert/answer/{question_id}")
    expert.get_by_label("Your answer").fill(ANSWER)
    before = datetime.now(UTC).replace(microsecond=0)
    expert.get_by_role("button", name="Publish the answer").click()
    expert.wait_for_url(re.compile(rf"/q/{question_id}/[\w-]+#a\d+$"))
    after = datetime.now(UTC)
    answer = expert.locator(f"article.answer#{expert.url.rsplit('#', 1)[1]}")
    header = answer.locator("header").inner_text()
    assert "Dr Amira Haddad, Physician, General practice" in header
    assert "✓ Verified expert" in header
    date = answer.locator("header time")
    published = datetime.fromisoformat(str(date.get_attribute("datetime")))
    assert before <= published <= after
    assert date.inner_text() == f"{published.day} {published:%B %Y}"  # "6 January 2025"
    assert answer.locator(".markdown strong").inner_text() == "Check the leaflet of your own statin"
    assert answer.locator(".markdown li").count() == 2
    assert "**" not in answer.inner_text()
    assert "Medical disclaimer:" in expert.locator("footer").inner_text()
    assert expert.get_by_role("heading", level=1).inner_text() == QUESTION
    assert ASKER not in expert.content()
    article_url = expert.url.split("#")[0]
    expert.context.close()

    # 5. The visitor, with nothing but the private link, reads the answer; the mail came.
    visitor = walk.person()
    visitor.goto(private_link)
    status = visitor.locator("p.status")
    assert status.inner_text().startswith("Answered.")
    assert status.get_by_role("link", name="read it on the site").get_attribute("href") == (
        f"/q/{question_id}"
    )
    assert visitor.locator("article.answer .markdown strong").count() == 1
    assert "Dr Amira Haddad" in visitor.locator("article.answer header").inner_text()
    [notice] = site.mail.wait_for(1)
    assert notice["To"] == ASKER
    assert notice["Subject"] == "Your question has an answer"
    body = notice.get_content()
    assert f"{site.base}/q/{question_id}" in body and QUESTION in body

    # 6. Other words for the same worry now find the question on the ask page.
    visitor.goto(f"/ask?q={quote_plus(PARAPHRASE)}")
    found = visitor.locator("ol.results a.title", has_text=QUESTION)
    assert found.count() == 1
    assert site.base + found.get_attribute("href") == article_url
    api = visitor.request.get("/api/v1/ask", params={"q": PARAPHRASE})
    assert api.ok and question_id in [m["id"] for m in api.json()["matches"]]
    visitor.goto(article_url)
    assert ASKER not in visitor.content()
    visitor.context.close()

    assert walk.problems == []
