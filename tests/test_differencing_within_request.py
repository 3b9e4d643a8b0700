"""Differencing inside one request: two files, or two count columns of one file, that count nearly the same
people and differ by one person. Each attack below is one a requester can write from the README alone; each
must reach the reviewers as a finding. The demo requests must not (their figures differ by more somewhere)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from builders import ONE, request_with_outputs
from conftest import REPO, TEST_KEY
from extractor.config.load import load_config
from extractor.disclosure.tables.differencing import compare, published, within_rows
from extractor.pipeline import run_extract

THRESHOLD = 7
# The aim of the tables below, which read documents joined to clients: a person in both (the rules may leave a
# person's client row out and keep their documents, and the sandbox's keys change per run).
ONE_WITH_DOCUMENTS = "(SELECT min(client_id) FROM documents JOIN clients USING (client_id))"


def _run(request: Path, registry: Path, tmp: Path):  # noqa: ANN202 - RunResult
    return run_extract(load_config(request, registry), tmp / "out", TEST_KEY.encode())


TABLE = 'kind = "table"\ndimensions = ["region"]\nunit = "client_id"\ncounts = ["clients"]\nmagnitudes = ["docs"]\n'
PER_CLIENT = ("SELECT c.region, d.client_id, count(*)::DOUBLE AS docs FROM documents d JOIN clients c "
              "USING (client_id) {where} GROUP BY ALL")


def test_two_tables_one_without_one_person_are_flagged(registry: Path, tmp_path: Path) -> None:
    """The sums of a magnitude are exact: a table of everyone and the same table without one person give that
    person's value by subtraction. The two tables' counts differ by one: flagged, naming the first table."""
    request = request_with_outputs(tmp_path, "DIFF-T", {
        "everyone": (PER_CLIENT.format(where=""), TABLE),
        "but_one": (PER_CLIENT.format(where=f"WHERE d.client_id <> {ONE_WITH_DOCUMENTS}"), TABLE)})
    result = _run(request, registry, tmp_path)
    found = [d for d in result.differences if d.output == "but_one"]
    assert found and found[0].earlier_run == f"{result.run_id}/everyone" and found[0].column == "clients"
    html = (result.run_dir / "review" / "review.html").read_text(encoding="utf-8")
    assert 'id="differencing"' in html and "but_one" in html


def test_two_cell_key_tables_one_person_apart_are_flagged(registry: Path, tmp_path: Path) -> None:
    """The same records give the same noise: a difference of 0 says the person adds nothing, anything else that
    they do. Cell-key tables are compared like any other."""
    keyed = TABLE.replace('kind = "table"', 'kind = "table"\nprivacy = "cell_key"').replace('magnitudes = ["docs"]\n',
                                                                                             "")
    query = PER_CLIENT.replace(", count(*)::DOUBLE AS docs", "")
    but_one = query.format(where=f"WHERE d.client_id <> {ONE_WITH_DOCUMENTS}")
    request = request_with_outputs(tmp_path, "DIFF-CK", {"everyone": (query.format(where=""), keyed),
                                                         "but_one": (but_one, keyed)})
    assert any(d.output == "but_one" for d in _run(request, registry, tmp_path).differences)


AGGREGATE = 'kind = "aggregate"\ndimensions = ["sex"]\ncounts = ["born_before", "born_before_or_the_one"]\n'
COLUMNS = ("SELECT sex, count(*) FILTER (WHERE birth_date < DATE '1960-01-01') AS born_before, "
           "count(*) FILTER (WHERE birth_date < DATE '1960-01-01' OR client_id = {one}) AS born_before_or_the_one "
           "FROM clients GROUP BY ALL")


def test_two_count_columns_one_person_apart_are_flagged(registry: Path, tmp_path: Path) -> None:
    """Rounded to 5 each on its own, two counts one apart publish different figures whenever the first ends in
    2 or 7 (+1 crosses the midpoint): a yes-or-no fact about the person, one column pair at a time."""
    young = "(SELECT min(client_id) FROM clients WHERE birth_date >= DATE '1960-01-01')"  # added, not there
    request = request_with_outputs(tmp_path, "DIFF-C", {"ages": (COLUMNS.format(one=young), AGGREGATE)})
    found = _run(request, registry, tmp_path).differences
    assert [(d.output, d.column, d.other_column) for d in found] == [("ages", "born_before",
                                                                      "born_before_or_the_one")]


def test_two_aggregates_one_person_apart_are_flagged(registry: Path, tmp_path: Path) -> None:
    one = AGGREGATE.replace('counts = ["born_before", "born_before_or_the_one"]', 'counts = ["n"]')
    query = "SELECT sex, count(*) AS n FROM clients {where} GROUP BY ALL"
    request = request_with_outputs(tmp_path, "DIFF-A", {"everyone": (query.format(where=""), one),
                                            "but_one": (query.format(where=f"WHERE client_id <> {ONE}"), one)})
    result = _run(request, registry, tmp_path)
    assert [(d.output, d.earlier_run) for d in result.differences] == [("but_one", f"{result.run_id}/everyone")]


def test_the_audit_demo_is_not_flagged(registry: Path, tmp_path: Path) -> None:
    """Clients and documents in one row differ by a few in some rows and by many in others: not nearly the same
    people, so the reviewers are not told to return an ordinary request (the research demo: test_pipeline)."""
    assert _run(REPO / "examples" / "registry" / "audit_request.toml", registry, tmp_path).differences == []


# The rule itself, against a reference written out cell by cell.

def _published(name: str, rows: list[tuple[str, int, bool]], column: str = "n"):  # noqa: ANN202 - Published
    return published(name, column, ["g"], pl.DataFrame(rows, schema={"g": pl.String, "_count": pl.Int64,
                                                                     "_hidden": pl.Boolean}, orient="row"))


def _reference(new: list[tuple[str, int, bool]], old: list[tuple[str, int, bool]], nearly_all: bool) -> int:
    """Cells flagged: same label, both shown, 1..threshold apart; with nearly_all, if any shown pair is further
    apart, only those also within 1 % of the larger count."""
    pairs = [(a, b) for g, a, ha in new for h, b, hb in old if g == h and not ha and not hb]
    padded = nearly_all and any(abs(a - b) > THRESHOLD for a, b in pairs)
    return sum(1 <= abs(a - b) <= THRESHOLD and (not padded or 100 * abs(a - b) <= max(a, b)) for a, b in pairs)


CELLS = st.lists(st.tuples(st.sampled_from("abcd"), st.integers(0, 1_000), st.booleans()), max_size=6,
                 unique_by=lambda c: c[0])


@given(new=CELLS, old=CELLS, nearly_all=st.booleans())
def test_compare_against_the_reference(new: list, old: list, nearly_all: bool) -> None:
    found = compare("t", _published("run/t", new), [_published("run/s", old)], THRESHOLD, nearly_all)
    assert sum(d.cells for d in found) == _reference(new, old, nearly_all)
    assert all(d.earlier_run == "run/s" for d in found)


@given(rows=st.lists(st.tuples(st.integers(0, 1_000), st.integers(0, 1_000), st.booleans(), st.booleans()),
                     max_size=6))
def test_within_rows_against_the_reference(rows: list) -> None:
    a = _published("run/t", [(str(i), x, hx) for i, (x, _, hx, _) in enumerate(rows)])
    b = _published("run/t", [(str(i), y, hy) for i, (_, y, _, hy) in enumerate(rows)], column="m")
    found = within_rows("t", [a, b], THRESHOLD)
    expected = _reference([(str(i), x, hx) for i, (x, _, hx, _) in enumerate(rows)],
                          [(str(i), y, hy) for i, (_, y, _, hy) in enumerate(rows)], nearly_all=True)
    assert sum(d.cells for d in found) == expected
    assert all(d.column == "n" and d.other_column == "m" for d in found)


@pytest.mark.parametrize(("new", "old", "nearly_all", "cells"), [
    ([("a", 100, False)], [("a", 101, False)], True, 1),  # one apart
    ([("a", 100, False)], [("a", 100, False)], True, 0),  # equal: nothing to subtract
    ([("a", 100, False)], [("a", 108, False)], True, 0),  # beyond the threshold
    ([("a", 100, False)], [("a", 107, False)], True, 1),  # at the threshold
    ([("a", 100, True)], [("a", 101, False)], True, 0),  # hidden on one side
    ([("a", 100, False), ("b", 50, False)], [("a", 101, False), ("b", 80, False)], True, 1),  # padded: 1 %
    ([("a", 99, False), ("b", 50, False)], [("a", 100, False), ("b", 80, False)], True, 1),  # 1 of 100
    ([("a", 98, False), ("b", 50, False)], [("a", 99, False), ("b", 80, False)], True, 0),  # 1 of 99: apart
    ([("a", 100, False), ("b", 50, False)], [("a", 101, False), ("b", 80, False)], False, 1),  # across releases
    ([("a", 100, False)], [("b", 101, False)], True, 0),  # no label in common
])
def test_compare_cases(new: list, old: list, nearly_all: bool, cells: int) -> None:
    found = compare("t", _published("run/t", new), [_published("run/s", old)], THRESHOLD, nearly_all)
    assert sum(d.cells for d in found) == cells


def test_a_table_with_one_more_dimension_meets_in_its_margins(registry: Path, tmp_path: Path) -> None:
    """Everyone by region, then everyone but one by region and sex: the second's region margins (sex = Total)
    are the first table's cells, one person apart."""
    by_sex = TABLE.replace('dimensions = ["region"]', 'dimensions = ["region", "sex"]')
    query = PER_CLIENT.replace("SELECT c.region,", "SELECT c.region, c.sex,")
    request = request_with_outputs(tmp_path, "DIFF-M", {
        "everyone": (PER_CLIENT.format(where=""), TABLE),
        "but_one": (query.format(where=f"WHERE d.client_id <> {ONE_WITH_DOCUMENTS}"), by_sex)})
    assert any(d.output == "but_one" for d in _run(request, registry, tmp_path).differences)


