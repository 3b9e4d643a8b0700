"""Attacks through the outputs themselves, end to end on the synthetic registry: each one must end in a
refusal or a protected output (issue 15, item 5)."""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest
from runs import request_copy, run

from builders import approve_and_release
from conftest import TEST_KEY
from extractor.checker.release_check import check_release
from extractor.config.load import load_config
from extractor.errors import ExtractorError
from extractor.pipeline import run_extract

AGGREGATE = """[[outputs]]
name = "{name}"
query = "{query}"
kind = "aggregate"
dimensions = {dims}
counts = {counts}

[notice"""


def _aggregate_request(folder: Path, sql: str, dims: list[str], counts: list[str], name: str = "smuggle",
                       variables: str | None = None) -> Path:
    """The research request with its one output replaced by an aggregate of the given SQL."""
    (folder / "q.sql").write_text(sql, encoding="utf-8")
    path = request_copy("research_request.toml", folder)
    text = path.read_text(encoding="utf-8")
    head, rest = text.split("[[outputs]]", 1)
    tail = rest[rest.index("[notice") + len("[notice"):]
    if variables is not None:
        head = head[: head.index("[variables]")] + variables + "\n"
    out = AGGREGATE.format(name=name, query=folder / "q.sql", dims=str(dims).replace("'", '"'),
                           counts=str(counts).replace("'", '"'))
    path.write_text(head + out + tail, encoding="utf-8")
    return path


def _refused_or_protected(request: Path, registry: Path, out: Path) -> str:
    """Run; a refusal is a one-line ExtractorError. Returns 'refused: …' or the released CSV text."""
    try:
        release = run(request, registry, out)
    except ExtractorError as exc:
        assert "\n" not in str(exc)
        return f"refused: {exc}"
    assert check_release(release).passed
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(release.glob("*.csv")))


PERSON_LEVEL = [  # (attack, SQL, dimensions, [variables], what the refusal must say)
    ("client key as a dimension", "SELECT client_id AS who, count(*) AS n FROM documents GROUP BY ALL",
     ["who"], None, "column 'who' holds person or document keys"),  # refused before disclosure control
    ("client key folded past that check",
     "SELECT client_id % 1000003 AS who, count(*) AS n FROM documents GROUP BY ALL",
     ["who"], None, "dimension 'who' has"),  # then disclosure control refuses the person-level rows
    ("birth date and postcode", "SELECT c.birth_date::VARCHAR AS born, c.postal_code AS post, count(*) AS n "
     "FROM clients c JOIN documents d USING (client_id) GROUP BY ALL", ["born", "post"],
     '[variables]\nclients = ["client_id", "birth_date", "postal_code"]\ndocuments = ["client_id"]',
     "dimension 'born' has"),
    ("a note smuggled through a dimension", "SELECT note AS topic, count(*) AS n FROM documents "
     "WHERE note IS NOT NULL AND created_on >= DATE '2026-01-01' GROUP BY ALL", ["topic"],
     '[variables]\ndocuments = ["client_id", "note", "created_on"]', "dimension 'topic' has"),
]


@pytest.mark.parametrize(("attack", "sql", "dims", "variables", "named"), PERSON_LEVEL,
                         ids=[p[0] for p in PERSON_LEVEL])
def test_person_level_rows_through_an_aggregate_are_refused(registry: Path, tmp_path: Path, attack: str, sql: str,
                                                            dims: list[str], variables: str | None,
                                                            named: str) -> None:
    request = _aggregate_request(tmp_path, sql, dims, ["n"], variables=variables)
    result = _refused_or_protected(request, registry, tmp_path / "out")
    assert result.startswith("refused:") and named in result, result[:300]


def test_a_formula_in_a_released_cell_is_neutralised(registry: Path, tmp_path: Path) -> None:
    sql = ("SELECT CASE WHEN service_task = '10' THEN '=HYPERLINK(\"http://evil.example\",\"x\")' "
           "WHEN service_task = '15' THEN '@SUM(1+1)' ELSE '+cmd|' || service_task END AS label, "
           "count(*) AS n FROM documents GROUP BY ALL")
    variables = '[variables]\ndocuments = ["client_id", "service_task"]'
    request = _aggregate_request(tmp_path, sql, ["label"], ["n"], variables=variables)
    release = run(request, registry, tmp_path / "out")
    labels = sorted(pl.read_csv(release / "smuggle.csv", infer_schema=False)["label"].to_list())
    assert labels == ["'+cmd|20", "'=HYPERLINK(\"http://evil.example\",\"x\")", "'@SUM(1+1)"]
    assert check_release(release).passed


def test_pseudonyms_of_one_person_differ_between_projects(registry: Path, tmp_path: Path) -> None:
    values = []
    for project in ("project-a", "project-b"):
        folder = tmp_path / project
        folder.mkdir()
        request = request_copy("notes_request.toml", folder,
                               {'project = "disability-services-study"': f'project = "{project}"'})
        release = run(request, registry, folder / "out")
        values.append(set(pl.read_csv(release / "case_notes.csv", infer_schema=False)["client_id"]))
    assert values[0] and values[1]
    assert not values[0] & values[1]


def test_two_requests_that_differ_by_one_person_are_flagged(registry: Path, tmp_path: Path) -> None:
    """The second request renames the output and its count to dodge the comparison; it is still made."""
    folder = tmp_path / "first"
    folder.mkdir()
    first_request = request_copy("audit_request.toml", folder)
    out = tmp_path / "out"
    first = run_extract(load_config(first_request, registry), out, TEST_KEY.encode())
    approve_and_release(out, first.run_id, tmp_path / "released")
    changed = tmp_path / "registry"
    shutil.copytree(registry, changed)
    docs = pl.read_parquet(changed / "documents.parquet")
    one = docs["client_id"].mode()[0]  # the client with the most documents: one person, many cells
    docs.filter(pl.col("client_id") != one).write_parquet(changed / "documents.parquet")
    folder = tmp_path / "second"
    folder.mkdir()
    second_request = request_copy("audit_request.toml", folder, {
        'id = "AUD-2026-014"': 'id = "AUD-2026-015"', 'name = "document_volumes"': 'name = "volumes_again"',
        'counts = ["clients"]': 'counts = ["people"]'})
    second = run_extract(load_config(second_request, changed), out, TEST_KEY.encode())
    assert any(d.output == "volumes_again" and d.earlier_run.endswith("/document_volumes")
               for d in second.differences), second.differences


@pytest.mark.parametrize("name", ['ye"ar', "a;DROP TABLE x", "x--", "\u0000nul"])
def test_hostile_aggregate_names_are_names_or_refused(registry: Path, tmp_path: Path, name: str) -> None:
    sql = f'SELECT service_task AS "{name.replace(chr(34), chr(34) * 2)}", count(*) AS n FROM documents GROUP BY ALL'
    request = _aggregate_request(tmp_path, sql, [name], ["n"],
                                 variables='[variables]\ndocuments = ["client_id", "service_task"]')
    try:
        result = _refused_or_protected(request, registry, tmp_path / "out")
    except ExtractorError as exc:  # the request itself refused at load
        result = f"refused: {exc}"
    assert result.startswith("refused:") or name.replace('"', '""') in result or name in result
