"""Hostile names at every output kind and every catalog role: a correct release or a one-line refusal.

Names carry quotes, backslashes, semicolons, comments, newlines, NUL, reserved words, non-Latin and
private-use letters, 1,000 characters. For outputs, the researcher's SQL returns columns of those names;
for the catalog, a source column (of a table or a register) is renamed in the files and mapped under
its role. Every run must end in a release that passes the checker (with the names as its header), or
an ExtractorError of one line: never another exception (an "internal error" with a traceback).
"""

from __future__ import annotations

import csv
import json
import shutil
import tomllib
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from runs import EXAMPLES, request_copy

from conftest import TEST_KEY
from extractor.checker.release_check import check_release
from extractor.config.load import load_config
from extractor.errors import ExtractorError
from extractor.pipeline import run_extract
from extractor.sql import quote_ident

SEEDS = ['"', "'", "\\", ";", "--", "/*", "*/", "select", "FROM", "DROP TABLE x;", "Total", "ä", "名前", "Ωμέγα",
         " ", ",", "\n", "a\nb", "\x00", "nul\x00", "\ue000", "x" * 1000, "$1", "?", "%s", "{0}", "'); --"]
NAME = st.one_of(st.sampled_from(SEEDS), st.text(min_size=1, max_size=12))
KINDS = ("aggregate", "table", "pseudonymised_records", "anonymised_records")


def toml_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def outputs_for(kind: str, a: str, b: str) -> tuple[str, str]:
    """(SQL, [[outputs]] TOML) for one output of `kind` whose columns are called a and b."""
    qa, qb, ta, tb = quote_ident(a), quote_ident(b), toml_string(a), toml_string(b)
    head = f'[[outputs]]\nname = "hostile"\nquery = "q.sql"\nkind = "{kind}"\n'
    if kind == "aggregate":
        return (f"SELECT service_task AS {qa}, count(*) AS {qb} FROM documents GROUP BY ALL",
                head + f"dimensions = [{ta}]\ncounts = [{tb}]\n")
    if kind == "table":
        return (f"SELECT service_task AS {qa}, client_id AS {qb} FROM documents",
                head + f'dimensions = [{ta}]\nunit = {tb}\ncounts = ["n"]\n')
    if kind == "pseudonymised_records":
        return (f"SELECT client_id AS {qa}, service_task AS {qb} FROM documents LIMIT 50",
                head + f"dimensions = [{ta}, {tb}]\npseudonyms = [{ta}]\n")
    return (f"SELECT CAST(age_at(c.birth_date, as_of_date()) AS VARCHAR) AS {qa}, c.sex AS {qb} FROM clients c",
            head + f'k = 5\n[outputs.quasi_identifiers]\n{ta} = "builtin:age"\n{tb} = "builtin:suppress"\n')


def expect_release_or_one_line(run, header: list[str] | None):
    try:
        result = run()
    except ExtractorError as exc:
        assert str(exc) and "\n" not in str(exc) and "\r" not in str(exc)
        event("refused: " + str(exc).split(": ", 1)[-1][:60])
        return None
    event("released")
    if header is not None:
        with (result.release_dir / "hostile.csv").open(encoding="utf-8", newline="") as fh:
            assert next(csv.reader(fh)) == header
    assert check_release(result.release_dir).passed
    return result


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kind=st.sampled_from(KINDS), names=st.lists(NAME, min_size=2, max_size=2, unique=True))
def test_hostile_output_names(registry: Path, tmp_path_factory: pytest.TempPathFactory, kind: str,
                              names: list[str]) -> None:
    a, b = names
    folder = tmp_path_factory.mktemp("hostile")
    sql, outputs = outputs_for(kind, a, b)
    (folder / "q.sql").write_text(sql, encoding="utf-8")
    path = request_copy("research_request.toml", folder)
    text = path.read_text(encoding="utf-8")
    head, rest = text.split("[[outputs]]", 1)
    head = head[: head.index("[variables]")]
    path.write_text(head + outputs + "\n" + rest[rest.index("[notice.summary]"):], encoding="utf-8")
    header = {"aggregate": [a, b], "table": None, "pseudonymised_records": [a, b], "anonymised_records": [a, b]}
    expect_release_or_one_line(
        lambda: run_extract(load_config(path, registry), folder / "out", TEST_KEY.encode()), header[kind])


def _catalog_columns() -> list[tuple[str, str, str]]:
    """(section, table or register, column key) for every column the example catalog maps."""
    catalog = tomllib.loads((EXAMPLES / "catalog.toml").read_text(encoding="utf-8"))
    found = [("tables", t, c) for t, spec in catalog["tables"].items() for c in spec["columns"]]
    found += [("registers", r, key) for r, spec in catalog["registers"].items() for key in spec if key != "path"]
    return found


