"""The JSON API under /api/v1: the pages' results as JSON, paginated, with 4xx for bad input."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient


def get(client: TestClient, url: str, **params: Any) -> Any:
    response = client.get(url, params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    return response.json()


def test_ask_returns_matches_with_urls_and_the_triage(client: TestClient) -> None:
    result = get(client, "/api/v1/ask", q="lower back pain since my IUD was put in", k=3)
    assert len(result["matches"]) == 3
    top = result["matches"][0]
    assert top["id"] == "demo-0001" and top["url"].startswith("/q/demo-0001/")
    assert result["triage"]["level"] == "routine" and result["triage"]["advice"] is None
    urgent = get(client, "/api/v1/ask", q="chest hurts and my left arm is numb")
    assert urgent["triage"]["level"] == "emergency"
    assert urgent["triage"]["advice"]["headline"]


def test_question_is_the_article_page_as_json(client: TestClient) -> None:
    article = get(client, "/api/v1/questions/demo-0001")
    assert article["url"] == "/q/demo-0001/lower-back-pain-since-my-iud-was-put-in-what-should-i-do"
    assert article["source"]["name"] == "healthqa demo corpus"
    assert article["answers"][0]["text"].startswith("Cramping")
    assert article["topic"]["slug"] == "womens-health"
    assert 1 <= len(article["related"]) <= 10
    assert all(r["reason"] and r["why"] for r in article["related"])
    assert article["previous"] is None or article["previous"]["url"].startswith("/q/")
    assert get(client, "/api/v1/questions/demo-0001/answers") == article["answers"]
    related = get(client, "/api/v1/questions/demo-0001/related", k=3)
    assert [r["id"] for r in related] == [r["id"] for r in article["related"][:3]]


def test_lists_are_paginated(client: TestClient) -> None:
    first = get(client, "/api/v1/questions", per_page=5)
    assert len(first["items"]) == 5
    assert first["paging"] == {"page": 1, "per_page": 5, "total": 55, "pages": 11}
    second = get(client, "/api/v1/questions", per_page=5, page=2)
    assert not {q["id"] for q in first["items"]} & {q["id"] for q in second["items"]}
    topic = get(client, "/api/v1/topics/pregnancy", per_page=4)
    assert topic["topic"]["name"] == "Pregnancy and childbirth"
    assert topic["questions"]["paging"]["pages"] == 3
    only = get(client, "/api/v1/questions", topic="pregnancy", per_page=100)
    assert {q["topic"] for q in only["items"]} == {"pregnancy"} and len(only["items"]) == 10


def test_search_and_topics(client: TestClient) -> None:
    found = get(client, "/api/v1/search", q="syndrome", source="GHR")
    assert [h["id"] for h in found["items"]] == ["GHR_0000001_Sec1"]
    assert found["terms"] == ["syndrome"]
    topics = get(client, "/api/v1/topics")
    assert {"slug", "name", "description", "questions", "url"} <= set(topics[0])
    assert sum(t["questions"] for t in topics) == 55  # published only


def test_submitting_a_question_stores_it_pending(client: TestClient) -> None:
    response = client.post("/api/v1/questions", json={"title": "Is kombucha safe for kids?"})
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "pending" and body["id"].startswith("ask-")
    assert body["private_url"].endswith("/private/" + body["private_token"])
    assert client.get(f"/api/v1/private/{body['private_token']}").json()["status"] == "pending"
    assert client.get(f"/api/v1/questions/{body['id']}").status_code == 404
    assert client.post("/api/v1/questions", json={"title": " "}).status_code == 400
    assert client.post("/api/v1/questions", json={"title": "x" * 301}).status_code == 422
    assert client.post("/api/v1/questions", json={}).status_code == 422


@pytest.mark.parametrize(
    ("url", "status", "parameter"),
    [
        ("/api/v1/ask?q=back+pain&k=0", 422, "k"),
        ("/api/v1/ask?q=back+pain&k=101", 422, "k"),
        ("/api/v1/ask?q=", 400, None),
        ("/api/v1/ask?q=%20%20", 400, None),
        ("/api/v1/ask", 422, "q"),
        ("/api/v1/ask?q=pain&topic=nope", 400, "topic"),
        ("/api/v1/questions?page=-1", 422, "page"),
        ("/api/v1/questions?page=0", 422, "page"),
        ("/api/v1/questions?page=abc", 422, "page"),
        ("/api/v1/questions?per_page=1000", 422, "per_page"),
        ("/api/v1/questions?page=1000", 404, None),
        ("/api/v1/questions?topic=nope", 404, None),
        ("/api/v1/topics/nope", 404, None),
        ("/api/v1/questions/nope", 404, None),
        ("/api/v1/questions/nope/related", 404, None),
        ("/api/v1/questions/demo-0001/related?k=0", 422, "k"),
        ("/api/v1/search?q=", 400, "q"),
        ("/api/v1/search?q=pain&source=nope", 400, "source"),
        ("/api/v1/search?q=pain&type=nope", 400, "type"),
        ("/api/v1/nope", 404, None),
    ],
)
def test_bad_parameters_get_a_4xx_with_a_message(
    client: TestClient, url: str, status: int, parameter: str | None
) -> None:
    response = client.get(url)
    assert response.status_code == status
    error = response.json()["error"]
    assert error["status"] == status and len(error["message"]) > 10
    assert error.get("parameter") == parameter


def test_openapi_docs_are_served_locally(client: TestClient) -> None:
    spec = get(client, "/openapi.json")
    assert "/api/v1/ask" in spec["paths"] and "/q/{external_id}" not in spec["paths"]
    docs = client.get("/docs").text
    for path in ("/api/v1/ask", "/api/v1/search", "/api/v1/questions/{question_id}/related"):
        assert path in docs
    assert "≤ 100" in docs
