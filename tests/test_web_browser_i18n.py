"""The ask flow in Spanish and in Chinese in a real browser: Debian's Chromium, driven by
Playwright, against `healthqa serve` on a free localhost port. The reader picks the language
with the switch on the home page, types a question (the results come as they type), and opens
the best match; each page is in their language, passes axe-core and logs no console error.

Skipped (with a message) only when Chromium or Playwright is missing and CI is not set."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser import axe_report, axe_violations, chromium, free_port, wait_until_up

HEALTHQA = Path(sys.executable).with_name("healthqa")  # the installed command
# Per language: its name on the switch, <html lang>, the ask box's label, and the line that
# says the answers are in English.
LANGUAGES = {
    "es": ("Español", "es", "¿Qué le gustaría saber?", "Las respuestas están en inglés"),
    "zh": ("中文", "zh-Hans", "您想了解什么？", "以下回答为英文"),
}
QUESTION = "lower back pain since my IUD"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`healthqa serve` on the demo corpus (loaded on first start), in its own process."""
    folder = tmp_path_factory.mktemp("served_i18n")
    port = free_port()
    env = os.environ | {"HEALTHQA_HOME": str(folder), "HEALTHQA_NO_PROGRESS": "1"}
    env.pop("HEALTHQA_DATABASE_URL", None)
    command = [str(HEALTHQA), "--db", str(folder / "kb.db"), "serve", "--port", str(port)]
    log = (folder / "server.log").open("wb")
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
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


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_home_ask_and_article_in_the_readers_language(
    server: str, browser: Any, language: str
) -> None:
    name, html_lang, label, in_english = LANGUAGES[language]
    problems: list[str] = []
    violations: dict[str, str] = {}
    # axe-core comes in as an inline script, which the site's Content-Security-Policy refuses:
    # this context alone bypasses it.
    context = browser.new_context(bypass_csp=True, viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(f"uncaught: {error}"))

    def check(where: str) -> None:
        assert page.locator("html").get_attribute("lang") == html_lang, where
        if found := axe_violations(page):
            violations[where] = axe_report(found)

    page.goto(f"{server}/")
    page.get_by_role("link", name=name).click()  # the switch, a plain link
    page.wait_for_load_state()
    check("home")

    page.get_by_role("link", name=page.locator("nav.main a").first.inner_text()).click()
    page.wait_for_load_state()
    assert page.locator("label[for=q]").inner_text() == label
    page.locator("textarea[name=q]").press_sequentially(QUESTION, delay=20)
    first = page.locator("#results ol.results a.title").first
    first.wait_for(timeout=15_000)  # the as-you-type results, in the chosen language too
    assert in_english in page.locator("#results").inner_text()
    check("ask")

    first.click()
    page.wait_for_load_state()
    assert "/q/" in page.url
    assert in_english in page.locator("main").inner_text()
    check("article")
    context.close()

    assert problems == []
    assert not violations, "\n".join(f"{where}:\n{report}" for where, report in violations.items())
