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
    (5, ["[REDACTED]"] * 3 + ["0"] * 2, ["every count above zero is redacted"]),  # one person's services
    (5, ["[REDACTED]"] * 3 + ["0", "10"], []),  # a figure is shown: an aggregate
    (3, ["0"] * 3, []),  # nothing hidden
])
def test_person_level_rows(persons: Path, values: int, counts: list[str], expected: list[str]) -> None:
    df = pl.DataFrame({"who": [f"v{i}" for i in range(values)], "n": counts})
    found = person_level_rows("t.csv", df, SPEC, 7, persons)
    assert len(found) == len(expected)
    for text, want in zip(found, expected, strict=True):
        assert want in text


def test_without_a_person_list_only_the_redaction_share_counts(tmp_path: Path) -> None:
    df = pl.DataFrame({"who": [f"v{i}" for i in range(30)], "n": ["[REDACTED]"] * 30})
    assert person_level_rows("t.csv", df, SPEC, 7, tmp_path / "none.json")[-1] == \
        "t.csv: 100% of rows have every count redacted: person-level rows"


def test_the_pipeline_refuses_an_output_whose_every_count_above_zero_is_hidden() -> None:
    """A table attack's query picked one person out (birth date, sex, home town) and grouped by service: each
    hidden count said "yes", each zero "no". The pipeline's own implementation refuses it as the checker does."""
    from extractor.config.policy import Disclosure
    from extractor.config.request import Output
    from extractor.disclosure.aggregate import control
    from extractor.errors import ExtractorError

    out = Output("t", Path("q.sql"), "aggregate", ("service",), ("n", "m"))
    one_person = pl.DataFrame({"service": ["2", "24", "85"], "n": [1, 1, 0], "m": [3, 0, 0]})
    with pytest.raises(ExtractorError, match="every count above zero is suppressed"):
        control(one_person, out, Disclosure())
    _, done = control(one_person.with_columns(pl.Series("m", [3, 0, 40])), out, Disclosure())
    assert done.suppressed == 3
