"""The triage engine: normalise a message, fire the rules in context, pick the level."""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from dataclasses import dataclass, replace
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, Literal

from healthqa.encoder import Encoded, ModelError, site_embedder
from healthqa.errors import Refused
from healthqa.triage.advice import advise, unchecked
from healthqa.triage.context import Context
from healthqa.triage.facts import Facts, facts
from healthqa.triage.language import COVERED, fold, language
from healthqa.triage.learned import Model, default_model, learned_flag
from healthqa.triage.meaning import Meaning, Vectors, default_meaning
from healthqa.triage.modifiers import raise_flags
from healthqa.triage.result import Level, RedFlag, Triage
from healthqa.triage.rules import Rule, RuleSet, Span, Spelling, default_rules, language_rules

MAX_CHARS = 100_000  # far above any form's limit: a whole pasted document, not a message


class MessageError(Refused):
    """The message cannot be triaged: empty, or longer than MAX_CHARS."""


_TAGS = re.compile(r"<[^<>]{0,2000}>")
_QUOTES = str.maketrans({"'": None, "’": None, "‘": None, "`": None, "´": None, "\u00a0": " "})


def normalize(text: str, spelling: Spelling | None = None, language: str = "en") -> str:
    """Lower-case text without HTML or apostrophes, with known misspellings corrected.

    Spanish loses its accents too (people type "esta" for "está", "nino" for "niño", and the
    rules are written without them); Chinese full stops become ". " so that sentences end there.
    """
    if "<" in text or "&" in text:
        text = _TAGS.sub(" ", html.unescape(text))
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    text = text.lower().translate(_QUOTES)
    if language == "es":
        text = fold(text).translate(_SPANISH_MARKS)
    elif language == "zh":
        text = text.replace("。", ". ")
    return (spelling or default_rules().spelling).correct(text)


_SPANISH_MARKS = str.maketrans({"¿": " ", "¡": " "})


def _find(rule: Rule, ctx: Context, spans: list[Span]) -> re.Match[str] | None:
    """The first match of the rule's finding, within `spans`, that counts in its context."""
    for lo, hi in spans:
        for match in rule.find.finditer(ctx.text, lo, hi):
            start, end = match.span()
            if rule.unless is not None:
                clause = ctx.clause(start, end)
                if rule.unless.search(ctx.text, clause[0], clause[1]):
                    ctx.set_aside.add(f"{rule.family}={rule.level.value}:unless")
                    continue
            reason = ctx.suppressed(start, end)
            if reason is None:
                return match
            ctx.set_aside.add(f"{rule.family}={rule.level.value}:{reason}")
    return None


def _affirmed(pattern: re.Pattern[str], ctx: Context) -> str | None:
    """The first match of a `with` group that is not negated (cached per message)."""
    if pattern.pattern not in ctx.affirmed:
        ctx.affirmed[pattern.pattern] = None
        for match in pattern.finditer(ctx.text):
            start, end = match.span()
            if not ctx.negated(start, end, ctx.clause(start, end)):
                ctx.affirmed[pattern.pattern] = match[0]
                break
    return ctx.affirmed[pattern.pattern]


def _flag(rule: Rule, ctx: Context, spans: list[Span]) -> RedFlag | None:
    found = _find(rule, ctx, spans)
    if found is None:
        return None
    matched = [found[0]]
    for group in rule.with_:
        extra = _affirmed(group, ctx)
        if extra is None:
            return None
        matched.append(extra)
    words: list[str] = []
    for text in (m.strip() for m in matched):
        if not any(text in earlier for earlier in words):
            words.append(text)
    level = rule.level
    if level is Level.EMERGENCY and not rule.lasting and ctx.resolved(*found.span()):
        level = Level.URGENT  # passed symptoms still need a doctor today (NHS: TIA, chest pain)
    return RedFlag(rule.id, rule.name, tuple(words), rule.rationale, level, rule.crisis)


def _strongest_per_family(flags: list[RedFlag]) -> tuple[RedFlag, ...]:
    """Drop a flag when its family already has a higher-level one (chest pain < heart attack)."""
    top: dict[str, int] = {}
    for flag in flags:
        top[flag.family] = max(top.get(flag.family, 0), flag.level.rank)
    kept = [flag for flag in flags if flag.level.rank == top[flag.family]]
    return tuple(sorted(kept, key=lambda flag: -flag.level.rank))


MeaningChoice = Meaning | Literal["default"] | None
ModelChoice = Model | Literal["default"] | None


@dataclass(frozen=True)
class Findings:
    """What the rules, the meaning detector and the context found, before the learned model."""

    text: str
    flags: list[RedFlag]
    facts: Facts
    # For the learned model: findings the context set aside ("cardiac=emergency:past") and the
    # meaning detector's similarities.
    signals: set[str]


def detect(text: str, rules: RuleSet | None = None, meaning: MeaningChoice = None) -> Findings:
    """The rules' flags, the meaning detector's (unless `meaning` is None; "default" loads the
    packaged bank and model once) and the context's."""
    ruleset = rules or default_rules()
    ctx = Context(normalize(text, ruleset.spelling), ruleset.cues)
    candidates = ruleset.candidates(ctx.text)
    flags = [flag for rule, spans in candidates if (flag := _flag(rule, ctx, spans)) is not None]
    detector = default_meaning() if meaning == "default" else meaning
    signals = {f"aside:{why}" for why in ctx.set_aside}
    if detector is not None:
        reading = detector.read(ctx)
        flags.extend(reading.flags)
        signals |= reading.signals()
    found = facts(ctx)
    flags.extend(raise_flags(found, flags))
    return Findings(ctx.text, flags, found, signals)


