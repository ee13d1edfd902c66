"""What people read, counted: article views and asks tallied per worker and written to the
database only when the tally flushes; robots, scripts, health checks, HEAD and prefetches left
out; the home page's Popular list (and its /api/v1 twin) from the counts, or from the curated
list on a fresh site. Real SQLite files, a real PostgreSQL server for the list itself, and
`healthqa serve` with two worker processes. Tallies here flush only when a test says so."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from healthqa.ingest import import_jsonl
from healthqa.kb import open_kb
from healthqa.store.counts import Reads, add_counts
from healthqa.store.models import Question, ReadingCount
from healthqa.store.queries import first_of_each_topic
from healthqa.web import popular
from healthqa.web.counting import Tally
from tests.browser import free_port, wait_until_up
from tests.web import ARTICLE, demo_site, site_of

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
PERSON = {"user-agent": FIREFOX}
ARTICLE_ID = "demo-0001"
FROM_ASK = PERSON | {"referer": "http://testserver/ask?q=back+pain+since+my+coil"}
FEATURED = popular.load_featured()  # the bundled curated list: eight demo questions
HEALTHQA = Path(sys.executable).with_name("healthqa")


def quiet_tally(folder: Path) -> Tally:
    """A tally over the SQLite file `demo_site(folder)` fills, flushing only when told to."""
    return Tally(open_kb(f"sqlite:///{folder / 'kb.db'}"), seconds=3600, events=10**9)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    folder = tmp_path_factory.mktemp("counting")
    tally = quiet_tally(folder)
    with demo_site(folder, tally=tally) as test_client:
        yield test_client
    tally.engine.dispose()


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[TestClient]:
    """A demo site nobody has read yet."""
    tally = quiet_tally(tmp_path)
    with demo_site(tmp_path, tally=tally) as test_client:
        yield test_client
    tally.engine.dispose()


def tally_of(client: TestClient) -> Tally:
    tally = site_of(client).tally
    assert tally is not None
    return tally


def stored(engine: Engine) -> dict[str, tuple[int, int]]:
    """(views, asks) by question id, all days together, as the database holds them."""
    query = (
        select(Question.external_id, func.sum(ReadingCount.views), func.sum(ReadingCount.asks))
        .join(ReadingCount, ReadingCount.question_id == Question.id)
        .group_by(Question.external_id)
    )
    with engine.connect() as conn:
        return {ext: (int(views), int(asks)) for ext, views, asks in conn.execute(query)}


def flushed(client: TestClient) -> dict[str, tuple[int, int]]:
    """Everything counted so far, flushed, as the database holds it."""
    tally_of(client).flush()
    return stored(site_of(client).engine)


def popular_section(html: str) -> list[str]:
    """The question ids the home page lists under Popular questions, in order."""
    section = html.split("<h2>Popular questions</h2>", 1)[1].split("</section>", 1)[0]
    return re.findall(r'<a class="title" href="/q/([^/"]+)/', section)


def ids(links: list[dict[str, Any]]) -> list[str]:
    return [link["id"] for link in links]


# ----- what is counted -----


def test_a_view_is_counted_in_memory_and_written_only_at_the_flush(client: TestClient) -> None:
    before = flushed(client).get(ARTICLE_ID, (0, 0))
    assert client.get(ARTICLE, headers=PERSON).status_code == 200
    assert tally_of(client).pending == 1
    assert stored(site_of(client).engine).get(ARTICLE_ID, (0, 0)) == before  # no write yet
    assert flushed(client)[ARTICLE_ID] == (before[0] + 1, before[1])
    assert tally_of(client).pending == 0


def test_a_browser_revalidating_its_copy_has_read_the_page_again(client: TestClient) -> None:
    before = flushed(client).get(ARTICLE_ID, (0, 0))
    etag = client.get(ARTICLE, headers=PERSON).headers["etag"]
    again = client.get(ARTICLE, headers=PERSON | {"if-none-match": etag})
    assert again.status_code == 304
    assert flushed(client)[ARTICLE_ID] == (before[0] + 2, before[1])


NOT_A_PERSON = {
    "googlebot": {
        "user-agent": "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
    },
    "bingbot": {
        "user-agent": "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)"
    },
    "gptbot": {"user-agent": "Mozilla/5.0 (compatible; GPTBot/1.2; +https://openai.com/gptbot)"},
    "curl": {"user-agent": "curl/8.5.0"},
    "python-requests": {"user-agent": "python-requests/2.32.3"},
    "no user agent": {"user-agent": ""},
    "kubernetes probe": {"user-agent": "kube-probe/1.31"},
    "load balancer check": {"user-agent": "ELB-HealthChecker/2.0"},
    "consul check": {"user-agent": "Consul Health Check"},
    "sec-purpose prefetch": PERSON | {"sec-purpose": "prefetch"},
    "chrome prerender": PERSON | {"sec-purpose": "prefetch;prerender"},
    "purpose prefetch": PERSON | {"purpose": "prefetch"},
    "firefox prefetch": PERSON | {"x-moz": "prefetch"},
}


@pytest.mark.parametrize("headers", NOT_A_PERSON.values(), ids=NOT_A_PERSON.keys())
def test_robots_scripts_health_checks_and_prefetches_are_not_counted(
    client: TestClient, headers: dict[str, str]
) -> None:
    assert client.get(ARTICLE, headers=headers).status_code == 200
    assert tally_of(client).pending == 0


def test_head_requests_the_api_and_redirects_are_not_counted(client: TestClient) -> None:
    assert client.head(ARTICLE, headers=PERSON).status_code == 200
    assert client.get(f"/api/v1/questions/{ARTICLE_ID}", headers=PERSON).status_code == 200
    short = client.get(f"/q/{ARTICLE_ID}", headers=PERSON, follow_redirects=False)
    assert short.status_code == 301
    assert tally_of(client).pending == 0


def test_an_ask_counts_the_match_a_person_opens_not_the_matches_shown(client: TestClient) -> None:
    before = flushed(client)
    html = client.get("/ask", params={"q": "back pain since my coil was fitted"}).text
    links = re.findall(r'<a class="title" href="(/q/[^"]+)"', html)
    assert len(links) >= 3
    assert flushed(client) == before  # the matches shown: nothing counted
    opened, opened_id = links[1], links[1].split("/")[2]
    assert client.get(opened, headers=FROM_ASK).status_code == 200
    views, asks = before.pop(opened_id, (0, 0))
    after = flushed(client)
    assert after.pop(opened_id) == (views + 1, asks + 1)
    assert after == before  # no other question counted


@pytest.mark.parametrize(
    "referer",
    ["http://testserver/q/demo-0002/whatever", "http://testserver/", "https://elsewhere.example/"],
)
def test_a_page_opened_from_anywhere_else_is_a_view_not_an_ask(
    client: TestClient, referer: str
) -> None:
    before = flushed(client).get(ARTICLE_ID, (0, 0))
    client.get(ARTICLE, headers=PERSON | {"referer": referer})
    assert flushed(client)[ARTICLE_ID] == (before[0] + 1, before[1])


def test_the_already_answered_pages_short_links_count_as_asks(client: TestClient) -> None:
    """Its links are `/q/<id>`: the redirect keeps the Referer, as browsers do."""
    before = flushed(client).get(ARTICLE_ID, (0, 0))
    assert client.get(f"/q/{ARTICLE_ID}", headers=FROM_ASK).status_code == 200
    assert flushed(client)[ARTICLE_ID] == (before[0] + 1, before[1] + 1)


def test_a_flush_the_database_refuses_keeps_its_counts_for_the_next(tmp_path: Path) -> None:
    engine = open_kb(f"sqlite:///{tmp_path / 'kb.db'}")
    answered(engine, tmp_path, ["c-1"])
    tally = Tally(engine, seconds=3600, events=10**9)
    tally.add("c-1", asked=True)
    with engine.begin() as conn:  # the table away for a moment: the flush fails for real
        conn.exec_driver_sql("ALTER TABLE reading_counts RENAME TO away")
    with pytest.raises(Exception, match="reading_counts"):
        tally.flush()
    assert tally.pending == 1
    with engine.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE away RENAME TO reading_counts")
    tally.add("c-1")
    assert tally.flush() == 2
    assert stored(engine) == {"c-1": (2, 1)}
    engine.dispose()


def test_the_tally_flushes_at_shutdown(tmp_path: Path) -> None:
    """The app's lifespan stops the tally, which writes what it still holds."""
    tally = quiet_tally(tmp_path)
    with demo_site(tmp_path, tally=tally) as site:
        for _ in range(3):
            site.get(ARTICLE, headers=PERSON)
        assert stored(tally.engine) == {}
    assert stored(tally.engine) == {ARTICLE_ID: (3, 0)}
    tally.engine.dispose()


