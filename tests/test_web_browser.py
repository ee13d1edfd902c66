"""One real browser on the real server: Debian's Chromium, driven by Playwright, against
`healthqa serve` on a free localhost port.

Skipped (with a message) only when Chromium or Playwright is missing and CI is not set; in CI
a missing browser fails the run."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser import chromium, free_port, wait_until_up


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`healthqa serve` on the demo corpus (loaded on first start), in its own process."""
    folder = tmp_path_factory.mktemp("served")
    port = free_port()
    env = os.environ | {"HEALTHQA_HOME": str(folder), "HEALTHQA_NO_PROGRESS": "1"}
    env.pop("HEALTHQA_DATABASE_URL", None)
    healthqa = Path(sys.executable).with_name("healthqa")  # the installed command
    command = [str(healthqa), "--db", str(folder / "kb.db"), "serve"]
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
    first = page.locator("#results ol.results a.title").first
    first.wait_for(timeout=15_000)
    assert "IUD" in first.inner_text()
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
    assert page.locator("section.related li").count() >= 8
    page.get_by_role("link", name="next »").click()
    page.wait_for_load_state()
    assert page.url != article and page.locator("h1").inner_text() != title
    assert page.locator("a[rel=prev]").get_attribute("href") == article.removeprefix(server)
    context.close()

    assert not [p for p in problems if "Content Security Policy" in p or "Refused" in p]
