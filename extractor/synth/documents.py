"""Synthetic social-welfare documents: registrar, service task, social service, structure, dates, a note.

About a third of the notes mention an identifier, as real narrative text does; synth_notes.py writes
them with the identifiers' spans, which synth.py keeps apart in note_spans.parquet for evaluation.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from extractor import reference_data
from extractor.synth import notes as synth_notes
from extractor.synth.people import REFERENCE_DAY

FIRST_DAY = np.datetime64("2012-01-01")
_TASK_WEIGHTS = {"10": 0.35, "15": 0.25, "20": 0.40}


def registrars(rng: np.random.Generator) -> pl.DataFrame:
    """One social-welfare registrar per region (wellbeing services county) plus two private providers."""
    regions = reference_data.postal_codes().select("region_code", "region").unique().sort("region_code")
    n = regions.height + 2
    org = rng.choice(np.arange(1_000_000, 9_999_999), size=n, replace=False)
    unit = rng.integers(100_000, 999_999, n)
    return pl.DataFrame({
        "registrar_oid": [f"1.2.246.10.{o}.10.1.1.{u}" for o, u in zip(org, unit, strict=True)],
        "registrar_name": [f"{r} hyvinvointialue, sosiaalipalvelut" for r in regions["region"]]
        + ["Hoivapalvelu Oy", "Perhetuki Oy"],
        "region_code": regions["region_code"].to_list() + [None, None],
    })


def _social_service_for(rng: np.random.Generator, tasks: np.ndarray) -> pl.Series:
    """A social service code the Sosmeta pairing allows for each document's service task."""
    services = reference_data.social_services()
    out = np.zeros(len(tasks), dtype=np.int64)
    codes = services["code"]
    for task in np.unique(tasks):
        allowed = [i for i, r in enumerate(services.iter_rows(named=True))
                   if r["service_tasks"] is None or task in r["service_tasks"]]
        mask = tasks == task
        out[mask] = rng.choice(allowed, int(mask.sum()))
    return codes.gather(out)


def documents(rng: np.random.Generator, clients: pl.DataFrame, regs: pl.DataFrame, per_client: float,
              numbered_before: int = 0) -> pl.DataFrame:
    """Documents of `clients`; original OIDs are numbered on from `numbered_before` (earlier blocks')."""
    n_clients = clients.height
    counts = rng.poisson(per_client, n_clients)
    owner = np.repeat(np.arange(n_clients), counts)
    n = len(owner)
    # Mostly the client's own county; sometimes another registrar (moved, private provider).
    reg_by_region = {r: i for i, r in enumerate(regs["region_code"].to_list()) if r is not None}
    home = clients["region_code"].replace_strict(reg_by_region, default=0, return_dtype=pl.Int64).to_numpy()[owner]
    reg_idx = np.where(rng.random(n) < 0.85, home, rng.integers(0, regs.height, n))
    tasks = np.array(list(_TASK_WEIGHTS))[rng.choice(len(_TASK_WEIGHTS), n, p=list(_TASK_WEIGHTS.values()))]
    structs = reference_data.document_structures().filter(
        pl.col("documentSubject") != "Tahdonilmaisupalvelun asiakirjat")
    s_idx = rng.integers(0, structs.height, n)
    birth = clients["birth_date"].to_numpy()[owner]
    death = clients["death_date"].to_numpy()[owner]
    start = np.maximum(birth, FIRST_DAY)
    end = np.where(np.isnat(death), np.datetime64(REFERENCE_DAY), death)
    span = np.maximum((end - start).astype(np.int64), 1)
    created = start + (rng.random(n) * span).astype("timedelta64[D]")
    closed = created + rng.integers(0, 3 * 365, n).astype("timedelta64[D]")
    closed = np.where((closed > np.datetime64(REFERENCE_DAY)) | (rng.random(n) < 0.3), np.datetime64("NaT"), closed)
    year = created.astype("datetime64[Y]").astype(np.int64) + 1970
    reg_org = regs["registrar_oid"].str.split(".").list.get(4)
    idx = pl.Series(reg_idx)
    df = pl.DataFrame({
        "client_id": clients["client_id"].gather(owner),
        "registrar_oid": regs["registrar_oid"].gather(idx),
        "service_task": tasks,
        "social_service": _social_service_for(rng, tasks),
        "document_type": structs["documentType"].gather(s_idx),
        "structure_oid": structs["oid"].gather(s_idx),
        "created_on": created.astype("datetime64[D]"),
        "matter_closed_on": closed.astype("datetime64[D]"),
    }).hstack(_notes(rng, clients, owner)).with_columns(
        pl.format("1.2.246.10.{}.11.{}.{}", reg_org.gather(idx), pl.Series(year),
                  pl.int_range(numbered_before + 1, numbered_before + pl.len() + 1))
        .alias("original_oid"))
    return _with_versions(rng, df)


def _with_versions(rng: np.random.Generator, df: pl.DataFrame) -> pl.DataFrame:
    """Some documents were revised: the new version has its own OID and keeps the original OID."""
    first = df.with_columns(pl.col("original_oid").alias("document_oid"), pl.lit(1).alias("version"))
    revised = first.filter(pl.Series(rng.random(df.height) < 0.05)).with_columns(
        pl.col("original_oid").str.replace(r"\.11\.", ".12.").alias("document_oid"), pl.lit(2).alias("version"),
        pl.concat_str([pl.col("note"), pl.lit(" Korjattu versio.")]).alias("note"))
    return pl.concat([first, revised]).select(
        "document_oid", "original_oid", "version", "client_id", "registrar_oid", "service_task", "social_service",
        "document_type", "structure_oid", "created_on", "matter_closed_on", "note", "note_spans")


def _notes(rng: np.random.Generator, clients: pl.DataFrame, owner: np.ndarray, chunk: int = 100_000) -> pl.DataFrame:
    """Notes written a chunk of documents at a time: the generator's wide working frame stays small."""
    people = clients.select("hetu", "first_names", "surname", "postal_code", "municipality", "language")
    return pl.concat([synth_notes.notes(rng, people[pl.Series(owner[i:i + chunk])])
                      for i in range(0, len(owner), chunk)] or [synth_notes.notes(rng, people.clear())])

