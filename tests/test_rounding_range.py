"""Controlled rounding (controlled_rounding.py) against a brute-force reference on small tables.

The reference tries every choice of lower or upper multiple for every published cell and keeps those
that make every fully published line add up. The solver must find an additive rounding exactly when one
exists, never stray from the two adjacent multiples, keep zeros and multiples, never publish a figure at
or below the threshold, and (when no additive rounding exists) report the lines that do not add up.
"""

from __future__ import annotations

import itertools

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extractor.disclosure.tables.controlled_rounding import adjacent, controlled_round
from extractor.disclosure.tables.structure import Structure, group_tree

BASE, THRESHOLD, FLOOR = 5, 7, 10


def _table(shape: tuple[int, ...], leaves: list[int]) -> tuple[Structure, np.ndarray]:
    """A table with one total per dimension, its leaves given and its margins summed."""
    trees = [group_tree((f"d{i}",), pl.DataFrame({f"d{i}": [str(j) for j in range(k)]}))
             for i, k in enumerate(shape)]
    structure = Structure(tuple(trees))
    arr = np.zeros(structure.shape, dtype=np.int64)
    leaf_pos = [np.flatnonzero(t.depth == 1) for t in trees]
    arr[np.ix_(*leaf_pos)] = np.array(leaves, dtype=np.int64).reshape(shape)
    for g, t in enumerate(trees):
        total = int(np.flatnonzero(t.depth == 0)[0])
        idx = [slice(None)] * len(shape)
        idx[g] = total
        arr[tuple(idx)] = np.take(arr, leaf_pos[g], axis=g).sum(axis=g)
    return structure, arr.ravel()


def reference(A, n: np.ndarray, published: np.ndarray) -> list[np.ndarray]:
    """Every additive choice of adjacent multiples (brute force)."""
    lower, upper = adjacent(n, BASE, FLOOR)
    free = np.flatnonzero(published & (lower != upper))
    whole = np.asarray(abs(A)[:, np.flatnonzero(~published)].sum(axis=1)).ravel() == 0
    out = []
    for bits in itertools.product((0, 1), repeat=free.size):
        v = np.where(published, lower, n)
        v[free] = np.where(np.array(bits, dtype=bool), upper[free], lower[free])
        if not np.any((A @ v)[whole] != 0):
            out.append(v)
    return out


@st.composite
def small_tables(draw):
    shape = tuple(draw(st.integers(2, 3)) for _ in range(draw(st.integers(1, 2))))
    leaves = draw(st.lists(st.one_of(st.just(0), st.integers(8, 40)), min_size=int(np.prod(shape)),
                           max_size=int(np.prod(shape))))
    structure, n = _table(shape, leaves)
    hidden = draw(st.lists(st.booleans(), min_size=n.size, max_size=n.size))
    published = ~np.array(hidden) | (n == 0)
    return structure, n, published


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_tables())
def test_controlled_rounding_is_additive_exactly_when_brute_force_finds_a_way(case) -> None:
    structure, n, published = case
    A = structure.lines().tocsr()
    lower, upper = adjacent(n, BASE, FLOOR)
    free = published & (lower != upper)
    if free.sum() > 14:
        return  # the brute force would take too long
    rounded = controlled_round(A, n, published, BASE, FLOOR, structure.line_groups())
    v = rounded.values
    assert np.all((v[published] == lower[published]) | (v[published] == upper[published]))
    assert np.all(v[published] % BASE == 0) and np.all(v[~published] == n[~published])
    assert np.all((v[published] == 0) == (n[published] == 0))
    assert not np.any(published & (n > 0) & (v <= THRESHOLD))
    solutions = reference(A, n, published)
    assert (rounded.nonadditive.size == 0) == bool(solutions), (n.tolist(), published.tolist())
    if solutions:
        best = min(int(np.abs(s - n).sum()) for s in solutions)
        assert rounded.deviation <= best * 1.05 + BASE


def test_two_by_one_table_rounds_to_an_additive_pair() -> None:
    # The case: 12 and 12 under 24; independently 10, 10 and 25. Controlled: 10 + 15 = 25 (or 15 + 10).
    structure, n = _table((2,), [12, 12])
    rounded = controlled_round(structure.lines().tocsr(), n, np.ones(3, dtype=bool), BASE, FLOOR)
    assert sorted(rounded.values[:2].tolist()) == [10, 15] and rounded.values[2] == 25
    assert rounded.nonadditive.size == 0 and rounded.method == "additive"


def test_counts_just_above_the_threshold_only_go_up_and_a_line_that_cannot_add_up_is_reported() -> None:
    # 8 + 8 + 8 = 24: each 8 may only be 10 (5 would read as a small count), the total 20 or 25: no way.
    structure, n = _table((3,), [8, 8, 8])
    rounded = controlled_round(structure.lines().tocsr(), n, np.ones(4, dtype=bool), BASE, FLOOR)
    assert rounded.values[:3].tolist() == [10, 10, 10]
    assert rounded.nonadditive.size == 1 and rounded.method == "fewest non-additive lines"


@pytest.mark.parametrize("shape", [(12, 9), (6, 5, 4)])
def test_larger_tables_round_additively(shape: tuple[int, ...]) -> None:
    rng = np.random.default_rng(7)
    structure, n = _table(shape, rng.integers(10, 300, int(np.prod(shape))).tolist())
    rounded = controlled_round(structure.lines().tocsr(), n, np.ones(n.size, dtype=bool), BASE, FLOOR,
                               structure.line_groups())
    assert rounded.nonadditive.size == 0 and not np.any(structure.lines() @ rounded.values)
    assert np.all(np.abs(rounded.values - n) < BASE)
