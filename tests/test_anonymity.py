"""k-anonymity / ℓ-diversity: ARX's own optima on UCI Adult, and exhaustive search on random tables."""

from __future__ import annotations

import itertools
import math
from collections import Counter, defaultdict
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import ADULT
from extractor.disclosure.records.anonymity import Criteria, generalise, search
from extractor.disclosure.records.hierarchy import Hierarchy, age_bands, code_prefixes, dates, postal_codes_fi
from extractor.errors import ExtractorError

ORDER = ["sex", "age", "race", "marital-status", "education", "native-country", "workclass", "occupation"]


@pytest.fixture(scope="module")
def adult() -> tuple[pl.DataFrame, dict[str, Hierarchy]]:
    data = pl.read_csv(ADULT / "adult.csv", separator=";", infer_schema=False)
    return data, {a: Hierarchy.from_csv(ADULT / f"adult_hierarchy_{a}.csv", a) for a in ORDER}


# ARX's Flash on the same data and settings (the anchor).
ARX = [
    (0.01, (0, 3, 0, 1, 3, 1, 1, 2), 273, 0.358785),
    (0.05, (0, 3, 0, 0, 1, 1, 1, 2), 1458, 0.251852),
]


@pytest.mark.parametrize(("limit", "levels", "suppressed", "loss"), ARX)
def test_same_optimum_as_arx(adult, limit: float, levels: tuple, suppressed: int, loss: float) -> None:
    data, hs = adult
    result = search(data, hs, Criteria(k=5, suppression_limit=limit))
    assert tuple(result.levels[a] for a in ORDER) == levels
    assert result.suppressed == suppressed
    assert round(result.loss, 6) == loss
    assert result.evaluated < result.lattice_size / 5  # pruning, not exhaustion


def test_released_records_are_k_anonymous_and_l_diverse(adult) -> None:
    data, hs = adult
    c = Criteria(k=5, l=2, sensitive=("salary-class",), suppression_limit=0.05)
    result = search(data, hs, c)
    out = generalise(data, hs, result, c)
    assert out.height == data.height - result.suppressed
    classes = out.group_by(ORDER).agg(pl.len().alias("n"), pl.col("salary-class").n_unique().alias("l"))
    assert classes["n"].min() >= 5 and classes["l"].min() >= 2
    assert result.risks["highest_prosecutor_risk"] <= 1 / 5


# --- exhaustive reference on random small tables ------------------------------------------------------

def reference(rows: list[tuple], hs: list[list[list[str]]], k: int, limit: float,
              sens: list[str] | None, ell: int | None) -> float | None:
    """Try every node with plain dicts; return the least loss of an anonymous node (None if none)."""
    n, m = len(rows), len(hs)
    maps = [[{r[0]: r[lv] for r in h} for lv in range(len(h[0]))] for h in hs]
    counts = [[Counter(r[lv] for r in h) for lv in range(len(h[0]))] for h in hs]
    best = None
    for node in itertools.product(*[range(len(h[0])) for h in hs]):
        gen = [tuple(maps[a][node[a]][row[a]] for a in range(m)) for row in rows]
        size, distinct = Counter(gen), defaultdict(set)
        for g, row_i in zip(gen, range(n), strict=True):
            if sens is not None:
                distinct[g].add(sens[row_i])
        bad = {g for g in size if size[g] < k or (ell and len(distinct[g]) < ell)}
        suppressed = sum(size[g] for g in bad)
        if suppressed > math.floor(limit * n):
            continue
        vs = []
        for a in range(m):
            d = len(hs[a])
            total = sum(1.0 if g in bad else counts[a][node[a]][g[a]] / d for g in gen)
            vs.append((total - n / d) / (n - n / d))
        loss = math.prod(1 + v for v in vs) ** (1 / m) - 1
        best = loss if best is None or loss < best else best
    return best


HIER = [
    [["a", "ab", "*"], ["b", "ab", "*"], ["c", "cd", "*"], ["d", "cd", "*"]],
    [["1", "1-2", "1-4", "*"], ["2", "1-2", "1-4", "*"], ["3", "3-4", "1-4", "*"], ["4", "3-4", "1-4", "*"],
     ["5", "5-6", "5-8", "*"], ["6", "5-6", "5-8", "*"]],
    [["x", "*"], ["y", "*"], ["z", "*"]],
    [["p", "pq", "pqr", "*"], ["q", "pq", "pqr", "*"], ["r", "r", "pqr", "*"], ["t", "t", "t", "*"],
     ["u", "u", "u", "*"]],
]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(st.tuples(st.sampled_from("abcd"), st.sampled_from("123456"), st.sampled_from("xyz"),
                               st.sampled_from("pqrtu"), st.sampled_from(["s1", "s2", "s3"])),
                     min_size=1, max_size=60),
       k=st.integers(1, 6), limit=st.sampled_from([0.0, 0.05, 0.1, 0.3]), ell=st.sampled_from([None, 2]))
