"""The pages people see, on the demo corpus: article, ask, search, home, topics."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from healthqa.kb import question_text, question_triage_key
from healthqa.store.models import Question
from healthqa.store.queries import keep_triage, published_article
from healthqa.triage import Level, RedFlag
from healthqa.web import pages, service
from tests.web import ARTICLE, HOSTILE, demo_site, post_form, site_of

EMERGENCY = "chest hurts and my left arm is numb"
ROUTINE = "how long does morning sickness last"


def main_of(html: str) -> str:
    found = re.search(r"<main.*?</main>", html, re.S)
    assert found
    return found.group(0)


def links(html: str, rel: str) -> list[str]:
    return re.findall(rf'<a (?:class="\w+" )?rel="{rel}" href="([^"]+)"', html)


# ----- article -----


def test_article_shows_question_answers_and_sources(client: TestClient) -> None:
    page = client.get(ARTICLE)
    assert page.status_code == 200
    html = page.text
    assert "<h1>Lower back pain since my IUD was put in — what should I do?</h1>" in html
    assert "I had a hormonal IUD fitted" in html  # the asker's words
    answers = re.findall(r'<article class="card answer" id="a\d+">(.*?)</article>', html, re.S)
    assert answers
    for answer in answers:
        assert "healthqa demo corpus" in answer and "Demo content written by" in answer
        assert re.search(r"<time datetime=\"\d{4}-\d\d-\d\dT", answer)
    assert f'<link rel="canonical" href="http://testserver{ARTICLE}">' in html
    assert '<meta property="og:type" content="article">' in html
    assert "Medical disclaimer" in html


def test_article_has_structured_data(client: TestClient) -> None:
    """Answered by its source only: a MedicalWebPage (test_web_structured_data has the rest)."""
    html = client.get(ARTICLE).text
    found = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert found
    data = json.loads(found.group(1))
    assert data["@type"] == "MedicalWebPage"
    assert data["name"].startswith("Lower back pain since my IUD")
    assert len(data["mainContentOfPage"]) >= 1
    assert data["mainContentOfPage"][0]["text"].startswith("Cramping and a dull")


def test_a_wrong_or_missing_slug_redirects_to_the_canonical_url(client: TestClient) -> None:
    for url in ("/q/demo-0001", "/q/demo-0001/wrong-slug", "/q/demo-0001/lower-back"):
        response = client.get(url, follow_redirects=False)
        assert response.status_code == 301, url
        assert response.headers["location"] == ARTICLE


def test_medquad_answers_name_the_nih_site_and_link_the_document(client: TestClient) -> None:
    html = client.get("/q/GHR_0000001_Sec1", follow_redirects=True).text
    assert '<a href="https://ghr.nlm.nih.gov/condition/aarskog-scott-syndrome"' in html
    assert "Genetics Home Reference" in html and "CC BY 4.0" in html
    assert "<li>short stature</li>" in html and "<li>facial differences</li>" in html


def test_where_the_answer_is_not_stored_the_page_links_out(client: TestClient) -> None:
    html = client.get("/q/ADAM_0000001_Sec1", follow_redirects=True).text
    assert "Its text is not stored here" in html
    assert 'href="https://www.nlm.nih.gov/medlineplus/ency/article/000001.htm"' in html
    assert "A.D.A.M. Medical Encyclopedia" in html


def test_previous_and_next_walk_the_topic_and_stop_at_its_ends(client: TestClient) -> None:
    url = ARTICLE
    while True:  # walk back to the first question of the topic
        before = links(client.get(url).text, "prev")
        if not before:
            break
        url = before[0]
    first = url
    assert not links(client.get(first).text, "prev")
    walked = [first]
    while nxt := links(client.get(walked[-1]).text, "next"):
        assert links(client.get(nxt[0]).text, "prev") == [walked[-1]]
        walked.append(nxt[0])
    assert ARTICLE in walked
    assert len(walked) == len(set(walked)) == 10  # the demo's ten women's-health questions
    assert not links(client.get(walked[-1]).text, "next")


def test_article_lists_related_questions_with_short_snippets(client: TestClient) -> None:
    html = client.get(ARTICLE).text
    related = re.search(r'<section class="related".*?</section>', html, re.S)
    assert related
    items = re.findall(
        r'<a class="title" href="(/q/[^"]+)">.*?<p class="snippet">(.*?)</p>',
        related.group(0),
        re.S,
    )
    # the demo holds nothing close to an IUD question but two women's-health questions
    assert 1 <= len(items) <= 10
    assert all(not href.startswith("/q/demo-0001/") for href, _ in items)
    assert all(snippet.endswith("…") and len(snippet) <= 80 for _, snippet in items)
    assert related.group(0).count('<p class="why">also in womens-health</p>') == len(items)


def test_article_about_urgent_symptoms_shows_the_notice_before_any_answer(
    client: TestClient,
) -> None:
    html = client.get("/q/demo-0025", follow_redirects=True).text  # chest tightness on stairs
    notice = html.find('class="urgent"')
    assert 0 < notice < html.find('class="card answer"')
    assert notice < html.find("<h1>")
    assert 'class="urgent"' not in client.get(ARTICLE).text


def test_a_cached_article_is_sent_as_it_was_when_rendered(client: TestClient) -> None:
    """The first view renders the page; the next ones are sent from the page cache before
    routing (`pages.Articles`), with the same body, headers and conditional answers."""
    row = published_article(site_of(client).engine, "demo-0044")  # read by no other test here
    assert row is not None
    url = service.question_url(row.external_id, row.display_title)
    assert site_of(client).articles.get(("demo-0044", "http://testserver"), None) is None
    first, again = client.get(url), client.get(url)
    assert again.content == first.content and "demo-0044" in first.text
    for name in ("etag", "last-modified", "cache-control", "vary", "content-encoding"):
        assert again.headers[name] == first.headers[name]
    assert again.headers["content-security-policy"] == first.headers["content-security-policy"]
    assert client.get(url, headers={"if-none-match": first.headers["etag"]}).status_code == 304
    moved = client.get(url.rsplit("/", 1)[0] + "/an-old-slug", follow_redirects=False)
    assert (moved.status_code, moved.headers["location"]) == (301, url)
    assert client.head(url).status_code == 200


def test_an_article_shows_the_kept_triage_of_its_question(tmp_path: Path) -> None:
    """The triage of a question's words is made once and kept in the database: its page and
    the page's API twin read it back, with the site's advice. Here the kept triage holds a flag
    no rule raises, so the page shows what was kept, not what triage would make now."""
    flag = RedFlag(
        "test.kept", "Kept by an earlier view", ("iud",), "A test wrote it.", Level.URGENT
    )
    with demo_site(tmp_path) as client:
        site = site_of(client)
        row = published_article(site.engine, "demo-0001")
        assert row is not None
        key = question_triage_key(question_text(row.title, row.body), site.settings)
        kept = {"level": "urgent", "flags": [flag.to_dict()], "checked": True}
        keep_triage(site.engine, [(row.id, key, kept)])
        html = client.get(ARTICLE).text
        api = client.get("/api/v1/questions/demo-0001").json()
    notice = re.search(r'<section class="urgent".*?</section>', html, re.S)
    assert notice and "Get medical help today" in notice.group(0)
    assert [f["rule"] for f in api["triage"]["flags"]] == ["test.kept"]
    assert api["triage"]["advice"]["action"] == "see_doctor_today"


def test_hostile_text_is_escaped_everywhere(client: TestClient) -> None:
    article = client.get("/q/hostile-1", follow_redirects=True)
    assert article.url.path == "/q/hostile-1/is-script-alert-x-script-a-rash"
    for url in (
        str(article.url),
        "/",
        "/topics/skin-hair-nails",
        "/search?q=rash",
        "/ask?q=rash+itches",
        "/feed.atom",
    ):
        body = client.get(url).text
        assert HOSTILE not in body, url
        assert "alert" in body, url
    ld = re.search(r'<script type="application/ld\+json">(.*?)</script>', article.text, re.S)
    assert ld and "<" not in ld.group(1)
    assert json.loads(ld.group(1))["name"] == f"Is {HOSTILE} a rash?"


def test_pending_questions_are_never_shown(client: TestClient) -> None:
    assert client.get("/q/pending-1").status_code == 404
    assert client.get("/api/v1/questions/pending-1").status_code == 404
    for url in ("/topics/skin-hair-nails", "/", "/search?q=zebrafish", "/ask?q=zebrafish"):
        assert "Secret pending question" not in client.get(url).text, url
    assert "pending-1" not in client.get("/sitemap.xml").text


# ----- ask -----


def test_ask_shows_matches_without_javascript(client: TestClient) -> None:
    html = client.get("/ask", params={"q": "lower back pain since my IUD was put in"}).text
    results = re.search(r'<ol class="results">(.*?)</ol>', html, re.S)
    assert results and '<a class="title" href="/q/demo-0001/' in results.group(1)
    assert 'class="urgent"' not in html
    assert '<meta name="robots" content="noindex">' in html


def test_ask_warns_before_any_answer_when_the_text_sounds_urgent(client: TestClient) -> None:
    for url in ("/ask", "/ask/matches"):
        html = client.get(url, params={"q": EMERGENCY}).text
        notice = html.find('class="urgent"')
        assert notice >= 0, url
        assert 'role="alert"' in html
        first = html.find('<ol class="results">')
        assert first == -1 or notice < first
        assert 'class="urgent"' not in client.get(url, params={"q": ROUTINE}).text


def test_ask_results_for_the_live_box_are_the_same_partial(client: TestClient) -> None:
    part = client.get("/ask/matches", params={"q": ROUTINE})
    assert part.status_code == 200 and "<html" not in part.text
    assert '<ol class="results">' in part.text
    assert client.get("/ask/matches", params={"q": "  "}).text.strip() == ""


def test_ask_without_words_says_so(client: TestClient) -> None:
    response = client.get("/ask", params={"q": "?!"})
    assert response.status_code == 400
    assert "The question is empty" in response.text


def newest_pending(client: TestClient) -> str:
    with site_of(client).engine.connect() as conn:
        newest = select(Question.external_id).where(Question.status == "pending")
        return str(conn.scalar(newest.order_by(Question.id.desc())))


def test_a_form_larger_than_any_question_is_refused(client: TestClient) -> None:
    before = pending_count(client)
    response = post_form(client, "/ask", {"title": "ok?", "details": "x" * 70_000})
    assert response.status_code == 413 and "too long" in response.text
    assert pending_count(client) == before


def pending_count(client: TestClient) -> int:
    with site_of(client).engine.connect() as conn:
        count = select(func.count(Question.id)).where(Question.status == "pending")
        return int(conn.scalar(count) or 0)


def test_a_question_without_a_match_can_be_sent_and_stays_pending(client: TestClient) -> None:
    before = pending_count(client)
    html = client.get("/ask", params={"q": "can my parrot catch my cold"}).text
    assert 'action="/ask" method="post"' in html
    form = {"title": "Can my parrot catch my cold?", "details": "x"}
    sent = post_form(client, "/ask", form, follow_redirects=False)
    assert sent.status_code == 303 and sent.headers["location"].startswith("/private/")
    private = client.get(sent.headers["location"])
    assert (
        "Your question was sent" in private.text and "Can my parrot catch my cold?" in private.text
    )
    assert private.headers["referrer-policy"] == "no-referrer"
    assert pending_count(client) == before + 1
    assert "parrot" not in main_of(client.get("/").text)
    external_id = newest_pending(client)
    assert client.get(f"/q/{external_id}").status_code == 404


def test_a_long_worry_is_offered_as_a_short_title_with_details(client: TestClient) -> None:
    worry = "my parrot sneezes " * 30  # 540 characters
    html = client.get("/ask", params={"q": worry}).text
    title = re.search(
        r'<input id="title" name="title" type="text" maxlength="300" value="([^"]*)"', html
    )
    assert title and len(title.group(1)) <= 300 and title.group(1).endswith("…")
    assert f">{worry.strip()}</textarea>" in html


@pytest.mark.parametrize(
    ("form", "status", "message"),
    [
        ({"title": "   "}, 400, "type your question"),
        ({}, 400, "type your question"),
        ({"title": "x" * 301}, 413, "under 300 characters"),
        ({"title": "ok?", "details": "x" * 5_001}, 413, "under 5,000 characters"),
    ],
)
def test_sending_empty_or_oversized_questions_is_refused(
    client: TestClient, form: dict[str, str], status: int, message: str
) -> None:
    before = pending_count(client)
    response = post_form(client, "/ask", form)
    assert response.status_code == status
    assert message in response.text and "Not sent" in response.text
    assert pending_count(client) == before


# ----- search -----


def test_search_highlights_filters_and_paginates(client: TestClient) -> None:
    html = client.get("/search", params={"q": "pain"}).text
    assert "<mark>pain</mark>" in html.lower() or "<mark>Pain</mark>" in html
    total = int(re.search(r"([\d,]+) questions? found", html).group(1))  # type: ignore[union-attr]
    assert total > pages.SEARCH_PAGE
    assert links(html, "next") and not links(html, "prev")
    second = client.get(links(html, "next")[0].replace("&amp;", "&")).text
    assert "Page 2 of" in second and links(second, "prev")

    narrowed = client.get("/search", params={"q": "pain", "topic": "pregnancy"}).text
    hits = re.findall(r'<a class="title" href="(/q/[^"]+)"', narrowed)
    assert hits
    for href in hits:
        assert "Pregnancy and childbirth" in client.get(href).text
    by_type = client.get("/search", params={"q": "pain", "type": "treatment"})
    assert by_type.status_code == 200 and "questions found" in by_type.text
    by_source = client.get("/search", params={"q": "syndrome", "source": "GHR"}).text
    assert "Aarskog" in by_source and "1 question found" in by_source


def test_search_refuses_unknown_filters_and_pages_past_the_end(client: TestClient) -> None:
    assert client.get("/search", params={"q": "pain", "topic": "nope"}).status_code == 400
    assert client.get("/search", params={"q": "pain", "page": 999}).status_code == 404
    empty = client.get("/search")
    assert empty.status_code == 200 and "questions found" not in empty.text


# ----- home and topics -----


def test_home_has_the_ask_box_topics_and_recent_and_popular_questions(client: TestClient) -> None:
    html = client.get("/").text
    assert '<form class="ask" action="/ask" method="get"' in html
    assert 'href="/topics/pregnancy"' in html
    assert "Recent questions" in html and "Popular questions" in html
    assert len(re.findall(r'<a class="title" href="/q/', html)) == 16


def test_topic_pages_are_paginated(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pages, "TOPIC_PAGE", 4)
    first = client.get("/topics/pregnancy").text
    assert "<h1>Pregnancy and childbirth</h1>" in first and "Page 1 of 3" in first
    assert links(first, "next") == ["/topics/pregnancy?page=2"]
    last = client.get("/topics/pregnancy?page=3").text
    assert not links(last, "next") and links(last, "prev") == ["/topics/pregnancy?page=2"]
    assert client.get("/topics/pregnancy?page=4").status_code == 404
    assert 'href="/topics/pregnancy/feed.atom"' in first


def test_topics_page_lists_every_topic_with_questions(client: TestClient) -> None:
    html = client.get("/topics").text
    assert html.count('<li><a href="/topics/') == len(
        [t for t in client.get("/api/v1/topics").json() if t["questions"]]
    )
