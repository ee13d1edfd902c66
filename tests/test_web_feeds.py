"""What programs read: robots.txt, the sitemap (and its index past the limit), Atom feeds."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from lxml import etree

from healthqa.web import feeds

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
ATOM = "{http://www.w3.org/2005/Atom}"


def xml(client: TestClient, url: str) -> etree._Element:
    response = client.get(url)
    assert response.status_code == 200, url
    return etree.fromstring(response.content)


def test_robots_names_the_sitemap(client: TestClient) -> None:
    robots = client.get("/robots.txt")
    assert robots.headers["content-type"].startswith("text/plain")
    assert "Sitemap: http://testserver/sitemap.xml" in robots.text.splitlines()
    assert "Disallow: /api/" in robots.text


def test_sitemap_lists_every_published_question(client: TestClient) -> None:
    root = xml(client, "/sitemap.xml")
    assert root.tag == f"{SITEMAP}urlset"
    urls = [loc.text for loc in root.iter(f"{SITEMAP}loc")]
    assert "http://testserver/" in urls and "http://testserver/topics/pregnancy" in urls
    articles = [u for u in urls if u and "/q/" in u]
    assert len(articles) == 55
    assert (
        "http://testserver/q/demo-0001/lower-back-pain-since-my-iud-was-put-in-what-should-i-do"
        in urls
    )
    assert not any("pending-1" in (u or "") for u in urls)
    assert all(url.find(f"{SITEMAP}lastmod") is not None for url in root if "/q/" in url[0].text)


def test_past_the_limit_the_sitemap_becomes_an_index(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    everything = [loc.text for loc in xml(client, "/sitemap.xml").iter(f"{SITEMAP}loc")]
    monkeypatch.setattr(feeds, "SITEMAP_LIMIT", 20)
    index = xml(client, "/sitemap.xml")
    assert index.tag == f"{SITEMAP}sitemapindex"
    parts = [loc.text for loc in index.iter(f"{SITEMAP}loc")]
    assert len(parts) == -(-len(everything) // 20)  # 20 a file
    listed = []
    for part in parts:
        assert part
        root = xml(client, part.removeprefix("http://testserver"))
        listed += [loc.text for loc in root.iter(f"{SITEMAP}loc")]
    assert listed == everything
    assert client.get(f"/sitemaps/{len(parts) + 1}.xml").status_code == 404
    assert client.get(f"/sitemaps/{10**30}.xml").status_code == 404  # never reaches the database


def test_atom_feeds_of_new_questions(client: TestClient) -> None:
    root = xml(client, "/feed.atom")
    assert root.tag == f"{ATOM}feed"
    for name in ("id", "title", "updated"):
        assert root.find(f"{ATOM}{name}") is not None
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == feeds.FEED_ENTRIES
    topic = xml(client, "/topics/pregnancy/feed.atom")
    assert "Pregnancy and childbirth" in (topic.findtext(f"{ATOM}title") or "")
    links = [e.find(f"{ATOM}link").get("href") for e in topic.findall(f"{ATOM}entry")]  # type: ignore[union-attr]
    assert len(links) == 10
    api = client.get("/api/v1/questions", params={"topic": "pregnancy", "per_page": 100}).json()
    assert {f"http://testserver{q['url']}" for q in api["items"]} == set(links)
    assert client.get("/topics/nope/feed.atom").status_code == 404
    assert client.get("/feed.atom").headers["content-type"].startswith("application/atom+xml")
