"""healthqa.reading: the grades of texts written for these tests, grading without a download
(proved in a fresh interpreter), the order of near-tied results, and the grades of MedQuAD's
answers."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import zipfile
from collections import defaultdict
from pathlib import Path

from healthqa import reading
from healthqa.ingest.medquad import parse_document
from healthqa.web import text

ROOT = Path(__file__).resolve().parents[1]

# Written the way the demo corpus answers: short sentences, everyday words.
PLAIN = (
    "Cramps after an IUD is put in are common. They often feel like period pain. Most women "
    "find they get better in a few days. A heat pad and a pain pill from the shop can help. "
    "Call your nurse if the pain gets worse or you feel hot."
)
# Written the way MedQuAD's genetics answers are: long sentences, many-syllabled terms.
PROFESSIONAL = (
    "Aarskog-Scott syndrome is an inherited disorder characterized by short stature, "
    "craniofacial abnormalities, and skeletal and genital anomalies that typically become "
    "apparent in early childhood. Mutations in the FGD1 gene, located on the X chromosome, are "
    "responsible for most cases, which are inherited in an X-linked recessive pattern; "
    "heterozygous females occasionally exhibit attenuated manifestations of the condition."
)
SIGNS = [
    "short stature",
    "a broad face with widely spaced eyes",
    "a small nose with nostrils that tip forward",
    "an unusual skin fold above the penis",
    "fingers that are short and webbed",
    "a chest that sinks in at the middle",
    "mild learning problems in some boys",
]


# ----- grades -----


def test_a_plain_answer_reads_easy_and_a_professional_one_very_hard() -> None:
    plain, professional = reading.reading(PLAIN), reading.reading(PROFESSIONAL)
    assert plain is not None and professional is not None
    assert plain.grade <= 4 and plain.level == "easy" and plain.label == "Easy to read"
    assert professional.grade >= 18 and professional.level == "expert"
    assert professional.note == "written like a text for health professionals"


def test_a_text_too_short_to_grade_gets_none() -> None:
    assert reading.grade("Rest, fluids, and see your doctor if it lasts.") is None
    assert reading.reading("") is None
    assert reading.grade(" ".join(PLAIN.split()[: reading.MIN_WORDS])) is not None


def test_each_line_ends_a_sentence_so_a_list_is_not_one_long_sentence() -> None:
    as_lines = reading.grade("Signs include:\n" + "\n".join(SIGNS))
    run_together = reading.grade("Signs include: " + " ".join(SIGNS))
    assert as_lines is not None and run_together is not None
    assert as_lines < 8 < 12 < run_together


def test_the_bands_cover_every_grade_and_include_their_upper_bound() -> None:
    levels = [reading.of_grade(g).level for g in (0.0, 8.0, 8.1, 12.0, 12.1, 16.0, 16.1, 40.0)]
    assert levels == ["easy", "easy", "fair", "fair", "hard", "hard", "expert", "expert"]
    assert reading.of_grade(10.0) == reading.Reading(
        10.0, "fair", "Fairly hard to read", "high-school level"
    )


# ----- no download: a fresh interpreter without network or NLTK data -----

SITECUSTOMIZE = '''\
"""Loaded first by the child interpreter: no network, no NLTK data, and nltk.download fails."""
import os
import socket

import nltk


def refuse(*args, **kwargs):
    raise RuntimeError("nltk.download was called")


def no_network(*args, **kwargs):
    raise OSError("no network in this test")


nltk.download = nltk.downloader.download = nltk.downloader.Downloader.download = refuse
socket.socket.connect = socket.create_connection = no_network
nltk.data.path[:] = [os.environ["NLTK_DATA"]]  # an empty folder: no copy anywhere else either
'''


def run_offline(code: str, folder: Path) -> subprocess.CompletedProcess[str]:
    (folder / "site").mkdir()
    (folder / "site" / "sitecustomize.py").write_text(SITECUSTOMIZE)
    (folder / "nltk_data").mkdir()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(folder / "site"), str(ROOT)]),
        "NLTK_DATA": str(folder / "nltk_data"),
        "HOME": str(folder),  # no ~/nltk_data
    }
    return subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_textstat_alone_would_download_here_so_the_check_below_has_teeth(tmp_path: Path) -> None:
    """The control: textstat on its own asks NLTK to download the CMU dictionary, and the
    child interpreter catches it."""
    run = run_offline(f"import textstat; print(textstat.flesch_kincaid_grade({PLAIN!r}))", tmp_path)
    assert run.returncode != 0
    assert "nltk.download was called" in run.stderr


def test_grading_downloads_nothing(tmp_path: Path) -> None:
    code = f"from healthqa import reading; print(reading.grade({PROFESSIONAL!r}))"
    run = run_offline(code, tmp_path)
    assert run.returncode == 0, run.stderr
    assert float(run.stdout) == reading.grade(PROFESSIONAL)


def test_grading_leaves_nltk_and_what_it_imports_out_of_the_process() -> None:
    """textstat imports NLTK only to find the CMU dictionary, which healthqa hands it: a web
    worker that grades never loads NLTK, scipy or scikit-learn, and grades the same."""
    code = (
        "import sys; from healthqa import reading; "
        f"print(reading.grade({PROFESSIONAL!r}), reading.grade({PLAIN!r})); "
        "print(sorted(m for m in ('nltk', 'scipy', 'sklearn') if m in sys.modules))"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=ROOT
    )
    assert run.returncode == 0, run.stderr
    grades, loaded = run.stdout.splitlines()
    assert loaded == "[]"
    assert grades == f"{reading.grade(PROFESSIONAL)} {reading.grade(PLAIN)}"


# ----- the easier of two tied neighbours first -----

Item = tuple[str, float, float | None]  # name, score, grade


def easier_first(items: list[Item], margin: float = 0.01) -> list[str]:
    ordered = reading.prefer_easier(
        items, grade_of=lambda item: item[2], tied=lambda a, b: abs(a[1] - b[1]) <= margin
    )
    return [name for name, _, _ in ordered]


def test_of_two_tied_neighbours_the_easier_goes_first() -> None:
    assert easier_first([("hard", 0.80, 14.0), ("easy", 0.795, 7.0)]) == ["easy", "hard"]


def test_scores_that_clearly_differ_keep_their_order() -> None:
    assert easier_first([("hard", 0.80, 14.0), ("easy", 0.70, 7.0)]) == ["hard", "easy"]


def test_a_small_difference_in_grade_or_a_missing_grade_moves_nothing() -> None:
    just_easier = 14.0 - reading.EASIER_BY + 0.1
    assert easier_first([("a", 0.8, 14.0), ("b", 0.8, just_easier)]) == ["a", "b"]
    assert easier_first([("a", 0.8, None), ("b", 0.8, 5.0)]) == ["a", "b"]
    assert easier_first([("a", 0.8, 14.0), ("b", 0.8, None)]) == ["a", "b"]


def test_no_item_moves_more_than_one_place() -> None:
    items: list[Item] = [("a", 0.8, 18.0), ("b", 0.8, 14.0), ("c", 0.8, 10.0), ("d", 0.8, 6.0)]
    order = easier_first(items)
    assert order == ["b", "a", "d", "c"]
    assert all(abs(order.index(name) - i) <= 1 for i, (name, _, _) in enumerate(items))


# ----- MedQuAD -----


def medquad_sample(path: Path, every: int = 10) -> dict[str, list[float | None]]:
    """The grades of the answers of every `every`th MedQuAD document with answer text, graded
    as the site grades them (their blocks, one a line), by source."""
    with zipfile.ZipFile(path) as zf:
        names = sorted(n for n in zf.namelist() if n.endswith(".xml") and "_QA" in n)
        grades: dict[str, list[float | None]] = defaultdict(list)
        for name in names[::every]:
            for record in parse_document(name, zf.read(name)):
                for answer in record.answers:
                    if answer.body.strip():
                        grades[record.source].append(
                            reading.grade("\n".join(text.lines(answer.body)))
                        )
    return grades


def test_medquad_answers_read_at_high_school_to_college_level(medquad_zip: Path) -> None:
    """NIH pages read well above the grade 8 asked of patient texts; its pages for the public
    (MedlinePlus health topics) read several grades easier than its genetics pages (GHR)."""
    by_source = medquad_sample(medquad_zip)
    everything = [g for grades in by_source.values() for g in grades]
    graded = [g for g in everything if g is not None]
    assert len(everything) > 1_000
    assert len(graded) / len(everything) > 0.9  # too short to grade: 6% of the whole archive
    assert 10 <= statistics.median(graded) <= 14
    shares = {b.level: 0 for b in reading.BANDS}
    for g in graded:
        shares[reading.of_grade(g).level] += 1
    assert all(n / len(graded) > 0.03 for n in shares.values()), shares
    plain = statistics.median(g for g in by_source["MPlusHealthTopics"] if g is not None)
    genetics = statistics.median(g for g in by_source["GHR"] if g is not None)
    assert plain + 3 < genetics
