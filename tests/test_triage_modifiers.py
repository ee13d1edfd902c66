"""Context raises the level (healthqa.triage.facts and .modifiers): every modifier of
contexts.toml on its own example, and the same facts denied, past or asked about do not."""

from __future__ import annotations

from pathlib import Path

import pytest

from healthqa.triage import Level, TriageRulesError, default_rules, normalize
from healthqa.triage.context import Context
from healthqa.triage.engine import detect
from healthqa.triage.facts import facts
from healthqa.triage.modifiers import default_modifiers, load_modifiers

MODIFIERS = default_modifiers()


def found_facts(text: str) -> set[str]:
    rules = default_rules()
    return set(facts(Context(normalize(text), rules.cues)).names)


def raised(text: str) -> set[str]:
    return {flag.rule for flag in detect(text).flags if flag.family == "context"}


@pytest.mark.parametrize("modifier", MODIFIERS, ids=[m.id for m in MODIFIERS])
def test_every_modifier_raises_its_example(modifier) -> None:  # type: ignore[no-untyped-def]
    assert modifier.example, f"{modifier.id} has no example"
    assert modifier.id in raised(modifier.example)
    levels = {f.level for f in detect(modifier.example).flags if f.rule == modifier.id}
    assert levels == {modifier.level}


@pytest.mark.parametrize(
    ("text", "fact"),
    [
        ("my 6 week old", "infant_under_3_months"),
        ("my 6wk old", "infant_under_3_months"),
        ("a 10-day-old baby", "infant_under_3_months"),
        ("baby born 7 weeks ago", "infant_under_3_months"),
        ("our newborn", "infant_under_3_months"),
        ("baby (2 months)", "infant_under_3_months"),
        ("my 4 month old", "infant_3_to_6_months"),
        ("my mum (79)", "older_adult"),
        ("temperature of 38.1", "fever"),
        ("temp 101.3F", "fever"),
        ("39.4 degrees", "temperature_39"),
        ("burning up", "fever"),
        ("she is 30 weeks pregnant", "pregnant"),
        ("gave birth 5 days ago", "postpartum"),
        ("on apixaban", "anticoagulant"),
    ],
)
def test_facts_found(text: str, fact: str) -> None:
    assert fact in found_facts(text)


@pytest.mark.parametrize(
    ("text", "fact"),
    [
        ("she is 36 weeks pregnant", "infant_under_3_months"),  # gestation, not a baby's age
        ("I am not pregnant", "pregnant"),
        ("no fever", "fever"),
        ("temperature 36.8", "fever"),
        ("I weigh 101 kg", "fever"),
        ("my 14 yr old", "infant"),
        ("a UTI last month made her confused, she is fine now", "confusion"),
        ("if he gets a temperature what should I give", "fever"),
    ],
)
def test_facts_not_found(text: str, fact: str) -> None:
    assert fact not in found_facts(text)


def test_context_needs_every_fact() -> None:
    assert "context.infant_fever" not in raised("my 6 week old is feeding well")
    assert "context.infant_fever" not in raised("my 3 year old has a temperature of 38.5")
    assert "context.chemotherapy_fever" not in raised("finished chemo 2 years ago, all clear")


def test_above_needs_a_flag_at_that_level() -> None:
    assert "context.chemotherapy_unwell" not in raised("on chemo and feeling tired")


def test_a_raise_shows_its_reason_in_plain_words() -> None:
    flag = next(
        f for f in detect("my 6 week old has a temp of 38.2").flags if f.family == "context"
    )
    assert flag.name == "Fever in a baby under 3 months"
    assert flag.level is Level.EMERGENCY
    assert "NG143" in flag.rationale and "6 week old" in flag.matched


def test_bad_modifiers_file_names_file_and_entry(tmp_path: Path) -> None:
    path = tmp_path / "contexts.toml"
    path.write_text(
        '[[raise]]\nid = "context.x"\nname = "x"\nsource = "s"\nlevel = "urgent"\n'
        'when = ["moon"]\n',
        encoding="utf-8",
    )
    with pytest.raises(TriageRulesError, match=r"contexts.toml: raise 'context.x': field 'when'"):
        load_modifiers(path)


def test_a_temperature_at_the_end_of_a_sentence_counts() -> None:
    """A temperature followed by a full stop ("the thermometer says 38.4.") is a fever."""
    assert "fever" in found_facts("Tonight she feels warm and the thermometer says 38.4. No rash.")
    assert "fever" in found_facts("her temp is 101.2F.")
