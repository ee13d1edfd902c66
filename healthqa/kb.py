"""The knowledge base as the CLI, the website and Python programs use it: the database, its
search index and the site's settings, read once, in one `KnowledgeBase`; and `ask`, the one
place where a question's matches and its triage are put together.

    import healthqa
    healthqa.ask("lower back pain since my IUD was put in, what should I do?")
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable, Sequence
from functools import cached_property

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import SQLAlchemyError

from healthqa import reading
from healthqa.config import Settings, load_settings
from healthqa.encoder import Embedder, Encoded, ModelError, site_embedder
from healthqa.ingest import ImportSummary, import_demo
from healthqa.ingest.topics import TopicRules, load_rules
from healthqa.ingest.write import fill_display_titles, sync_topics
from healthqa.language import ENGLISH, detect
from healthqa.parallel import forked_map
from healthqa.progress import progress
from healthqa.reading import Reading
from healthqa.screening import SpamRules, load_spam_rules
from healthqa.search.ask import AskResult
from healthqa.search.ask import ask as ask_index
from healthqa.search.documents import embed_text
from healthqa.search.index import SearchIndex
from healthqa.search.multilingual import MultilingualIndex, ask_in_language
from healthqa.search.semantic import embed_cached
from healthqa.store.db import connect, migrate
from healthqa.store.models import Question
from healthqa.store.queries import (
    KeptTriage,
    keep_grades,
    keep_triage,
    kept_grades,
    triage_texts,
)
from healthqa.triage import Triage, restored, triage, triage_version

log = logging.getLogger(__name__)
TRIAGE_BATCH = 256  # questions triaged and kept at once by `keep_triage_of_questions`
TRIAGE_CHUNK = 256 * TRIAGE_BATCH  # ... and embedded at once, before they are triaged


def open_kb(url: str | None = None, *, settings: Settings | None = None) -> Engine:
    """The database at `url` (default: the configured one), migrated, its topics in step with
    the site's topic rules, and every question with its display title (a base from before
    display titles gets them here, once)."""
    settings = settings or load_settings(database_url=url)
    engine = connect(settings.database_url)
    migrate(engine)
    with engine.begin() as conn:
        sync_topics(conn, load_rules(settings.topics_file))
    fill_display_titles(engine)
    return engine


def load_demo_if_empty(engine: Engine, rules: TopicRules | None = None) -> ImportSummary | None:
    """First start: an empty base gets the bundled demo corpus, so the site has content."""
    with engine.connect() as conn:
        if conn.scalar(select(func.count(Question.id))):
            return None
    return import_demo(engine, rules)


def open_index(
    engine: Engine, settings: Settings | None = None, *, rebuild: bool = False
) -> SearchIndex:
    """The search index over `engine`'s questions, built or caught up as needed."""
    settings = settings or load_settings(database_url=engine.url.render_as_string(False))
    return SearchIndex.open(engine, settings, rebuild=rebuild)


