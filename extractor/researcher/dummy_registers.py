"""Registers of people's choices in dummy data: some opt-outs (a few withdrawn), bans of every scope
(registrar, service task, document) aimed at values the dummy tables hold, consents to the request's
study. Split from dummy_data.py, whose pools of persons, registrars and service tasks they draw from."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from extractor.config.catalog import Register

if TYPE_CHECKING:
    from extractor.researcher.dummy_data import Dummy


def keys(prefix: str, numbers: np.ndarray, width: int) -> np.ndarray:
    """prefix + each number zero-padded to width ("DV00000042"), built column-wise by Polars."""
    text = pl.Series(numbers).cast(pl.String).str.zfill(width)
    return (prefix + text).to_numpy().astype(object)


def series(name: str, values: np.ndarray) -> pl.Series:
    """Object arrays (text, text with None) as Polars text; others as they are."""
    if values.dtype == object:
        return pl.Series(name, values.tolist(), dtype=pl.String)
    return pl.Series(name, values)


def register(dummy: Dummy, reg: Register) -> pl.DataFrame:
    """Some of each kind: opt-outs (a few withdrawn), bans of every scope, consents to the study."""
    people = dummy.pools.get("role:person_key", np.array([], dtype=object))
    n = max(1, people.size // 20)
    who = people[dummy.rng.choice(people.size, n, replace=False)] if people.size else np.array([], dtype=object)
    on = np.datetime64(dummy.as_of - dt.timedelta(days=400), "D") + dummy.rng.integers(0, 300, n).astype(
        "timedelta64[D]")
    ended = np.where(dummy.rng.random(n) < 0.2, on + np.timedelta64(30, "D"), np.datetime64("NaT"))
    c = reg.columns
    if reg.kind == "opt_out":
        data = {c["person"]: who, c["set_on"]: on, c["withdrawn_on"]: ended}
    elif reg.kind == "research_consent":
        many = people[dummy.rng.random(people.size) < 0.8]
        on = np.full(many.size, np.datetime64(dummy.as_of - dt.timedelta(days=500), "D"))
        data = {c["person"]: many, c["study"]: np.full(many.size, dummy.study or "STUDY", dtype=object),
                c["given_on"]: on, c["withdrawn_on"]: np.where(dummy.rng.random(many.size) < 0.05,
                                                              on + np.timedelta64(100, "D"), np.datetime64("NaT"))}
    else:
        data = _bans(dummy, reg, who, on, ended)
    return pl.DataFrame([series(k, v) for k, v in data.items()])

def _bans(dummy: Dummy, reg: Register, who: np.ndarray, on: np.ndarray, ended: np.ndarray) -> dict[str, np.ndarray]:
    n = who.size
    scopes = np.array(["registrar", "service_task", "document"], dtype=object)[np.arange(n) % 3]
    targets = np.empty(n, dtype=object)
    for scope, pool_key in (("registrar", "role:registrar"), ("service_task", "role:service_task")):
        pool = dummy.pools.get(pool_key, np.array(["none"], dtype=object))
        mask = scopes == scope
        targets[mask] = pool[dummy.rng.integers(0, pool.size, int(mask.sum()))]
    mask = scopes == "document"
    targets[mask] = keys("DK", dummy.rng.integers(0, dummy.persons, int(mask.sum())), 8)
    c = reg.columns
    return {c["person"]: who, c["scope"]: np.array([reg.scope_values[s] for s in scopes], dtype=object),
            c["target"]: targets, c["set_on"]: on, c["revoked_on"]: ended,
            c["set_by_role"]: np.where(dummy.rng.random(n) < 0.2, "31", None)}
