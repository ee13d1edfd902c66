"""Tests for healthqa.triage (the engine, rules, advice, batch files), its evaluation and
the `healthqa triage` / `healthqa eval triage` commands."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from healthqa.cli import app
from healthqa.formats.batch import BatchFileError, read_batch
from healthqa.formats.liveqa import read_questions as liveqa_questions
from healthqa.triage import (
    COUNTRY_ENV,
    Level,
    MessageError,
    TriageRulesError,
    batch_line,
    default_rules,
    load_contacts,
    load_rules,
    normalize,
    triage_version,
)
from healthqa.triage import triage as full_triage
from healthqa.triage.evaluate import (
    DATA,
    FAMILIES,
    EvalSetError,
    evaluate,
    load_blind,
    load_liveqa,
    load_team,
)
from healthqa.triage.result import Triage
from healthqa.triage.rules import RULES_PATH

LIVEQA_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "liveqa-med-train"

E, U, R = Level.EMERGENCY, Level.URGENT, Level.ROUTINE


def triage(text: str, country: str | None = None, **options: Any) -> Triage:
    """The rules and the context alone: these tests pin the rules' behaviour; the learned
    model has tests of its own (test_triage_learned.py)."""
    options.setdefault("model", None)
    return full_triage(text, country, **options)


def rules_fired(text: str) -> set[str]:
    return {flag.rule for flag in triage(text).flags}


# --- every rule family -------------------------------------------------------------------------

FAMILY_EXAMPLES = {
    "cardiac": [
        ("chest hurts and my left arm is numb", E, "cardiac.heart_attack"),
        ("I think I'm having a heart attack", E, "cardiac.heart_attack_named"),
        ("chest pain on and off today, it comes and goes", U, "cardiac.chest_pain"),
        ("my heart keeps racing and I feel dizzy", U, "cardiac.palpitations"),
    ],
    "stroke": [
        ("my dad's face is drooping and his speech is slurred", E, "stroke.fast"),
        ("sudden loss of vision in my right eye", E, "stroke.vision"),
    ],
    "breathing": [
        ("I can't breathe and my lips are blue", E, "breathing.severe"),
        ("asthma attack and my inhaler is not helping", E, "breathing.asthma_attack"),
        ("I've been short of breath since yesterday", U, "breathing.short_of_breath"),
        ("my toddler is choking on a grape", E, "breathing.choking"),
    ],
    "bleeding": [
        ("cut my hand and the bleeding won't stop", E, "bleeding.severe"),
        ("I'm vomiting blood", E, "bleeding.vomiting_blood"),
        ("I'm coughing up blood with this cold", U, "bleeding.coughing_blood"),
        ("black tarry poo for two days", U, "bleeding.gut"),
    ],
    "allergy": [
        ("ate peanuts and my throat is closing up", E, "allergy.anaphylaxis"),
        ("my lips are swelling after a new tablet, breathing is fine", U, "allergy.lip_swelling"),
    ],
    "consciousness": [
        ("my mum collapsed and is unresponsive", E, "consciousness.unresponsive"),
        ("I fainted at work this morning", U, "consciousness.fainted"),
    ],
    "seizure": [("my son is having a seizure", E, "seizure.now")],
    "mental": [
        ("I don't want to live anymore", E, "mental.suicidal"),
        ("I've been self harming again", U, "mental.self_harm"),
        ("he hears voices telling him to hurt himself", E, "mental.psychosis_harm"),
        ("I've saved up my tablets and written the letters", E, "mental.suicide_plan"),
    ],
    "poisoning": [
        ("my child drank some bleach", E, "poisoning.overdose"),
        ("my toddler chewed a dishwasher tablet, he seems fine", E, "poisoning.swallowed"),
        ("dad took his methotrexate every day instead of once a week", E, "poisoning.too_much"),
        (
            "we all have headaches and the carbon monoxide alarm went off",
            E,
            "poisoning.carbon_monoxide",
        ),
    ],
    "abdomen": [
        ("excruciating stomach pain, can't stand up", E, "abdomen.severe_pain"),
        ("pain in my lower right abdomen getting worse", U, "abdomen.right_lower_pain"),
        ("I can't pee at all since this morning", U, "abdomen.cant_pee"),
    ],
    "pregnancy": [
        ("8 weeks pregnant and bleeding heavily", E, "pregnancy.heavy_bleeding"),
        ("I'm pregnant and have some spotting", U, "pregnancy.bleeding"),
        ("positive pregnancy test and I have a Mirena IUD", U, "pregnancy.iud"),
        # RCOG: contact the maternity unit immediately
        ("32 weeks pregnant and the baby hasn't moved today", E, "pregnancy.reduced_movements"),
        ("6 weeks pregnant, one sided pain and I feel faint", E, "pregnancy.ectopic"),
    ],
    "gynae": [
        ("fever of 38.5 and pelvic pain since my IUD was put in", U, "gynae.pelvic_infection"),
        ("gave birth 4 days ago and soaking a pad every hour", E, "gynae.postpartum_bleeding"),
    ],
    "headache": [
        ("worst headache of my life, came on suddenly", E, "headache.thunderclap"),
        ("fever, stiff neck and a rash that doesn't fade", E, "headache.meningitis"),
    ],
    "infant": [
        # NICE NG143 red: the context raises the rule's urgent flag (test_triage_modifiers.py)
        ("my 6 week old has a temperature of 38.2", E, "infant.fever"),
        ("my baby is floppy and grunting", E, "infant.danger_signs"),
    ],
    "infection": [
        ("fever of 104 and confused", E, "infection.sepsis"),
        ("temperature of 40 and shivering uncontrollably", U, "infection.high_fever"),
    ],
    "diabetes": [
        ("my sugar is 35 and she's confused", E, "diabetes.hypo"),
        ("type 1, blood sugar 28.5 and I keep throwing up", E, "diabetes.ketoacidosis"),
    ],
    "injury": [
        ("hit my head and now I keep vomiting", E, "injury.head"),
        ("I think I broke my wrist", U, "injury.fracture"),
    ],
    "eye": [("my eye is painful and red and my vision is blurry", U, "eye.painful_red")],
    "urology": [("sudden severe pain in my testicle", E, "urology.testicular_pain")],
    "assault": [("I was raped last night", U, "assault.sexual")],
    "vascular": [
        ("my calf is swollen, red and painful after a long flight", U, "vascular.dvt"),
        ("suddenly short of breath and my calf is swollen", E, "vascular.pulmonary_embolism"),
    ],
}


def test_every_rule_family_has_examples() -> None:
    assert set(FAMILY_EXAMPLES) == set(default_rules().families)


@pytest.mark.parametrize(
    ("text", "level", "rule"),
    [example for examples in FAMILY_EXAMPLES.values() for example in examples],
)
def test_rule_family_examples(text: str, level: Level, rule: str) -> None:
    result = triage(text)
    assert result.level is level
    assert rule in {flag.rule for flag in result.flags}


def test_issue_examples() -> None:
    iud = triage("IUD put in 3 days ago, now fever 39 and terrible pelvic pain")
    assert iud.level is E
    assert {"abdomen.severe_pain", "gynae.pelvic_infection"} <= {f.rule for f in iud.flags}
    assert triage("chest hurts and my left arm is numb").level is E
    suicidal = triage("I don't want to live anymore")
    assert suicidal.level is E and suicidal.advice is not None
    assert suicidal.advice.action == "crisis_line"


def test_flags_carry_the_words_that_triggered_them() -> None:
    flag = next(f for f in triage("fever 39 and pelvic pain, IUD in").flags)
    assert flag.rule == "gynae.pelvic_infection"
    assert flag.matched == ("fever", "pelvic pain", "iud")
    assert flag.rationale and flag.name


# --- the tricky cases ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("no fever, no pain, my IUD went in yesterday", R),
        ("not bleeding, just a question about my 12 week scan, I'm pregnant", R),
        ("I haven't passed out or anything, just a bit lightheaded", R),
        ("pregnancy test was negative but my period is late and I have an IUD", R),
        ("never had a seizure before, my eyelid twitches", R),
        ("no chest pain, just a cough", R),
        ("I don't have a fever but I have crushing chest pain", E),  # negation has a scope
        ("no heavy bleeding, only spotting, 7 weeks pregnant", U),  # "only" ends it
        ("he's not breathing", E),  # a negative that is itself the finding
        ("I can't stop the bleeding", E),  # pseudo-negation
        ("I can't stop thinking about killing myself", E),
    ],
)
def test_negation(text: str, level: Level) -> None:
    assert triage(text).level is level


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("What are the signs of a stroke?", R),
        ("what are the warning signs of a heart attack in women", R),
        ("How do I know if someone is having a seizure?", R),
        ("Is chest pain always a sign of a heart attack?", R),
        ("Can you get pregnant with an IUD in?", R),
        ("I'm writing a school report on suicide prevention", R),
        ("What's the first aid for severe bleeding?", R),
        ("Are seizures in dogs dangerous?", R),
        ("What are the signs of a stroke? My dad's face is drooping", E),
        ("is this a heart attack? crushing pain in my chest", E),
    ],
)
def test_informational_questions(text: str, level: Level) -> None:
    assert triage(text).level is level


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("my husband has crushing chest pain", E),
        ("My son texted me that he wants to kill himself", E),
        ("my wife is 12 weeks pregnant and bleeding heavily", E),
        ("my 2 month old baby has a fever of 38.5", E),
        ("If someone is unconscious, what position should they be in?", R),
        ("My dog ate chocolate and is having a seizure", R),
    ],
)
def test_third_persons(text: str, level: Level) -> None:
    assert triage(text).level is level


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("cheast pain and my left arm is numm", E),
        ("i cant breath", E),
        ("my son is having a sezure", E),
        ("my wife is unconsious", E),
        ("sucidal thoughts all the time", E),
        ("i think im having a hart attack", E),
        ("pregnacy test positive with my iud in", U),
        ("signs of a strok?", R),
    ],
)
def test_misspellings(text: str, level: Level) -> None:
    assert triage(text).level is level


def test_spelling_corrections() -> None:
    assert normalize("Cheast PAIN &amp; <b>unconcsious</b>") == "chest pain &  unconscious "
    assert normalize("I can’t breathe") == "i cant breathe"
    assert normalize("blurred vision") == "blurred vision"  # a real word, not "slurred"


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("I had a heart attack 10 years ago, can I exercise?", R),
        ("My grandfather died of a stroke, am I at risk?", R),
        ("I had a seizure as a child but none since", R),
        ("When I was pregnant with my first I had heavy bleeding", R),
        ("I was suicidal in my twenties but I'm well now", R),
        ("had a heart attack 10 years ago and now crushing chest pain again", E),
        ("My friend had a baby last week and she's bleeding a lot", E),
        ("My IUD was put in last week, fever 38.8 and pelvic pain", U),
    ],
)
def test_time(text: str, level: Level) -> None:
    assert triage(text).level is level


def test_symptoms_that_have_passed_are_urgent_not_emergency() -> None:
    result = triage("my arm went weak for 10 minutes yesterday but it's fine now")
    assert result.level is U
    assert result.flags[0].rule == "stroke.fast"


# --- advice and countries --------------------------------------------------------------------


def test_advice_defaults_to_the_international_number(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(COUNTRY_ENV, raising=False)
    advice = triage("crushing chest pain").advice
    assert advice is not None
    assert advice.country == "INTL" and advice.emergency_number == "112"
    assert advice.action == "call_emergency"


def test_advice_per_country(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(COUNTRY_ENV, "US")
    advice = triage("I want to kill myself").advice
    assert advice is not None and advice.country == "US"
    assert "988" in advice.headline and advice.crisis_line
    gb = triage("I want to kill myself", country="uk").advice  # argument beats env, alias
    assert gb is not None and gb.country == "GB" and "116 123" in gb.headline
    unknown = triage("crushing chest pain", country="ZZ").advice
    assert unknown is not None and unknown.country == "INTL"


def test_urgent_advice_and_routine_has_none() -> None:
    urgent = triage("I fainted this morning", country="GB").advice
    assert urgent is not None and urgent.action == "see_doctor_today"
    assert "111" in urgent.headline
    assert triage("how much water should I drink?").advice is None


def test_every_listed_country_has_contacts() -> None:
    book = load_contacts()
    assert {"US", "GB", "CA", "AU", "IE", "IN", "DE", "FR"} <= set(book.countries)
    assert book.lookup("GB").emergency_number == "999"
    assert book.lookup("US").emergency_number == "911"


def test_to_dict_is_json_serialisable() -> None:
    result = triage("IUD put in 3 days ago, fever 39 and pelvic pain")
    data = json.loads(json.dumps(result.to_dict()))
    assert data["level"] == "urgent"
    assert data["flags"][0]["matched"] and data["advice"]["headline"]
    assert json.loads(json.dumps(triage("hello").to_dict())) == {
        "level": "routine",
        "flags": [],
        "advice": None,
        "checked": True,
        "language": "en",
    }


# --- bad input never crashes --------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "🙂😷🤒 " * 20,
        "<script>alert('chest pain')</script><p>hello</p>",
        "&lt;b&gt;unclosed <b <<< >>> &amp;&amp; &#0; &#x110000;",
        "\x00\x01 nul bytes",
        "crushing chest pain " + "a" * 50_000,
        "no " * 20_000,
        "chest pain. " * 4_000,
    ],
)
def test_bad_input_never_crashes(text: str) -> None:
    result = triage(text)
    assert result.level in Level
    json.dumps(result.to_dict())
    json.dumps(full_triage(text).to_dict())  # and through the learned model too


def test_empty_input_is_a_clear_error_not_a_crash() -> None:
    for text in ("", "   \n\t "):
        with pytest.raises(MessageError, match="the message is empty"):
            full_triage(text)


def test_html_is_read_as_text() -> None:
    assert triage("<p>My husband has <b>crushing</b> chest pain</p>").level is E


# --- rules files ----------------------------------------------------------------------------


def write_rules(tmp_path: Path, old: str, new: str) -> Path:
    text = RULES_PATH.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "rules.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_rules_have_rationale_and_source() -> None:
    for rule in default_rules().rules:
        assert rule.rationale and rule.source, rule.id


def test_broken_regex_names_file_and_rule(tmp_path: Path) -> None:
    path = write_rules(tmp_path, "find = ['(vomit", "find = ['((vomit")
    with pytest.raises(TriageRulesError) as info:
        load_rules(path)
    assert str(path) in str(info.value) and "bleeding.vomiting_blood" in str(info.value)


def test_invalid_toml_names_file(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text("[[rule]\nid = ", encoding="utf-8")
    with pytest.raises(TriageRulesError, match="rules.toml: not valid TOML"):
        load_rules(path)


@pytest.mark.parametrize(
    ("old", "new", "msg"),
    [
        ('level = "urgent"', 'level = "soon"', "level 'soon'"),
        ("find = ['@chest_pain']", "find = ['@chest_hurts']", "unknown concept '@chest_hurts'"),
        ('name = "Chest pain"', 'name = ""', "field 'name'"),
        ('id = "seizure.now"', 'id = "seizure"', "must look like 'family.name'"),
        ('id = "seizure.now"', 'id = "stroke.fast"', "duplicate id"),
        ("'pool of blood',", "'pool of blood', '.*',", "more than 250 characters"),
    ],
)
def test_invalid_rule_names_file_and_rule(tmp_path: Path, old: str, new: str, msg: str) -> None:
    path = write_rules(tmp_path, old, new)
    with pytest.raises(TriageRulesError, match=msg.replace("(", r"\(")) as info:
        load_rules(path)
    assert str(path) in str(info.value)


def test_missing_rules_file(tmp_path: Path) -> None:
    with pytest.raises(TriageRulesError, match="cannot read"):
        load_rules(tmp_path / "nowhere.toml")


def test_contacts_missing_field(tmp_path: Path) -> None:
    path = tmp_path / "contacts.toml"
    path.write_text('default = "XX"\n[country.XX]\nname = "X"\n', encoding="utf-8")
    with pytest.raises(TriageRulesError, match=r"\[country.XX\]: missing emergency_number"):
        load_contacts(path)


def test_custom_rules_file_is_used(tmp_path: Path) -> None:
    old, new = "  'unconscious', 'unresponsive',", "  'zonked out', 'unconscious',"
    path = write_rules(tmp_path, old, new)
    assert triage("he is zonked out", rules=load_rules(path)).level is E


# --- batch files ------------------------------------------------------------------------------


def test_batch_format(tmp_path: Path) -> None:
    path = tmp_path / "in.tsv"
    path.write_text(
        "id\ttext\n# a comment\n\nq1\tcrushing chest pain\nq2\twhat is a stroke?\n",
        encoding="utf-8",
    )
    rows = read_batch(path)
    assert rows == [("q1", "crushing chest pain"), ("q2", "what is a stroke?")]
    lines = [batch_line(message_id, triage(text)) for message_id, text in rows]
    assert lines == ["q1\temergency\tcardiac.heart_attack", "q2\troutine\t"]


def test_batch_bad_line_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "in.tsv"
    path.write_text("q1\tfine\nno tab here\n", encoding="utf-8")
    with pytest.raises(BatchFileError, match=r"in.tsv:2: expected id<TAB>text"):
        read_batch(path)


# --- evaluation -------------------------------------------------------------------------------


def test_blind_set_is_frozen_and_complete() -> None:
    """The blind set: 800 messages, half frozen as test (checksums), every level and family."""
    sums = (DATA / "SHA256SUMS").read_text(encoding="utf-8").split()
    for digest, name in zip(sums[::2], sums[1::2], strict=True):
        assert hashlib.sha256((DATA / name).read_bytes()).hexdigest() == digest, name
    dev, test = load_blind("dev"), load_blind("test")
    assert len(dev) + len(test) >= 600 and len(test) >= 0.4 * (len(dev) + len(test))
    ids = [m.id for m in dev + test]
    assert len(set(ids)) == len(ids)
    for half in (dev, test):
        assert {m.level for m in half} == {E, U, R}
        assert {m.family for m in half} == set(FAMILIES)
        assert all(m.guideline for m in half)
    second = load_blind("test2")  # six new authors, written after the first test was scored
    assert len(second) >= 600 and {m.level for m in second} == {E, U, R}
    assert not {m.id for m in second} & set(ids)


def test_blind_record_errors_name_file_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "set.jsonl"
    path.write_text(
        '{"id": "a", "level": "urgent", "family": "child", "text": "x"}\n'
        '{"id": "b", "level": "soon", "family": "child", "text": "x"}\n',
        encoding="utf-8",
    )
    with pytest.raises(EvalSetError, match=r"set.jsonl line 2: field 'level'"):
        load_blind("dev", path)


def write_liveqa(folder: Path) -> Path:
    folder.mkdir()
    (folder / "a.xml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<NLM-QUESTIONS>'
        '<NLM-QUESTION questionid="Q1"><SUBJECT>stroke</SUBJECT>'
        "<MESSAGE>What are the signs of a stroke?</MESSAGE></NLM-QUESTION>"
        '<NLM-QUESTION questionid="Q2"><SUBJECT></SUBJECT>'
        "<MESSAGE>My dad&apos;s face is drooping and his speech is slurred</MESSAGE>"
        "</NLM-QUESTION></NLM-QUESTIONS>",
        encoding="utf-8",
    )
    (folder / "b.xml").write_text(
        '\ufeff<?xml version="1.0" encoding="UTF-8"?>\r\n<NLM-QUESTIONS>'
        '<NLM-QUESTION qid="7.0"><SUBJECT>fever</SUBJECT>'
        "<MESSAGE>my 3 week old has a temperature of 38.4</MESSAGE></NLM-QUESTION>"
        "</NLM-QUESTIONS>",
        encoding="utf-8",
    )
    labels = folder / "labels.tsv"
    labels.write_text(
        "file\tquestionid\tlevel\tfamily\treason\n"
        "a.xml\tQ1\troutine\tbrain_nerves\ta question\n"
        "a.xml\tQ2\temergency\tbrain_nerves\tstroke signs\n"
        "b.xml\t7.0\temergency\tchild\tNG143 red\n",
        encoding="utf-8",
    )
    return folder


def test_liveqa_reads_both_file_formats_with_labels(tmp_path: Path) -> None:
    folder = write_liveqa(tmp_path / "liveqa")
    assert [q.id for q in liveqa_questions(folder)] == ["Q1", "Q2", "7.0"]
    messages = load_liveqa(folder, folder / "labels.tsv")
    report = evaluate("liveqa", messages, triage)
    assert [(o.message.id, o.got) for o in report.outcomes] == [
        ("a.xml:Q1", R),
        ("a.xml:Q2", E),
        ("b.xml:7.0", E),
    ]
    assert report.overall.figures()["emergency recall"] == 1.0


def test_liveqa_labels_cover_every_question() -> None:
    if not LIVEQA_DIR.is_dir():
        pytest.skip(f"LiveQA data not present at {LIVEQA_DIR}")
    messages = load_liveqa(LIVEQA_DIR)
    assert len(messages) == 446
    assert sum(m.level is E for m in messages) >= 1


def test_team_set_still_holds() -> None:
    """The team's own 380 messages, kept as a regression set (they cannot tell how good triage
    is: the same hand wrote them and the first rules)."""
    report = evaluate("team", load_team(), triage)
    figures = report.overall.figures()
    assert figures["emergency recall"] >= 0.95
    assert figures["routine flagged emergency"] <= 0.05


# --- command line -----------------------------------------------------------------------------

runner = CliRunner()


def test_cli_triage_text() -> None:
    result = runner.invoke(app, ["triage", "my husband has crushing chest pain", "--country", "GB"])
    assert result.exit_code == 0, result.output
    assert "EMERGENCY" in result.output and "Call 999 now." in result.output


def test_cli_triage_json() -> None:
    result = runner.invoke(app, ["triage", "what is a stroke?", "--json"])
    assert result.exit_code == 0
    assert json.loads(result.output) == {
        "level": "routine",
        "flags": [],
        "advice": None,
        "checked": True,
        "language": "en",
    }


def test_cli_triage_batch(tmp_path: Path) -> None:
    batch = tmp_path / "in.tsv"
    batch.write_text("a\tcrushing chest pain\nb\thello\n", encoding="utf-8")
    out = tmp_path / "out.tsv"
    result = runner.invoke(app, ["triage", "--batch", str(batch), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8").splitlines() == [
        "a\temergency\tcardiac.heart_attack",
        "b\troutine\t",
    ]
    stdout = runner.invoke(app, ["triage", "--batch", str(batch), "--json"])
    assert json.loads(stdout.stdout.splitlines()[0])["id"] == "a"


def test_cli_triage_usage_errors(tmp_path: Path) -> None:
    assert runner.invoke(app, ["triage"]).exit_code == 2
    bad = tmp_path / "bad.tsv"
    bad.write_text("no tab\n", encoding="utf-8")
    result = runner.invoke(app, ["triage", "--batch", str(bad)])
    assert result.exit_code == 1 and "line 1" in result.output


def test_cli_eval_triage(tmp_path: Path) -> None:
    folder = write_liveqa(tmp_path / "liveqa")
    result = runner.invoke(app, ["eval", "triage", "--liveqa", str(tmp_path / "absent")])
    assert result.exit_code == 0, result.output
    assert "triage, dev" in result.output and "triage, test" in result.output
    assert "LiveQA skipped" in result.output
    data = runner.invoke(app, ["eval", "triage", "--json", "--liveqa", str(folder)])
    assert data.exit_code == 1  # the small folder has no labels of its own
    assert "no label" in data.output or "cannot read" in data.output


def test_cli_eval_triage_hides_test_misses() -> None:
    data = runner.invoke(app, ["eval", "triage", "--json"])
    parsed = json.loads(data.stdout)
    assert set(parsed) >= {"dev", "test", "team"}
    assert "misses" in parsed["dev"] and "misses" not in parsed["test"]
    assert "misses" not in parsed["test2"]
    assert set(parsed["test"]["overall"]["figures"]) == {
        "emergency recall",
        "urgent flagged urgent or higher",
        "routine flagged emergency",
        "routine flagged urgent or higher",
    }


def test_check_fails_below_the_floors() -> None:
    """`healthqa eval triage --check` (CI) fails when a figure falls below this version's."""
    from healthqa.triage.evaluate import LabelledMessage, below_floors

    missed = LabelledMessage("x1", E, "child", "my knee hurts a bit")
    report = evaluate("test2", [missed], triage)
    assert any("test2: emergency recall 0.000" in f for f in below_floors({"test2": report}))
    assert below_floors({}) == []


def test_the_triage_version_leaves_out_only_files_that_exist_and_do_not_decide_flags() -> None:
    """Advice wording, contacts, training and evaluation are read afresh or never at triage:
    a change to them must not make every kept triage stale (a full re-triage takes minutes).
    The names must stay real files, or a rename would drop a deciding file silently."""
    from healthqa.triage import engine

    folder = Path(engine.__file__).parent
    assert all((folder / name).is_file() for name in engine._NOT_DECIDING)
    assert {"rules.toml", "red_flags.toml", "model.npz", "engine.py"}.isdisjoint(
        engine._NOT_DECIDING
    )
    assert len(triage_version()) == 24
