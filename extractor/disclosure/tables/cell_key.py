"""Cell-key perturbation (ABS, ONS): the same cell gets the same noise in every release of a project.

Each record's unit gets a record key in 0..255 from the project key (HMAC, so it is stable within the
project, unpredictable without the key and unlinkable across projects); a cell's key is the sum of its
records' keys modulo 256, so a cell built from the same records has the same key whatever the request
that asks for it. The noise is read from a p-table: for the cell's true count (row) and its key
(column), a perturbation. Following ONS's cell-key-perturbation package, rows above LARGE reuse the
rows LARGE - 249 .. LARGE by the count's remainder, so the table stays small.

The p-table is built here from the policy's parameters, not shipped: for each true count, a
distribution of the noise d that is unbiased (mean 0), has the policy's variance where it can, never
exceeds `max_noise` in size, keeps 0 at 0, and never publishes 1..threshold (a count of 1..threshold
becomes 0 or threshold + 1, with probabilities that keep its mean). Among the distributions with those
moments it takes the one of maximum entropy (a discretised normal: p(d) ∝ exp(a·d + b·d²)), as the
ptable R package (Enderle, Giessing) does. A cell key uniform on 0..255 picks the noise by the
distribution's inverse cumulative function, so each noise value is drawn with its probability.

What it protects: differencing between releases (the same cell has the same noise), small counts (never
published); what it does not: additivity (each figure is perturbed on its own, so a margin and its cells
do not add up, and their difference is a noisy estimate of a cell), and averaging over many different
tables whose cells share records.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
import polars as pl
from scipy.optimize import least_squares

if TYPE_CHECKING:
    import duckdb

    from extractor.protect.pseudonym import ProjectKey

KEYS = 256  # record and cell keys are 0..255 (ONS)
LARGE = 750  # counts above reuse the rows LARGE - 249 .. LARGE (ONS: 501..750)


@dataclass(frozen=True)
class PTable:
    """noise[row, key] for rows 0..LARGE; `row()` maps a true count to its row."""

    noise: np.ndarray  # (LARGE + 1) × KEYS, int
    threshold: int
    max_noise: int
    variance: float

    @staticmethod
    def row(counts: np.ndarray) -> np.ndarray:
        counts = np.asarray(counts, dtype=np.int64)
        return np.where(counts <= LARGE, counts, (counts - 1) % 250 + LARGE - 249)

    def perturb(self, counts: np.ndarray, cell_keys: np.ndarray) -> np.ndarray:
        counts = np.asarray(counts, dtype=np.int64)
        return counts + self.noise[self.row(counts), np.asarray(cell_keys, dtype=np.int64) % KEYS]


def _max_entropy(support: np.ndarray, variance: float) -> np.ndarray:
    """Probabilities over `support` (integers) with mean 0 and the given variance where reachable, of
    maximum entropy; the variance is lowered to what the support allows (a truncated row)."""
    if support.size == 1:
        return np.ones(1)
    d = support.astype(np.float64)

    def probs(ab: np.ndarray) -> np.ndarray:
        z = ab[0] * d + ab[1] * d * d
        p = np.exp(z - z.max())
        return p / p.sum()

    def residual(ab: np.ndarray, v: float) -> np.ndarray:
        p = probs(ab)
        return np.array([(p * d).sum() * 10.0, (p * d * d).sum() - v])

    v = variance
    for _ in range(40):  # lower the variance until mean 0 is met (a support leaning to one side)
        fit = least_squares(residual, x0=np.array([0.0, -0.5 / max(v, 1e-3)]), args=(v,))
        p = probs(fit.x)
        if abs((p * d).sum()) < 1e-6 and abs((p * d * d).sum() - v) < 1e-3 * max(v, 1.0):
            return p
        v *= 0.8
    return (support == 0).astype(np.float64) if (support == 0).any() else np.ones(support.size) / support.size


def _keys_from(p: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Noise for each of the KEYS cell keys: the inverse cumulative distribution at (key + ½) / KEYS."""
    cum = np.cumsum(p)
    at = (np.arange(KEYS) + 0.5) / KEYS
    return values[np.minimum(np.searchsorted(cum, at - 1e-12), values.size - 1)]


@lru_cache(maxsize=8)
def build_ptable(threshold: int, max_noise: int, variance: float) -> PTable:
    """The p-table for the policy's threshold, largest noise and variance (see the module's docstring).
    Built once per process for each policy (fitting its rows takes ~0.2 s; every table of a run and
    every run of a server share it), and read-only, so no caller can change what another reads."""
    noise = np.zeros((LARGE + 1, KEYS), dtype=np.int64)
    t = threshold
    for c in range(1, LARGE + 1):
        if c <= t:  # 0 or t + 1, mean c
            up = c / (t + 1)
            noise[c] = _keys_from(np.array([1 - up, up]), np.array([-c, t + 1 - c]))
            continue
        support = np.arange(-max_noise, max_noise + 1)
        support = support[c + support > t]  # never into 1..threshold (nor 0: c > t)
        if c > t + max_noise:  # the full support from here on: every later row is this one
            noise[c:] = _keys_from(_max_entropy(support, variance), support)
            break
        noise[c] = _keys_from(_max_entropy(support, variance), support)
    noise.flags.writeable = False
    return PTable(noise, threshold, max_noise, variance)


RECORD_KEY = "_record_key"


def with_record_keys(con: duckdb.DuckDBPyConnection, df: pl.DataFrame, unit: str, key: ProjectKey) -> pl.DataFrame:
    """`df` with each record's key in 0..255: HMAC-SHA256(project key, "cell-key:" + unit), computed in
    DuckDB once per distinct unit with the key's pads as query parameters (never in SQL text)."""
    from extractor.protect.pseudonym import sql_pseudonym
    from extractor.sql import quote_ident

    q = quote_ident(unit)
    digest = sql_pseudonym("u", "cell-key")
    con.register("_ck_records", df)
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE _ck_keys AS SELECT u, CAST(('0x' || left({digest}, 4)) AS "
                    f"INTEGER) % {KEYS} AS k FROM (SELECT DISTINCT CAST({q} AS VARCHAR) AS u FROM _ck_records)",
                    key.sql_params())
        keys = con.sql("SELECT u, k FROM _ck_keys").pl()
    finally:
        con.execute("DROP TABLE IF EXISTS _ck_keys")
        con.unregister("_ck_records")
    return df.with_columns(pl.col(unit).cast(pl.String).alias("_u")).join(keys, left_on="_u", right_on="u",
                                                                           how="left") \
        .drop("_u").rename({"k": RECORD_KEY})