def find_flags(
    text: str,
    rules: RuleSet | None = None,
    meaning: MeaningChoice = None,
    model: ModelChoice = None,
    vector: Encoded | None = None,
) -> tuple[RedFlag, ...]:
    """The red flags in `text`, most serious first (the learned model's too, unless None)."""
    findings = detect(text, rules, meaning)
    learner = default_model() if model == "default" else model
    flags = findings.flags
    if learner is not None:
        near = learner.neighbours
        usable = vector.vector if vector and near and vector.model == near.encoder else None
        if usable is None and near is not None:
            usable = message_vector(text, near.encoder)
        extra = learned_flag(learner, findings, flags, usable)
        if extra is not None:
            crisis = (rules or default_rules()).cues.crisis.search(findings.text) is not None
            flags = [*flags, replace(extra, crisis=crisis)]
    return _strongest_per_family(flags)


@lru_cache(maxsize=4096)
def message_vector(text: str, encoder: str) -> Vectors | None:
    """The message's sentence vector from the site's model, if that is the model `encoder`
    names (another model's vectors would not compare); None when no model can be loaded.
    Remembered per text: an article page triages the same question on every render."""
    try:
        embedder = site_embedder()
    except (ImportError, OSError, ModelError):
        return None
    if embedder.name != encoder:
        return None
    vector: Vectors = embedder.embed([text], batch_size=1)[0]
    return vector


def triage(
    text: str,
    country: str | None = None,
    *,
    rules: RuleSet | None = None,
    meaning: MeaningChoice = None,
    model: ModelChoice = "default",
    vector: Encoded | None = None,
) -> Triage:
    """Triage one message: its level, the red flags found, and the advice to show first.

    `country` (ISO code such as "GB") picks the phone numbers; without it the HEALTHQA_COUNTRY
    environment variable is used, else the international default (112). `vector` is the
    message's sentence vector when the caller has one (`ask` does): without it the learned
    model embeds the message once. `meaning="default"` adds the meaning detector (measured,
    not better: docs/triage.md); `model=None` leaves out the learned model.
    """
    if not text.strip():
        raise MessageError("the message is empty")
    if len(text) > MAX_CHARS:
        raise MessageError(
            f"the message has {len(text):,} characters; triage reads at most {MAX_CHARS:,}"
        )
    code = language(text)
    if code is not None and code in COVERED:
        return with_advice(language_flags(text, code), country=country, language=code)
    flags = find_flags(text, rules, meaning, model, vector)
    checked = bool(flags) or code == "en"
    return with_advice(flags, checked=checked, country=country, language="en")


def language_flags(text: str, code: str) -> tuple[RedFlag, ...]:
    """The red flags of a message in language `code` ("es", "zh"), most serious first: that
    language's rules in context. The learned model and the patient facts read English only;
    the rules say what they would add (a fever under 3 months, during chemotherapy)."""
    ruleset = language_rules(code)
    ctx = Context(normalize(text, ruleset.spelling, code), ruleset.cues)
    candidates = ruleset.candidates(ctx.text)
    flags = [flag for rule, spans in candidates if (flag := _flag(rule, ctx, spans)) is not None]
    return _strongest_per_family(flags)


def with_advice(
    flags: tuple[RedFlag, ...],
    *,
    checked: bool = True,
    country: str | None = None,
    language: str = "en",
) -> Triage:
    """The triage of a message in `language` with these `flags`, most serious first, and the
    advice for `country`; `checked` is False when triage could not read the message (its
    language is then None)."""
    level = flags[0].level if flags else Level.ROUTINE
    if not checked:
        return Triage(level, flags, unchecked(country), checked=False, language=None)
    return Triage(level, flags, advise(level, flags, country) if flags else None, True, language)


def restored(data: dict[str, Any], country: str | None = None) -> Triage:
    """A triage read back from what `Triage.to_dict()` wrote, with the advice for `country`:
    a kept triage needs only its flags (the advice and its numbers are the site's). One kept
    before triage read other languages has no `language`: it was English."""
    flags = tuple(RedFlag.from_dict(flag) for flag in data["flags"])
    checked = bool(data["checked"])
    code = data.get("language") or "en"
    return with_advice(flags, checked=checked, country=country, language=code)


_NOT_DECIDING = frozenset({"advice.py", "contacts.toml", "evaluate.py", "train.py"})


@cache
def triage_version() -> str:
    """A digest of what decides a message's flags: this package's code, rules and model (its
    evaluation data left out). A triage kept under another version is out of date. What only
    words the advice (read afresh with every kept triage) or trains and measures is left out,
    so a new phone number does not make every kept triage stale."""
    digest = hashlib.blake2b(digest_size=12)
    for path in sorted(Path(__file__).parent.iterdir()):
        if path.name in _NOT_DECIDING:
            continue
        if path.is_file() and path.suffix in (".py", ".toml", ".npz"):
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()