COLUMNS = _catalog_columns()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(where=st.sampled_from(COLUMNS), name=NAME)
def test_hostile_catalog_names(registry: Path, tmp_path_factory: pytest.TempPathFactory,
                               where: tuple[str, str, str], name: str) -> None:
    section, table, key = where
    folder = tmp_path_factory.mktemp("hostile-catalog")
    data = folder / "registry"
    shutil.copytree(registry, data)
    catalog = tomllib.loads((EXAMPLES / "catalog.toml").read_text(encoding="utf-8"))
    spec = catalog[section][table]
    column = key if section == "tables" else spec[key]
    source = data / spec["path"]
    frame = pl.read_parquet(source)
    if name in frame.columns and name != column:
        return  # a clash with another column is a different test
    frame.rename({column: name}).write_parquet(source)
    if section == "tables":
        spec["columns"] = {(name if c == key else c): v for c, v in spec["columns"].items()}
    else:
        spec[key] = name
    if (section, key) in {("tables", "matter_closed_on")} or catalog.get("retention", {}).get("death_date") == \
            f"{table}.{column}":
        catalog["retention"] = {k: (f"{table}.{name}" if v == f"{table}.{column}" else
                                    name if (v == column and table == "documents") else v)
                                for k, v in catalog["retention"].items()}
    catalog["catalog"]["root"] = str(data)
    (folder / "catalog.toml").write_text(_toml(catalog), encoding="utf-8")
    (folder / "q.sql").write_text("SELECT count(*) AS n FROM documents", encoding="utf-8")
    path = request_copy("audit_request.toml", folder)
    text = path.read_text(encoding="utf-8")
    text = text.replace(f'catalog = "{EXAMPLES / "catalog.toml"}"', 'catalog = "catalog.toml"')
    head, rest = text.split("[[outputs]]", 1)
    head = head[: head.index("[variables]")]
    outputs = '[[outputs]]\nname = "hostile"\nquery = "q.sql"\nkind = "aggregate"\ncounts = ["n"]\n'
    path.write_text(head + outputs + "\n" + rest[rest.index("[notice.summary]"):], encoding="utf-8")
    result = expect_release_or_one_line(
        lambda: run_extract(load_config(path, data), folder / "out", TEST_KEY.encode()), ["n"])
    if result is not None:  # a renamed column changes nothing: the same people are left out for the same reasons
        flow = (result.release_dir / "exclusion_flow.csv").read_text(encoding="utf-8")
        assert flow == baseline_flow(registry, tmp_path_factory)


_BASELINE: dict[str, str] = {}


def baseline_flow(registry: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    if "flow" not in _BASELINE:
        folder = tmp_path_factory.mktemp("baseline")
        (folder / "q.sql").write_text("SELECT count(*) AS n FROM documents", encoding="utf-8")
        path = request_copy("audit_request.toml", folder)
        text = path.read_text(encoding="utf-8")
        head, rest = text.split("[[outputs]]", 1)
        head = head[: head.index("[variables]")]
        outputs = '[[outputs]]\nname = "hostile"\nquery = "q.sql"\nkind = "aggregate"\ncounts = ["n"]\n'
        path.write_text(head + outputs + "\n" + rest[rest.index("[notice.summary]"):], encoding="utf-8")
        result = run_extract(load_config(path, registry), folder / "out", TEST_KEY.encode())
        _BASELINE["flow"] = (result.release_dir / "exclusion_flow.csv").read_text(encoding="utf-8")
    return _BASELINE["flow"]


def _toml(data: dict, prefix: str = "") -> str:
    """A minimal TOML writer for the catalog's shape (tables of strings, inline role tables)."""
    plain = {k: v for k, v in data.items() if not isinstance(v, dict)}
    nested = {k: v for k, v in data.items() if isinstance(v, dict)}
    lines = [f"[{prefix}]"] if prefix and plain else []
    lines += [f"{toml_string(k)} = {_value(v)}" for k, v in plain.items()]
    for k, v in nested.items():
        if prefix and all(not isinstance(x, dict) for x in v.values()) and "role" in v:
            lines.append(f"{toml_string(k)} = {_value(v)}")
            continue
        sub = f"{prefix}.{toml_string(k)}" if prefix else toml_string(k)
        lines.append(_toml(v, sub))
    return "\n".join(lines) + "\n"


def _value(v: object) -> str:
    if isinstance(v, dict):
        return "{" + ", ".join(f"{toml_string(k)} = {_value(x)}" for k, x in v.items()) + "}"
    return toml_string(v) if isinstance(v, str) else json.dumps(v)
