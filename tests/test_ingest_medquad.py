"""MedQuAD import: the real archive (exact counts, idempotency) and broken documents."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from healthqa.ingest import MedQuADError, import_medquad
from healthqa.store import get_question, stats
from healthqa.store.models import Answer, Question

# 11,274 documents: 47,441 <QAPair> elements, plus 16 <pair> elements in the four NINDS files
# written in MedQuAD's older schema (the paper's 47,457). 16,407 + 16 pairs carry answer text.
PAIRS = 47_457
ANSWERED = 16_423

BY_SOURCE = {
    "ADAM": 17_348,
    "CDC": 270,
    "CancerGov": 729,
    "GARD": 5_394,
    "GHR": 5_430,
    "MPlusDrugs": 12_889,
    "MPlusHealthTopics": 981,
    "MPlusHerbsSupplements": 792,
    "NHLBI": 559,
    "NIDDK": 1_192,
    "NIHSeniorHealth": 769,
    "NINDS": 1_104,
}

GHR_DOC = "MedQuAD-master/3_GHR_QA/0000001.xml"


@pytest.mark.slow
def test_whole_archive_imports_exactly_then_reimports_unchanged(
    engine: Engine, medquad_zip: Path
) -> None:
    first = import_medquad(engine, medquad_zip)
    assert (first.added, first.updated, first.rejected) == (PAIRS, 0, [])
    counts = stats(engine)
    assert counts.questions == PAIRS
    assert counts.answered == ANSWERED
    assert counts.by_source == BY_SOURCE

    again = import_medquad(engine, medquad_zip)
    assert (again.added, again.updated, again.unchanged, again.rejected) == (0, 0, PAIRS, [])
    assert stats(engine).questions == PAIRS


def _extract(zip_path: Path, dest: Path, names: list[str]) -> Path:
    with zipfile.ZipFile(zip_path) as zf:
        for name in names:
            zf.extract(name, dest)
    return dest / "MedQuAD-master"


SAMPLE = [
    GHR_DOC,
    "MedQuAD-master/10_MPlus_ADAM_QA/0000001.xml",
    "MedQuAD-master/6_NINDS_QA/0000007.xml",
    "MedQuAD-master/9_CDC_QA/0000397.xml",
    "MedQuAD-master/1_CancerGov_QA/0000013_2_1.xml",
]


def test_folder_keeps_every_annotation(engine: Engine, medquad_zip: Path, tmp_path: Path) -> None:
    folder = _extract(medquad_zip, tmp_path, SAMPLE)
    summary = import_medquad(engine, folder)
    assert summary.rejected == []

    q = get_question(engine, "GHR_0000001_Sec1")
    assert q.title == "What is (are) Aarskog-Scott syndrome?"
    assert q.focus == "Aarskog-Scott syndrome"
    assert q.cuis == ["C0175701"]
    assert q.semantic_types == ["T019", "T047"]
    assert q.semantic_group == "Disorders"
    assert "Faciogenital dysplasia" in q.synonyms
    assert q.question_type == "information"
    assert q.source.key == "GHR" and "CC BY 4.0" in (q.source.attribution or "")
    assert q.answers[0].body.startswith("Aarskog-Scott syndrome is a genetic disorder")
    assert q.answers[0].source_url == "https://ghr.nlm.nih.gov/condition/aarskog-scott-syndrome"


def test_copyright_removed_answers_keep_question_and_url(
    engine: Engine, medquad_zip: Path, tmp_path: Path
) -> None:
    import_medquad(engine, _extract(medquad_zip, tmp_path, SAMPLE))
    q = get_question(engine, "ADAM_0000001_Sec1")
    assert q.answers == []
    assert q.source_url == "https://www.nlm.nih.gov/medlineplus/ency/patientinstructions/000823.htm"
    assert q.focus_category == "Disease"


def test_older_schemas_and_file_named_ids(
    engine: Engine, medquad_zip: Path, tmp_path: Path
) -> None:
    import_medquad(engine, _extract(medquad_zip, tmp_path, SAMPLE))
    assert get_question(engine, "NINDS_0000007_Sec2").question_type == "treatment"
    assert get_question(engine, "CDC_0000397_Sec1").focus == "Parasites - Taeniasis"
    # the file 0000013_2_1.xml says id="0000013_2": the file name keeps ids unique
    assert get_question(engine, "CancerGov_0000013_2_1_Sec1").document_id == "0000013_2_1"


def test_changed_answer_updates_in_place(engine: Engine, medquad_zip: Path, tmp_path: Path) -> None:
    folder = _extract(medquad_zip, tmp_path, [GHR_DOC])
    import_medquad(engine, folder)
    before = get_question(engine, "GHR_0000001_Sec2")
    doc = folder / "3_GHR_QA" / "0000001.xml"
    doc.write_text(doc.read_text().replace("believed to be a rare disorder", "a rare disorder"))

    summary = import_medquad(engine, folder)
    assert (summary.added, summary.updated, summary.unchanged) == (0, 1, 4)
    after = get_question(engine, "GHR_0000001_Sec2")
    assert after.id == before.id
    assert after.answers[0].body.startswith("Aarskog-Scott syndrome is a rare disorder")
    with engine.connect() as conn:
        assert conn.scalar(select(func.count(Answer.id))) == 5


def test_broken_document_is_named_and_the_rest_imports(
    engine: Engine, medquad_zip: Path, tmp_path: Path
) -> None:
    folder = _extract(medquad_zip, tmp_path, SAMPLE)
    broken = folder / "3_GHR_QA" / "0000001.xml"
    broken.write_bytes(broken.read_bytes()[:1500])  # truncated mid-document
    summary = import_medquad(engine, folder)
    assert len(summary.rejected) == 1
    message = str(summary.rejected[0])
    assert message.startswith("3_GHR_QA/0000001.xml:") and "invalid XML" in message
    with engine.connect() as conn:
        ghr = conn.scalar(select(func.count()).where(Question.external_id.like("GHR%")))
    assert ghr == 0 and summary.added > 0


def test_strict_import_of_broken_archive_writes_nothing(
    engine: Engine, medquad_zip: Path, tmp_path: Path
) -> None:
    from healthqa.ingest import ImportRejected

    folder = _extract(medquad_zip, tmp_path, SAMPLE)
    (folder / "3_GHR_QA" / "0000001.xml").write_text("<Document id='1' source='GHR'><QAPairs>")
    with pytest.raises(ImportRejected, match="0000001.xml"):
        import_medquad(engine, folder, strict=True)
    assert stats(engine).questions == 0


def test_missing_path_and_bad_zip_are_clear(engine: Engine, tmp_path: Path) -> None:
    with pytest.raises(MedQuADError, match="no such file"):
        import_medquad(engine, tmp_path / "nope.zip")
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"not a zip")
    with pytest.raises(MedQuADError, match="not a readable zip"):
        import_medquad(engine, bad)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(MedQuADError, match="no MedQuAD XML documents"):
        import_medquad(engine, empty)


def test_offline_download_says_what_to_do(sqlite_engine: Engine) -> None:
    # a closed port on this machine stands in for "no network": the real urllib path runs
    with pytest.raises(MedQuADError, match="are you offline"):
        import_medquad(sqlite_engine, "http://127.0.0.1:9/MedQuAD-master.zip")


def test_download_is_cached_and_reused(sqlite_engine: Engine, medquad_zip: Path) -> None:
    import http.server
    import threading

    folder = medquad_zip.parent
    handler = lambda *a: http.server.SimpleHTTPRequestHandler(*a, directory=str(folder))  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/{medquad_zip.name}"
        from healthqa.config import load_settings
        from healthqa.ingest.medquad import resolve

        cached = resolve(url)
        assert cached.parent == load_settings().cache_dir
        assert cached.stat().st_size == medquad_zip.stat().st_size
        server.shutdown()
        assert resolve(url) == cached  # no second download: the server is gone
    finally:
        server.server_close()
    shutil.rmtree(cached.parent)
