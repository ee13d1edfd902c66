"""The TREC 2017 LiveQA medical XML reader: both files' layouts, refused questions, bad files."""

from __future__ import annotations

from pathlib import Path

import pytest

from healthqa.formats.liveqa import (
    LiveQAError,
    LiveQAQuestion,
    QuestionRefused,
    SubQuestion,
    read_file,
    read_questions,
    xml_files,
)

QUESTION = """<NLM-QUESTION questionid="Q1"><SUBJECT> Body Lice </SUBJECT>
<MESSAGE>How do I get rid
of these little devils?</MESSAGE>
<SUB-QUESTIONS><SUB-QUESTION><ANNOTATIONS><FOCUS>body
  lice</FOCUS><TYPE>Treatment</TYPE></ANNOTATIONS>
<ANSWERS><ANSWER> Wash the clothes. </ANSWER><ANSWER> </ANSWER><ANSWER>See a doctor.</ANSWER>
</ANSWERS></SUB-QUESTION></SUB-QUESTIONS></NLM-QUESTION>"""


def xml(path: Path, *questions: str, bom: str = "") -> Path:
    path.write_text(
        f'{bom}<?xml version="1.0" encoding="UTF-8"?>\r\n<NLM-QUESTIONS>'
        + "".join(questions)
        + "</NLM-QUESTIONS>",
        encoding="utf-8",
    )
    return path


def test_a_question_with_its_annotations_and_answers(tmp_path: Path) -> None:
    file = xml(tmp_path / "a.xml", QUESTION)
    found = read_file(file)
    assert found.refused == ()
    assert found.questions == (
        LiveQAQuestion(
            file=file,
            number=1,
            id="Q1",
            subject="Body Lice",
            message="How do I get rid\nof these little devils?",
            sub_questions=(SubQuestion(focus="body lice", type="Treatment"),),
            answers=("Wash the clothes.", "See a doctor."),
        ),
    )
    question = found.questions[0]
    assert question.where == f"{file} question 1"
    assert question.text == "Body Lice. How do I get rid\nof these little devils?"


def test_file_two_layout_qid_and_byte_order_mark(tmp_path: Path) -> None:
    second = '<NLM-QUESTION qid="7.0"><SUBJECT></SUBJECT><MESSAGE>fever</MESSAGE></NLM-QUESTION>'
    file = xml(tmp_path / "b.xml", second, bom="\ufeff")
    (question,) = read_file(file).questions
    assert (question.id, question.text, question.sub_questions) == ("7.0", "fever", ())


def test_questions_without_id_or_text_are_refused_and_the_rest_kept(tmp_path: Path) -> None:
    file = xml(
        tmp_path / "mini.xml",
        "<NLM-QUESTION><SUBJECT>no id</SUBJECT></NLM-QUESTION>",
        QUESTION,
        '<NLM-QUESTION qid="3"><SUBJECT> </SUBJECT><MESSAGE/></NLM-QUESTION>',
    )
    found = read_file(file)
    assert [q.number for q in found.questions] == [2]
    assert [str(r) for r in found.refused] == [
        f"{file} question 1: field 'questionid': missing",
        f"{file} question 3: field 'MESSAGE': the question has neither SUBJECT nor MESSAGE",
    ]
    with pytest.raises(QuestionRefused, match=r"mini\.xml question 1: field 'questionid'"):
        read_questions(file)


def test_a_folder_is_read_file_by_file_in_name_order(tmp_path: Path) -> None:
    xml(tmp_path / "b.xml", QUESTION.replace("Q1", "Q2"))
    xml(tmp_path / "a.xml", QUESTION)
    (tmp_path / "notes.txt").write_text("not LiveQA", encoding="utf-8")
    assert [p.name for p in xml_files(tmp_path)] == ["a.xml", "b.xml"]
    assert [(q.file.name, q.id) for q in read_questions(tmp_path)] == [
        ("a.xml", "Q1"),
        ("b.xml", "Q2"),
    ]


def test_bad_files_and_folders_are_named(tmp_path: Path) -> None:
    with pytest.raises(LiveQAError, match=rf"{tmp_path.name}: no LiveQA XML file found"):
        xml_files(tmp_path)
    with pytest.raises(LiveQAError, match=r"absent\.xml: no LiveQA XML file found"):
        xml_files(tmp_path / "absent.xml")
    (tmp_path / "empty.xml").write_bytes(b" \n")
    with pytest.raises(LiveQAError, match=r"empty\.xml: the file is empty"):
        read_file(tmp_path / "empty.xml")
    (tmp_path / "cut.xml").write_text("<NLM-QUESTIONS>\n<NLM-QUESTION questionid='Q1'>")
    with pytest.raises(LiveQAError, match=r"cut\.xml:2:\d+: invalid XML"):
        read_file(tmp_path / "cut.xml")
    with pytest.raises(LiveQAError, match=r"cannot read"):
        read_file(tmp_path)


def test_the_training_files(liveqa_dir: Path) -> None:
    """The shared TREC files (skipped when absent): 200 + 246 questions, 388 + 246 answers."""
    questions = read_questions(liveqa_dir)
    by_file: dict[str, list[LiveQAQuestion]] = {}
    for question in questions:
        by_file.setdefault(question.file.name, []).append(question)
    counts = {name: (len(qs), sum(len(q.answers) for q in qs)) for name, qs in by_file.items()}
    assert counts == {
        "TREC-2017-LiveQA-Medical-Train-1.xml": (200, 388),
        "TREC-2017-LiveQA-Medical-Train-2.xml": (246, 246),
    }
    first = questions[0]
    assert (first.id, first.subject, first.sub_questions[0]) == (
        "Q1",
        "",
        SubQuestion("cardiac amyloidosis", "information"),
    )
    assert by_file["TREC-2017-LiveQA-Medical-Train-2.xml"][0].id == "1.0"
