"""The article pages' structured data (schema.org JSON-LD), read from the rendered pages as a
search engine reads it: the one `application/ld+json` script of each page, parsed.

A page answered only by a source is a MedicalWebPage published by that source; a page with an
answer written here by an expert is a QAPage (healthqa/web/structured.py says why). Each is
checked against the properties its documentation asks for, the types of their values (ISO 8601
times with an offset, absolute URLs, integers), and the page itself: every word of the JSON-LD
is shown on the page, and hostile text cannot leave the script element.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import lxml.html
import pytest
from fastapi.testclient import TestClient

from healthqa.people import accounts, answering, asking
from healthqa.people.audit import Actor
from healthqa.people.moderating import act_on_question
from healthqa.web.links import SiteLinks
from healthqa.web.render import json_script
from tests.web import ARTICLE, HOSTILE, demo_site, site_of

# Google Search Central, "Q&A (QAPage) structured data", Structured data type definitions
# (https://developers.google.com/search/docs/appearance/structured-data/qapage; read offline in
# the copy of its tables that next-seo's README keeps): the properties required for the rich
# result, then the recommended ones this site has data for, which it therefore always gives.
QA_REQUIRED = {
    "QAPage": {"mainEntity"},
    "Question": {"name", "answerCount", "acceptedAnswer|suggestedAnswer"},
    "Answer": {"text"},
}
QA_RECOMMENDED = {
    "Question": {"text", "dateCreated"},  # and author, but an asker here stays anonymous
    "Answer": {"dateCreated", "author", "url", "upvoteCount"},
}
# schema.org marks no property as required (https://schema.org/MedicalWebPage, with those of
# WebPage and CreativeWork it inherits) and Google has no MedicalWebPage feature: these are
# the site's own promise, in schema.org's names. The source publishes; its answers are the
# page's main content (mainContentOfPage: a WebPageElement, its text and where it is).
MEDICAL_REQUIRED = {
    "MedicalWebPage": {"url", "name", "publisher", "datePublished", "dateModified"},
    "WebPageElement": {"text", "cssSelector", "author"},
}
NAMED = {"Organization": {"name"}, "Person": {"name"}}  # Google: author.name
# schema.org's expected type of each property these pages use (Integer, Date or DateTime, URL,
# and the types a node under it may have).
INTEGERS = {"answerCount", "upvoteCount"}
TIMES = {"dateCreated", "datePublished", "dateModified"}
URLS = {"url", "isBasedOn", "significantLink"}
NODE_TYPES = {
    "mainEntity": {"Question"},
    "suggestedAnswer": {"Answer"},
    "author": {"Person", "Organization"},
    "publisher": {"Organization"},
    "mainContentOfPage": {"WebPageElement"},
    "about": {"MedicalCondition", "Drug", "Thing"},
}
TYPES = {"QAPage", "Question", "Answer", "MedicalWebPage", "WebPageElement", *NAMED}
NOT_WORDS = {"@context", "@type", "cssSelector"} | TIMES | URLS  # not text a reader sees

PASSWORD = "correct horse battery"
SETUP = Actor(None, "setup")
ASKED = "Can I take ibuprofen with my blood pressure tablets?"
DETAILS = "I take amlodipine every morning."
ANSWER = "Ask your **pharmacist** before you combine them.\n\n- bring the box of your tablets"
ANOTHER = "Ask your doctor about a *blood test* for anaemia."  # to demo-0003, beside the source's


@dataclass
class Pages:
    client: TestClient
    asked: str  # a question sent through the ask form and answered by an expert
    endorsed: int  # an expert's answer to a demo question, endorsed by another expert


def expert(client: TestClient, email: str, name: str, profession: str) -> accounts.Account:
    engine = site_of(client).engine
    account = accounts.add_user(engine, email, PASSWORD, "expert")
    profile = {"name": name, "profession": profession, "speciality": "General practice"}
    accounts.save_profile(engine, account.id, **profile, licence="X 1", country="Canada")
    accounts.verify(engine, SETUP, account.id)
    return account


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pages]:
    with demo_site(tmp_path_factory.mktemp("structured")) as client:
        kb, links = site_of(client), SiteLinks("http://testserver")
        nurse = expert(client, "nurse@example.org", "Kim Park", "Registered nurse")
        doctor = expert(client, "gp@example.org", "Omar Haddad", "Physician")
        sent = asking.submit(kb, ASKED, DETAILS, sender="test", confirm_new=True)
        act_on_question(kb.engine, SETUP, sent.id, "approve")
        answering.answer(kb, nurse, sent.id, ANSWER, links)
        endorsed, _ = answering.answer(kb, nurse, "demo-0003", ANOTHER, links)
        answering.endorse(kb.engine, doctor, endorsed)
        kb.catch_up()
        yield Pages(client, sent.id, endorsed)


# ----- reading a page as a search engine does -----


def page_of(client: TestClient, url: str) -> tuple[Any, dict[str, Any], str]:
    """The page's tree, its JSON-LD and the script element's raw text."""
    response = client.get(url, follow_redirects=True)
    assert response.status_code == 200, url
    tree = lxml.html.document_fromstring(response.text)
    scripts = tree.xpath('//script[@type="application/ld+json"]')
    assert len(scripts) == 1, url
    raw = scripts[0].text
    return tree, json.loads(raw), raw


def nodes(data: Any, key: str = "") -> Iterator[tuple[str, Any]]:
    """Every (property, value) pair, depth first; a list's items each under its property."""
    if isinstance(data, list):
        for item in data:
            yield from nodes(item, key)
        return
    yield key, data
    if isinstance(data, dict):
        for name, value in data.items():
            yield from nodes(value, name)


