"""The output checker's view of a `table` output: the file against the controller's exact values.

It re-derives the primary cells and their required widths from the exact values and contributions
with its own short formulas (not primary.py's), then checks that every primary cell is hidden, that
hidden cells are hidden in every column, that published counts are the policy's rounding of the
true ones (so totals follow the published rule), and runs the LP audit on the pattern it reads from
the file: hypercube certificates are verified, not trusted, and LPs decide the rest.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from extractor.checker.count_rule import REDACTED, expected_counts
from extractor.checker.intervals import narrow_cells
from extractor.checker.lines import additivity
from extractor.config.policy import Disclosure


def _required(exact: pl.DataFrame, count: str, magnitudes: list[str], r: Disclosure) -> tuple[np.ndarray, dict]:
    rows, units = exact[count].to_numpy(), exact["_units"].to_numpy()
    t = r.threshold
    primary = ((rows >= 1) & (rows <= t)) | ((units >= 1) & (units <= t))
    if r.zeros_disclosive:
        primary |= rows == 0
    frequency = primary.copy()
    required = {"count": np.where(frequency, float(r.protection_level or t), 0.0)}
    for m in magnitudes:
        total = exact[m].to_numpy()
        top = np.array(exact[f"_top_{m}"].to_list(), dtype=float).reshape(len(exact), -1)
        x1 = top[:, 0]
        x2 = top[:, 1] if top.shape[1] > 1 else np.zeros(len(exact))
        dom = top[:, : r.dominance_n].sum(axis=1) * 100.0 / r.dominance_k - total
        pp = x1 * r.p_percent / 100.0 - (total - x1 - x2)
        sensitive = (total > 0) & ((dom > 1e-9) | (pp > 1e-9))
        primary |= sensitive
        required[m] = np.where(sensitive, 2 * np.maximum(np.maximum(dom, pp), 0.0), 0.0)
    for m in magnitudes:
        total = exact[m].to_numpy()
        required[m] = np.where(primary, np.maximum(required[m], np.abs(total) * r.p_percent / 100.0), 0.0)
    return primary, required


def check_table(name: str, df: pl.DataFrame, spec: dict, rules: Disclosure, exact_path: Path) -> list[str]:
    groups = tuple(tuple(g) for g in spec["groups"])
    labels = [c for g in groups for c in g]
    count, magnitudes = spec["count"], list(spec.get("magnitudes", []))
    values = [count] + [x for m in magnitudes for x in [m] + [f"{m}_{s}" for s in spec.get("statistics", [])]]
    if df.columns != labels + values:
        return [f"{name}: columns {df.columns} differ from the manifest's {labels + values}"]
    if not exact_path.is_file():
        return [f"{name}: the exact values ({exact_path.name}) are missing from the run's controller folder; "
                "the table cannot be audited"]
    exact = pl.read_parquet(exact_path)
    shown = df.select(pl.when(pl.col(c).str.contains(r"^'[=+\-@\t\r]")).then(pl.col(c).str.slice(1))
                      .otherwise(pl.col(c)).alias(c) for c in labels)  # a neutralised formula is its label
    if exact.height != df.height or not exact.select(labels).equals(shown):
        return [f"{name}: rows differ from the exact table the run recorded"]
    if spec.get("privacy") == "dp":
        bad = [c for c in values if df[c].str.contains(r"^-?[0-9]+(\.[0-9]+)?$|^$").not_().any()]
        return [f"{name}: column '{c}' holds values that are not numbers" for c in bad]
    hidden = exact["_suppressed"].to_numpy()
    primary, required = _required(exact, count, magnitudes, rules)
    findings = _published_cells(name, df, exact, count, values, hidden, primary, rules)
    return findings or _interval_audit(name, exact, groups, count, magnitudes, hidden, primary, required)


def _published_cells(name: str, df: pl.DataFrame, exact: pl.DataFrame, count: str, values: list[str],
                     hidden: np.ndarray, primary: np.ndarray, rules: Disclosure) -> list[str]:
    """Hidden exactly where suppressed, no primary cell shown, every shown count the policy's rounding."""
    findings = []
    shown = df.select((pl.col(c) == REDACTED).alias(c) for c in values)
    for c in values:
        if not np.array_equal(shown[c].to_numpy(), hidden):
            findings.append(f"{name}: column '{c}' is not hidden exactly where the cell is suppressed")
    exposed = primary & ~hidden
    if exposed.any():
        row = int(np.flatnonzero(exposed)[0])
        findings.append(f"{name}: row {row + 2} is disclosive by the primary rules but published "
                        f"({int(exposed.sum())} such cells)")
    expect = expected_counts(exact[count].to_numpy(), rules.threshold, rules.rounding_base, rules.rounding)
    wrong = (~hidden) & (expect != df[count].to_numpy().astype(object))
    if wrong.any():
        row = int(np.flatnonzero(wrong)[0])
        findings.append(f"{name}: row {row + 2}: published count {df[count][row]!r} is not the policy's rounding "
                        f"of the true count ({int(wrong.sum())} such cells)")
    return findings


def _interval_audit(name: str, exact: pl.DataFrame, groups: tuple[tuple[str, ...], ...], count: str,
                    magnitudes: list[str], hidden: np.ndarray, primary: np.ndarray,
                    required: dict[str, np.ndarray]) -> list[str]:
    """Every hidden primary cell's derivable interval is at least its protection level (intervals.py)."""
    labels = exact.select([c for g in groups for c in g])
    if labels.is_duplicated().any():
        return [f"{name}: two rows carry the same labels"]
    A = additivity(labels, groups)
    vals = {"count": exact[count].to_numpy().astype(float),
            **{m: exact[m].to_numpy().astype(float) for m in magnitudes}}
    for col, v in vals.items():
        if A.shape[0] and np.abs(A @ v).max() > 1e-6 * max(1.0, float(np.abs(v).max())):
            return [f"{name}: the exact values of '{col}' do not add up along the table's margins"]
    targets = np.flatnonzero(primary & hidden)
    need = {col: np.where(hidden, req, 0.0) for col, req in required.items()}
    claimed, sides = _claimed_cubes(exact, labels, groups, targets)
    failed = narrow_cells(A, vals, hidden, need, targets, sides, claimed, hops=len(groups))
    if not failed:
        return []
    cell, col, width, needed = failed[0]
    return [f"{name}: the LP audit pins a hidden cell ({', '.join(str(v) for v in labels.row(cell))}) "
            f"to an interval of width {width:g} in '{col}', less than the required {needed:g} "
            f"({len(failed)} such cells)"]


def _claimed_cubes(exact: pl.DataFrame, labels: pl.DataFrame, groups: tuple[tuple[str, ...], ...],
                   targets: np.ndarray) -> tuple[list[np.ndarray | None], list[np.ndarray | None]]:
    """The run's claimed hypercube per target (rows of the exact file) and, per corner, which groups differ."""
    if "_cube" not in exact.columns:
        return [None] * targets.size, [None] * targets.size
    cubes = exact["_cube"].to_list()
    keys = [labels.select(g).rows() for g in groups]
    claimed, sides = [], []
    for t in targets.tolist():
        corners = cubes[t]
        if not corners or min(corners) < 0 or max(corners) >= exact.height:
            claimed.append(None)
            sides.append(None)
            continue
        rows = np.array(corners, dtype=np.int64)
        claimed.append(rows)
        sides.append(np.array([[keys[g][r] != keys[g][t] for g in range(len(groups))] for r in rows.tolist()]))
    return claimed, sides