class KnowledgeBase:
    """One knowledge base and the site's settings, each read once: what every call that needs
    the country, the topic rules or the spam rules is handed. The search index is opened on
    first use (seconds on a large base) and shared by the threads of the process."""

    def __init__(
        self, engine: Engine, index: SearchIndex | None = None, settings: Settings | None = None
    ) -> None:
        self.engine = engine
        self.settings = settings or load_settings(
            database_url=engine.url.render_as_string(hide_password=False)
        )
        self._index = index
        self._index_lock = threading.Lock()
        self._multilingual: MultilingualIndex | None = None
        self._multilingual_lock = threading.Lock()

    @classmethod
    def open(cls, url: str | None = None) -> KnowledgeBase:
        """The configured knowledge base (or the one at `url`), migrated and ready."""
        settings = load_settings(database_url=url)
        return cls(open_kb(settings=settings), settings=settings)

    @property
    def index(self) -> SearchIndex:
        if self._index is None:
            with self._index_lock:
                if self._index is None:
                    self._index = open_index(self.engine, self.settings)
        return self._index

    @property
    def country(self) -> str | None:
        """Where the site's readers are: it picks the emergency numbers triage shows."""
        return self.settings.country

    @cached_property
    def topic_rules(self) -> TopicRules:
        return load_rules(self.settings.topics_file)

    @cached_property
    def spam_rules(self) -> SpamRules:
        return load_spam_rules(self.settings.spam_rules_file)

    def triage(self, text: str) -> Triage:
        """Triage `text` with the site's country."""
        return triage(text, self.country)

    def question_triage(self, question_id: int, text: str, kept: KeptTriage | None) -> Triage:
        """The triage of a stored question's `text`: the kept one when it was made of this text
        by this version of triage, else made now (the model embeds the text) and kept, for
        every worker and every later start. A question's page shows it on every first view."""
        key = question_triage_key(text, self.settings)
        if kept is not None and kept.key == key:
            return restored(kept.result, self.country)
        result = self.triage(text)
        try:
            keep_triage(self.engine, [(question_id, key, _without_advice(result))])
        except SQLAlchemyError as exc:  # the page is right all the same; the next view retries
            log.warning("could not keep the triage of question %s: %s", question_id, exc)
        return result

    def readings(self, texts: Sequence[str]) -> list[Reading | None]:
        """The reading levels of these answer texts: remembered in this process, else kept in
        the database (by any worker, or by `healthqa index`), else graded now and kept."""
        keys = [reading.key(t) for t in texts]
        unknown = [k for k in keys if not reading.remembered(k)[0]]
        if unknown:
            reading.remember(kept_grades(self.engine, unknown))
            self._grade_and_keep([(k, t) for k, t in zip(keys, texts, strict=True) if k in unknown])
        return [reading.reading(t) for t in texts]

    def _grade_and_keep(self, todo: list[tuple[str, str]]) -> None:
        new = {k: reading.grade(t) for k, t in todo if not reading.remembered(k)[0]}
        try:
            keep_grades(self.engine, new)
        except SQLAlchemyError as exc:  # the page is right all the same; the next view retries
            log.warning("could not keep %d reading grades: %s", len(new), exc)

    def keep_reading_grades(self, texts: Sequence[str]) -> int:
        """Grade and keep every text of `texts` not kept yet (`healthqa index` does this for
        every published answer, so that no page view has to); returns how many were graded."""
        keys = {reading.key(t): t for t in texts}
        kept = set(kept_grades(self.engine, list(keys)))
        todo = [(k, t) for k, t in keys.items() if k not in kept]
        with progress("grading answers", total=len(todo)) as advance:
            for start in range(0, len(todo), TRIAGE_BATCH):
                batch = todo[start : start + TRIAGE_BATCH]
                keep_grades(self.engine, {k: reading.grade(t) for k, t in batch})
                advance(len(batch))
        return len(todo)

    def keep_triage_of_questions(self, workers: int = 1) -> int:
        """Triage every published question whose kept triage is missing or out of date (the
        text or the triage version changed), embedding their texts in batches (in this
        process) and triaging them in `workers` forked processes (`forked_map`: from a
        command only); returns how many were triaged. `healthqa index` does this, so that no
        page view has to."""
        todo = []  # (question id, text, key, what to embed)
        for qid, title, body, kept in triage_texts(self.engine):
            text = question_text(title, body)
            key = question_triage_key(text, self.settings)
            if kept != key:
                todo.append((qid, text, key, _embedded(title, body, text)))
        with progress("triaging questions", total=len(todo)) as advance:
            for start in range(0, len(todo), TRIAGE_CHUNK):
                self._keep_triage(todo[start : start + TRIAGE_CHUNK], advance, workers)
        return len(todo)

    def _keep_triage(
        self,
        todo: list[tuple[int, str, str, str]],
        advance: Callable[[int], None],
        workers: int,
    ) -> None:
        embedder = _triage_embedder()
        vectors: list[Encoded | None] = [None] * len(todo)
        if embedder is not None:
            found = embed_cached(self.engine, embedder, [embed for *_, embed in todo])
            vectors = [Encoded(embedder.name, v) for v in found]
        triaged = [
            (qid, text, key, v) for (qid, text, key, _), v in zip(todo, vectors, strict=True)
        ]
        jobs = [triaged[n : n + TRIAGE_BATCH] for n in range(0, len(triaged), TRIAGE_BATCH)]
        for rows in forked_map(_triaged, jobs, workers):
            keep_triage(self.engine, rows)
            advance(len(rows))

    def ask(self, text: str, k: int = 10, topic: str | None = None) -> AskResult:
        """The best stored questions for `text`, with the triage of `text` itself.

        A message in a language the site reads (`languages` setting) other than English is
        searched in the multilingual index; English, and any language the site does not
        read, take the English engine. Triage reads the whole text as typed (an emergency
        may be past the part search reads) and reuses the search's sentence vector when
        search read all of it: one embedding."""
        language = detect(text).code
        if language != ENGLISH and language in self.settings.ask_languages:
            result = ask_in_language(self.index, self.multilingual, text, language, k, topic)
            result.triage = triage(text, self.country).to_dict()
            return result
        result = ask_index(self.index, text, k, topic)
        result.language = language
        vector = None if result.trimmed else result.vector
        result.triage = triage(text, self.country, vector=vector).to_dict()
        return result

    @property
    def multilingual(self) -> MultilingualIndex:
        """The multilingual index, built on first use (embedding only what is not cached)."""
        if self._multilingual is None:
            with self._multilingual_lock:
                if self._multilingual is None:
                    self._multilingual = MultilingualIndex.of(self.index)
        return self._multilingual


