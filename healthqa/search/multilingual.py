"""The multilingual index: each searchable question's display title, focus and synonyms,
embedded with multilingual-e5-small, so that a question asked in Spanish or Chinese finds the
English question that asks the same thing (issue 15).

It sits beside the English index and is used only for asks in another language: English asks
keep their path and speed. Vectors are cached in the database like MiniLM's (by model and exact
text), so a rebuild embeds only what changed.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable

from healthqa.encoder import Vectors
from healthqa.encoder.multilingual import MultilingualEmbedder, shared_multilingual
from healthqa.progress import progress
from healthqa.search.ask import AskError, AskResult, Match, Understanding, clean, match, why
from healthqa.search.documents import SearchDoc
from healthqa.search.index import SearchIndex
from healthqa.search.semantic import SemanticIndex, embed_cached

OVERFETCH = 3  # candidates per wanted match: room for the topic filter and same-titled ones
SYNONYMS = 4  # a few other names help a lay word match; many more only slow the build


def multilingual_text(doc: SearchDoc) -> str:
    """What the multilingual index embeds: the title as pages show it, then the focus and its
    first synonyms where the title does not already name them."""
    title = doc.display_title or doc.title
    names = [
        n for n in _unique((doc.focus, *doc.synonyms[:SYNONYMS])) if n.lower() not in title.lower()
    ]
    return f"{title} ({', '.join(names)})" if names else title


class MultilingualIndex:
    """Cosine search over the multilingual vectors of the searchable questions, following the
    English index: `follow` catches up with it whenever its version changed."""

    def __init__(self, embedder: MultilingualEmbedder) -> None:
        self.embedder = embedder
        self.semantic = SemanticIndex(embedder.dim)
        self.version: int | None = None  # of the English index last followed
        self._texts: dict[int, str] = {}
        self._lock = threading.Lock()

    @classmethod
    def of(cls, index: SearchIndex) -> MultilingualIndex:
        """The multilingual index of everything `index` searches."""
        found = cls(shared_multilingual())
        found.follow(index)
        return found

    def follow(self, index: SearchIndex) -> int:
        """Embed the questions new or changed in `index` since last time and drop the gone
        ones; returns how many changed. Cheap when the version is the same."""
        if self.version == index.version:
            return 0
        with self._lock:
            version, docs = index.version, {d.id: d for d in index.docs.values()}
            texts = {qid: multilingual_text(doc) for qid, doc in docs.items()}
            changed = [qid for qid, t in texts.items() if self._texts.get(qid) != t]
            gone = [qid for qid in self._texts if qid not in texts]
            with progress("embedding questions (multilingual)", total=len(changed)) as advance:
                wanted = [texts[qid] for qid in changed]
                vectors = embed_cached(index.engine, self.embedder, wanted, advance)
            self.semantic.upsert(changed, vectors, delete=gone)
            for qid in gone:
                del self._texts[qid]
            self._texts.update({qid: texts[qid] for qid in changed})
            self.version = version
            return len(changed) + len(gone)

    def query(self, text: str) -> Vectors:
        return self.embedder.query(text)

    def search(self, text: str, k: int) -> list[tuple[int, float]]:
        """The `k` questions closest to `text` in meaning, with their cosines."""
        return self.semantic.search(self.query(text), k)

    def __len__(self) -> int:
        return len(self.semantic)


def ask_in_language(
    index: SearchIndex,
    multilingual: MultilingualIndex,
    text: str,
    language: str,
    k: int = 10,
    topic: str | None = None,
) -> AskResult:
    """The `k` stored questions closest in meaning to `text`, written in `language` (not
    English): the multilingual index alone, since the English engine's words, foci and types
    do not read another language. Same-titled questions are shown once."""
    query, trimmed = clean(text)
    if not re.search(r"\w", query):
        raise AskError("the question is empty: type a few words about your health worry")
    index.refresh()
    multilingual.follow(index)
    hits = multilingual.search(query, min(len(multilingual), k * OVERFETCH) or k)
    chosen: list[Match] = []
    seen: set[str] = set()
    for qid, cosine in hits:
        doc = index.docs.get(qid)
        if doc is None or (topic and doc.topic != topic):
            continue
        title = doc.display_title.lower()
        if title not in seen:
            seen.add(title)
            chosen.append(match(doc, cosine, cosine, why(doc, None, None, [])))
        if len(chosen) == k:
            break
    understanding = Understanding([], [], {})
    return AskResult(query, trimmed, understanding, chosen, [query], None, language=language)


def _unique(names: Iterable[str]) -> list[str]:
    seen: dict[str, str] = {}
    for name in names:
        if name and name.lower() not in seen:
            seen[name.lower()] = name
    return list(seen.values())
