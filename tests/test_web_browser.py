"""One real browser on the real server: Debian's Chromium, driven by Playwright, against
`healthqa serve` on a free localhost port: asking and reading, then the article, home and topic
pages read for errors and checked with axe-core.

Skipped (with a message) only when Chromium or Playwright is missing and CI is not set; in CI
a missing browser fails the run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser import axe_report, axe_violations, chromium, free_port, wait_until_up
from tests.web import EXTRA

HEALTHQA = Path(sys.executable).with_name("healthqa")  # the installed command
# Written into the served site once it runs: a MedQuAD-style answer with a heading (a short line
# leading into more text, as many MedQuAD answers have) and a hostile title.
LATER = [
    *(line for line in EXTRA if line.get("key") == "GHR" or line.get("id") == "hostile-1"),
    {
        "id": "GHR_0000002_Sec1",
        "title": "What are the signs of Aarskog-Scott syndrome?",
        "topic": "genetic-conditions",
        "source": "GHR",
        "focus": "Aarskog-Scott syndrome",
        "focus_category": "Disease",
        "answers": [
            {
                "body": "Aarskog-Scott syndrome is a genetic disorder.\n\nSigns and symptoms\n"
                "Signs include short stature and facial differences."
            }
        ],
    },
]
READ = ["/", "/topics/genetic-conditions", "/q/GHR_0000002_Sec1", "/q/demo-0025", "/q/hostile-1"]


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("served")


@pytest.fixture(scope="module")
def server(folder: Path) -> Iterator[str]:
    """`healthqa serve` on the demo corpus (loaded on first start), in its own process."""
    port = free_port()
    env = os.environ | {"HEALTHQA_HOME": str(folder), "HEALTHQA_NO_PROGRESS": "1"}
    env.pop("HEALTHQA_DATABASE_URL", None)
    command = [str(HEALTHQA), "--db", str(folder / "kb.db"), "serve"]
    log = (folder / "server.log").open("wb")
    server = subprocess.Popen(
        [*command, "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_up(f"{base}/robots.txt", server)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


def test_ask_as_you_type_then_without_javascript_then_read_and_walk(
    server: str, browser: Any
) -> None:
    problems: list[str] = []

    # With JavaScript: results appear while typing, before any submit.
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.goto(f"{server}/ask")
    page.locator("textarea[name=q]").press_sequentially("lower back pain since my IUD", delay=20)
    # Results follow the typing: those of a shorter prefix ("lower back pain") may show first
    # on a slow machine (seen in CI), and must give way to those of the whole text.
    page.wait_for_function(
        "() => document.querySelector('#results ol.results a.title')?.innerText.includes('IUD')",
        timeout=15_000,
    )
    assert page.evaluate("performance.getEntriesByType('navigation').length") == 1
    page.close()

    # Without JavaScript: the same box submits and the server renders the results.
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{server}/ask")
    page.locator("textarea[name=q]").fill("how long does morning sickness last")
    page.get_by_role("button", name="Find answers").click()
    page.wait_for_load_state()
    assert "/ask?q=how+long+does+morning+sickness+last" in page.url
    results = page.locator("ol.results a.title")
    assert results.count() > 0

    # Open the best match, then follow "next »" to the next question of its topic.
    results.first.click()
    page.wait_for_load_state()
    article = page.url
    title = page.locator("h1").inner_text()
    related = page.locator("section.related li")  # the demo has few close questions
    assert related.count() >= 1
    assert related.count() == page.locator("section.related li p.why").count()
    page.get_by_role("link", name="next »").click()
    page.wait_for_load_state()
    assert page.url != article and page.locator("h1").inner_text() != title
    assert page.locator("a[rel=prev]").get_attribute("href") == article.removeprefix(server)
    context.close()

    assert not [p for p in problems if "Content Security Policy" in p or "Refused" in p]


def test_article_home_and_topic_pages_have_no_errors_and_pass_axe(
    server: str, folder: Path, browser: Any
) -> None:
    (folder / "later.jsonl").write_text("\n".join(json.dumps(line) for line in LATER))
    env = os.environ | {"HEALTHQA_HOME": str(folder), "HEALTHQA_NO_PROGRESS": "1"}
    db = ["--db", str(folder / "kb.db")]
    imported = [str(HEALTHQA), *db, "import", "jsonl", str(folder / "later.jsonl")]
    subprocess.run(imported, env=env, check=True, capture_output=True)
    published(f"{server}{READ[2]}")

    problems: list[str] = []
    page = browser.new_page()
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(f"uncaught: {error}"))
    page.on("dialog", lambda dialog: (problems.append("a script ran"), dialog.dismiss()))
    for url in READ:
        response = page.goto(f"{server}{url}")
        assert response is not None and response.ok, url
    page.close()
    assert problems == []

    # axe-core comes in as an inline script, which the site's Content-Security-Policy refuses:
    # these contexts alone bypass it. Phone and desktop widths (the CSS changes at 48rem).
    found: dict[str, str] = {}
    for width, height in ((390, 844), (1280, 900)):
        context = browser.new_context(bypass_csp=True, viewport={"width": width, "height": height})
        page = context.new_page()
        for url in READ:
            page.goto(f"{server}{url}")
            if violations := axe_violations(page):
                found[f"{url} at {width}px"] = axe_report(violations)
        context.close()
    assert not found, "\n".join(f"{where}:\n{report}" for where, report in found.items())


def published(url: str, seconds: float = 30) -> None:
    """Wait until the running site shows a page written into its database from outside."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
