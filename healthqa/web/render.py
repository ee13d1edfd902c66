"""Templates: one Jinja2 environment with autoescape on for every template, the filters the
pages use, the limits and choices the forms offer (`limits`, `flag_reasons`: the library's own,
so a form never disagrees with the check behind it), and the structured data (schema.org
JSON-LD) search engines read."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from healthqa.ingest.records import LIMITS as RECORD_LIMITS
from healthqa.people import limits
from healthqa.people.moderating import FLAG_REASONS
from healthqa.search import ask
from healthqa.web import text
from healthqa.web.service import Article

HERE = Path(__file__).parent
STATIC = HERE / "static"
SITE_NAME = "healthqa"
# The limits forms render as maxlength and minlength, each read from where it is defined.
FORM_LIMITS: dict[str, int] = {
    **{name: value for name, value in vars(limits).items() if name.endswith("_CHARS")},
    "ASK_CHARS": ask.MAX_CHARS,  # what the search engine reads of a question
    "ID_CHARS": RECORD_LIMITS["id"],  # a question's id
}


def _asset_versions() -> dict[str, str]:
    """A short hash of each static file, added to its URL so browsers may cache it for long."""
    return {
        p.name: hashlib.blake2b(p.read_bytes(), digest_size=4).hexdigest()
        for p in STATIC.iterdir()
        if p.is_file()
    }


ASSETS = _asset_versions()


def static(name: str) -> str:
    return f"/static/{name}?v={ASSETS[name]}"


def day(when: datetime) -> str:
    """A date as a reader wants it: "6 January 2025"."""
    return f"{when.day} {when:%B %Y}"


def iso(when: datetime) -> str:
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).isoformat(timespec="seconds")


def json_script(data: Any) -> Markup:
    """JSON safe inside <script>: no '<', '>' or '&' can close the element or open a comment."""
    dumped = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        dumped = dumped.replace(char, escaped)
    dumped = dumped.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return Markup(dumped)  # noqa: S704 - every character that matters in HTML is escaped above


def qa_page(article: Article, base: str) -> dict[str, Any]:
    """schema.org QAPage data for an article (what search engines show as Q&A results)."""
    answers = [
        {
            "@type": "Answer",
            "text": a.text,
            "dateCreated": iso(a.created),
            "url": f"{base}{article.url}#a{a.id}",
            "author": {
                "@type": "Person" if a.author_role else "Organization",
                "name": a.author or article.source.name,
            },
        }
        for a in article.answers
    ]
    question: dict[str, Any] = {
        "@type": "Question",
        "name": article.title,
        "text": article.body or article.title,
        "answerCount": len(answers),
        "dateCreated": iso(article.created),
        "author": {"@type": "Organization", "name": article.source.name},
    }
    if answers:
        question["suggestedAnswer"] = answers
    return {"@context": "https://schema.org", "@type": "QAPage", "mainEntity": question}


def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        blocks=text.blocks,
        highlight=text.highlight,
        day=day,
        iso=iso,
        json_script=json_script,
        thousands=lambda n: f"{n:,}",
    )
    env.globals.update(
        static=static,
        site_name=SITE_NAME,
        qa_page=qa_page,
        limits=FORM_LIMITS,
        flag_reasons=FLAG_REASONS,
    )
    return env


ENV = environment()


def render(template: str, **context: Any) -> str:
    return ENV.get_template(template).render(**context)
