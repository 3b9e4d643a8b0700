"""Synthetic clients: identity codes, names by population-register frequency, geography, language, death."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from extractor import hetu, reference_data

REFERENCE_DAY = dt.date(2026, 10, 31)  # the registry's "today": no date after it
_SV_SHARE_BY_REGION = {"21": 0.9, "15": 0.5, "01": 0.08, "02": 0.05}  # Åland, Ostrobothnia, Uusimaa, V-S


def _weighted(rng: np.random.Generator, names: pl.DataFrame, n: int) -> np.ndarray:
    counts = names["count"].to_numpy().astype(np.float64)
    idx = rng.choice(len(counts), size=n, p=counts / counts.sum())
    return names["name"].to_numpy()[idx]


def _given_names(rng: np.random.Generator, male: np.ndarray) -> np.ndarray:
    names = reference_data.person_names()
    out = np.empty(len(male), dtype=object)
    for sex, mask in (("M", male), ("F", ~male)):
        pool = names.filter((pl.col("kind") == "first") & (pl.col("gender") == sex))
        first = _weighted(rng, pool, int(mask.sum()))
        second = _weighted(rng, pool, int(mask.sum()))
        # Most Finns have two or three given names; one in five has a single name here.
        single = rng.random(int(mask.sum())) < 0.2
        out[mask] = np.where(single, first, np.char.add(np.char.add(first.astype(str), " "), second.astype(str)))
    return out


def no_serials_taken() -> pl.DataFrame:
    return pl.DataFrame(schema={"birth_date": pl.Date, "male": pl.Boolean, "n": pl.Int64})


def clients(rng: np.random.Generator, n: int, first_row: int = 0,
            taken: pl.DataFrame | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """`n` clients numbered from `first_row`; `taken` counts identity-code serials already used per birth date
    and sex by earlier blocks. Returns the clients and the updated counts."""
    taken = no_serials_taken() if taken is None else taken
    male = rng.random(n) < 0.49
    age_days = (rng.beta(1.6, 1.9, n) * 100 * 365.25).astype(np.int64)
    birth = np.datetime64(REFERENCE_DAY) - age_days.astype("timedelta64[D]")
    postal = reference_data.postal_codes()
    pidx = rng.integers(0, postal.height, n)
    geo = postal.select("postal_code", "municipality_code", "municipality", "region_code", "region")[pidx]
    sv_share = geo["region_code"].replace_strict(_SV_SHARE_BY_REGION, default=0.01, return_dtype=pl.Float64)
    language = np.where(rng.random(n) < sv_share.to_numpy(), "sv", "fi")
    # Death: more likely with age; the date falls between birth (or 2010) and the reference day.
    dies = rng.random(n) < np.clip(age_days / 365.25 / 100, 0, 1) ** 2 * 0.35
    start = np.maximum(birth, np.datetime64("2010-01-01"))
    span = (np.datetime64(REFERENCE_DAY) - start).astype(np.int64)
    death = start + (rng.random(n) * np.maximum(span, 1)).astype("timedelta64[D]")
    sign_index = np.where(rng.random(n) < 0.03, rng.integers(1, 6, n), 0)
    df = pl.DataFrame({
        "row": np.arange(first_row, first_row + n, dtype=np.int64),
        "birth_date": birth.astype("datetime64[D]"),
        "male": male,
        "sign_index": sign_index,
        "first_names": _given_names(rng, male),
        "surname": _weighted(rng, reference_data.person_names().filter(pl.col("kind") == "surname"), n),
        "language": language,
        "death_date": pl.Series(death.astype("datetime64[D]")).to_numpy(),
    }).with_columns(pl.Series("death_date", np.where(dies, death, np.datetime64("NaT")).astype("datetime64[D]")))
    df = pl.concat([df, geo], how="horizontal").join(taken, on=["birth_date", "male"], how="left",
                                                     maintain_order="left").with_columns(pl.col("n").fill_null(0))
    # Individual numbers unique within (birth date, sex) across all blocks: even for women, odd for men, 449
    # of each, starting at a point fixed by the date so that the serials are not all low.
    rank = pl.col("n") + pl.int_range(pl.len()).over("birth_date", "male")
    start = (pl.col("birth_date").cast(pl.Int64) * 7919 + pl.col("male").cast(pl.Int64) * 211) % 449
    zzz = 2 + ((rank + start) % 449) * 2 + pl.col("male").cast(pl.Int64)
    used = df.group_by("birth_date", "male").agg(pl.len().cast(pl.Int64).alias("added"))
    taken = taken.join(used, on=["birth_date", "male"], how="full", coalesce=True).select(
        "birth_date", "male", (pl.col("n").fill_null(0) + pl.col("added").fill_null(0)).alias("n"))
    people = df.with_columns(zzz.alias("zzz")).with_columns(
        hetu.expr(pl.col("birth_date"), pl.col("zzz"), pl.col("sign_index")).alias("hetu"),
        pl.format("C{}", (pl.col("row") + 1).cast(pl.String).str.zfill(8)).alias("client_id"),
        pl.when(pl.col("male")).then(pl.lit("M")).otherwise(pl.lit("F")).alias("sex"),
    ).select("client_id", "hetu", "first_names", "surname", "birth_date", "sex", "postal_code",
             "municipality_code", "municipality", "region_code", "region", "language", "death_date")
    return people, taken
