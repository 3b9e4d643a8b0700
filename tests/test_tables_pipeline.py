"""Tables in a run: differencing across releases, differential privacy and the project's budget."""

from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path

import duckdb
import polars as pl
import pytest

from builders import approve_and_release
from conftest import REPO, TEST_KEY
from extractor.checker.release_check import check_release
from extractor.config.load import load_config
from extractor.config.request import load_request
from extractor.errors import ConfigError, ExtractorError
from extractor.pipeline import run_extract
from extractor.release import audit_log
from extractor.release.store import opened

AUDIT = REPO / "examples" / "registry" / "audit_request.toml"


def _request(tmp: Path, rid: str, outputs: str, query: str) -> Path:
    """The audit example with other outputs, written beside a copy of the catalog."""
    text = AUDIT.read_text(encoding="utf-8")
    head, _, rest = text.partition("[[outputs]]")
    notice = rest[rest.index("[notice.summary]"):]
    head = head.replace('id = "AUD-2026-014"', f'id = "{rid}"')
    shutil.copy(AUDIT.parent / "catalog.toml", tmp / "catalog.toml")
    (tmp / "q.sql").write_text(query, encoding="utf-8")
    path = tmp / f"{rid}.toml"
    path.write_text(head + outputs + "\n" + notice, encoding="utf-8")
    return path


def _table_output(name: str, privacy: str) -> str:
    return f'[[outputs]]\nname = "{name}"\nquery = "q.sql"\nkind = "table"\nprivacy = "{privacy}"\n'


DP_QUERY = """SELECT c.region, d.service_task, d.client_id, count(*)::DOUBLE AS documents
FROM documents d JOIN clients c USING (client_id) GROUP BY ALL"""


def _dp_outputs(registry: Path, epsilon: float) -> str:
    regions = duckdb.sql(f"SELECT DISTINCT region FROM '{registry}/clients.parquet' ORDER BY 1").fetchall()
    tasks = duckdb.sql(f"SELECT DISTINCT service_task FROM '{registry}/documents.parquet' ORDER BY 1").fetchall()
    return _table_output("documents_dp", "dp") + f"""epsilon = {epsilon}
dimensions = ["region", "service_task"]
unit = "client_id"
counts = ["clients"]
magnitudes = ["documents"]
statistics = ["mean"]
max_contributions = 3
bounds = {{ documents = [0, 20] }}
categories = {{ region = {[r[0] for r in regions]!r}, service_task = {[t[0] for t in tasks]!r} }}
""".replace("'", '"')


def test_dp_table_spends_the_budget_then_is_refused(registry: Path, tmp_path: Path) -> None:
    request = _request(tmp_path, "DP-1", _dp_outputs(registry, 0.4), DP_QUERY)
    out = tmp_path / "out"
    first = run_extract(load_config(request, registry), out, TEST_KEY.encode())
    df = pl.read_csv(first.release_dir / "documents_dp.csv", infer_schema=False)
    assert "[REDACTED]" not in df["clients"].to_list()
    assert check_release(first.release_dir).passed
    html = (first.run_dir / "review" / "review.html").read_text(encoding="utf-8")
    assert "Differentially private table: documents_dp" in html and "Accuracy at 95 per cent" in html
    assert re.search(r"spent before this run 0,\s+this run 0\.4,\s+left after it 0\.6", html)
    run_extract(load_config(request, registry), out, TEST_KEY.encode())
    with pytest.raises(ExtractorError, match=r"has spent epsilon 0\.8 of its privacy budget 1; this request asks "
                                             r"0\.4 more"):
        run_extract(load_config(request, registry), out, TEST_KEY.encode())
    with opened(out) as store:
        assert list(store.reading().spend.values()) == [pytest.approx(0.8)]
        spent = [r.data["privacy_spend"] for r in audit_log.read(store.db()) if r.action == "run"]
    assert spent == [{"documents_dp": 0.4}, {"documents_dp": 0.4}]


def test_dp_noise_matches_the_stated_scale(registry: Path, tmp_path: Path) -> None:
    """Noisy inner counts differ from the true ones by about the stated Laplace scale, not 0 and not wildly."""
    request = _request(tmp_path, "DP-2", _dp_outputs(registry, 1.0), DP_QUERY)
    result = run_extract(load_config(request, registry), tmp_path / "out", TEST_KEY.encode())
    noisy = pl.read_csv(result.release_dir / "documents_dp.csv", infer_schema=False)
    truth = duckdb.sql(f"""SELECT c.region, d.service_task, count(DISTINCT d.client_id) AS n
        FROM '{registry}/documents.parquet' d JOIN '{registry}/clients.parquet' c USING (client_id)
        GROUP BY ALL""").pl()
    joined = noisy.filter((pl.col("region") != "Total") & (pl.col("service_task") != "Total")).join(
        truth, on=["region", "service_task"])
    err = (joined["clients"].cast(pl.Float64) - joined["n"]).abs()
    scale = result.tables[0].dp["columns"]["clients"]["scale"]
    assert joined.height > 20
    assert 0 < err.mean() < 6 * scale  # eligible rows are fewer than all rows, so allow the gap