def test_outputs_whose_labels_are_of_different_types_run(registry: Path, tmp_path: Path) -> None:
    """A year as a number in one file and a region as text in the next are compared as text, not refused."""
    lines = 'kind = "aggregate"\ndimensions = ["{d}"]\ncounts = ["clients"]\n'
    request = request_with_outputs(tmp_path, "DIFF-Y", {
        "by_year": ("SELECT year(birth_date) AS born, count(*) AS clients FROM clients GROUP BY ALL",
                    lines.format(d="born")),
        "by_region": ("SELECT region, count(*) AS clients FROM clients GROUP BY ALL", lines.format(d="region"))})
    assert _run(request, registry, tmp_path).differences == []


def test_the_margin_label_is_the_tables_own() -> None:
    from extractor.disclosure.tables import differencing, structure

    assert differencing.TOTAL == structure.TOTAL


def test_an_aggregate_against_an_earlier_release_is_flagged(registry: Path, tmp_path: Path) -> None:
    """Aggregates leave their exact counts for later differencing, as tables do; the flow of the rules does not."""
    from builders import approve_and_release

    one = AGGREGATE.replace('counts = ["born_before", "born_before_or_the_one"]', 'counts = ["n"]')
    query = "SELECT sex, count(*) AS n FROM clients {where} GROUP BY ALL"
    out = tmp_path / "out"
    first_folder, second_folder = tmp_path / "first", tmp_path / "second"
    first_folder.mkdir()
    second_folder.mkdir()
    first = run_extract(load_config(request_with_outputs(first_folder, "DIFF-R1", {
        "by_sex": (query.format(where=""), one)}), registry), out, TEST_KEY.encode())
    assert sorted(p.name for p in (first.run_dir / "controller" / "aggregates").iterdir()) == ["by_sex.parquet"]
    approve_and_release(out, first.run_id, tmp_path / "released")
    second = run_extract(load_config(request_with_outputs(second_folder, "DIFF-R2", {
        "again": (query.format(where=f"WHERE client_id <> {ONE}"), one)}), registry), out, TEST_KEY.encode())
    assert [(d.output, d.earlier_run) for d in second.differences] == [("again", f"{first.run_id}/by_sex")]


