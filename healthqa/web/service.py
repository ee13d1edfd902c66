"""What each page shows, whatever renders it: each function returns one result that the HTML page
and its /api/v1 twin both serialise.

Only published questions are ever returned; a question sent through the ask form is stored as
pending for the experts and stays invisible here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any
from urllib.parse import quote

import numpy as np
from sqlalchemy import select

from healthqa import reading
from healthqa.errors import NotFound, Refused
from healthqa.kb import KnowledgeBase, question_text
from healthqa.language import ENGLISH
from healthqa.people import markup
from healthqa.people.answering import endorsers, verified_authors
from healthqa.reading import Reading
from healthqa.related import stored
from healthqa.related.lists import PAGE_K
from healthqa.search.ask import Match, Understanding
from healthqa.search.documents import (
    SearchDoc,
    ids_by_topic,
    neighbours_in_topic,
    question_types,
)
from healthqa.search.lexical import terms
from healthqa.store.models import Answer, Question, Source, Topic
from healthqa.store.queries import (
    QuestionNotFound,
    get_question,
    list_questions,
    list_sources,
    list_topics,
    published_article,
)
from healthqa.web import popular, text
from healthqa.web.site import Site

RELATED_K = PAGE_K
HOME_LIST = 8  # questions in each of the home page's lists
CLOSE_SCORE = 0.6  # below this the best match is not offered as "your question" (MedQuAD)
# The same for a question in another language (E5 cosine; E5's are all high). Set on the dev
# split of the language set: the lowest cosine at which the best match is the asker's question
# for at least 3 in 4 Spanish and Chinese messages (English gets 0.81 at CLOSE_SCORE); at 0.89
# Spanish 0.75 of 47% offered, Chinese 1.00 of 3% (its best match is right for 1 in 5 only).
MULTILINGUAL_CLOSE = 0.89
NO_IDS = np.zeros(0, dtype=np.int64)
SEARCH_DEPTH = 2_000  # lexical hits looked at for one search (filters apply to these)
# The longest `q` the pages and /api/v1/ask take (a 422 beyond); longer than what the engine
# reads (search.ask.MAX_CHARS), so a pasted message is trimmed and says so rather than refused.
QUERY_CHARS = 5_000
# Two neighbouring results this close are as good as equal, and the easier to read goes first
# (reading.prefer_easier; measured in docs/web.md): ask's scores (0 to about 1) by an absolute
# margin, what 0.01 of cosine similarity adds to them; search's BM25 scores, which grow with the
# query, by a share of the higher one.
ASK_TIE = 0.005
SEARCH_TIE = 0.01


class BadParameter(Refused):
    """A parameter's value cannot be used; the message says which and why."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(message, parameter)
        self.parameter = parameter


# ----- results -----


@dataclass(frozen=True)
class TopicInfo:
    slug: str
    name: str
    description: str
    questions: int
    url: str


@dataclass(frozen=True)
class SourceInfo:
    key: str
    name: str
    url: str | None
    licence: str | None
    attribution: str | None


@dataclass(frozen=True)
class QuestionLink:
    """A question in a list: its title, where it lives, and the start of its answer. Each
    result carries the `title` as the source wrote it and the `display_title` pages show."""

    id: str
    title: str
    display_title: str
    url: str
    topic: str
    question_type: str | None
    snippet: str


@dataclass(frozen=True)
class RelatedLink:
    id: str
    title: str
    display_title: str
    url: str
    snippet: str
    topic: str
    question_type: str | None
    reason: str  # healthqa.related.Reason: same focus, broader, ..., same topic
    why: str  # the reason in words ("Hypokalemic periodic paralysis: filed under ...")


@dataclass(frozen=True)
class AnswerInfo:
    """One answer. `html` is set for answers written on the site (Markdown, sanitised);
    `expert` says an expert's account wrote it, `verified` that a moderator checked them;
    `reading` is its reading level (None when too short to grade)."""

    id: int
    text: str
    author: str | None
    author_role: str | None
    source_url: str | None
    created: datetime
    html: str | None = None
    expert: bool = False
    verified: bool = False
    edited: datetime | None = None
    endorsed_by: list[str] = field(default_factory=list)
    reading: Reading | None = None


@dataclass
class Article:
    """One question's page: the question, every answer with its source, the neighbours in its
    topic, related questions, and the triage of the question's own words."""

    id: str
    title: str
    display_title: str
    slug: str
    url: str
    body: str
    focus: str
    focus_category: str | None  # Disease, Drug or Other, where the source says
    question_type: str | None
    topic: TopicInfo
    source: SourceInfo
    source_url: str | None
    created: datetime
    updated: datetime
    answers: list[AnswerInfo]
    previous: QuestionLink | None
    next: QuestionLink | None
    related: list[RelatedLink]
    triage: dict[str, Any]


