"""A released aggregate whose every count above zero is hidden tells only which groups are small: the review
report's first box asks the DPO to return it (a table attack read one person's services off such a file)."""

from __future__ import annotations

from pathlib import Path

from builders import World, write_world
from conftest import TEST_KEY
from extractor.config.load import load_config
from extractor.pipeline import run_extract
from extractor.release.layout import RunFolder


def _review(tmp_path: Path, documents: list[tuple]) -> str:
    import datetime as dt

    request = write_world(World(clients=[f"P{i}" for i in range(40)], documents=documents), tmp_path / "w")
    result = run_extract(load_config(request, today=dt.date(2026, 11, 1)), tmp_path / "out", TEST_KEY.encode())
    return (RunFolder(result.run_dir).review / "review_en.html").read_text(encoding="utf-8")


def test_only_small_groups_are_for_the_dpo_to_return(tmp_path: Path) -> None:
    few = [(f"d{i}", f"d{i}", f"P{i}", "R1", "10") for i in range(3)]
    assert "Return t unless the query is clearly about groups" in _review(tmp_path / "few", few)
    many = few + [(f"e{i}", f"e{i}", f"P{i}", "R1", "20") for i in range(30)]
    assert "Return t unless" not in _review(tmp_path / "many", many)  # a figure is shown
