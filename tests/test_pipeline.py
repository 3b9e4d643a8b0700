"""End to end on a small synthetic registry: released files, manifest, reports, no leaks, no partial output."""

from __future__ import annotations

import json
import re
from pathlib import Path

import polars as pl
import pytest
from markupsafe import escape

from conftest import REPO, TEST_KEY
from extractor.checker.release_check import check_release
from extractor.config.load import load_config
from extractor.errors import ExtractorError
from extractor.pipeline import run_extract

AUDIT = REPO / "examples" / "registry" / "audit_request.toml"
RESEARCH = REPO / "examples" / "registry" / "research_request.toml"


@pytest.fixture(scope="module")
def released(registry: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    out = tmp_path_factory.mktemp("out")
    cfg = load_config(RESEARCH, registry)
    result = run_extract(cfg, out, TEST_KEY.encode())
    return out, result


def test_run_layout(released: tuple[Path, object]) -> None:
    out, result = released
    run = result.run_dir
    assert run.parent == out / "RES-2026-007"
    assert (run.parent / "latest").resolve() == run.resolve()
    assert sorted(p.relative_to(run).as_posix() for p in run.rglob("*") if p.is_file()) == [
        "audit_anchor.json", "controller/aggregates/clients_by_age_sex_region.parquet",
        "controller/inputs/catalog.toml", "controller/inputs/policy.toml",
        "controller/overdue_for_destruction_clients.csv",
        "controller/overdue_for_destruction_documents.csv", "controller/persons.json",
        "controller/persons.parquet.fernet",
        "notices/notice_en.html", "notices/notice_fi.html", "notices/notice_sv.html",
        "release/clients_by_age_sex_region.csv", "release/exclusion_flow.csv", "release/manifest.json",
        "review/codebook.html", "review/codebook_en.html", "review/codebook_fi.html", "review/codebook_sv.html",
        "review/review.html", "review/review_en.html", "review/review_fi.html",
        "review/review_sv.html"]
    assert not list(out.rglob(".staging-*"))


def test_the_research_demo_raises_no_differencing_or_tiny_group(released: tuple[Path, object]) -> None:
    _, result = released
    assert result.differences == [] and not any(c.tiny_groups for c in result.disclosure.controlled)


def test_released_counts_obey_rules(released: tuple[Path, object]) -> None:
    _, result = released
    df = pl.read_csv(result.release_dir / "clients_by_age_sex_region.csv", infer_schema=False)
    counts = df.filter(pl.col("clients") != "[REDACTED]")["clients"].cast(pl.Int64)
    assert counts.len() > 0
    assert ((counts == 0) | ((counts > 7) & (counts % 5 == 0))).all()
    assert check_release(result.release_dir).passed


def test_released_totals_match_eligible_data(released: tuple[Path, object], registry: Path) -> None:
    """The released table is the same aggregate computed directly on eligible rows, up to the SDC rule."""
    _, result = released
    elig = result.eligibility
    assert elig.rows_out["clients"] == result.protected.rows["clients"]
    assert elig.rows_out["documents"] == result.protected.rows["documents"]
    assert elig.rows_out["documents"] < elig.rows_in["documents"]


def test_manifest_hashes_and_no_key(released: tuple[Path, object]) -> None:
    _, result = released
    manifest = json.loads((result.release_dir / "manifest.json").read_text())
    assert manifest["outputs"][0]["file"] == "clients_by_age_sex_region.csv"
    assert len(manifest["request"]["sha256"]) == 64
    for path in result.run_dir.rglob("*"):
        if path.is_file():
            assert TEST_KEY.encode() not in path.read_bytes()


def test_failed_query_leaves_nothing(registry: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.sql"
    bad.write_text("SELECT * FROM read_parquet('x.parquet')")
    text = RESEARCH.read_text().replace("../../queries/research_clients_by_age_sex_region.sql", str(bad)).replace(
        'catalog = "catalog.toml"', f'catalog = "{RESEARCH.parent / "catalog.toml"}"')
    request = tmp_path / "r.toml"
    request.write_text(text)
    out = tmp_path / "out"
    with pytest.raises(ExtractorError, match="refused by the sandbox"):
        run_extract(load_config(request, registry), out, TEST_KEY.encode())
    assert [p for p in out.rglob("*") if p.is_file()] == []
    assert not (out / "RES-2026-007").exists()  # the request's folder, made by this run, is gone again


def test_rerun_makes_a_new_run_and_moves_latest(registry: Path, tmp_path: Path) -> None:
    cfg = load_config(RESEARCH, registry)
    first = run_extract(cfg, tmp_path, TEST_KEY.encode())
    second = run_extract(cfg, tmp_path, TEST_KEY.encode())
    assert first.run_dir != second.run_dir and first.run_dir.exists()
    assert (tmp_path / "RES-2026-007" / "latest").resolve() == second.run_dir.resolve()
    a = (first.release_dir / "clients_by_age_sex_region.csv").read_bytes()
    assert a == (second.release_dir / "clients_by_age_sex_region.csv").read_bytes()


def test_released_flow_is_disclosure_controlled(released: tuple[Path, object]) -> None:
    _, result = released
    flow = pl.read_csv(result.release_dir / "exclusion_flow.csv", infer_schema=False)
    assert set(flow["table"]) == {"clients", "documents"}
    values = flow.filter(pl.col("rows") != "[REDACTED]")["rows"].cast(pl.Int64)
    assert ((values == 0) | ((values > 7) & (values % 5 == 0))).all()
    exact = {r.rule: r.rows for r in result.eligibility.ledger if r.table == "documents"}
    assert exact["retention"] > 0 and exact["opt_out"] > 0


def test_overdue_list_for_the_dpo(released: tuple[Path, object]) -> None:
    _, result = released
    overdue = pl.read_csv(result.run_dir / "controller" / "overdue_for_destruction_documents.csv", infer_schema=False)
    assert overdue.height == result.eligibility.overdue["documents"] > 0
    assert "note" not in overdue.columns and set(overdue["service_task"]) <= {"10", "15"}


MICRODATA = REPO / "examples" / "registry" / "microdata_request.toml"


@pytest.fixture(scope="module")
def microdata(registry: Path, tmp_path_factory: pytest.TempPathFactory):
    return run_extract(load_config(MICRODATA, registry), tmp_path_factory.mktemp("micro"), TEST_KEY.encode())


def test_microdata_is_k_anonymous_and_l_diverse(microdata) -> None:
    df = pl.read_csv(microdata.release_dir / "client_microdata.csv", infer_schema=False)
    assert df.columns == ["age", "sex", "postal_code", "language", "service_task"]
    classes = df.group_by(["age", "sex", "postal_code", "language"]).agg(
        pl.len().alias("n"), pl.col("service_task").n_unique().alias("l"))
    assert classes["n"].min() >= 5 and classes["l"].min() >= 2
    result = microdata.anonymised["client_microdata"]
    assert df.height == result.records - result.suppressed
    assert result.suppressed <= int(0.05 * result.records)
    assert "Files with one row per person" in (microdata.run_dir / "review" / "review.html").read_text()


def test_checker_catches_a_class_below_k(microdata, tmp_path: Path) -> None:
    import shutil

    from extractor.files import sha256_file
    folder = tmp_path / "release"
    shutil.copytree(microdata.release_dir, folder)
    shutil.copytree(microdata.run_dir / "controller" / "inputs", tmp_path / "controller" / "inputs")
    path = folder / "client_microdata.csv"
    path.write_text(path.read_text() + "107,M,00100,fi,10\n")
    manifest = json.loads((folder / "manifest.json").read_text())
    for o in manifest["outputs"]:
        if o["file"] == path.name:
            o["sha256"] = sha256_file(path)
    (folder / "manifest.json").write_text(json.dumps(manifest))
    report = check_release(folder)
    assert any("a class of 1 record(s); k = 5" in f for f in report.findings)
    assert any("distinct 'service_task' value(s); l = 2" in f for f in report.findings)


def test_k_below_the_policy_floor_is_refused(tmp_path: Path, registry: Path) -> None:
    text = MICRODATA.read_text().replace("k = 5\n", "k = 3\n").replace(
        'catalog = "catalog.toml"', f'catalog = "{MICRODATA.parent / "catalog.toml"}"').replace(
        'query = "../../queries/', f'query = "{REPO / "queries"}/')
    request = tmp_path / "r.toml"
    request.write_text(text)
    with pytest.raises(ExtractorError, match=r"outputs\[0\].k: expected k >= 5"):
        load_config(request, registry)


def test_the_run_s_codebook_lists_what_its_query_could_read_and_nothing_else(released: tuple[Path, object]) -> None:
    """The research request names clients' client_id, birth_date, sex, region and death_date, and documents'
    client_id and service_task: the run's codebook shows those, not the catalog's other columns and lists."""
    _, result = released
    page = (result.run_dir / "review" / "codebook_en.html").read_text(encoding="utf-8")
    for shown in ("birth_date", "region", "service_task"):
        assert f"<code>{shown}</code>" in page or f">{shown}<" in page, shown
    for hidden in ("postal_code", "hetu", "surname", "note", "registrar_oid", "structure_oid"):
        assert hidden not in page, hidden


def test_the_review_shows_each_query_as_it_ran_escaped(registry: Path, tmp_path: Path) -> None:
    """The checkers read what each output is made of: the query's text, in every language's report, as text
    (a query's comment that looks like markup is shown, not run)."""
    text = RESEARCH.read_text(encoding="utf-8").replace('catalog = "catalog.toml"',
                                                        f'catalog = "{RESEARCH.parent / "catalog.toml"}"')
    query = text[text.index('query = "'):].split("\n", 1)[0]
    sql = (RESEARCH.parent / query.split('"')[1]).read_text(encoding="utf-8")
    (tmp_path / "q.sql").write_text("-- </pre><script>alert(1)</script>\n" + sql, encoding="utf-8")
    request = tmp_path / "request.toml"
    request.write_text(text.replace(query, f'query = "{tmp_path / "q.sql"}"', 1), encoding="utf-8")
    result = run_extract(load_config(request, registry), tmp_path / "out", TEST_KEY.encode())
    for lang in ("en", "fi", "sv"):
        page = (result.run_dir / "review" / f"review_{lang}.html").read_text(encoding="utf-8")
        assert all(str(escape(line)) in page for line in sql.strip().splitlines())  # every line, as text
        assert "&lt;/pre&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page
        assert not re.search(r"[a-z0-9]\.[A-ZÄÖ][a-zäö]", page.split("<body")[1])  # no sentences run together