def test_two_server_workers_count_every_view_and_flush_them_at_shutdown(
    tmp_path: Path, _model_cache: Path
) -> None:
    """`healthqa serve --workers 2`: views land in either worker, each flushes its own; after
    SIGTERM the database holds every view, and none of the robot's or HEAD requests."""
    home = tmp_path / "home"
    env = os.environ | {
        "HEALTHQA_HOME": str(home),
        "HEALTHQA_CACHE_DIR": str(_model_cache),
        "HEALTHQA_NO_PROGRESS": "1",
    }
    for name in ("HEALTHQA_DATABASE_URL", "HEALTHQA_CONFIG", "HEALTHQA_TOPICS_FILE"):
        env.pop(name, None)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [str(HEALTHQA), "serve", "--workers", "2", "--port", str(port)]
    with (tmp_path / "server.log").open("wb") as log:
        server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_until_up(f"{base}/robots.txt", server)
            for _ in range(40):  # a new connection each: the workers share them out
                fetch(f"{base}{ARTICLE}", PERSON)
            for _ in range(5):
                fetch(f"{base}{ARTICLE}", PERSON | {"referer": f"{base}/ask?q=iud"})
                fetch(f"{base}{ARTICLE}", {"user-agent": "Googlebot/2.1"})
                fetch(f"{base}{ARTICLE}", PERSON, method="HEAD")
        finally:
            server.terminate()
            server.wait(timeout=60)
    engine = open_kb(f"sqlite:///{home / 'healthqa.db'}")
    assert stored(engine) == {ARTICLE_ID: (45, 5)}
    engine.dispose()


