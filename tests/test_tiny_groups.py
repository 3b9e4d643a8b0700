"""An aggregate that lists a tiny group's rows: every figure hidden, yet which rows exist says what its few people
have. An attack helper made a group of one person (`CASE WHEN <their details> THEN 'A' …`) by service task and
read their services off the rows listed, while the file's large groups kept `only_small` from firing."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from builders import request_with_outputs
from conftest import TEST_KEY
from extractor.config.load import load_config
from extractor.config.policy import Disclosure
from extractor.config.request import Output
from extractor.disclosure.aggregate import control
from extractor.pipeline import run_extract
from extractor.release.layout import RunFolder

RULES = Disclosure()
OUT = Output("t", Path("q.sql"), "aggregate", ("grp", "task"), ("n",))


def _frame(rows: list[tuple[str, str, int]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema={"grp": pl.String, "task": pl.String, "n": pl.Int64}, orient="row")


@pytest.mark.parametrize(("rows", "tiny"), [
    # one person in A: A's rows and task 20 (only A has it) are tiny
    ([("A", "10", 1), ("A", "20", 1), ("rest", "10", 500), ("rest", "15", 400)], ("grp=A", "task=20")),
    ([("B", "10", 5), ("B", "15", 5), ("rest", "10", 500)], ("task=15",)),  # B is ten; task 15 is B's five
    ([("A", "10", 1), ("A", "20", 9), ("rest", "10", 500), ("rest", "20", 9)], ()),  # a figure of A is shown
    ([("A", "10", 0), ("A", "20", 1), ("rest", "10", 500)], ("task=20",)),  # a zero is shown as 0
    ([("rest", "10", 500), ("rest", "15", 3)], ("task=15",)),  # a task only three people have
    ([("rest", "10", 500), ("rest", "15", 3), ("other", "15", 4)], ("grp=other", "task=15")),  # seven in task 15
    ([("rest", "10", 500), ("rest", "15", 4), ("other", "15", 4)], ("grp=other",)),  # eight in task 15: not tiny
])
def test_tiny_groups_cases(rows: list, tiny: tuple) -> None:
    assert control(_frame(rows), OUT, RULES)[1].tiny_groups == tiny


def test_one_dimension_lists_no_other_values() -> None:
    one = Output("t", Path("q.sql"), "aggregate", ("grp",), ("n",))
    frame = pl.DataFrame({"grp": ["A", "rest"], "n": [1, 500]})
    assert control(frame, one, RULES)[1].tiny_groups == ()


@given(st.lists(st.tuples(st.sampled_from("ABC"), st.sampled_from(["10", "15", "20"]), st.integers(0, 30)),
                max_size=9, unique_by=lambda r: r[:2]))
def test_tiny_groups_against_the_reference(rows: list) -> None:
    """Reference: per value of each dimension, every row has its count in 1..7 (hidden; 0 is shown) and the
    counts add up to at most 7."""
    def tiny(i: int) -> list[str]:
        values = sorted({r[i] for r in rows})
        return [f"{('grp', 'task')[i]}={v}" for v in values
                if all(1 <= r[2] <= RULES.threshold for r in rows if r[i] == v)
                and sum(r[2] for r in rows if r[i] == v) <= RULES.threshold]
    assert control(_frame(rows), OUT, RULES)[1].tiny_groups == tuple(tiny(0) + tiny(1))


def test_a_group_of_one_by_service_task_is_for_the_dpo_to_return(registry: Path, tmp_path: Path) -> None:
    """The attacker knows one person's birth date and sex, which no one else shares (read here off the files)."""
    with duckdb.connect() as con:  # its own: the module's default connection is shared with other tests
        born, sex = con.execute(f"SELECT birth_date, sex FROM '{registry}/clients.parquet' c JOIN "
                                f"'{registry}/documents.parquet' d USING (client_id) GROUP BY ALL HAVING "
                                "count(DISTINCT client_id) = 1 ORDER BY count(*) DESC, 1 LIMIT 1").fetchall()[0]
    query = (f"SELECT CASE WHEN c.birth_date = DATE '{born}' AND c.sex = '{sex}' THEN 'A' ELSE 'rest' END AS grp, "
             "d.service_task, count(DISTINCT d.client_id) AS clients FROM documents d JOIN clients c "
             "USING (client_id) GROUP BY ALL")
    lines = 'kind = "aggregate"\ndimensions = ["grp", "service_task"]\ncounts = ["clients"]\n'
    request = request_with_outputs(tmp_path, "TINY-1", {"services": (query, lines)})
    result = run_extract(load_config(request, registry), tmp_path / "out", TEST_KEY.encode())
    assert "grp=A" in next(c for c in result.disclosure.controlled if c.output == "services").tiny_groups
    for lang, words in (("en", "Return services unless its groups"), ("fi", "services"), ("sv", "services")):
        html = (RunFolder(result.run_dir).review / f"review_{lang}.html").read_text(encoding="utf-8")
        assert words in html and "grp=A" in html


def test_a_column_of_zeros_and_hidden_figures_beside_shown_ones_is_flagged() -> None:
    """Clients shown, and "the one person with these details who has service 2" as a column: 0 or hidden."""
    out = Output("t", Path("q.sql"), "aggregate", ("sex",), ("clients", "the_one_with_2", "the_one_with_37"))
    frame = pl.DataFrame({"sex": ["F", "M"], "clients": [9000, 8680], "the_one_with_2": [0, 1],
                          "the_one_with_37": [0, 0]})
    record = control(frame, out, RULES)[1]
    assert record.small_columns == ("the_one_with_2",) and not record.only_small
    shown = frame.with_columns(pl.Series("the_one_with_2", [0, 40]))
    assert control(shown, out, RULES)[1].small_columns == ()  # a figure of the column is shown
