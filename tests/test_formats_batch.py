"""Batch files (`id<TAB>text`), read by `healthqa ask --batch` and `healthqa triage --batch`."""

from __future__ import annotations

from pathlib import Path

import pytest

from healthqa.formats.batch import BatchFileError, read_batch


def batch_file(tmp_path: Path, content: str | bytes) -> Path:
    path = tmp_path / "in.tsv"
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8", newline="")
    else:
        path.write_bytes(content)
    return path


def test_ids_and_texts_in_file_order(tmp_path: Path) -> None:
    path = batch_file(tmp_path, "q1\tcrushing chest pain\nq2\tis a\ttab kept?\r\n")
    assert read_batch(path) == [("q1", "crushing chest pain"), ("q2", "is a\ttab kept?")]


def test_bom_comments_blank_lines_and_header_are_skipped(tmp_path: Path) -> None:
    content = "\ufeffid\ttext\n# written by hand\n\n   \n  # indented comment\nq1\tfever\n"
    assert read_batch(batch_file(tmp_path, content)) == [("q1", "fever")]
    assert read_batch(batch_file(tmp_path, "QID\tText\nq1\tfever\n")) == [("q1", "fever")]


def test_a_line_without_tab_names_file_and_line(tmp_path: Path) -> None:
    path = batch_file(tmp_path, "# header comment\nq1\tfine\nno tab here\n")
    with pytest.raises(BatchFileError, match=r"in\.tsv:3: expected id<TAB>text; line 3 has no"):
        read_batch(path)
    with pytest.raises(BatchFileError, match=r"in\.tsv:1: the text after the tab is empty"):
        read_batch(batch_file(tmp_path, "q1\t   \n"))


def test_an_empty_id_or_one_with_spaces_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BatchFileError, match=r"in\.tsv:2: the id before the tab is empty"):
        read_batch(batch_file(tmp_path, "q1\tfine\n \tno id\n"))
    with pytest.raises(BatchFileError, match=r"in\.tsv:1: the id 'q 1' contains spaces"):
        read_batch(batch_file(tmp_path, "q 1\tfever\n"))


def test_a_file_with_no_lines_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BatchFileError, match=r"in\.tsv: no id<TAB>text lines"):
        read_batch(batch_file(tmp_path, "id\ttext\n# nothing yet\n\n"))


def test_an_unreadable_file_is_refused_with_its_name(tmp_path: Path) -> None:
    with pytest.raises(BatchFileError, match=r"absent\.tsv: cannot read: No such file"):
        read_batch(tmp_path / "absent.tsv")
    with pytest.raises(BatchFileError, match=rf"{tmp_path.name}: cannot read: Is a directory"):
        read_batch(tmp_path)


def test_text_that_is_not_utf8_names_the_line(tmp_path: Path) -> None:
    path = batch_file(tmp_path, "q1\tfine\nq2\tfi\xe8vre\n".encode("latin-1"))
    with pytest.raises(BatchFileError, match=r"in\.tsv:2: not UTF-8 text"):
        read_batch(path)