@dataclass(frozen=True)
class Paging:
    page: int
    per_page: int
    total: int
    pages: int


@dataclass
class QuestionList:
    items: list[QuestionLink]
    paging: Paging


@dataclass
class TopicPage:
    topic: TopicInfo
    questions: QuestionList


@dataclass
class Home:
    """The home page. The first `popular_counted` of `popular` are the questions read most
    here over the last 30 days; the others come from the site's curated list."""

    topics: list[TopicInfo]
    recent: list[QuestionLink]
    popular: list[QuestionLink]
    popular_counted: int


@dataclass
class AskMatch(Match):
    """A match with its page and the reading level of its first answer."""

    url: str = ""
    reading: Reading | None = None


@dataclass
class Asked:
    """The answer engine's matches for what a person typed, with the triage of their words.

    `close` says whether the best match is close enough to offer as their question; when it is
    not, the page invites them to send the question to the experts."""

    query: str
    trimmed: bool
    understanding: Understanding
    matches: list[AskMatch]
    close: bool
    triage: dict[str, Any]
    read_as: list[str] = field(default_factory=list)  # the question(s) the engine read
    note: str | None = None  # what healthqa could not read, in a plain sentence
    language: str = "en"  # the language the question was read in (the answers are English)


@dataclass(frozen=True)
class SearchHit:
    id: str
    title: str
    display_title: str
    url: str
    passage: str
    topic: str
    source: str
    source_name: str
    question_type: str | None
    score: float
    reading: Reading | None = None  # of the first answer


@dataclass
class SearchResult:
    query: str
    terms: list[str]
    topic: str | None
    source: str | None
    question_type: str | None
    items: list[SearchHit]
    paging: Paging


@dataclass(frozen=True)
class Filters:
    """The values each search filter accepts."""

    topics: list[TopicInfo]
    sources: list[SourceInfo]
    question_types: list[str] = field(default_factory=list)


# ----- the functions -----


def question_url(external_id: str, title: str) -> str:
    """A question's page; the slug is made from its display title (an old slug redirects)."""
    return f"/q/{quote(external_id, safe=':')}/{text.slugify(title)}"


def shown_title(q: Question) -> str:
    """The title a page shows: the display title, or the stored one until it is computed."""
    return q.display_title or q.title


def article(site: Site, external_id: str) -> Article:
    """A published question's page. Two queries (the question with its kept triage, and its
    answers); the neighbours and related questions come from the search index in memory, and
    the triage of the question's words is the kept one (made once per text and triage version)."""
    q = published_article(site.engine, external_id)
    if q is None:
        raise NotFound(f"no question with id {external_id!r}")
    before, after = _neighbours(site, q.id, q.topic)
    return Article(
        id=q.external_id,
        title=q.title,
        display_title=q.display_title,
        slug=text.slugify(q.display_title),
        url=question_url(q.external_id, q.display_title),
        body=q.body,
        focus=q.focus,
        focus_category=q.focus_category,
        question_type=q.question_type,
        topic=topic_by_slug(site, q.topic),
        source=_source(q.source),
        source_url=q.source_url,
        created=q.created_at,
        updated=q.updated_at,
        answers=_shown_answers(site, q.answers),
        previous=before,
        next=after,
        related=related(site, q.id),
        triage=site.question_triage(q.id, question_text(q.title, q.body), q.triage).to_dict(),
    )


def answers(site: Site, external_id: str) -> list[AnswerInfo]:
    return _answers(site, _published(site, external_id))


def answers_for_asker(site: Site, external_id: str) -> list[AnswerInfo]:
    """A question's published answers, whatever the question's own status (private page)."""
    return _answers(site, get_question(site.engine, external_id))


def answer_by_id(
    site: Site, answer_id: int
) -> tuple[QuestionLink, AnswerInfo, int | None, str] | None:
    """A published answer with its question, its author's account id and its Markdown."""
    with site.engine.connect() as conn:
        external_id = conn.scalar(
            select(Question.external_id)
            .join(Answer, Answer.question_id == Question.id)
            .where(Answer.id == answer_id, Answer.status == "published")
        )
    if external_id is None:
        return None
    q = get_question(site.engine, external_id)
    found = next(a for a in _answers(site, q) if a.id == answer_id)
    row = next(a for a in q.answers if a.id == answer_id)
    return question_link(site, q), found, row.user_id, row.body


