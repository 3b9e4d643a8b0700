"""The checker's own person-level-rows test for aggregates (a second implementation of aggregate.py's)."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from extractor.checker.person_rows import person_level_rows

SPEC = {"dimensions": ["who"], "counts": ["n"]}


@pytest.fixture
def persons(tmp_path: Path) -> Path:
    path = tmp_path / "persons.json"  # the run's count of persons whose rows reached the query
    path.write_text(json.dumps({"included": 100}))
    return path


@pytest.mark.parametrize(("values", "counts", "expected"), [
    (20, ["10"] * 20, []),  # 20 values or fewer: a short category list, whatever the population
    (21, ["10"] * 21, ["dimension 'who' has 21 values for 100 persons"]),
    (20, ["[REDACTED]"] * 10 + ["10"] * 10, []),  # half hidden: not "most"
    (20, ["[REDACTED]"] * 11 + ["10"] * 9, ["55% of rows have every count redacted"]),
    (13, ["10"] * 13, []),  # 13 values for 100 persons would be few per value, but 13 is a short list
])
def test_person_level_rows(persons: Path, values: int, counts: list[str], expected: list[str]) -> None:
    df = pl.DataFrame({"who": [f"v{i}" for i in range(values)], "n": counts})
    found = person_level_rows("t.csv", df, SPEC, 7, persons)
    assert len(found) == len(expected)
    for text, want in zip(found, expected, strict=True):
        assert want in text


def test_without_a_person_list_only_the_redaction_share_counts(tmp_path: Path) -> None:
    df = pl.DataFrame({"who": [f"v{i}" for i in range(30)], "n": ["[REDACTED]"] * 30})
    assert person_level_rows("t.csv", df, SPEC, 7, tmp_path / "none.json") == [
        "t.csv: 100% of rows have every count redacted: person-level rows"]
