"""Reading levels on the site: each answer's on its article page and in the API, and the ask and
search results that put the easier of two tied answers first.

Two twin questions make the tie: their titles differ only in a space before the question mark
(so neither is dropped as a repeat, and the sentence model and the BM25 index read the same
words), the same focus, and answers that share none of the searched words: one written for
professionals, one in plain words. The harder one is imported first, so the engine ranks it
first; the site shows the easier one first.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from fastapi.testclient import TestClient

from healthqa import reading
from healthqa.ingest import import_jsonl
from healthqa.search.ask import Why, ask
from healthqa.search.lexical import terms
from healthqa.web import service
from tests.test_reading import PLAIN, PROFESSIONAL
from tests.web import ARTICLE, demo_site, site_of

QUERY = "zorblax fever"
TWINS = [
    {
        "id": "twin-hard",
        "title": "What is zorblax fever?",
        "focus": "Zorblax fever",
        "question_type": "information",
        "answers": [{"body": PROFESSIONAL, "author": "Test source"}],
    },
    {
        "id": "twin-easy",
        "title": "What is zorblax fever ?",
        "focus": "Zorblax fever",
        "question_type": "information",
        "answers": [{"body": PLAIN, "author": "Test source"}],
    },
]


@pytest.fixture(scope="module")
def twins(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    folder = tmp_path_factory.mktemp("reading")
    with demo_site(folder) as client:
        (folder / "twins.jsonl").write_text("\n".join(json.dumps(q) for q in TWINS))
        site = site_of(client)
        import_jsonl(site.engine, folder / "twins.jsonl")
        site.catch_up()
        yield client


def get(client: TestClient, url: str, **params: Any) -> Any:
    response = client.get(url, params=params)
    assert response.status_code == 200, response.text
    return response.json()


# ----- the article page and the API -----


def test_the_article_shows_each_answers_reading_level(twins: TestClient) -> None:
    html = twins.get("/q/twin-hard", follow_redirects=True).text
    answer = re.search(r'<article class="card answer" id="a\d+">(.*?)</article>', html, re.S)
    assert answer
    grade = reading.grade(PROFESSIONAL)
    assert grade is not None
    assert (
        '<span class="meta reading expert" title="Flesch-Kincaid grade'
        f' {grade}: the US school year whose pupils can read it">Very hard to read (written'
        f" like a text for health professionals, grade {round(grade)})</span>"
    ) in answer.group(1)
    demo = twins.get(ARTICLE).text
    assert re.search(r'<span class="meta reading \w+" title="Flesch-Kincaid grade [\d.]+', demo)


def test_the_api_returns_each_answers_reading_level(twins: TestClient) -> None:
    article = get(twins, "/api/v1/questions/twin-easy")
    assert article["answers"][0]["reading"] == {
        "grade": reading.grade(PLAIN),
        "level": "easy",
        "label": "Easy to read",
        "note": "most adults can read it",
    }
    assert get(twins, "/api/v1/questions/twin-easy/answers") == article["answers"]
    linkout = get(twins, "/api/v1/questions/ADAM_0000001_Sec1")  # no answer text stored
    assert linkout["answers"] == []


# ----- ties on ask and search -----


def test_ask_puts_the_easier_of_two_tied_answers_first(twins: TestClient) -> None:
    site = site_of(twins)
    engine_order = ask(site.index, QUERY, k=10).matches
    assert [m.id for m in engine_order[:2]] == ["twin-hard", "twin-easy"]
    assert abs(engine_order[0].score - engine_order[1].score) <= service.ASK_TIE

    shown = get(twins, "/api/v1/ask", q=QUERY)["matches"]
    assert [m["id"] for m in shown[:2]] == ["twin-easy", "twin-hard"]
    assert [m["reading"]["level"] for m in shown[:2]] == ["easy", "expert"]
    # the rest keep the engine's order: their scores are not tied with the twins'
    assert [m["id"] for m in shown[2:]] == [m.id for m in engine_order[2:]]
    page = twins.get("/ask", params={"q": QUERY}).text
    assert page.index("/q/twin-easy/") < page.index("/q/twin-hard/")
    assert "Easy to read" in page


def test_search_puts_the_easier_of_two_tied_answers_first(twins: TestClient) -> None:
    site = site_of(twins)
    hits = site.index.lexical.search(terms(QUERY), 10)
    ids = {d: site.index.docs[d].external_id for d, _ in hits}
    (hard, hard_score), (easy, easy_score) = hits[:2]
    assert [ids[hard], ids[easy]] == ["twin-hard", "twin-easy"] and hard_score == easy_score

    found = get(twins, "/api/v1/search", q=QUERY)["items"]
    assert [h["id"] for h in found[:2]] == ["twin-easy", "twin-hard"]
    assert found[0]["reading"]["label"] == "Easy to read"
    page = twins.get("/search", params={"q": QUERY}).text
    assert page.index("/q/twin-easy/") < page.index("/q/twin-hard/")


def asked_order(*matches: service.AskMatch) -> list[str]:
    ordered = reading.prefer_easier(list(matches), grade_of=service._grade, tied=service._ask_tied)
    return [m.id for m in ordered]


def test_reading_never_lifts_a_match_over_the_close_score_or_off_the_focus(
    twins: TestClient,
) -> None:
    real = service.ask(site_of(twins), QUERY).matches[0]

    def match(name: str, score: float, grade: float, focus: str | None = "Zorblax fever") -> Any:
        return replace(
            real, id=name, score=score, why=Why(focus, None, []), reading=reading.of_grade(grade)
        )

    assert asked_order(match("hard", 0.8, 16), match("easy", 0.798, 6)) == ["easy", "hard"]
    # the page offers the first as the asker's question only at CLOSE_SCORE and above
    close, below = service.CLOSE_SCORE + 0.002, service.CLOSE_SCORE - 0.002
    assert asked_order(match("hard", close, 16), match("easy", below, 6)) == ["hard", "easy"]
    # a match about another condition stays below one about the condition asked
    off_focus = match("easy", 0.8, 6, focus=None)
    assert asked_order(match("hard", 0.8, 16), off_focus) == ["hard", "easy"]
    assert asked_order(match("hard", 0.8, 16, focus=None), match("easy", 0.8, 6)) == [
        "easy",
        "hard",
    ]


def test_search_ties_are_a_share_of_the_score(twins: TestClient) -> None:
    real = service.search(site_of(twins), QUERY).items[0]

    def order(*scored: tuple[float, float]) -> list[float]:
        hits = [replace(real, score=s, reading=reading.of_grade(g)) for s, g in scored]
        kept = reading.prefer_easier(hits, grade_of=service._grade, tied=service._search_tied)
        return [h.score for h in kept]

    assert order((20.0, 16), (19.9, 6)) == [19.9, 20.0]  # within 1%
    assert order((20.0, 16), (19.0, 6)) == [20.0, 19.0]  # 5% apart
    assert order((2.0, 16), (1.99, 6)) == [1.99, 2.0]
