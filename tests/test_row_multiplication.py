"""A query that multiplies rows is refused: counts over it would pass the small-count rule multiplied.

`documents CROSS JOIN (SELECT client_id FROM clients LIMIT 1000)` published a cell of 149,109 documents as
149,109,000; a cell of 3 would have been 3,000. Each form that makes rows is tried end to end on the test
registry; the forms that do not (a one-to-many join, EXISTS, IN, count(DISTINCT) over a one-to-many join)
still run.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import REPO, TEST_KEY
from extractor.config.load import load_config
from extractor.errors import ExtractorError
from extractor.pipeline import run_extract
from extractor.protect.row_multiplication import multiplying_operator

RESEARCH = REPO / "examples" / "registry" / "research_request.toml"


def _node(kind: str, rows: int, *children: dict) -> dict:
    return {"type": kind, "intermediate_rows": rows, "children": list(children)}


SCAN_A, SCAN_B = _node("TABLE_SCAN", 100), _node("TABLE_SCAN", 10)
PROFILES = {
    "a cross product": (_node("CROSS_PRODUCT", 1000, SCAN_A, SCAN_B), "CROSS_PRODUCT"),
    "a hash join that makes rows": (_node("HASH_JOIN", 101, SCAN_A, SCAN_B), "HASH_JOIN"),
    "an unnest": (_node("UNNEST", 200, SCAN_A), "UNNEST"),
    "deep in the tree": (_node("PROJECTION", 3, _node("HASH_GROUP_BY", 3, _node("NESTED_LOOP_JOIN", 500, SCAN_A,
                                                                                 SCAN_B))), "NESTED_LOOP_JOIN"),
    "a one-to-many join": (_node("HASH_JOIN", 100, SCAN_A, SCAN_B), None),
    "a join that filters": (_node("HASH_JOIN", 7, SCAN_A, SCAN_B), None),
    "a union of two tables": (_node("UNION", 110, SCAN_A, SCAN_B), None),
    "an outer join that keeps unmatched rows": ({**_node("HASH_JOIN", 105, SCAN_A, SCAN_B),
                                                  "extra_info": {"Join Type": "RIGHT"}}, None),
    "an outer join that makes rows": ({**_node("HASH_JOIN", 111, SCAN_A, SCAN_B),
                                       "extra_info": {"Join Type": "LEFT"}}, "HASH_JOIN"),
    "an aggregate": (_node("HASH_GROUP_BY", 5, SCAN_A), None),
}


@pytest.mark.parametrize(("profile", "found"), PROFILES.values(), ids=PROFILES.keys())
def test_the_operator_that_makes_rows_is_found(profile: dict, found: str | None) -> None:
    assert multiplying_operator({"operator": [profile]}) == found


def _scan(table: str, rows: int) -> dict:
    return {**_node("TABLE_SCAN", rows), "extra_info": {"Table": f"sandbox.main.{table}"}}


PEOPLE = frozenset({"drug_exposure", "person"})
VOCABULARY = {  # an equality join to tables without people may make rows (a drug to each of its ingredients)
    "a drug to its ancestors": (_node("HASH_JOIN", 900, _scan("drug_exposure", 100), _scan("concept_ancestor", 50)),
                                PEOPLE, None),
    "the same with every table taken as people's": (
        _node("HASH_JOIN", 900, _scan("drug_exposure", 100), _scan("concept_ancestor", 50)), None, "HASH_JOIN"),
    "people's rows on both sides": (_node("HASH_JOIN", 900, _scan("drug_exposure", 100), _scan("person", 50)),
                                    PEOPLE, "HASH_JOIN"),
    "a cross product with a vocabulary": (
        _node("CROSS_PRODUCT", 5000, _scan("drug_exposure", 100), _scan("concept", 50)), PEOPLE, "CROSS_PRODUCT"),
    "a side that reads no table (VALUES, range)": (
        _node("HASH_JOIN", 900, _scan("drug_exposure", 100), _node("TABLE_FUNCTION", 50)), PEOPLE, "HASH_JOIN"),
}


@pytest.mark.parametrize(("profile", "people", "found"), VOCABULARY.values(), ids=VOCABULARY.keys())
def test_a_vocabulary_join_may_make_rows(profile: dict, people: frozenset[str] | None, found: str | None) -> None:
    assert multiplying_operator({"operator": [profile]}, people) == found


def _request(folder: Path, sql: str) -> Path:
    text = RESEARCH.read_text(encoding="utf-8").replace('catalog = "catalog.toml"',
                                                         f'catalog = "{RESEARCH.parent / "catalog.toml"}"')
    query = text[text.index('query = "'):].split("\n", 1)[0]
    (folder / "q.sql").write_text(sql, encoding="utf-8")
    text = text.replace(query, f'query = "{folder / "q.sql"}"', 1)
    text = text.replace('dimensions = ["service_task", "age_band", "sex", "region"]', 'dimensions = ["service_task"]')
    path = folder / "request.toml"
    path.write_text(text, encoding="utf-8")
    return path


MULTIPLYING = {
    "a cross join": "FROM documents d CROSS JOIN (SELECT client_id FROM clients LIMIT 50) m",
    "a join on true": "FROM documents d JOIN clients m ON true",
    "a many-to-many join on a non-key": "FROM documents d JOIN clients c USING (client_id) "
                                        "JOIN clients m ON m.region = c.region",
    "a generated series": "FROM documents d, range(20)",
    "an unnest in a subquery": "FROM (SELECT service_task, unnest(range(20)) AS k FROM documents) d",
    "a cross join in a scalar subquery": "FROM documents d WHERE (SELECT count(*) FROM clients a CROSS JOIN "
                                         "clients b) > 5",
}


@pytest.mark.parametrize("source", MULTIPLYING.values(), ids=MULTIPLYING.keys())
def test_a_query_that_multiplies_rows_is_refused(registry: Path, tmp_path: Path, source: str) -> None:
    request = _request(tmp_path, f"SELECT d.service_task, count(*) AS clients {source} GROUP BY ALL\n")
    with pytest.raises(ExtractorError) as caught:
        run_extract(load_config(request, registry), tmp_path / "out", TEST_KEY.encode())
    message = str(caught.value)
    assert "makes more rows than either of its sides" in message and "EXISTS" in message and "\n" not in message
    assert not caught.value.before_data  # it depends on the data: a stop the airlock rations
    assert not any((tmp_path / "out").glob("*/*/release/*.csv"))


KEPT = {
    "a one-to-many join": "FROM documents d JOIN clients c USING (client_id)",
    "EXISTS": "FROM documents d WHERE EXISTS (SELECT 1 FROM clients c WHERE c.client_id = d.client_id "
              "AND c.region IS NOT NULL)",
    "IN": "FROM documents d WHERE d.client_id IN (SELECT client_id FROM clients WHERE sex = 'F')",
    "clients without documents kept": "FROM clients c LEFT JOIN documents d USING (client_id)",
}


@pytest.mark.parametrize("source", KEPT.values(), ids=KEPT.keys())
def test_joins_that_do_not_make_rows_run(registry: Path, tmp_path: Path, source: str) -> None:
    request = _request(tmp_path, f"SELECT d.service_task, count(DISTINCT d.client_id) AS clients {source} "
                                 "GROUP BY ALL\n")
    assert run_extract(load_config(request, registry), tmp_path / "out", TEST_KEY.encode()).release_dir.exists()


UNIONS = {  # a union of one table's rows with themselves counts the same people twice (a table attack: x8)
    "a table with itself": ("FROM (SELECT * FROM documents UNION ALL SELECT * FROM documents) d", True),
    "eight times through a CTE": ("FROM (WITH x AS (SELECT service_task FROM documents WHERE service_task = '10') "
                                  "SELECT * FROM x UNION ALL SELECT * FROM x UNION ALL SELECT * FROM x) d", True),
    "overlapping subsets": ("FROM (SELECT service_task FROM documents WHERE service_task < '30' "
                            "UNION ALL SELECT service_task FROM documents WHERE service_task < '50') d", True),
    "two tables": ("FROM (SELECT service_task FROM documents UNION ALL SELECT sex AS service_task FROM clients) d",
                   False),
}


@pytest.mark.parametrize(("source", "refused"), UNIONS.values(), ids=UNIONS.keys())
def test_a_union_of_a_table_with_itself_is_refused(registry: Path, tmp_path: Path, source: str, refused: bool) -> None:
    request = _request(tmp_path, f"SELECT d.service_task, count(*) AS clients {source} GROUP BY ALL\n")
    if not refused:
        assert run_extract(load_config(request, registry), tmp_path / "out", TEST_KEY.encode()).release_dir.exists()
        return
    with pytest.raises(ExtractorError, match="a UNION whose branches read the same table's rows") as caught:
        run_extract(load_config(request, registry), tmp_path / "out", TEST_KEY.encode())
    assert "\n" not in str(caught.value) and not any((tmp_path / "out").glob("*/*/release/*.csv"))


def test_a_union_of_counts_runs(registry: Path, tmp_path: Path) -> None:
    """Each branch counted first: the union joins counts, not people's rows."""
    request = _request(tmp_path, "SELECT '10' AS service_task, count(*) AS clients FROM documents WHERE "
                                 "service_task = '10' UNION ALL SELECT 'all', count(*) FROM documents\n")
    assert run_extract(load_config(request, registry), tmp_path / "out", TEST_KEY.encode()).release_dir.exists()