def test_search_finds_the_exhaustive_optimum(rows: list[tuple], k: int, limit: float, ell: int | None) -> None:
    frame = pl.DataFrame(rows, schema=["q0", "q1", "q2", "q3", "s"], orient="row")
    hs = {f"q{i}": Hierarchy.from_rows(f"q{i}", h) for i, h in enumerate(HIER)}
    expected = reference([r[:4] for r in rows], HIER, k, limit, [r[4] for r in rows], ell)
    c = Criteria(k=k, l=ell, sensitive=("s",) if ell else (), suppression_limit=limit)
    if expected is None:
        with pytest.raises(ExtractorError, match="no generalisation meets"):
            search(frame, hs, c)
        return
    result = search(frame, hs, c)
    assert result.loss == pytest.approx(expected, abs=1e-9)
    out = generalise(frame, hs, result, c)
    if out.height:
        assert out.group_by(["q0", "q1", "q2", "q3"]).len()["len"].min() >= k


@pytest.mark.parametrize("names", [("n", "s"), ("q0", "n"), ("n", "_n")])
def test_attributes_named_like_the_internal_count_give_the_same_result(names: tuple[str, str]) -> None:
    """An output's columns may be called anything, n included (a hostile-names test found the count's name
    taken); the result is the one the same data gives under ordinary names."""
    rows = [("a", "s1"), ("a", "s2"), ("b", "s1"), ("b", "s1"), ("c", "s2"), ("c", "s3"), ("a", "s1")]
    plain = pl.DataFrame(rows, schema=["q0", "s"], orient="row")
    c = Criteria(k=2, l=2, sensitive=("s",), suppression_limit=0.3)
    expected = search(plain, {"q0": Hierarchy.from_rows("q0", HIER[0])}, c)
    qi, sensitive = names
    renamed = plain.rename({"q0": qi, "s": sensitive})
    got = search(renamed, {qi: Hierarchy.from_rows(qi, HIER[0])},
                 Criteria(k=2, l=2, sensitive=(sensitive,), suppression_limit=0.3))
    assert got.loss == pytest.approx(expected.loss) and list(got.levels.values()) == list(expected.levels.values())
    beside = renamed.with_columns(pl.lit("kept").alias("__raw"), pl.lit("kept").alias("__gen"))  # other columns
    out = generalise(beside, {qi: Hierarchy.from_rows(qi, HIER[0])}, got, Criteria(k=2))
    assert out.columns == beside.columns and set(out["__raw"]) <= {"kept"} and set(out["__gen"]) <= {"kept"}


def test_value_missing_from_hierarchy_is_a_clear_error() -> None:
    frame = pl.DataFrame({"q0": ["a", "e"]})
    with pytest.raises(ExtractorError, match="hierarchy q0: no row for value 'e'"):
        search(frame, {"q0": Hierarchy.from_rows("q0", HIER[0])}, Criteria(k=1))


def test_builtin_hierarchies() -> None:
    ages = age_bands()
    assert ages.levels.row(37) == ("37", "35-39", "30-39", "20-39", "*")
    d = dates(pl.Series([None, "2024-02-29"]).str.to_date())
    assert d.levels.row(0) == ("2024-02-29", "2024-02", "2024", "2020s", "*")
    p = postal_codes_fi()
    helsinki = p.levels.filter(pl.col("0") == "00100").row(0)
    assert helsinki == ("00100", "Helsinki", "Helsingin seutukunta", "Uusimaa", "Helsinki-Uusimaa", "*")
    c = code_prefixes(pl.Series(["F32.1", "F41"]))
    assert c.levels.row(0) == ("F32.1", "F32", "F3", "F", "*")


def test_hierarchy_csv_errors(tmp_path: Path) -> None:
    bad = tmp_path / "h.csv"
    bad.write_text("a;*\nb\n")
    with pytest.raises(ExtractorError, match="every row needs"):
        Hierarchy.from_csv(bad)