def related_to(site: Site, external_id: str, k: int = RELATED_K) -> list[RelatedLink]:
    return related(site, _published(site, external_id).id, k)


def related(site: Site, question_id: int, k: int = RELATED_K) -> list[RelatedLink]:
    """Other questions to read next: a page's list is the kept one (healthqa.related.stored:
    one query, made once per question and change); other lengths are computed and cached
    (`stored.listed`: on a base too large to hold, the kept one's start)."""
    items = stored.listed(site.index, question_id, k)
    return [
        RelatedLink(
            id=i.id,
            title=i.title,
            display_title=i.display_title,
            url=question_url(i.id, i.display_title),
            snippet=i.snippet,
            topic=i.topic,
            question_type=i.question_type,
            reason=i.reason,
            why=i.why,
        )
        for i in items
    ]


def topics(site: Site) -> list[TopicInfo]:
    """Every topic in display order, with its number of published questions."""

    def build() -> list[TopicInfo]:
        return [_topic(t, n) for t, n in list_topics(site.engine)]

    return site.cached("topics", build)


def topic_by_slug(site: Site, slug: str) -> TopicInfo:
    for topic in topics(site):
        if topic.slug == slug:
            return topic
    raise NotFound(f"no topic {slug!r}")


def questions(site: Site, topic: str | None, page: int, per_page: int) -> QuestionList:
    """Published questions, newest first, of one topic or all."""
    total = (
        topic_by_slug(site, topic).questions if topic else sum(t.questions for t in topics(site))
    )
    paging = _paging(page, per_page, total)
    found = list_questions(site.engine, topic=topic, limit=per_page, offset=(page - 1) * per_page)
    return QuestionList([question_link(site, q) for q in found], paging)


def topic_page(site: Site, slug: str, page: int, per_page: int) -> TopicPage:
    return TopicPage(topic_by_slug(site, slug), questions(site, slug, page, per_page))


def home(site: Site) -> Home:
    """Topics, the newest questions (kept per version of the knowledge base) and the popular
    ones (kept for a couple of minutes at most: reading counts change between versions)."""

    def build_recent() -> list[QuestionLink]:
        return [question_link(site, q) for q in list_questions(site.engine, limit=HOME_LIST)]

    def build_popular() -> tuple[list[QuestionLink], int]:
        found = popular.popular(site.engine, HOME_LIST, site.settings.featured_file)
        return [question_link(site, q) for q in found.questions], found.counted

    recent = site.cached("recent", build_recent)
    links, counted = site.cached("popular", build_popular, seconds=popular.REFRESH_SECONDS)
    return Home(topics(site), recent, links, counted)


def ask(site: Site, q: str, k: int = 10, topic: str | None = None) -> Asked:
    """The stored questions that ask what `q` asks (AskError when `q` or `k` is unusable)."""
    if topic is not None:
        _check_choice("topic", topic, [t.slug for t in topics(site)])
    site.version()  # catch the index up with the database
    result = site.ask(q, k, topic)
    levels = _first_answer_readings(site, [m.id for m in result.matches])
    matches = [
        AskMatch(
            **{f.name: getattr(m, f.name) for f in fields(Match)},
            url=question_url(m.id, m.display_title),
            reading=levels[m.id],
        )
        for m in result.matches
    ]
    matches = reading.prefer_easier(matches, grade_of=_grade, tied=_ask_tied)
    return Asked(
        query=result.query,
        trimmed=result.trimmed,
        understanding=result.understanding,
        matches=matches,
        close=bool(matches) and matches[0].score >= _close_score(result.language),
        triage=result.triage or {},
        read_as=result.read_as,
        note=result.note,
        language=result.language,
    )


def _close_score(language: str) -> float:
    """The score a best match needs to be offered as the asker's question: the English
    engine's scale, or the multilingual index's cosines (E5's are all high)."""
    return CLOSE_SCORE if language == ENGLISH else MULTILINGUAL_CLOSE


def search_filters(site: Site) -> Filters:
    def build() -> Filters:
        types = question_types(site.engine)
        return Filters(topics(site), [_source(s) for s in list_sources(site.engine)], types)

    return site.cached("filters", build)


