"""The pipeline's inverse of the rounding rule (rounding_audit.published_range) against brute force over the
checker's own rule (count_rule.expected_counts): every true value's range is exactly the values that
publish the same figure."""

from __future__ import annotations

import dataclasses

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from extractor.checker.count_rule import REDACTED, expected_counts
from extractor.config.policy import Disclosure
from extractor.disclosure.tables.rounding_audit import published_range

RULES = st.one_of(
    st.builds(lambda t, b: dataclasses.replace(Disclosure(), threshold=t, rounding_base=b, rounding="nearest"),
              st.integers(0, 12), st.integers(1, 10)),
    st.builds(lambda t: dataclasses.replace(Disclosure(), threshold=t, rounding_base=6, rounding="midpoint6"),
              st.integers(0, 12)),
    st.builds(lambda t: dataclasses.replace(Disclosure(), threshold=t, rounding="none"), st.integers(0, 12)),
)


@settings(max_examples=150, deadline=None)
@given(rules=RULES)
def test_published_range_is_the_set_of_values_with_the_same_figure(rules: Disclosure) -> None:
    n = np.arange(0, 400)
    text = expected_counts(n, rules.threshold, rules.rounding_base, rules.rounding)
    lo, hi = published_range(n, rules)
    for v in n[(text != REDACTED) & (n < 300)]:
        same = n[text == text[v]]
        assert (lo[v], hi[v]) == (same.min(), same.max()), (rules, v)