def fetch(url: str, headers: dict[str, str], method: str = "GET") -> None:
    request = urllib.request.Request(url, headers=headers, method=method)
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200


# ----- the Popular list -----


def test_a_fresh_site_shows_the_curated_questions_not_the_recent_ones(fresh: TestClient) -> None:
    home = fresh.get("/api/v1/home").json()
    assert ids(home["popular"]) == FEATURED
    assert ids(home["popular"]) != ids(home["recent"])
    assert home["popular_counted"] == 0
    html = fresh.get("/").text
    assert popular_section(html) == FEATURED
    assert "Chosen by the editors until more has been read here." in html


def test_the_most_read_lead_within_the_refresh_period_and_the_api_says_the_same(
    fresh: TestClient,
) -> None:
    site = site_of(fresh)
    start = 1_000 * popular.REFRESH_SECONDS  # the start of a period, whatever the time
    site.clock = lambda: start
    assert fresh.get("/api/v1/home").json()["popular_counted"] == 0
    for question, times, headers in (("40", 4, PERSON), ("41", 3, FROM_ASK), ("42", 2, PERSON)):
        for _ in range(times):  # by the short link, which redirects
            assert fresh.get(f"/q/demo-00{question}", headers=headers).status_code == 200
    tally_of(fresh).flush()
    site.clock = lambda: start + popular.REFRESH_SECONDS - 1
    assert fresh.get("/api/v1/home").json()["popular_counted"] == 0  # kept for its period
    site.clock = lambda: start + popular.REFRESH_SECONDS
    home = fresh.get("/api/v1/home").json()
    curated = [i for i in FEATURED if i not in ("demo-0040", "demo-0041")]
    assert home["popular_counted"] == 2  # demo-0042 has 2 views, under AT_LEAST
    assert ids(home["popular"]) == ["demo-0040", "demo-0041", *curated[:6]]
    html = fresh.get("/").text
    assert popular_section(html) == ids(home["popular"])
    assert "Read most here in the last 30 days, then chosen by the editors." in html


def answered(
    engine: Engine, folder: Path, external_ids: list[str], topic: str = "medicines"
) -> None:
    lines = [
        {"id": i, "title": f"Question {i}?", "topic": topic, "answers": [{"body": "Yes."}]}
        for i in external_ids
    ]
    path = folder / f"{external_ids[0]}.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines))
    import_jsonl(engine, path)


def test_without_curated_ids_on_the_site_one_question_of_each_topic_fills_the_list(
    engine: Engine, tmp_path: Path
) -> None:
    """A MedQuAD-like site: none of the bundled ids exist; each topic's first answered
    question stands in, topics in display order, after the most read."""
    answered(engine, tmp_path, ["m-1", "m-2"], "medicines")
    answered(engine, tmp_path, ["p-1", "p-2"], "pregnancy")
    answered(engine, tmp_path, ["c-1"], "cancer")
    today = date(2026, 5, 1)
    add_counts(engine, {("p-2", today): Reads(views=3)})
    found = popular.popular(engine, 3, today=today)
    by_position = [q.external_id for q in first_of_each_topic(engine)]
    assert set(by_position) == {"m-1", "p-1", "c-1"}
    assert [q.external_id for q in found.questions] == ["p-2", *by_position[:2]]
    assert found.counted == 1


def test_a_site_names_its_own_curated_file(engine: Engine, tmp_path: Path) -> None:
    answered(engine, tmp_path, ["s-1", "s-2", "s-3"])
    own = tmp_path / "featured.toml"
    own.write_text('ids = ["s-3", "gone", "s-1"]\n')
    found = popular.popular(engine, 2, own, today=datetime.now(UTC).date())
    assert [q.external_id for q in found.questions] == ["s-3", "s-1"]


@pytest.mark.parametrize(
    ("content", "message"),
    [("ids = [", "not valid TOML"), ("ids = 3", "needs a list of question ids")],
)
def test_a_bad_curated_file_is_refused_naming_it(
    tmp_path: Path, content: str, message: str
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(content)
    with pytest.raises(popular.FeaturedFileError, match=message) as refused:
        popular.load_featured(bad)
    assert str(bad) in str(refused.value)