def test_two_magnitudes_one_persons_value_apart_are_flagged(registry: Path, tmp_path: Path) -> None:
    """One table, two magnitudes: documents, and documents with one person's set to 0. Equal in most cells,
    apart where that person is: the person's count of documents, exactly."""
    query = ("SELECT c.region, d.client_id, count(*)::DOUBLE AS docs, sum(CASE WHEN d.client_id = "
             f"{ONE_WITH_DOCUMENTS} THEN 0 ELSE 1 END)::DOUBLE AS docs_but_one FROM documents d "
             "JOIN clients c USING (client_id) GROUP BY ALL")
    lines = TABLE.replace('magnitudes = ["docs"]', 'magnitudes = ["docs", "docs_but_one"]')
    found = _run(request_with_outputs(tmp_path, "DIFF-MM", {"two": (query, lines)}), registry, tmp_path).differences
    assert [(d.column, d.other_column, d.magnitudes) for d in found] == [("docs", "docs_but_one", True)]


def test_magnitudes_that_measure_different_things_are_not_flagged(registry: Path, tmp_path: Path) -> None:
    query = ("SELECT c.region, d.client_id, count(*)::DOUBLE AS docs, count(DISTINCT d.service_task)::DOUBLE AS "
             "tasks FROM documents d JOIN clients c USING (client_id) GROUP BY ALL")
    lines = TABLE.replace('magnitudes = ["docs"]', 'magnitudes = ["docs", "tasks"]')
    request = request_with_outputs(tmp_path, "DIFF-MD", {"two": (query, lines)})
    assert _run(request, registry, tmp_path).differences == []