def test_differencing_against_an_earlier_release_is_flagged(registry: Path, tmp_path: Path) -> None:
    query = (REPO / "queries" / "audit_document_volumes.sql").read_text(encoding="utf-8")
    outputs = """[[outputs]]
name = "document_volumes"
query = "q.sql"
kind = "table"
dimensions = ["region", ["service_task", "social_service"], "year"]
unit = "client_id"
counts = ["clients"]
magnitudes = ["documents"]
"""
    request = _request(tmp_path, "DIFF-1", outputs, query)
    out = tmp_path / "out"
    first = run_extract(load_config(request, registry), out, TEST_KEY.encode())
    assert first.differences == []
    approve_and_release(out, first.run_id, tmp_path / "released")
    # The same table a little later: three clients of one region dropped out of the data.
    changed = tmp_path / "registry"
    shutil.copytree(registry, changed)
    docs = pl.read_parquet(changed / "documents.parquet")
    clients = pl.read_parquet(changed / "clients.parquet")
    region = clients["region"].mode()[0]
    gone = clients.filter(pl.col("region") == region).head(3)["client_id"]
    docs.filter(~pl.col("client_id").is_in(gone.implode())).write_parquet(changed / "documents.parquet")
    second = run_extract(load_config(request, changed), out, TEST_KEY.encode())
    assert second.differences, "a difference of 3 clients between releases must be flagged"
    assert all(d.earlier_run == f"{first.run_id}/document_volumes" and d.column == "clients"
               for d in second.differences)
    html = (second.run_dir / "review" / "review.html").read_text(encoding="utf-8")
    assert 'id="differencing"' in html


HOSTILE = 'ye"ar; --'  # a quote, a statement separator and a comment: a name, never SQL


def test_hostile_column_names_are_names_not_sql(registry: Path, tmp_path: Path) -> None:
    """Dimension, unit and magnitude names reach DuckDB only quoted: a table and a DP table come out right."""
    query = ('SELECT c.region, CAST(year(d.created_on) AS VARCHAR) AS "ye""ar; --", d.client_id AS "un\'it", '
             'day(d.created_on)::DOUBLE AS "do""cs" FROM documents d JOIN clients c USING (client_id)')
    outputs = """[[outputs]]
name = "hostile"
query = "q.sql"
kind = "table"
dimensions = ["region", 'ye"ar; --']
unit = "un'it"
counts = ["clients"]
magnitudes = ['do"cs']
"""
    request = _request(tmp_path, "HOSTILE-1", outputs, query)
    result = run_extract(load_config(request, registry), tmp_path / "out", TEST_KEY.encode())
    assert header(result.release_dir / "hostile.csv") == ["region", HOSTILE, "clients", 'do"cs']
    assert check_release(result.release_dir).passed
    dp = _dp_outputs(registry, 0.5).replace('"client_id"', '"un\'it"').replace("documents = [0, 20]",
                                                                              "'do\"cs' = [0, 20]")
    dp = dp.replace('magnitudes = ["documents"]', """magnitudes = ['do"cs']""")
    dp_query = DP_QUERY.replace("d.client_id", "d.client_id AS \"un'it\"").replace(
        "AS documents", 'AS "do""cs"')
    request = _request(tmp_path, "HOSTILE-2", dp, dp_query)
    result = run_extract(load_config(request, registry), tmp_path / "out", TEST_KEY.encode())
    assert header(result.release_dir / "documents_dp.csv")[-2:] == ['do"cs', 'do"cs_mean']


def header(path: Path) -> list[str]:
    """Read with the csv module: Polars leaves a doubled quote doubled in a header name."""
    with path.open(encoding="utf-8", newline="") as fh:
        return next(csv.reader(fh))


def test_formula_cells_are_neutralised(registry: Path, tmp_path: Path) -> None:
    """A label that a spreadsheet would run (=, +, -, @) is released with a leading apostrophe (OWASP)."""
    query = ("SELECT c.region, '=SUM(A1)' AS label, d.client_id FROM documents d JOIN clients c USING (client_id)")
    outputs = """[[outputs]]
name = "formula"
query = "q.sql"
kind = "table"
dimensions = ["region", "label"]
unit = "client_id"
counts = ["clients"]
"""
    result = run_extract(load_config(_request(tmp_path, "FORMULA-1", outputs, query), registry), tmp_path / "out",
                         TEST_KEY.encode())
    labels = set(pl.read_csv(result.release_dir / "formula.csv", infer_schema=False)["label"])
    assert labels == {"'=SUM(A1)", "Total"}
    assert check_release(result.release_dir).passed


