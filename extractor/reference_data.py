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
def retention_rules() -> pl.DataFrame:
    return pl.read_csv(data_file("retention_703_2023.csv"), infer_schema=False)


@cache
def _csv_rows(name: str) -> tuple[dict[str, str], ...]:
    with data_file(name).open(encoding="utf-8", newline="") as f:
        return tuple(csv.DictReader(f))


@cache
def retention_periods() -> tuple[tuple[str | None, str, int], ...]:
    """(service-task code, or None for the client basic-data row; anchor event; years) of every period the Act
    runs from an event, read with the csv module: the eligibility stage needs only these few rows, and reading
    them through Polars cost its first use in the process (10-30 ms at every run, a tenth of the stage on a
    small registry). The basic-data row comes first; retention_by_service_task() holds the same links."""
    rules = _csv_rows("retention_703_2023.csv")
    basic = tuple((None, r["anchor_event"], int(r["years"])) for r in rules
                  if r["document_or_service_task_fi"] == BASIC_DATA_ROW and r["anchor_event"])
    return basic + tuple((link["service_task_code"], rule["anchor_event"], int(rule["years"]))
                         for link in _csv_rows("retention_service_tasks.csv") for rule in rules
                         if rule["document_or_service_task_fi"] == link["retention_row_fi"] and rule["anchor_event"])


@cache
def retention_by_service_task() -> pl.DataFrame:
    """service_task_code, anchor_event, years: the Act 703/2023 rule for each service-task code."""
    link = pl.read_csv(data_file("retention_service_tasks.csv"), infer_schema=False)
    rules = retention_rules().select(pl.col("document_or_service_task_fi").alias("retention_row_fi"),
                                     "anchor_event", pl.col("years").cast(pl.Int32))
    return link.join(rules, on="retention_row_fi", how="left").select("service_task_code", "retention_row_fi",
                                                                       "anchor_event", "years")
