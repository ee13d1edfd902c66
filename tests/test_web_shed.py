"""A busy worker answers 503 with Retry-After at once (`middleware.Shed`), on the real app over
the demo corpus: requests sent together, in one event loop, as a server hands them to it."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from healthqa.web.middleware import Shed
from tests.web import demo_site

ASK = "I have had a bad headache for three days, what should I do?"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Any:
    with demo_site(tmp_path_factory.mktemp("shed"), tally=False) as client:
        client.get("/api/v1/ask", params={"q": ASK})  # the index and the model loaded
        yield client.app


async def together(app: Any, *requests: tuple[str, str, dict[str, Any]]) -> list[httpx.Response]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        calls = [client.request(method, url, **options) for method, url, options in requests]
        return list(await asyncio.gather(*calls))


def ask(q: str = ASK) -> tuple[str, str, dict[str, Any]]:
    return ("GET", "/api/v1/ask", {"params": {"q": q}})


def test_asks_beyond_the_engine_queue_get_503_and_pages_still_answer(app: Any) -> None:
    shed = Shed(app, engine_slots=1, engine_queue=0, retry_after=3)
    first, second, home = asyncio.run(together(shed, ask(), ask("knee pain"), ("GET", "/", {})))
    assert first.status_code == 200 and first.json()["matches"]
    assert second.status_code == 503
    assert second.headers["retry-after"] == "3"
    assert second.json()["error"] == {"status": 503, "message": "Please try again in a moment."}
    assert home.status_code == 200
    assert shed.in_progress == shed.engine_running == shed.engine_waiting == 0


def test_an_ask_waits_for_a_free_slot_and_is_answered(app: Any) -> None:
    shed = Shed(app, engine_slots=1, engine_queue=1)
    responses = asyncio.run(together(shed, ask(), ask("knee pain"), ask("sore throat")))
    assert [r.status_code for r in responses] == [200, 200, 503]
    assert responses[1].json()["matches"]


def test_a_page_beyond_the_limit_gets_the_busy_page_with_the_disclaimer(app: Any) -> None:
    shed = Shed(app, limit=1)
    spanish = ("GET", "/topics", {"headers": {"accept-language": "es"}})
    first, second = asyncio.run(together(shed, ask(), spanish))
    assert first.status_code == 200
    assert second.status_code == 503 and second.headers["retry-after"] == "2"
    assert '<html lang="es"' in second.text
    assert "diagnóstico" in second.text  # the disclaimer, in the reader's language


def test_the_bare_ask_and_search_forms_are_not_engine_work(app: Any) -> None:
    shed = Shed(app, engine_slots=1, engine_queue=0)
    responses = asyncio.run(together(shed, ask(), ("GET", "/ask", {}), ("GET", "/search", {})))
    assert [r.status_code for r in responses] == [200, 200, 200]


def test_once_the_work_is_done_the_worker_takes_requests_again(app: Any) -> None:
    shed = Shed(app, engine_slots=1, engine_queue=0)
    asyncio.run(together(shed, ask(), ask()))
    again = asyncio.run(together(shed, ask()))
    assert again[0].status_code == 200