def search(
    site: Site,
    q: str,
    *,
    topic: str | None = None,
    source: str | None = None,
    question_type: str | None = None,
    page: int = 1,
    per_page: int = 20,
) -> SearchResult:
    """Questions containing the words of `q` (BM25 over title, focus, asker's words and answer),
    optionally of one topic, source and question type."""
    query = " ".join(q.split())
    if not query:
        raise BadParameter("q", "type a word or two to search for")
    options = search_filters(site)
    if topic is not None:
        _check_choice("topic", topic, [t.slug for t in options.topics])
    if source is not None:
        _check_choice("source", source, [s.key for s in options.sources])
    if question_type is not None:
        _check_choice("type", question_type, options.question_types)
    words = terms(query)
    site.version()
    index = site.index
    hits = index.lexical.search(words, SEARCH_DEPTH)
    found = index.docs.fetch(i for i, _ in hits)
    docs = [
        (found[i], score)
        for i, score in hits
        if i in found
        and topic in (None, found[i].topic)
        and source in (None, found[i].source)
        and question_type in (None, found[i].question_type)
    ]
    paging = _paging(page, per_page, len(docs))
    start = (page - 1) * per_page
    shown = docs[start : start + per_page]
    levels = _first_answer_readings(site, [d.external_id for d, _ in shown])
    items = [
        SearchHit(
            id=d.external_id,
            title=d.title,
            display_title=d.display_title,
            url=question_url(d.external_id, d.display_title),
            passage=text.passage(d.answer or d.body, words),
            topic=d.topic,
            source=d.source,
            source_name=d.source_name,
            question_type=d.question_type,
            score=round(score, 3),
            reading=levels[d.external_id],
        )
        for d, score in shown
    ]
    # within the page, so that paging never shows a question twice or skips one
    items = reading.prefer_easier(items, grade_of=_grade, tied=_search_tied)
    return SearchResult(query, words, topic, source, question_type, items, paging)


# ----- helpers -----


def _published(site: Site, external_id: str) -> Question:
    try:
        q = get_question(site.engine, external_id)
    except QuestionNotFound:
        raise NotFound(f"no question with id {external_id!r}") from None
    if q.status != "published":
        raise NotFound(f"no question with id {external_id!r}")
    return q


def _paging(page: int, per_page: int, total: int) -> Paging:
    pages = max(1, math.ceil(total / per_page))
    if page > pages:
        raise NotFound(f"page {page} is past the last page ({pages})")
    return Paging(page, per_page, total, pages)


def _check_choice(parameter: str, value: str, choices: list[str]) -> None:
    if value not in choices:
        shown = ", ".join(choices[:30]) + (", ..." if len(choices) > 30 else "")
        raise BadParameter(parameter, f"unknown value {value!r}; one of: {shown}")


def question_link(site: Site, q: Question) -> QuestionLink:
    doc = site.index.docs.get(q.id)
    summary = q.body or (doc.answer if doc else "")
    return QuestionLink(
        id=q.external_id,
        title=q.title,
        display_title=shown_title(q),
        url=question_url(q.external_id, shown_title(q)),
        topic=q.topic.slug,
        question_type=q.question_type,
        snippet=text.snippet(summary, 160),
    )


def doc_link(doc: SearchDoc) -> QuestionLink:
    """`question_link` of a question as the search index holds it (no query)."""
    return QuestionLink(
        id=doc.external_id,
        title=doc.title,
        display_title=doc.display_title,
        url=question_url(doc.external_id, doc.display_title),
        topic=doc.topic,
        question_type=doc.question_type,
        snippet=text.snippet(doc.body or doc.answer, 160),
    )


def _neighbours(
    site: Site, question_id: int, topic: str
) -> tuple[QuestionLink | None, QuestionLink | None]:
    """The published questions just before and after `question_id` in its topic, by id: from
    the search index, which holds every published question (ids by topic, kept per version),
    or where the documents stay in the database, from it (two index look-ups: a million
    questions' ids, read again in each worker after every change, took a second)."""
    if site.index.semantic.in_database:
        before_id, after_id = neighbours_in_topic(site.engine, question_id)
    else:
        by_topic = site.cached("ids by topic", lambda: ids_by_topic(site.engine))
        ids = by_topic.get(topic, NO_IDS)
        at = int(np.searchsorted(ids, question_id))
        after = at + 1 if at < len(ids) and ids[at] == question_id else at
        before_id = int(ids[at - 1]) if at > 0 else None
        after_id = int(ids[after]) if after < len(ids) else None
    # one read for both (on PostgreSQL a round trip each otherwise)
    docs = site.index.docs.fetch([i for i in (before_id, after_id) if i is not None])
    before_doc, after_doc = docs.get(before_id or 0), docs.get(after_id or 0)
    return (
        doc_link(before_doc) if before_doc else None,
        doc_link(after_doc) if after_doc else None,
    )


