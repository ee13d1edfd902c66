"""The real question of a message: what a person asks, without the greeting, story and thanks.

People write to a health site the way they write a letter: "Hi, my father has IBS and is losing
weight. Please help us with this problem. Thanks." `read_questions` keeps the sentences that
ask (a question mark, a question word first, or a cue such as "please tell me"), strips the
greeting in front of them, names the focus where a sentence only says "it", "this drug" or
"my condition", and splits a sentence that asks two things ("what is X and how is it
treated?"). Each question keeps the characters of the message it came from.

A pure function of the text and the focus names found in it (`FocusMatcher.match`); no model
and no database, so it costs well under a millisecond. See docs/understanding.md.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from healthqa.search.focus import FocusMatch

MAX_QUESTIONS = 4  # a message rarely asks more; each question costs a model call to rank
MIN_WORDS = 3  # a shorter "question" ("Why?") says nothing without its neighbours

# a sentence ends at . ? ! … or a line break (not "7.5"), or at a colon before a capital
# ("Plaquenil: Should I be concerned?" is a subject and its question)
_SENTENCE = re.compile(r"(?:[^.?!…:\n]|\.(?=\d)|:(?!\s+[A-Z]))+(?:[.?!…:]+|\n|$)")
_GREETING = re.compile(
    r"^\W*(?:(?:hi|hello|hey|hiya|greetings|sir|madam|dear(?:\s+(?:sir|madam|doctor|dr|team|all)\w*)*"
    r"|good\s+(?:morning|afternoon|evening)|urgent(?:\s+enquiry|\s+inquiry)?)\b[\s,:;!-]*)+",
    re.IGNORECASE,
)
_THANKS = re.compile(
    r"^\s*(?:thanks?|thank\s+you|many\s+thanks|regards|best\s+wishes|sincerely|cheers|god\s+bless"
    r"|your\s+\w+\s+(?:reply|response|help)|any\s+(?:reply|response)\s+would)\b"
    r"|\b(?:appreciated?|thanks?\s+(?:you\s+)?in\s+advance)\W*$",
    re.IGNORECASE,
)
_ASKING_START = re.compile(
    r"^\s*(?:what|whats|what's|how|why|where|when|which|who|whom|whose|is|are|am|was|were|can|"
    r"could|do|does|did|should|shall|will|would|may|might|have|has|had|any|anything)\b",
    re.IGNORECASE,
)
_ASKING_CUE = re.compile(
    r"\b(?:i\s+(?:want|would\s+like|wish|need|am\s+trying|am\s+looking|was\s+hoping)\s+to\s+"
    r"(?:know|find\s+out|enquire|inquire|ask|learn|understand|get)"
    r"|(?:please|pls|plz)\s+(?:tell|help|advise|let|suggest|send|explain|give|inform|provide)"
    r"|(?:can|could|would)\s+you|looking\s+for\s+(?:information|info|help|advice|a\s+cure)"
    r"|(?:information|info|advice|details)\s+(?:on|about|regarding|concerning|for)"
    r"|i\s+(?:wonder|am\s+wondering|was\s+wondering)|tell\s+me|let\s+me\s+know|need\s+help"
    r"|is\s+there\s+(?:a|any)|are\s+there\s+any)\b",
    re.IGNORECASE,
)
# "What is X and how is it treated?": a second question joined by "and"/"or"/";"
_SECOND_QUESTION = re.compile(
    r"(?:[,;]\s*|\s+)(?:and|or|also)\s+(?=(?:what|how|why|where|when|which|who|is|are|can|"
    r"could|do|does|should|will|would)\b)|;\s+",
    re.IGNORECASE,
)
# "Please help me.", "Can you help??": asks for help, says nothing of what about
_PLEA = re.compile(
    r"^\W*(?:(?:can|could|would|will)\s+(?:you|u)\s+)?(?:please\s+|pls\s+|plz\s+)?"
    r"(?:help|advise|suggest)(?:\s+(?:me|us|please))*\W*$",
    re.IGNORECASE,
)
# Words that stand for the focus named earlier, replaced by its name ("it" and "this" are not:
# "is it time to call the doctor?" reads wrong as "is urinary retention time to ...")
_STAND_IN = re.compile(
    r"\b(?:this|that|the|my|his|her|their|our|your)\s+(?:condition|disease|illness|disorder|"
    r"syndrome|problem|drug|medication|medicine|med|pill|infection|cancer|diagnosis|procedure|"
    r"surgery|test|vaccine|treatment)\b",
    re.IGNORECASE,
)


# Words nearly every English sentence of four words or more uses; a message with none of them
# is most likely in another language (the engine and its knowledge base read English only)
_ENGLISH = frozenset(
    "a an the i my me you your he she his her we our they it is are am was were be been do does "
    "did have has had can could should would will what how why when where which who of to in "
    "on for with and or not no from about this that after".split()
)
NOT_ENGLISH = (
    "This does not look like English. healthqa reads questions in English only, so the "
    "matches below may be off: try asking in English."
)


def unread(text: str) -> str | None:
    """A plain sentence saying what healthqa could not read in `text`, or None: said of a
    message of four words or more none of which is a common English word."""
    words = re.findall(r"\w+", text.lower())
    if len(words) >= 4 and not _ENGLISH.intersection(words):
        return NOT_ENGLISH
    return None


@dataclass(frozen=True)
class Extracted:
    """One question a message asks: `text` as the engine reads it (the focus named where the
    sentence only says "it"), `start:end` the characters of the message it came from, and the
    focus it is about (None when the message names none)."""

    text: str
    start: int
    end: int
    focus: str | None


def read_questions(text: str, foci: Sequence[FocusMatch]) -> list[Extracted]:
    """The questions `text` asks, in the order asked, at most MAX_QUESTIONS; `foci` are the
    focus names found in `text` (`FocusMatcher.match(text)`), best first. A message with no
    asking sentence is read as its sentences that name a focus, else as itself."""
    parts = [p for s in _sentences(text) for p in _split(text, *s)]
    asking = [p for p in parts if _asks(text[p[0] : p[1]])]
    chosen = _distinct(text, asking) or _distinct(text, [p for p in parts if _names(foci, *p)])
    if not chosen:
        stripped = _without_greeting(text, 0, len(text))
        return [Extracted(text[stripped[0] : stripped[1]], *stripped, _best(foci, len(text)))]
    return [_resolved(text, start, end, foci) for start, end in chosen[:MAX_QUESTIONS]]


def _sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans, greeting stripped; thanks and sign-offs dropped."""
    spans = []
    for m in _SENTENCE.finditer(text):
        start, end = _without_greeting(text, m.start(), m.end())
        sentence = text[start:end]
        if sentence and not _THANKS.search(sentence) and re.search(r"\w", sentence):
            spans.append((start, end))
    return spans


