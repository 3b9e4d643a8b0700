"""Finnish code lists and reference tables shipped in extractor/data/fi, loaded as Polars frames.

Codes are never invented in code: replace the files to use fuller lists.
"""

from __future__ import annotations

import csv
import re
from functools import cache
from pathlib import Path

import polars as pl

from extractor.shipped import shipped

BASIC_DATA_ROW = "Asiakkuusasiakirja ja asiakkaan perustiedot"  # the Act's row for client basic data


def data_file(name: str) -> Path:
    return shipped("data", "fi", name)


@cache
def person_names() -> pl.DataFrame:
    """name, count, gender (M/F or empty), kind (first/surname)."""
    return pl.read_csv(data_file("person_names_2016.tsv"), separator="\t",
                       schema_overrides={"gender": pl.String}).filter(pl.col("count") > 0)


@cache
def world_names() -> pl.DataFrame:
    """name (lower case), kind (first/last/both), word (also an ordinary word): names of people in Finland
    that the register list lacks (world_names.tsv, from Faker's person providers)."""
    return pl.read_csv(data_file("world_names.tsv"), separator="\t", comment_prefix="#").with_columns(
        pl.col("word") == "yes")


@cache
def postal_codes() -> pl.DataFrame:
    return pl.read_csv(data_file("postal_codes_2020.tsv"), separator="\t", infer_schema=False)


@cache
def service_tasks() -> pl.DataFrame:
    return pl.read_csv(data_file("palvelutehtava_codes.csv"), infer_schema=False)


@cache
def social_services() -> pl.DataFrame:
    """Social service codes with the service tasks each may pair with (null: any), parsed from the evidence."""
    df = pl.read_csv(data_file("sosiaalipalvelut_codes.csv"), infer_schema=False)
    return df.with_columns(pl.col("evidence").map_elements(_pairings, return_dtype=pl.List(pl.String))
                           .alias("service_tasks"))


def _pairings(evidence: str) -> list[str] | None:
    found = re.findall(r"Palvelutehtävä=(\d+)", evidence)
    found += re.findall(r"allowed for ([\d ,and]+)\)", evidence)
    codes = sorted({c for chunk in found for c in re.findall(r"\d+", chunk)})
    return codes or None


@cache
def document_structures() -> pl.DataFrame:
    """Sosmeta structures: oid, title_fi, documentType, documentSubject, state (lower-case Finnish)."""
    df = pl.read_csv(data_file("sosmeta_document_structures.csv"), infer_schema=False)
    return df.with_columns(pl.col("status").str.to_lowercase().alias("state"))


@cache
def _csv_rows(name: str) -> tuple[dict[str, str], ...]:
    with data_file(name).open(encoding="utf-8", newline="") as f:
        return tuple(csv.DictReader(f))


@cache
def retention_links() -> tuple[tuple[str, str | None, int | None], ...]:
    """(service-task code, anchor event, years) for each service-task code, by the Act 703/2023 row it is linked
    to (retention_service_tasks.csv to retention_703_2023.csv); anchor and years None where the row has none.
    Read with the csv module: the eligibility stage reads these few rows at every run, and reading them through
    Polars was the process's first Polars call (10-30 ms, a tenth of the stage on a small registry)."""
    rules = _csv_rows("retention_703_2023.csv")
    out: list[tuple[str, str | None, int | None]] = []
    for link in _csv_rows("retention_service_tasks.csv"):
        rows = [r for r in rules if r["document_or_service_task_fi"] == link["retention_row_fi"]] or [{}]
        out += [(link["service_task_code"], r.get("anchor_event") or None,
                 int(r["years"]) if r.get("years") else None) for r in rows]
    return tuple(out)


@cache
def retention_periods() -> tuple[tuple[str | None, str, int], ...]:
    """(service-task code, or None for the client basic-data row; anchor event; years) of every period the Act
    runs from an event: the basic-data row first, then retention_links() with an anchor."""
    basic = tuple((None, r["anchor_event"], int(r["years"])) for r in _csv_rows("retention_703_2023.csv")
                  if r["document_or_service_task_fi"] == BASIC_DATA_ROW and r["anchor_event"])
    return basic + tuple((code, anchor, years) for code, anchor, years in retention_links()
                         if anchor is not None and years is not None)