def _topic(t: Topic, count: int) -> TopicInfo:
    return TopicInfo(t.slug, t.name, t.description, count, f"/topics/{t.slug}")


def _source(s: Source) -> SourceInfo:
    return SourceInfo(s.key, s.name, s.url, s.licence, s.attribution)


def _answers(site: Site, q: Question) -> list[AnswerInfo]:
    """The published answers; those by experts with their verification and endorsements."""
    return _shown_answers(site, [a for a in q.answers if a.status == "published"])


def _shown_answers(site: Site, shown: Sequence[Answer]) -> list[AnswerInfo]:
    """These answers as pages show them: those by experts with their verification and
    endorsements (two more queries, only when an expert wrote one)."""
    levels = site.readings([_reading_text(a.body, markdown=a.user_id is not None) for a in shown])
    by_experts = [a for a in shown if a.user_id is not None]
    if not by_experts:
        return [_answer(a, level) for a, level in zip(shown, levels, strict=True)]
    ids = [a.id for a in shown]
    verified = verified_authors(site.engine, [a.user_id for a in by_experts if a.user_id])
    endorsed = endorsers(site.engine, ids)
    return [
        _answer(a, level, a.user_id in verified, [e.name for e in endorsed.get(a.id, [])])
        for a, level in zip(shown, levels, strict=True)
    ]


def _answer(
    a: Answer, level: Reading | None, verified: bool = False, endorsed_by: list[str] | None = None
) -> AnswerInfo:
    if a.user_id is None:
        return AnswerInfo(
            a.id, a.body, a.author, a.author_role, a.source_url, a.created_at, reading=level
        )  # fmt: skip
    return AnswerInfo(
        a.id, markup.plain_text(a.body), a.author, a.author_role, a.source_url,
        a.created_at, markup.render_markdown(a.body), True, verified,
        a.edited_at if a.edited_at else None, endorsed_by or [], level,
    )  # fmt: skip


def _reading_text(body: str, *, markdown: bool) -> str:
    """What an answer's reading level is read from, block by block (a list item ends like a
    sentence): Markdown for the answers written on the site, plain text for imported ones."""
    blocks = markup.plain_blocks(body) if markdown else text.lines(body)
    return "\n".join(blocks)


def keep_reading_grades(site: KnowledgeBase) -> int:
    """Grade every published answer as its page reads it and keep the grades, so that no page
    view grades one (`healthqa index` does this); returns how many were graded."""
    query = (
        select(Answer.body, Answer.user_id)
        .join(Question, Question.id == Answer.question_id)
        .where(Answer.status == "published", Question.status == "published")
    )
    with site.engine.connect() as conn:
        texts = [_reading_text(b, markdown=u is not None) for b, u in conn.execute(query)]
    return site.keep_reading_grades(texts)


def _first_answer_readings(site: Site, external_ids: list[str]) -> dict[str, Reading | None]:
    """The reading level of each question's first published answer, the one its article
    shows first (None for a question without one)."""
    found: dict[str, Reading | None] = dict.fromkeys(external_ids)
    if not external_ids:
        return found
    with site.engine.connect() as conn:
        rows = conn.execute(
            select(Question.external_id, Answer.body, Answer.user_id)
            .join(Answer, Answer.question_id == Question.id)
            .where(Question.external_id.in_(external_ids), Answer.status == "published")
            .order_by(Question.external_id, Answer.position)
        )
        first: dict[str, tuple[str, bool]] = {}
        for external_id, body, user_id in rows:
            first.setdefault(external_id, (body, user_id is not None))
    texts = [_reading_text(body, markdown=markdown) for body, markdown in first.values()]
    found.update(zip(first, site.readings(texts), strict=True))
    return found


def _grade(item: AskMatch | SearchHit) -> float | None:
    return item.reading.grade if item.reading else None


def _ask_tied(upper: AskMatch, lower: AskMatch) -> bool:
    """Two matches as good as equal: scores within ASK_TIE, on the same side of CLOSE_SCORE
    (a match not close enough to offer as the asker's question never goes above one that is),
    and the lower about the condition asked if the upper is."""
    return (
        abs(upper.score - lower.score) <= ASK_TIE
        and (upper.score >= CLOSE_SCORE) == (lower.score >= CLOSE_SCORE)
        and (lower.why.focus is not None or upper.why.focus is None)
    )


def _search_tied(upper: SearchHit, lower: SearchHit) -> bool:
    """Two hits as good as equal: BM25 scores within SEARCH_TIE of the higher one."""
    return abs(upper.score - lower.score) <= SEARCH_TIE * max(upper.score, lower.score)
