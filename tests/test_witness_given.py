"""A witness the user names (`audit verify --witness`) must be one: a missing file, an empty one or a folder
without any witness is an error, never counted among the witnesses that agree."""

from __future__ import annotations

from pathlib import Path

import pytest

from builders import submitted_run
from extractor.errors import ExtractorError
from extractor.release.verify import verify_store


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    _cfg, out, run_id = submitted_run(tmp_path_factory.mktemp("w"))
    return out, run_id


@pytest.mark.parametrize(("make", "message"), [
    (lambda d: d / "nowhere.json", "not a witness"),
    (lambda d: (d / "empty.json", (d / "empty.json").write_text("{}"))[0], "not a witness"),
    (lambda d: (d / "notes.txt", (d / "notes.txt").write_text("hello"))[0], "not a witness"),
    (lambda d: (d / "folder", (d / "folder").mkdir())[0], "without any witness"),
])
def test_a_named_witness_that_is_none_is_an_error(root, tmp_path: Path, make, message: str) -> None:
    out, _ = root
    with pytest.raises(ExtractorError, match=message):
        verify_store(out, witnesses=[make(tmp_path)])


def test_a_real_witness_counts(root) -> None:
    out, run_id = root
    anchor = next(out.glob(f"*/{run_id}/audit_anchor.json"))
    assert verify_store(out, witnesses=[anchor]).witnesses == verify_store(out).witnesses + 1
