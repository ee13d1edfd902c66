"""The meaning detector (healthqa.triage.meaning), measured and kept as an option: the bank
file, clause cutting, and a paraphrase no rule was written for, in context."""

from __future__ import annotations

from pathlib import Path

import pytest

from healthqa.triage import Level, TriageRulesError, triage
from healthqa.triage.meaning import clauses, default_bank, load_bank


def test_bank_loads_with_a_source_and_descriptions_per_flag() -> None:
    bank = default_bank()
    assert len(bank.flags) >= 50
    assert all(flag.source and flag.say for flag in bank.flags)
    assert set(bank.thresholds) == {Level.EMERGENCY, Level.URGENT}


def test_bad_bank_names_file_and_flag(tmp_path: Path) -> None:
    path = tmp_path / "bank.toml"
    path.write_text(
        '[settings]\nemergency = 0.8\nurgent = 0.8\n[[flag]]\nid = "x.y"\nname = "n"\n'
        'source = "s"\nlevel = "soon"\nsay = ["a"]\n',
        encoding="utf-8",
    )
    with pytest.raises(TriageRulesError, match=r"bank.toml: flag 'x.y': level"):
        load_bank(path)


def test_clauses_cut_sentences_and_long_runs() -> None:
    text = "hi there. my chest hurts but it is fine now; " + " ".join(["word"] * 40)
    spans = [text[a:b] for a, b in clauses(text)]
    assert spans[0] == "hi there" and "my chest hurts" in spans[1]
    assert all(len(s.split()) <= 18 for s in spans)


def test_a_paraphrase_is_found_and_context_still_counts() -> None:
    said = "his tummy pulls in right under his ribs every time he breathes"
    result = triage(said, meaning="default", model=None)
    assert any(f.rule == "infant.breathing" for f in result.flags)
    question = "what does it mean when the chest pulls in under the ribs?"
    asked = triage(question, meaning="default", model=None)
    assert all(f.rule != "infant.breathing" for f in asked.flags)