CELL_KEY_QUERY = "SELECT d.service_task, c.region, d.client_id FROM documents d JOIN clients c USING (client_id)\n"


def _cell_key_outputs(dimensions: str) -> str:
    return _table_output("documents_ck", "cell_key") + f"""dimensions = {dimensions}
unit = "client_id"
counts = ["documents"]
"""


def test_cell_key_table_runs_passes_the_checker_and_repeats_its_noise(registry: Path, tmp_path: Path) -> None:
    """A cell-key table through the whole run: released, checked, explained in the review report; a second
    request for task totals alone gets the same figures as the first table's task totals."""
    first = run_extract(load_config(_request(tmp_path, "CK-1", _cell_key_outputs('["service_task", "region"]'),
                                             CELL_KEY_QUERY), registry), tmp_path / "out", TEST_KEY.encode())
    assert check_release(first.release_dir).passed
    html = (first.run_dir / "review" / "review.html").read_text(encoding="utf-8")
    assert "Cell-key perturbed table: documents_ck" in html and "What it does not protect" in html
    both = pl.read_csv(first.release_dir / "documents_ck.csv", infer_schema=False)
    query = "SELECT d.service_task, d.client_id FROM documents d JOIN clients c USING (client_id)\n"
    second = run_extract(load_config(_request(tmp_path, "CK-2", _cell_key_outputs('["service_task"]'), query),
                                     registry), tmp_path / "out", TEST_KEY.encode())
    alone = pl.read_csv(second.release_dir / "documents_ck.csv", infer_schema=False)
    totals = both.filter(pl.col("region") == "Total").drop("region")
    assert totals.sort("service_task").rows() == alone.sort("service_task").rows()


@pytest.mark.parametrize(("old", "new", "expected"), [
    ('counts = ["documents"]\n', 'counts = ["documents"]\nmagnitudes = ["days"]\n',
     "outputs[0].magnitudes: expected none with privacy = 'cell_key'"),
    ('unit = "client_id"\n', "", "outputs[0].unit: expected the column naming the person"),
])
def test_a_cell_key_table_without_what_it_needs_names_the_key(tmp_path: Path, old: str, new: str,
                                                              expected: str) -> None:
    path = _request(tmp_path, "CK-3", _cell_key_outputs('["service_task"]').replace(old, new), "SELECT 1")
    with pytest.raises(ConfigError, match=re.escape(expected)):
        load_request(path)


def test_a_table_without_a_unit_names_the_key(tmp_path: Path) -> None:
    """Without a unit every record would count as a contributor: a query of one row per document made a cell
    of one client with eight documents pass the 1-7 rule. The unit is required."""
    outputs = ('[[outputs]]\nname = "t"\nquery = "q.sql"\nkind = "table"\ndimensions = ["service_task"]\n'
               'counts = ["documents"]\n')
    path = _request(tmp_path, "NOUNIT-1", outputs, "SELECT service_task FROM documents")
    with pytest.raises(ConfigError, match=re.escape("outputs[0].unit: expected the column naming the person "
                                                    "each record belongs to (a person_key column")):
        load_request(path)


@pytest.mark.parametrize("magnitude", ["1.0::DOUBLE", "CASE WHEN d.social_service = '24' THEN 1.0 ELSE 0.0 END"],
                         ids=["a constant", "a 0/1 indicator"])
def test_a_magnitude_that_only_counts_records_is_refused(registry: Path, tmp_path: Path, magnitude: str) -> None:
    """A magnitude of 1 per record (or 0/1) sums to exact counts: of the cell's records, which the count column
    rounds, or of a subgroup (three Swedish speakers in a cell of 165), which no dominance rule sees. Refused."""
    outputs = ('[[outputs]]\nname = "t"\nquery = "q.sql"\nkind = "table"\ndimensions = ["region", "service_task"]\n'
               'unit = "client_id"\ncounts = ["clients"]\nmagnitudes = ["one"]\n')
    query = (f"SELECT c.region, d.service_task, d.client_id, max({magnitude}) AS one "
             "FROM documents d JOIN clients c USING (client_id) GROUP BY ALL")
    request = _request(tmp_path, "MAG-1", outputs, query)
    with pytest.raises(ExtractorError, match=r"outputs\[0\]\.magnitudes: 'one' is one value for every record"):
        run_extract(load_config(request, registry), tmp_path / "out", TEST_KEY.encode())
