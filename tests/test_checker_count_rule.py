"""The checker's own published-count rule: a spec table, and agreement with the pipeline's rule (hypothesis)."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extractor.checker.count_rule import REDACTED, expected_counts
from extractor.config.policy import Disclosure
from extractor.disclosure.aggregate import rounded_expr

SPEC = [  # true count, threshold, base, rounding, published
    (0, 7, 5, "nearest", "0"), (1, 7, 5, "nearest", REDACTED), (7, 7, 5, "nearest", REDACTED),
    (8, 7, 5, "nearest", "10"), (12, 7, 5, "nearest", "10"), (13, 7, 5, "nearest", "15"),
    (22, 7, 5, "nearest", "20"), (23, 7, 5, "nearest", "25"), (8, 7, 10, "nearest", "10"),
    (14, 7, 10, "nearest", "10"), (15, 7, 10, "nearest", "20"), (11, 10, 5, "nearest", "15"),
    (8, 7, 6, "midpoint6", "9"), (12, 7, 6, "midpoint6", "9"), (13, 7, 6, "midpoint6", "15"),
    (0, 7, 6, "midpoint6", "0"), (8, 7, 5, "none", "8"), (1234, 7, 5, "none", "1234"),
]


@pytest.mark.parametrize(("true", "threshold", "base", "rounding", "published"), SPEC)
def test_published_count_spec(true: int, threshold: int, base: int, rounding: str, published: str) -> None:
    assert expected_counts(np.array([true]), threshold, base, rounding)[0] == published


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(0, 10**7), min_size=1, max_size=60), st.integers(0, 30),
       st.sampled_from([("nearest", 5), ("nearest", 10), ("nearest", 3), ("midpoint6", 6), ("none", 5)]))
def test_checker_rule_agrees_with_the_pipeline(counts: list[int], threshold: int, rule: tuple[str, int]) -> None:
    rounding, base = rule
    rules = Disclosure(threshold=threshold, rounding_base=base, rounding=rounding)
    pipeline = pl.DataFrame({"n": counts}).select(
        rounded_expr(pl.col("n"), rules).cast(pl.String).fill_null(REDACTED).alias("v"))["v"].to_list()
    assert expected_counts(np.array(counts), threshold, base, rounding).tolist() == pipeline