def question_text(title: str, body: str) -> str:
    """What triage reads of a stored question: its title, then the asker's words."""
    return f"{title}\n{body}"


def _triaged(
    batch: list[tuple[int, str, str, Encoded | None]],
) -> list[tuple[int, str, dict[str, object]]]:
    """Kept triages of stored questions: (question id, key, what is kept)."""
    return [(qid, key, _without_advice(triage(text, vector=v))) for qid, text, key, v in batch]


def _embedded(title: str, body: str, text: str) -> str:
    """What to embed for triage of a question's `text`: the words the search index embedded
    for it where they are all of `text` (the model reads a line break as a space, so the
    vector is the same and comes from the cache, one embedding for both), else `text`."""
    searched = embed_text(title, body)
    return searched if searched.split() == text.split() else text


def question_triage_key(text: str, settings: Settings) -> str:
    """What a kept triage of `text` holds for: the text, the triage version, and the sentence
    model the learned detector compares it with."""
    made_by = f"{triage_version()}\0{settings.model_path or ''}\0{text}"
    return hashlib.sha256(made_by.encode()).hexdigest()


def _without_advice(result: Triage) -> dict[str, object]:
    """What is kept of a triage: its flags and whether it was checked; the advice is the
    site's (its numbers follow the country) and is added when read back."""
    kept = result.to_dict()
    kept.pop("advice")
    return kept


def _triage_embedder() -> Embedder | None:
    """The model triage embeds messages with, or None when it cannot load (triage then goes
    without sentence vectors, as it does for one message)."""
    try:
        return site_embedder()
    except (ImportError, OSError, ModelError):
        return None


_open: dict[str, KnowledgeBase] = {}
_open_lock = threading.Lock()


def ask(text: str, k: int = 10, topic: str | None = None, *, db: str | None = None) -> AskResult:
    """The best stored questions for `text`, with the triage of `text` itself.

    Opens (once per process and database) the knowledge base at `db` or the configured one.
    """
    settings = load_settings(database_url=db)
    with _open_lock:
        kb = _open.get(settings.database_url)
        if kb is None:
            kb = KnowledgeBase(open_kb(settings=settings), settings=settings)
            _open[settings.database_url] = kb
    return kb.ask(text, k, topic)
