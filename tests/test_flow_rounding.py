"""The exclusion flow's lines add up under controlled rounding: spec cases, and every line against a brute force
over all the ways of rounding its figures (a new user's flow was 5 short of its first figure)."""

from __future__ import annotations

import itertools

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from extractor.config.policy import Disclosure
from extractor.disclosure.flow_rounding import add_up, controlled_line

BASE, THRESHOLD = 5, 7

CASES = [
    # (parts: each step's rows then eligible, expected [total, *parts] or None)
    ([0, 11985, 4430, 1712, 373, 33501, 17432, 429362], [498795, 0, 11985, 4430, 1715, 375, 33500, 17430, 429360]),
    ([12, 13, 14], [40, 10, 15, 15]),  # 39 rounds to 40: the two largest remainders go up
    ([8, 9, 10], [30, 10, 10, 10]),  # 8 and 9 only round up (never into 1–7), so the total rounds up too
    ([0, 0, 20], [20, 0, 0, 20]),  # zeros and multiples unchanged
    ([3, 500], None),  # a step of 1–7 is hidden by the small-count rule: not rounded to add up
    ([8, 8, 8, 8, 8, 10], None),  # each 8 must round up: 60 is no multiple next to 50, so no line adds up
]


@pytest.mark.parametrize(("parts", "expected"), CASES)
def test_a_line_adds_up(parts: list[int], expected: list[int] | None) -> None:
    assert controlled_line(parts, BASE, THRESHOLD) == expected


def _roundings(parts: list[int]) -> list[list[int]]:
    """Every admissible rounding of the line, by brute force: each part its multiple below or above (zeros and
    multiples unchanged, none into 1..threshold), the total either multiple next to the true total."""
    choices = [[x] if x % BASE == 0 else [c for c in (x - x % BASE, x - x % BASE + BASE) if not 1 <= c <= THRESHOLD]
               for x in parts]
    total = sum(parts)
    totals = {total - total % BASE, total - total % BASE + (BASE if total % BASE else 0)}
    return [list(c) for c in itertools.product(*choices) if sum(c) in totals]


@given(st.lists(st.one_of(st.just(0), st.integers(THRESHOLD + 1, 60)), min_size=1, max_size=6))
def test_the_rounding_is_admissible_and_found_whenever_one_exists(parts: list[int]) -> None:
    got = controlled_line(parts, BASE, THRESHOLD)
    admissible = _roundings(parts)
    if got is None:
        assert admissible == []
        return
    total, rounded = got[0], got[1:]
    assert rounded in admissible and total == sum(rounded)
    assert all(abs(r - x) < BASE for r, x in zip(rounded, parts, strict=True))


def test_the_released_flow_adds_up_and_a_hidden_step_keeps_independent_rounding() -> None:
    exact = pl.DataFrame({"table": ["documents"] * 4 + ["clients"] * 3,
                          "step": ["0 in source", "1 excluded: opt_out", "2 excluded: retention", "3 eligible",
                                   "0 in source", "1 excluded: opt_out", "2 eligible"],
                          "rows": [1003, 12, 13, 978, 503, 3, 500]})
    safe = pl.DataFrame({"table": exact["table"], "step": exact["step"],
                         "rows": ["1005", "10", "15", "980", "505", "[REDACTED]", "500"]})
    out = add_up(exact, safe, Disclosure(rounding="controlled"))
    documents = [int(v) for v in out.filter(pl.col("table") == "documents")["rows"]]
    assert documents[0] == sum(documents[1:]) and documents == [1005, 10, 15, 980]
    assert out.filter(pl.col("table") == "clients")["rows"].to_list() == ["505", "[REDACTED]", "500"]
    assert add_up(exact, safe, Disclosure(rounding="nearest")).equals(safe)


@given(st.lists(st.one_of(st.just(0), st.integers(THRESHOLD + 1, 200)), min_size=1, max_size=6))
def test_the_line_deviates_no_more_than_the_tables_controlled_rounding(parts: list[int]) -> None:
    """The closed form against the project's own controlled rounding of tables (a 0/1 programme in HiGHS) on the
    same line: additive whenever that is, and never further from the true figures."""
    import numpy as np
    from scipy import sparse

    from extractor.disclosure.tables.controlled_rounding import controlled_round

    true = np.array([sum(parts), *parts])
    line = sparse.csr_matrix(np.array([[1] + [-1] * len(parts)]))
    tables = controlled_round(line, true, np.ones(true.size, dtype=bool), BASE, THRESHOLD + 1)
    got = controlled_line(parts, BASE, THRESHOLD)
    assert (got is None) == (tables.nonadditive.size > 0)
    if got is not None:
        assert sum(abs(a - b) for a, b in zip(got, true.tolist(), strict=True)) == tables.deviation
