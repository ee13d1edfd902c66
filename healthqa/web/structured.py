"""schema.org JSON-LD for an article page, typed by who answered it.

Search engines keep QAPage for pages where people submit answers (Google: "Users must be able
to submit answers to the question"). So:

- a page with at least one answer written on this site by an expert (`AnswerInfo.expert`) is a
  `QAPage`: every answer is a `suggestedAnswer` (nothing on the site marks one as accepted),
  with `upvoteCount` from its endorsements (each a verified expert's vote for it). A page that
  also shows a source's answers is a QAPage too: they are answers on it like any other,
  authored by their source;
- a page answered only by a source (imported answers, or a link out where the text is not
  stored) is a `MedicalWebPage` published by that source, its answers the page's main content.

Every string comes from the article and is shown on the page (`tests/test_web_structured_data`
checks it): the answers as the page shows their words, the focus as `about` with a medical type
only where `focus_category` says Disease or Drug. No review date is stored, so `lastReviewed` is
never given; `dateModified` is the question's "updated" date the page shows.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from healthqa.web import text
from healthqa.web.service import AnswerInfo, Article

CONTEXT = "https://schema.org"
ABOUT_TYPES = {"Disease": "MedicalCondition", "Drug": "Drug"}  # focus_category -> schema.org


def structured_data(article: Article, base: str) -> dict[str, Any]:
    """The page's JSON-LD: a QAPage where an expert answered, else a MedicalWebPage."""
    if any(a.expert for a in article.answers):
        return qa_page(article, base)
    return medical_web_page(article, base)


def qa_page(article: Article, base: str) -> dict[str, Any]:
    """Google's Q&A properties: the Question's name, text, answerCount, dateCreated and author,
    each answer's text, dateCreated, author, url and upvoteCount."""
    url = f"{base}{article.url}"
    question: dict[str, Any] = {
        "@type": "Question",
        "name": article.display_title,
        "text": article.body or article.display_title,
        "answerCount": len(article.answers),
        "dateCreated": text.iso(article.created),
        "suggestedAnswer": [_answer(a, article, url) for a in article.answers],
    }
    # An imported question is its source's, named where the page names the source (beside a
    # source's answer); askers on this site, whose questions only experts answer, stay anonymous.
    if not all(a.expert for a in article.answers):
        question["author"] = _source(article)
    page = {"@context": CONTEXT, "@type": "QAPage", "url": url, "mainEntity": question}
    return page | _about(article) | {"dateModified": text.iso(article.updated)}


def medical_web_page(article: Article, base: str) -> dict[str, Any]:
    """The source's page, republished here: its answers are the main content."""
    page: dict[str, Any] = {
        "@context": CONTEXT,
        "@type": "MedicalWebPage",
        "url": f"{base}{article.url}",
        "name": article.display_title,  # what the page's h1 says
        "datePublished": text.iso(article.created),
        "dateModified": text.iso(article.updated),
        "publisher": _source(article),
    }
    if article.question_type:
        page["aspect"] = article.question_type
    page |= _about(article)
    if source_url := _absolute(article.source_url):
        page["isBasedOn"] = source_url
    if article.answers:
        page["mainContentOfPage"] = [
            {
                "@type": "WebPageElement",
                "cssSelector": f"#a{a.id}",
                "text": _shown_text(a),
                "dateCreated": text.iso(a.created),
                "author": _author(a, article),
            }
            for a in article.answers
        ]
    elif source_url:
        page["significantLink"] = source_url  # "Read the answer on <source>"
    return page


def _answer(a: AnswerInfo, article: Article, url: str) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "@type": "Answer",
        "text": _shown_text(a),
        "dateCreated": text.iso(a.created),
        "url": f"{url}#a{a.id}",
        "author": _author(a, article),
        "upvoteCount": len(a.endorsed_by),
    }
    if a.edited:
        answer["dateModified"] = text.iso(a.edited)
    return answer


def _author(a: AnswerInfo, article: Article) -> dict[str, Any]:
    """A named person with a role (an expert, a source's clinician), else the source."""
    if not a.author_role:
        return {"@type": "Organization", "name": a.author or article.source.name}
    return {"@type": "Person", "name": a.author or article.source.name, "jobTitle": a.author_role}


def _source(article: Article) -> dict[str, Any]:
    organization = {"@type": "Organization", "name": article.source.name}
    if url := _absolute(article.source.url):
        organization["url"] = url
    return organization


def _about(article: Article) -> dict[str, Any]:
    if not article.focus:
        return {}
    kind = ABOUT_TYPES.get(article.focus_category or "", "Thing")
    return {"about": {"@type": kind, "name": article.focus}}


def _shown_text(a: AnswerInfo) -> str:
    """The answer's words as the page shows them: an expert's Markdown without its markup, an
    imported answer's paragraphs, headings and list items (without MedQuAD's " - " marks)."""
    return a.text if a.html is not None else "\n".join(text.lines(a.text))


def _absolute(url: str | None) -> str | None:
    """`url` if it is an absolute http(s) address (imported data may hold anything)."""
    parts = urlsplit(url or "")
    return url if parts.scheme in ("http", "https") and parts.netloc else None