def shown_text(tree: Any) -> str:
    """What a reader sees of the page, without whitespace (the page and the JSON-LD break
    paragraphs differently)."""
    body = tree.body
    for hidden in body.xpath(".//script | .//style | .//template"):
        hidden.drop_tree()
    return re.sub(r"\s+", "", body.text_content())


def check(url: str, client: TestClient) -> dict[str, Any]:
    """The page's JSON-LD after every check that holds for any article page."""
    tree, data, raw = page_of(client, url)
    assert data["@context"] == "https://schema.org"
    kind = data["@type"]
    assert kind in ("QAPage", "MedicalWebPage")
    tables = (QA_REQUIRED, QA_RECOMMENDED) if kind == "QAPage" else (MEDICAL_REQUIRED,)
    required = {t: set().union(*(table.get(t, ()) for table in (*tables, NAMED))) for t in TYPES}
    words = shown_text(tree)
    for key, value in nodes(data):
        if isinstance(value, dict):
            assert "@type" in value, (url, key)
            if key:
                assert value["@type"] in NODE_TYPES[key], (url, key, value["@type"])
            for need in required.get(value["@type"], set()):
                assert any(name in value for name in need.split("|")), (url, value["@type"], need)
        elif key in INTEGERS:
            assert type(value) is int and value >= 0, (url, key, value)
        elif key in TIMES:
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", value), value
            assert datetime.fromisoformat(value).tzinfo is not None
        elif key in URLS:
            parts = urlsplit(value)
            assert parts.scheme in ("http", "https") and parts.netloc, (url, key, value)
        elif isinstance(value, str) and key not in NOT_WORDS:
            assert re.sub(r"\s+", "", value) in words, (url, key, value[:80])
    canonical = tree.xpath('//link[@rel="canonical"]/@href')
    assert data["url"] == canonical[0]
    for anchor in anchors(data):  # each answer the JSON-LD points at is on the page
        assert tree.get_element_by_id(anchor).get("class").startswith("card answer")
    assert "<" not in raw and ">" not in raw  # nothing can close the script or open a comment
    return data


def anchors(data: dict[str, Any]) -> list[str]:
    """The ids of the answers the JSON-LD points at, in its order."""
    points = [v for k, v in nodes(data) if k == "cssSelector"]
    points += [v.split("#", 1)[1] for k, v in nodes(data) if k == "url" and "#" in v]
    return [p.removeprefix("#") for p in points]


def answer_ids(client: TestClient, url: str) -> list[str]:
    tree = page_of(client, url)[0]
    return [a.get("id") for a in tree.xpath('//article[starts-with(@class, "card answer")]')]


# ----- the pages -----


def test_a_source_answered_article_is_a_medical_web_page_of_its_source(pages: Pages) -> None:
    data = check(ARTICLE, pages.client)
    assert data["@type"] == "MedicalWebPage"
    assert data["name"] == "Lower back pain since my IUD was put in — what should I do?"
    assert data["publisher"] == {
        "@type": "Organization",
        "name": "healthqa demo corpus",
        "url": "https://github.com/healthqa/healthqa",
    }
    content = data["mainContentOfPage"]
    assert anchors(data) == answer_ids(pages.client, ARTICLE)  # every answer, in page order
    assert content[0]["text"].startswith("Cramping and a dull lower back ache are common")
    assert content[0]["author"] == {
        "@type": "Person",
        "name": "Dr. Amara Okafor",
        "jobTitle": "Obstetrician-gynecologist (demo persona)",
    }
    assert data["aspect"] == "treatment"  # the question type
    assert "QAPage" not in json.dumps(data) and "lastReviewed" not in data  # no review date


