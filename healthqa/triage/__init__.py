"""Urgent-symptom triage: recognise an emergency in a health question and say what to do now.

`triage(text)` reads one consumer message and returns a `Triage`: a level (emergency, urgent,
routine), the red flags found, each with the words that triggered it, and the advice to show
before any answer. The red flags are data (`healthqa/triage_rules.toml`), and so are the phone
numbers (`healthqa/triage_contacts.toml`); this package is the engine:

1. `engine.normalize`: HTML, case, apostrophes ("can't" -> "cant") and common misspellings;
2. `rules`: each rule's patterns, precompiled, with literal strings that pre-select the rules a
   message can possibly fire (`_literals`);
3. `context`: a match counts unless its context says otherwise, in the manner of
   NegEx/ConText: negated ("no fever"), part of a question about the condition ("what are the
   signs of a stroke?"), in the past ("10 years ago"), about people in general or an animal;
4. `engine`: a rule fires when its finding counts and each of its `with` groups (other
   findings it needs, such as "pregnant") is present; the highest level wins;
5. `advice`: the words and numbers to show, per country.

Spanish and Chinese messages (`language`) are read by rules of their own (`rules_es.toml`,
`rules_zh.toml`, the English rules' ids); a message in another language is not checked.

docs/triage.md describes the rule format, how to add a rule or a country, and the limitations.
"""

import sys
from types import ModuleType
from typing import Any

from healthqa.triage.advice import (
    COUNTRY_ENV,
    ContactBook,
    Contacts,
    advise,
    default_contacts,
    load_contacts,
)
from healthqa.triage.engine import (
    MessageError,
    find_flags,
    normalize,
    restored,
    triage,
    triage_version,
)
from healthqa.triage.result import Advice, Level, RedFlag, Triage, batch_line
from healthqa.triage.rules import Rule, RuleSet, TriageRulesError, default_rules, load_rules

__all__ = [
    "COUNTRY_ENV",
    "Advice",
    "ContactBook",
    "Contacts",
    "Level",
    "MessageError",
    "RedFlag",
    "Rule",
    "RuleSet",
    "Triage",
    "TriageRulesError",
    "advise",
    "batch_line",
    "default_contacts",
    "default_rules",
    "find_flags",
    "load_contacts",
    "load_rules",
    "normalize",
    "restored",
    "triage",
    "triage_version",
]


class _CallablePackage(ModuleType):
    """`healthqa.triage` names both this package and the face's function: Python binds the
    package to that name whenever it is imported, so calling the package calls `triage`."""

    def __call__(self, text: str, country: str | None = None, **options: Any) -> Triage:
        return triage(text, country, **options)


sys.modules[__name__].__class__ = _CallablePackage
