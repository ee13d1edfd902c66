"""Facts about the patient that change how urgent a finding is: a baby's age, a temperature,
pregnancy or the weeks after birth, surgery, chemotherapy, blood thinners, diabetes, old age.

NICE NG143 makes any fever an emergency under 3 months; NICE CG151 makes a temperature during
chemotherapy an emergency; NG51 counts pregnancy, the weeks after birth, recent surgery and a
weak immune system as sepsis risks; NICE NG232 sends a head injury on anticoagulants for a scan.
`facts()` finds these in a normalised message (not negated: "not pregnant", "no fever");
`contexts.toml` says which combinations raise the level (`modifiers.py`).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from healthqa.triage.context import Context

CONTEXTS_PATH = Path(__file__).with_name("contexts.toml")

_NUMBER_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "a": 1,
    "an": 1,
    "few": 3,
    "couple of": 2,
}
_COUNT = (
    r"(\d{1,3}(?:\.\d)?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
    r"a|an|few|couple of)"
)
_UNIT = {
    "day": 1 / 30,
    "d": 1 / 30,
    "week": 7 / 30,
    "wk": 7 / 30,
    "w": 7 / 30,
    "month": 1.0,
    "mth": 1.0,
    "mo": 1.0,
    "m": 1.0,
    "year": 12.0,
    "yr": 12.0,
    "y": 12.0,
}
# "my 6 week old", "6wk old", "a 10-day-old baby", "aged 2 months", "(2 months)", "baby is 5 weeks"
_AGE = re.compile(
    rf"(?<![a-z0-9.]){_COUNT}[ -]?(days?|d|weeks?|wks?|w|months?|mths?|mos?|m|years?|yrs?|y)"
    r"(?:[ -]?old| (?:baby|newborn|infant|son|daughter|boy|girl|grandson|granddaughter))"
)
_AGE_IS = re.compile(
    rf"(?:baby|newborn|infant|son|daughter|he|she|hes|shes|who|lo|little one)(?: is| was)? "
    rf"(?:only |just |nearly |almost )?{_COUNT} ?(days?|weeks?|wks?|months?|mths?)"
    r"\b(?! pregnant| ago)"
)
_AGE_PAREN = re.compile(rf"\(\s*{_COUNT} ?(days?|weeks?|wks?|months?|mths?|m|w|d)\s*\)")
# "born 7 weeks ago" gives the baby's age; "gave birth 3 days ago" is about the mother.
_BORN = re.compile(rf"(?<!gave )(?:born|arrived) {_COUNT} ?(days?|weeks?|wks?) ago")
_NEWBORN = re.compile(
    r"\b(?:newborn|new born|neonate|just born|born (?:yesterday|today|last night))\b"
)
_ADULT_AGE = re.compile(
    r"(?:(?<![\d.])(\d{2,3}) ?(?:years? old|yrs? old|yo|y/o|year-old)|\((\d{2,3})\)|aged (\d{2,3})|"
    r"in (?:his|her|their) (\d0)s)"
)
# Temperatures: a number in the range of a body temperature, with a unit or a fever word near.
_TEMPERATURE = re.compile(
    r"(?<![\d.])(3[4-9](?:\.\d{1,2})?|4[0-2](?:\.\d{1,2})?|9[5-9](?:\.\d{1,2})?|10[0-7](?:\.\d{1,2})?)"
    r" ?(?:°|º|degrees?|deg)? ?(c|f|celsius|fahrenheit|centigrade)?(?!\d|\.\d)"
)
_TEMPERATURE_CUE = re.compile(r"temp|fever|thermometer|°|degrees|hot|feverish|reading|burning up")
_FEVER_WORDS = re.compile(
    r"\b(?:fever\w*|feverish|febrile|high temp\w*|"
    r"temp(?:erature)? (?:of|is|was|went|keeps|spiked|hit|up)|"
    r"(?:has|had|got|running|with|a) (?:a )?(?:high |raised |slight )?temp(?:erature)?\b|"
    r"burning up|"
    r"(?:very |really |so )?hot to (?:the )?touch|spiked a temp|pyrexi\w*)"
)


@cache
def _simple_patterns() -> dict[str, re.Pattern[str]]:
    """The `[facts]` patterns of contexts.toml, compiled once."""
    data = tomllib.loads(CONTEXTS_PATH.read_text(encoding="utf-8"))
    return {name: re.compile(pattern) for name, pattern in data["facts"].items()}


@dataclass(frozen=True)
class Facts:
    """What the message says about the patient; `words` holds the text behind each fact."""

    names: frozenset[str]
    words: dict[str, str]
    infant_months: float | None
    temperature_c: float | None

    def has(self, name: str) -> bool:
        return name in self.names


# Findings of now: in the past ("a UTI last month made her confused"), in a question or about
# people in general they do not count. The others are states that last ("diabetic since 2010").
_NOW = frozenset({"confusion", "infection", "head_injury", "vomiting"})


def facts(ctx: Context) -> Facts:
    """The patient facts stated in the message of `ctx`, negated ones left out."""
    text = ctx.text
    words: dict[str, str] = {}
    for name, pattern in _simple_patterns().items():
        found = _affirmed(pattern, ctx, now=name in _NOW)
        if found is not None:
            words[name] = found
    months, age_words = _infant_age(text)
    if months is not None:
        words["infant"] = age_words
        if months < 3:
            words["infant_under_3_months"] = age_words
        elif months < 6:
            words["infant_3_to_6_months"] = age_words
    old = _older_adult(text)
    if old is not None:
        words["older_adult"] = old
    celsius, temperature_words = _temperature(text)
    if celsius is not None and celsius >= 38.0:
        words["fever"] = temperature_words
        if celsius >= 39.0:
            words["temperature_39"] = temperature_words
    if "fever" not in words:
        fever = _affirmed(_FEVER_WORDS, ctx, now=True)
        if fever is not None:
            words["fever"] = fever
    return Facts(frozenset(words), words, months, celsius)


def _affirmed(pattern: re.Pattern[str], ctx: Context, now: bool) -> str | None:
    """The first match that is not negated (and, for a finding of `now`, counts in context)."""
    for match in pattern.finditer(ctx.text):
        start, end = match.span()
        if now and ctx.suppressed(start, end) is None:
            return match[0]
        if not now and not ctx.negated(start, end, ctx.clause(start, end)):
            return match[0]
    return None


def _count(word: str) -> float:
    return float(_NUMBER_WORDS.get(word, word)) if word in _NUMBER_WORDS else float(word)


def _unit(word: str) -> float:
    return _UNIT[word.rstrip("s") if len(word) > 2 else word.rstrip("s") or word]


def _infant_age(text: str) -> tuple[float | None, str]:
    """The youngest age under 1 year the message gives (months), and the words."""
    best: tuple[float | None, str] = (None, "")
    for pattern in (_AGE, _AGE_IS, _AGE_PAREN, _BORN):
        for match in pattern.finditer(text):
            months = _count(match[1]) * _unit(match[2])
            if months < 12 and (best[0] is None or months < best[0]):
                best = (months, match[0])
    newborn = _NEWBORN.search(text)
    if newborn and (best[0] is None or best[0] > 0.5):
        best = (0.5, newborn[0])
    return best


def _older_adult(text: str) -> str | None:
    """An age of 65 or more ("my mum (79)", "82 year old", "in her 80s")."""
    for match in _ADULT_AGE.finditer(text):
        value = next(group for group in match.groups() if group)
        if 65 <= int(value) <= 110:
            return match[0]
    return None


def _temperature(text: str) -> tuple[float | None, str]:
    """The highest body temperature given, in Celsius, and its words."""
    best: tuple[float | None, str] = (None, "")
    for match in _TEMPERATURE.finditer(text):
        value, unit = float(match[1]), (match[2] or "")
        window = text[max(0, match.start() - 30) : match.end() + 15]
        if not unit and not _TEMPERATURE_CUE.search(window):
            continue
        if re.search(
            r"weeks?|wks?|pregnant|kg|lbs?|years?|bpm|mmol|mg", text[match.end() : match.end() + 8]
        ):
            continue
        celsius = (value - 32) * 5 / 9 if value >= 90 or unit.startswith("f") else value
        if best[0] is None or celsius > best[0]:
            best = (round(celsius, 1), match[0].strip())
    return best