@pytest.mark.parametrize(
    ("question", "about"),
    [
        ("demo-0025", {"@type": "MedicalCondition", "name": "Angina"}),  # focus_category Disease
        ("demo-0029", {"@type": "Drug", "name": "Sertraline"}),  # Drug
        ("demo-0001", {"@type": "Thing", "name": "Intrauterine device"}),  # Other
        ("GHR_0000001_Sec1", None),  # no focus in the data
    ],
)
def test_about_is_a_condition_or_a_drug_only_where_the_data_says(
    pages: Pages, question: str, about: dict[str, str] | None
) -> None:
    assert check(f"/q/{question}", pages.client).get("about") == about


def test_where_the_answer_is_not_stored_the_source_page_is_the_significant_link(
    pages: Pages,
) -> None:
    data = check("/q/ADAM_0000001_Sec1", pages.client)
    assert data["@type"] == "MedicalWebPage" and "mainContentOfPage" not in data
    source_page = "https://www.nlm.nih.gov/medlineplus/ency/article/000001.htm"
    assert data["significantLink"] == data["isBasedOn"] == source_page
    assert data["publisher"]["name"] == "A.D.A.M. Medical Encyclopedia (MedlinePlus)"


def test_a_question_answered_by_an_expert_of_the_site_is_a_qa_page(pages: Pages) -> None:
    url = f"/q/{pages.asked}"
    data = check(url, pages.client)
    assert data["@type"] == "QAPage"
    question = data["mainEntity"]
    assert (question["name"], question["text"]) == (ASKED, DETAILS)
    assert question["answerCount"] == len(question["suggestedAnswer"]) == 1
    assert "author" not in question  # the asker stays anonymous
    answer = question["suggestedAnswer"][0]
    assert (
        answer["text"]
        == "Ask your pharmacist before you combine them. bring the box of your tablets"
    )
    assert answer["author"] == {
        "@type": "Person",
        "name": "Kim Park",
        "jobTitle": "Registered nurse, General practice",
    }
    assert answer["url"].endswith(f"#{answer_ids(pages.client, url)[0]}")
    assert answer["upvoteCount"] == 0


def test_a_page_with_source_and_expert_answers_is_a_qa_page_of_all_its_answers(
    pages: Pages,
) -> None:
    """Decided: experts answer on this page, so it is a Q&A page; the source's answers are
    answers on it like the others, authored by their source's named clinician."""
    data = check("/q/demo-0003", pages.client)
    assert data["@type"] == "QAPage"
    question = data["mainEntity"]
    answers = question["suggestedAnswer"]
    assert question["answerCount"] == len(answers) == len(answer_ids(pages.client, "/q/demo-0003"))
    assert question["author"] == {
        "@type": "Organization",
        "name": "healthqa demo corpus",
        "url": "https://github.com/healthqa/healthqa",
    }
    votes = {a["url"].rsplit("#a", 1)[1]: a["upvoteCount"] for a in answers}
    assert votes.pop(str(pages.endorsed)) == 1  # one endorsement by another expert
    assert set(votes.values()) == {0}
    assert "acceptedAnswer" not in question  # nothing on the site accepts one answer


def test_every_article_page_has_structured_data_that_fits_it(pages: Pages) -> None:
    listed = pages.client.get("/api/v1/questions", params={"per_page": 100}).json()["items"]
    assert len(listed) > 50
    for item in listed:
        data = check(item["url"], pages.client)
        expert = pages.client.get(f"/api/v1/questions/{item['id']}").json()["answers"]
        assert (data["@type"] == "QAPage") == any(a["expert"] for a in expert), item["id"]


def test_hostile_text_cannot_leave_the_script_element(pages: Pages) -> None:
    data = check("/q/hostile-1", pages.client)  # check: no "<" or ">" in the element at all
    assert data["name"] == f"Is {HOSTILE} a rash?"
    assert data["mainContentOfPage"][0]["text"] == f"Rash answer {HOSTILE}"
    assert data["mainContentOfPage"][0]["author"]["name"] == HOSTILE
    html = pages.client.get("/q/hostile-1", follow_redirects=True).text
    assert html.count("<script") == 1  # the JSON-LD's own; the hostile one is text


def test_json_script_escapes_what_could_end_the_element_or_open_a_comment() -> None:
    hostile = "</script><!--<script>alert(1)</script>--> & \u2028\u2029 </SCRIPT >"
    dumped = str(json_script({"text": hostile}))
    assert not set(dumped) & set("<>&\u2028\u2029")
    assert json.loads(dumped) == {"text": hostile}
