"""An OMOP-shaped source: a DuckDB file whose person key is a BIGINT (person_id), with opt-out and ban
registers keyed by the same integers. A register's person key is text by its meaning; a typed file's
integers are read as their digits (nothing to lose: no leading zeros), so the registers apply."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import polars as pl

from conftest import TEST_KEY
from extractor.config.load import load_config
from extractor.pipeline import run_extract

PERSONS, OPTED_OUT, BANNED_DOCUMENT = 400, (1, 2, 3), 5  # condition 5 is person 5's first one
CATALOG = """[catalog]
name = "OMOP-shaped"
[tables.person]
path = "cdm.duckdb"
table = "person"
[tables.person.columns]
PERSON_ID = "person_key"
YEAR_OF_BIRTH = { role = "quasi_identifier", type = "integer" }
[tables.condition_occurrence]
path = "cdm.duckdb"
table = "condition_occurrence"
[tables.condition_occurrence.columns]
CONDITION_OCCURRENCE_ID = "document_key"
PERSON_ID = "person_key"
CONDITION_CONCEPT_ID = { role = "other", type = "integer" }
[registers.opt_out]
path = "opt_outs.parquet"
person = "person_id"
set_on = "opted_out_on"
withdrawn_on = "withdrawn_on"
[registers.disclosure_ban]
path = "bans.parquet"
person = "person_id"
scope = "scope"
target = "target"
set_on = "set_on"
revoked_on = "revoked_on"
set_by_role = "set_by_role"
"""
TEXTS = '{ fi = "x", sv = "x", en = "x" }'
REQUEST = f"""[request]
id = "OMOP-1"
project = "omop"
title = {TEXTS}
purpose = "research"
legal_basis = ["ehds-53-1-e"]
as_of = 2026-10-31
catalog = "catalog.toml"
retention = {TEXTS}
requester = {{ name = "R", organisation = {TEXTS}, contact = "r@example.edu" }}
controller = {{ name = {TEXTS}, organisation = {TEXTS}, contact = "c@example.fi" }}
dpo = {{ name = {TEXTS}, organisation = {TEXTS}, contact = "d@example.fi" }}
permit = {{ id = "P-1", granted_on = 2026-06-01 }}
[variables]
person = ["PERSON_ID", "YEAR_OF_BIRTH"]
condition_occurrence = ["PERSON_ID", "CONDITION_CONCEPT_ID"]
[[outputs]]
name = "persons_by_condition"
query = "q.sql"
kind = "aggregate"
dimensions = ["condition_concept_id", "birth_decade"]
counts = ["persons"]
[notice.summary]
fi = "x"
sv = "x"
en = "x"
"""
QUERY = """SELECT c.CONDITION_CONCEPT_ID AS condition_concept_id, (p.YEAR_OF_BIRTH // 10) * 10 AS birth_decade,
       count(DISTINCT p.PERSON_ID) AS persons
FROM person p JOIN condition_occurrence c USING (PERSON_ID) GROUP BY ALL"""


def test_registers_keyed_by_integer_person_ids_apply(tmp_path: Path) -> None:
    with duckdb.connect(str(tmp_path / "cdm.duckdb")) as con:
        con.execute(f"CREATE TABLE person AS SELECT i::BIGINT AS PERSON_ID, (1950 + i % 3)::BIGINT AS YEAR_OF_BIRTH "
                    f"FROM range(1, {PERSONS + 1}) t(i)")
        con.execute("CREATE TABLE condition_occurrence AS SELECT (p.PERSON_ID * 10 + k)::BIGINT AS "
                    "CONDITION_OCCURRENCE_ID, p.PERSON_ID, (201820 + k)::BIGINT AS CONDITION_CONCEPT_ID "
                    "FROM person p, range(2) r(k)")
    day = dt.date(2025, 1, 1)
    pl.DataFrame({"person_id": list(OPTED_OUT), "opted_out_on": [day] * 3, "withdrawn_on": [None] * 3},
                 schema={"person_id": pl.Int64, "opted_out_on": pl.Date, "withdrawn_on": pl.Date}
                 ).write_parquet(tmp_path / "opt_outs.parquet")
    pl.DataFrame({"person_id": [5], "scope": ["document"], "target": [str(BANNED_DOCUMENT * 10)], "set_on": [day],
                  "revoked_on": [None], "set_by_role": [None]},
                 schema={"person_id": pl.Int64, "scope": pl.String, "target": pl.String, "set_on": pl.Date,
                         "revoked_on": pl.Date, "set_by_role": pl.String}).write_parquet(tmp_path / "bans.parquet")
    (tmp_path / "catalog.toml").write_text(CATALOG, encoding="utf-8")
    (tmp_path / "q.sql").write_text(QUERY, encoding="utf-8")
    (tmp_path / "request.toml").write_text(REQUEST, encoding="utf-8")
    result = run_extract(load_config(tmp_path / "request.toml"), tmp_path / "out", TEST_KEY.encode())
    assert result.eligibility.rows_out["person"] == PERSONS - len(OPTED_OUT)
    assert result.eligibility.rows_out["condition_occurrence"] == 2 * (PERSONS - len(OPTED_OUT)) - 1  # one banned
    released = pl.read_csv(result.release_dir / "persons_by_condition.csv")
    assert released.height == 2 and set(released["condition_concept_id"]) == {201820, 201821}
