"""Display titles on the site: page titles, h1, lists, search, ask, related, previous/next,
Atom feeds, the sitemap and the JSON API show the readable title; URLs follow it, and the URL
made from the title as the source wrote it redirects to the new one."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from healthqa.ingest import import_jsonl
from healthqa.kb import open_kb
from healthqa.store.models import Question
from healthqa.store.queries import published_pages
from healthqa.web.text import slugify
from tests.web import demo_site

TOPIC = "kidneys-and-urinary"
SOURCE = {
    "kind": "source",
    "key": "MPlusHealthTopics",
    "name": "MedlinePlus Health Topics",
    "url": "https://medlineplus.gov/healthtopics.html",
    "licence": "CC BY 4.0",
    "attribution": "From MedlinePlus via MedQuAD, licensed CC BY 4.0.",
}
# (id, title as MedQuAD writes it, focus, what pages show)
QUESTIONS = [
    ("KS_Sec1", "What is (are) Kidney Stones?", "Kidney Stones", "What are kidney stones?"),
    ("KS_Sec2", "What causes Kidney Stones?", "Kidney Stones", "What causes kidney stones?"),
    (
        "KS_Sec3",
        "Do you have information about Kidney Stones",
        "Kidney Stones",
        "What should I know about kidney stones?",
    ),
    (
        "BD_Sec1",
        "what research (or clinical trials) is being done for Bladder Diseases?",
        "Bladder Diseases",
        "What research and clinical trials are being done for bladder diseases?",
    ),
]
SHOWN = {q[0]: q[3] for q in QUESTIONS}
WRITTEN = {q[0]: q[1] for q in QUESTIONS}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """The site on QUESTIONS alone."""
    lines = [SOURCE] + [
        {
            "id": id_,
            "title": title,
            "focus": focus,
            "topic": TOPIC,
            "source": "MPlusHealthTopics",
            "answers": [{"body": f"About {focus.lower()}: they are common and treatable."}],
        }
        for id_, title, focus, _ in QUESTIONS
    ]
    with demo_site(tmp_path_factory.mktemp("titles"), lines, demo=False) as client:
        yield client


def url_of(id_: str) -> str:
    return f"/q/{id_}/{slugify(SHOWN[id_])}"


def test_the_article_shows_its_display_title_and_its_url_follows_it(site: TestClient) -> None:
    page = site.get(url_of("KS_Sec1"))
    assert page.status_code == 200
    assert "<h1>What are kidney stones?</h1>" in page.text
    assert "<title>What are kidney stones? · " in page.text
    assert '<meta property="og:title" content="What are kidney stones?">' in page.text
    assert f'<link rel="canonical" href="http://testserver{url_of("KS_Sec1")}">' in page.text
    assert "(are)" not in page.text


def test_the_url_made_from_the_title_as_written_redirects_to_the_new_one(
    site: TestClient,
) -> None:
    moved = {id_: f"/q/{id_}/{slugify(written)}" for id_, written in WRITTEN.items()}
    moved = {id_: old for id_, old in moved.items() if old != url_of(id_)}
    assert sorted(moved) == ["BD_Sec1", "KS_Sec1", "KS_Sec3"]  # "What causes" only lost capitals
    for id_, old in moved.items():
        response = site.get(old, follow_redirects=False)
        assert response.status_code == 301, old
        assert response.headers["location"] == url_of(id_)


def test_lists_previous_next_and_related_show_display_titles(site: TestClient) -> None:
    topic = site.get(f"/topics/{TOPIC}").text
    home = site.get("/").text
    for id_, shown in SHOWN.items():
        assert f'<a class="title" href="{url_of(id_)}">{shown}</a>' in topic
    assert "What are kidney stones?" in home and "(are)" not in home
    article = site.get(url_of("KS_Sec2")).text
    neighbours = re.findall(r'rel="(?:prev|next)" href="([^"]+)">.*?<br>(.*?)</span>', article)
    assert neighbours and all(SHOWN[href.split("/")[2]] == text for href, text in neighbours)
    related = re.findall(r'<a class="title" href="/q/([^/]+)/[^"]*">(.*?)</a>', article)
    assert related and all(SHOWN[id_] == text for id_, text in related)


def test_search_and_ask_show_display_titles(site: TestClient) -> None:
    hits = site.get("/search", params={"q": "bladder"}).text
    assert re.search(r"What research and clinical trials are being done for <mark>bladder", hits)
    asked = site.get("/ask", params={"q": "what causes kidney stones"}).text
    assert f'<a class="title" href="{url_of("KS_Sec2")}">What causes kidney stones?</a>' in asked


def test_feeds_and_the_sitemap_use_display_titles(site: TestClient) -> None:
    feed = site.get(f"/topics/{TOPIC}/feed.atom").text
    assert "<title>What should I know about kidney stones?</title>" in feed
    assert "Do you have information about" not in feed
    sitemap = site.get("/sitemap.xml").text
    assert all(f"http://testserver{url_of(id_)}</loc>" in sitemap for id_ in SHOWN)


def test_the_api_gives_the_title_as_written_and_the_display_title(site: TestClient) -> None:
    article = site.get("/api/v1/questions/KS_Sec1").json()
    assert (article["title"], article["display_title"]) == (WRITTEN["KS_Sec1"], SHOWN["KS_Sec1"])
    assert article["url"] == url_of("KS_Sec1")
    listed = site.get("/api/v1/questions").json()["items"]
    assert {q["id"]: (q["title"], q["display_title"]) for q in listed} == {
        id_: (WRITTEN[id_], SHOWN[id_]) for id_ in SHOWN
    }
    hits = site.get("/api/v1/search", params={"q": "kidney stones"}).json()["items"]
    matches = site.get("/api/v1/ask", params={"q": "kidney stones"}).json()["matches"]
    related = site.get("/api/v1/questions/KS_Sec1/related").json()
    for item in [*hits, *matches, *related]:
        assert (item["title"], item["display_title"]) == (WRITTEN[item["id"]], SHOWN[item["id"]])
        assert item["url"] == url_of(item["id"])


def test_until_it_is_computed_the_title_stands_in(tmp_path: Path) -> None:
    """A question whose display title is still empty (a base being upgraded) has its URL
    made from its title."""
    engine = open_kb(f"sqlite:///{tmp_path / 'kb.db'}")
    line = {"id": "x-1", "title": "What causes Gout?", "focus": "Gout", "topic": TOPIC}
    (tmp_path / "x.jsonl").write_text(json.dumps(line))
    import_jsonl(engine, tmp_path / "x.jsonl")
    with engine.begin() as conn:
        conn.execute(update(Question).values(display_title=None))
    assert published_pages(engine)[0][1] == "What causes Gout?"
    engine.dispose()
