"""Disclosure control of counts: a table of cases, and invariants over random tables."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extractor.config.policy import Disclosure
from extractor.config.request import Output
from extractor.disclosure.aggregate import REDACTED, control
from extractor.errors import ExtractorError

OUT = Output("t", Path("q.sql"), "aggregate", ("g",), ("n",))
RULES = Disclosure()

CASES = [(0, "0"), (1, REDACTED), (5, REDACTED), (7, REDACTED), (8, "10"), (9, "10"), (12, "10"), (13, "15"),
         (15, "15"), (17, "15"), (18, "20"), (102, "100"), (103, "105"), (1_000_002, "1000000")]


@pytest.mark.parametrize(("value", "released"), CASES)
def test_threshold_then_round_to_5(value: int, released: str) -> None:
    safe, _ = control(pl.DataFrame({"g": ["a"], "n": [value]}), OUT, RULES)
    assert safe["n"].to_list() == [released]


def test_rounding_never_lands_in_suppressed_range() -> None:
    """threshold 12, base 10: 13 would round to 10, inside 1..12; it is released as 20."""
    safe, _ = control(pl.DataFrame({"g": ["a", "b"], "n": [13, 16]}), OUT, Disclosure(threshold=12, rounding_base=10))
    assert safe["n"].to_list() == ["20", "20"]


MIDPOINT = [(0, "0"), (8, "9"), (12, "9"), (13, "15"), (18, "15"), (19, "21")]


@pytest.mark.parametrize(("value", "released"), MIDPOINT)
def test_midpoint6(value: int, released: str) -> None:
    rules = Disclosure(threshold=7, rounding_base=6, rounding="midpoint6")
    safe, _ = control(pl.DataFrame({"g": ["a"], "n": [value]}), OUT, rules)
    assert safe["n"].to_list() == [released]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 10_000), min_size=1, max_size=200), st.integers(0, 20), st.integers(1, 10))
def test_invariants(values: list[int], threshold: int, base: int) -> None:
    rules = Disclosure(threshold=threshold, rounding_base=base)
    df = pl.DataFrame({"g": [str(i) for i in range(len(values))], "n": values})
    safe, record = control(df, OUT, rules)
    by_group = dict(zip(safe["g"], safe["n"], strict=True))
    for g, v in zip(df["g"], values, strict=True):
        out = by_group[g]
        if 1 <= v <= threshold:
            assert out == REDACTED
        else:
            n = int(out)
            assert n % base == 0
            assert n == 0 if v == 0 else n > threshold
            # Nearest multiple, unless that would fall into the suppressed range.
            assert abs(n - v) <= base / 2 or n == (threshold // base + 1) * base
    assert record.suppressed == sum(1 <= v <= threshold for v in values)


BAD = [
    ("extra column", pl.DataFrame({"g": ["a"], "n": [1], "x": [1]}), "the query returns 'x', which no key"),
    ("float count", pl.DataFrame({"g": ["a"], "n": [1.5]}), "must be an integer"),
    ("negative count", pl.DataFrame({"g": ["a"], "n": [-1]}), "negative"),
    ("null count", pl.DataFrame({"g": ["a"], "n": [None]}, schema={"g": pl.String, "n": pl.Int64}), "missing"),
    ("not an aggregate", pl.DataFrame({"g": ["a", "a"], "n": [10, 20]}), "not an aggregate"),
]


@pytest.mark.parametrize(("name", "frame", "message"), BAD, ids=[b[0] for b in BAD])
def test_bad_tables_refused(name: str, frame: pl.DataFrame, message: str) -> None:
    with pytest.raises(ExtractorError, match=message):
        control(frame, OUT, RULES)


def test_row_cap() -> None:
    df = pl.DataFrame({"g": [str(i) for i in range(11)], "n": [10] * 11})
    with pytest.raises(ExtractorError, match="aggregate cap"):
        control(df, OUT, Disclosure(max_rows=10))


def test_an_output_whose_every_count_above_zero_is_hidden_is_flagged() -> None:
    """A table attack picked one person out (birth date, sex, home town) and grouped by service: each hidden
    count said "yes", each zero "no". Such a file is flagged, and the review report asks the DPO to return it."""
    out = Output("t", Path("q.sql"), "aggregate", ("service",), ("n", "m"))
    one_person = pl.DataFrame({"service": ["2", "24", "85"], "n": [1, 1, 0], "m": [3, 0, 0]})
    _, record = control(one_person, out, RULES)
    assert record.only_small and record.suppressed == 3
    _, record = control(one_person.with_columns(pl.Series("m", [3, 0, 40])), out, RULES)
    assert not record.only_small  # a figure is shown
    _, record = control(one_person.with_columns(pl.Series("n", [0, 0, 0]), pl.Series("m", [0, 0, 0])), out, RULES)
    assert not record.only_small  # nothing hidden
