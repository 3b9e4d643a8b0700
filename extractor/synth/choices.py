"""Synthetic registers of people's choices: disclosure bans, opt-outs from secondary use, research consents.

Edge cases the eligibility rules must get right appear on purpose: bans revoked on the day they were
set, bans set by a legal representative, revoked-then-set-again bans, withdrawn opt-outs.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from extractor.synth.people import REFERENCE_DAY

STUDIES = ("STUDY-2025-07", "STUDY-2026-01")
REPRESENTATIVE_ROLES = ("31", "32", "33", "34")  # huoltaja, edunvalvoja, edunvalvontavaltuutettu, valtuutettu


def _days_between(rng: np.random.Generator, start: np.datetime64, end: np.datetime64, n: int) -> np.ndarray:
    span = int((end - start).astype(np.int64))
    return (start + rng.integers(0, span + 1, n).astype("timedelta64[D]")).astype("datetime64[D]")


def _revoked(rng: np.random.Generator, set_on: np.ndarray, share: float) -> np.ndarray:
    n = len(set_on)
    later = set_on + rng.integers(0, 2 * 365, n).astype("timedelta64[D]")
    later = np.where(rng.random(n) < 0.05, set_on, later)  # revoked the same day
    keep = (rng.random(n) < share) & (later <= np.datetime64(REFERENCE_DAY))
    return np.where(keep, later, np.datetime64("NaT")).astype("datetime64[D]")


def disclosure_bans(rng: np.random.Generator, docs: pl.DataFrame, n_clients: int, share: float,
                    numbered_before: int = 0) -> pl.DataFrame:
    """Bans by clients holding at least one document; each ban's target is drawn from their own documents."""
    first = docs.filter(pl.col("version") == 1)
    pick = rng.random(first.height) < share * n_clients / max(first.height, 1) * 1.2
    chosen = first.filter(pl.Series(pick)).unique("client_id", keep="first", maintain_order=True)
    n = chosen.height
    scope = np.array(["registrar", "service_task", "document"])[rng.choice(3, n, p=[0.4, 0.3, 0.3])]
    target = pl.DataFrame({"scope": scope}).with_columns(
        pl.when(pl.col("scope") == "registrar").then(chosen["registrar_oid"])
        .when(pl.col("scope") == "service_task").then(chosen["service_task"])
        .otherwise(chosen["original_oid"]).alias("target"))["target"]
    set_on = _days_between(rng, np.datetime64("2023-01-01"), np.datetime64(REFERENCE_DAY), n)
    representative = rng.random(n) < 0.15
    bans = pl.DataFrame({
        "client_id": chosen["client_id"], "scope": scope, "target": target, "set_on": set_on,
        "revoked_on": _revoked(rng, set_on, 0.2),
        "set_by_role": pl.Series(rng.choice(REPRESENTATIVE_ROLES, n)),
    }).with_columns(pl.when(pl.Series(representative)).then(pl.col("set_by_role")).alias("set_by_role"))
    # A few bans were revoked and then set again: a second row for the same target, set after the revocation.
    again = bans.filter(pl.col("revoked_on").is_not_null() & pl.Series(rng.random(n) < 0.3))
    again = again.with_columns((pl.col("revoked_on") + pl.duration(days=30)).alias("set_on"),
                               pl.lit(None, dtype=pl.Date).alias("revoked_on")
                               ).filter(pl.col("set_on") <= pl.lit(REFERENCE_DAY))
    out = pl.concat([bans, again]).sort("client_id", "set_on", "scope", "target", maintain_order=True)
    number = pl.int_range(numbered_before + 1, numbered_before + pl.len() + 1)
    return out.with_columns(pl.format("BAN{}", number).alias("ban_id")).select(
        "ban_id", "client_id", "scope", "target", "set_on", "revoked_on", "set_by_role")


def opt_outs(rng: np.random.Generator, clients: pl.DataFrame, share: float) -> pl.DataFrame:
    chosen = clients.filter(pl.Series(rng.random(clients.height) < share))
    n = chosen.height
    set_on = _days_between(rng, np.datetime64("2019-01-01"), np.datetime64(REFERENCE_DAY), n)
    return pl.DataFrame({"client_id": chosen["client_id"], "opted_out_on": set_on,
                         "withdrawn_on": _revoked(rng, set_on, 0.1)})


def research_consents(rng: np.random.Generator, clients: pl.DataFrame, share: float) -> pl.DataFrame:
    frames = []
    for study in STUDIES:
        chosen = clients.filter(pl.Series(rng.random(clients.height) < share))
        n = chosen.height
        given = _days_between(rng, np.datetime64("2024-01-01"), np.datetime64(REFERENCE_DAY), n)
        frames.append(pl.DataFrame({"client_id": chosen["client_id"], "study": pl.Series([study] * n, dtype=pl.String),
                                    "given_on": given, "withdrawn_on": _revoked(rng, given, 0.05)}))
    return pl.concat(frames)