def _without_greeting(text: str, start: int, end: int) -> tuple[int, int]:
    sentence = text[start:end]
    greeting = _GREETING.match(sentence)
    if greeting and greeting.end() < len(sentence.rstrip()):
        start += greeting.end()
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _split(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """A sentence that asks two things, as two parts (each long enough to stand alone)."""
    if "?" not in text[start:end]:  # "my father has IBS and is losing weight" asks nothing
        return [(start, end)]
    pieces = []
    for m in _SECOND_QUESTION.finditer(text, start, end):
        if len(text[start : m.start()].split()) >= MIN_WORDS:
            pieces.append((start, m.start()))
            start = m.end()
    return [*pieces, (start, end)]


def _asks(sentence: str) -> bool:
    if len(sentence.split()) < MIN_WORDS or _PLEA.match(sentence):
        return False
    return "?" in sentence or bool(_ASKING_START.match(sentence) or _ASKING_CUE.search(sentence))


def _names(foci: Sequence[FocusMatch], start: int, end: int) -> bool:
    return any(start <= f.start and f.end <= end for f in foci)


def _distinct(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Spans whose words differ: a subject line repeated as the message's first sentence (often
    cut with "…") counts once, as the longer copy."""
    kept: list[tuple[int, int]] = []
    keys: list[str] = []
    for start, end in spans:
        key = " ".join(re.findall(r"\w+", text[start:end].lower()))
        same = next((i for i, k in enumerate(keys) if key.startswith(k) or k.startswith(key)), None)
        if same is None:
            kept.append((start, end))
            keys.append(key)
        elif len(key) > len(keys[same]):
            kept[same], keys[same] = (start, end), key
    return sorted(kept)


def _best(foci: Sequence[FocusMatch], before: int) -> str | None:
    """The best-scored focus named before character `before`, else the best one at all."""
    earlier = [f for f in foci if f.start < before]
    best = earlier[0] if earlier else (foci[0] if foci else None)  # foci come best first
    return best.focus if best else None


def _resolved(text: str, start: int, end: int, foci: Sequence[FocusMatch]) -> Extracted:
    """The question of `text[start:end]` with the focus named: in place of a stand-in ("it",
    "this drug"), else in front ("Lupus: should I be concerned?")."""
    sentence = text[start:end]
    own = [f for f in foci if start <= f.start and f.end <= end]
    if own:
        return Extracted(sentence, start, end, own[0].focus)
    focus = _best(foci, start)
    if focus is None:
        return Extracted(sentence, start, end, None)
    named, replaced = _STAND_IN.subn(focus, sentence, count=1)
    return Extracted(named if replaced else f"{focus}: {sentence}", start, end, focus)
