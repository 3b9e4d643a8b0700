"""Hostile names (quotes, backslashes, semicolons, comments, reserved words, non-Latin letters, long names) in a
table output's dimensions, unit and magnitude: every run ends in a correct release or a one-line ExtractorError."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from conftest import REPO, TEST_KEY
from extractor.checker.release_check import check_release
from extractor.config.load import load_config
from extractor.errors import ExtractorError
from extractor.pipeline import run_extract
from extractor.sql import quote_ident

AUDIT = REPO / "examples" / "registry" / "audit_request.toml"
SEEDS = ['"', "'", "\\", ";", "--", "/*", "*", "^a$", "select", "FROM", "Total", "ä", "名前", "Ωμέγα", " ", ",",
         "x" * 200]
NAME = st.one_of(st.sampled_from(SEEDS), st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1,
                                                  max_size=12)).filter(lambda s: s.strip() != "")


def toml_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def request(folder: Path, dims: list[str], unit: str, magnitude: str) -> Path:
    text = AUDIT.read_text(encoding="utf-8")
    head, _, rest = text.partition("[[outputs]]")
    shutil.copy(AUDIT.parent / "catalog.toml", folder / "catalog.toml")
    (folder / "q.sql").write_text(
        f"SELECT c.region AS {quote_ident(dims[0])}, d.service_task AS {quote_ident(dims[1])}, "
        f"d.client_id AS {quote_ident(unit)}, 1.0 AS {quote_ident(magnitude)} "
        "FROM documents d JOIN clients c USING (client_id)", encoding="utf-8")
    outputs = (f'[[outputs]]\nname = "hostile"\nquery = "q.sql"\nkind = "table"\n'
               f"dimensions = [{', '.join(toml_string(d) for d in dims)}]\nunit = {toml_string(unit)}\n"
               f'counts = ["clients"]\nmagnitudes = [{toml_string(magnitude)}]\n')
    path = folder / "request.toml"
    path.write_text(head + outputs + "\n" + rest[rest.index("[notice.summary]"):], encoding="utf-8")
    return path


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(NAME, min_size=4, max_size=4))
@example(['"', "'", "\\", "{"])  # a brace in a magnitude's name once broke the reasons column (CI, stop 35)
def test_hostile_names_release_or_refuse_in_one_line(registry: Path, tmp_path_factory: pytest.TempPathFactory,
                                                     names: list[str]) -> None:
    dims, unit, magnitude = names[:2], names[2], names[3]
    folder = tmp_path_factory.mktemp("hostile")
    try:
        result = run_extract(load_config(request(folder, dims, unit, magnitude), registry), folder / "out",
                             TEST_KEY.encode())
    except ExtractorError as exc:
        assert "\n" not in str(exc) and str(exc)
        event(f"refused: {str(exc).split(': ')[-2][:40]}")
        return
    event("released")
    with (result.release_dir / "hostile.csv").open(encoding="utf-8", newline="") as fh:
        assert next(csv.reader(fh)) == [*dims, "clients", magnitude]
    assert check_release(result.release_dir).passed
