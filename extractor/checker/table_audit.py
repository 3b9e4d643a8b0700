"""The output checker's view of a `table` output: the file against the controller's exact values.

It re-derives the primary cells and their required widths from the exact values and contributions
with its own short formulas (not primary.py's), then checks that every primary cell is hidden, that
hidden cells are hidden in every column, that published counts are the policy's rounding of the
true ones (under controlled rounding: a multiple of the base next to the true value, above the
threshold, and every fully published line adding up), that a mean is the published sum over the
published count, and runs the LP audit on the pattern it reads from the file: hypercube certificates
are verified, not trusted, and LPs decide the rest. The audit takes published figures as exact, which
overstates what an attacker knows from rounded ones.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from extractor.checker.count_rule import REDACTED, expected_counts
from extractor.checker.intervals import narrow_cells
from extractor.checker.lines import additivity
from extractor.config.policy import Disclosure


def _required(exact: pl.DataFrame, count: str, magnitudes: list[str], events: list[str], r: Disclosure
              ) -> tuple[np.ndarray, dict]:
    rows, units = exact[count].to_numpy(), exact["_units"].to_numpy()
    t = r.threshold
    primary = ((rows >= 1) & (rows <= t)) | ((units >= 1) & (units <= t))
    few_events = {m: (exact[m].to_numpy() >= 1) & (exact[m].to_numpy() <= t) for m in events}
    for small in few_events.values():
        primary |= small
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
        if m in few_events:
            required[m] = np.maximum(required[m], np.where(few_events[m], float(r.protection_level or t), 0.0))
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
    try:
        exact = pl.read_parquet(exact_path)
    except (OSError, pl.exceptions.PolarsError) as exc:
        return [f"{name}: the exact values ({exact_path.name}) cannot be read ({type(exc).__name__}); "
                "the table cannot be audited"]
    shown = df.select(pl.when(pl.col(c).str.contains(r"^'[=+\-@\t\r]")).then(pl.col(c).str.slice(1))
                      .otherwise(pl.col(c)).alias(c) for c in labels)  # a neutralised formula is its label
    if exact.height != df.height or not exact.select(labels).equals(shown):
        return [f"{name}: rows differ from the exact table the run recorded"]
    if spec.get("privacy") == "dp":
        bad = [c for c in values if df[c].str.contains(r"^-?[0-9]+(\.[0-9]+)?$|^$").not_().any()]
        return [f"{name}: column '{c}' holds values that are not numbers" for c in bad]
    if spec.get("privacy") == "cell_key":
        return _cell_key_bounds(name, df, exact, count, rules)
    hidden = exact["_suppressed"].to_numpy()
    events = [m for m in spec.get("event_counts", []) if m in magnitudes]
    primary, required = _required(exact, count, magnitudes, events, rules)
    findings = _published_cells(name, df, exact, [count, *events], values, hidden, primary, rules)
    findings += _extremes(name, df, exact, magnitudes, spec.get("statistics", []), hidden, rules)
    if findings:
        return findings
    findings = _interval_audit(name, exact, groups, count, magnitudes, hidden, primary, required)
    findings += _published_lines(name, df, groups, [count, *events], spec, rules)
    return findings + _means(name, df, count, magnitudes, spec.get("statistics", []))


def _cell_key_bounds(name: str, df: pl.DataFrame, exact: pl.DataFrame, count: str, rules: Disclosure) -> list[str]:
    """What a cell-key table promises, from the file and the true counts (the checker has no project key,
    so it checks the bounds, not the noise itself): every figure a whole number ≥ 0, a true 0 published
    as 0, nothing published in 1..threshold, a true count above the threshold moved by at most the
    policy's largest noise, a true count of 1..threshold published as 0 or threshold + 1."""
    text = df[count]
    if text.is_null().any() or not text.str.contains(r"^[0-9]+$").all():
        return [f"{name}: column '{count}' holds values that are not whole numbers"]
    shown = text.cast(pl.Int64).to_numpy()
    true = exact[count].to_numpy()
    t, most = rules.threshold, rules.cell_key_max_noise
    small = (true >= 1) & (true <= t)
    bad = ((true == 0) & (shown != 0)) | ((shown >= 1) & (shown <= t)) \
        | ((true > t) & (np.abs(shown - true) > most)) | (small & (shown != 0) & (shown != t + 1))
    if bad.any():
        return [f"{name}: {int(bad.sum())} figures break the cell-key bounds (first at row {int(np.argmax(bad)) + 2}: "
                f"true {int(true[bad][0])}, published {int(shown[bad][0])}; at most ±{most}, nothing in 1..{t})"]
    return []


def _published_lines(name: str, df: pl.DataFrame, groups: tuple[tuple[str, ...], ...], counts: list[str],
                     spec: dict, r: Disclosure) -> list[str]:
    """Controlled rounding: along every line whose figures are all published, parent = Σ children (except
    as many lines as the run declared it could not make add up)."""
    if r.rounding != "controlled":
        return []
    A = additivity(df.select([c for g in groups for c in g]), groups)
    declared = spec.get("nonadditive_lines", {}) or {}
    findings = []
    for col in counts:
        shown = (df[col] != REDACTED).to_numpy()
        values = np.where(shown, df[col].cast(pl.Int64, strict=False).fill_null(0).to_numpy(), 0)
        whole = np.asarray(abs(A)[:, np.flatnonzero(~shown)].sum(axis=1)).ravel() == 0
        off = int(((A @ values) != 0)[whole].sum())
        if off > int(declared.get(col, 0)):
            findings.append(f"{name}: {off} published line(s) of '{col}' do not add up (the run declared "
                            f"{int(declared.get(col, 0))})")
    return findings


def _means(name: str, df: pl.DataFrame, count: str, magnitudes: list[str], statistics: list[str]) -> list[str]:
    """A published mean is the published sum over the published count, to two decimals: nothing more."""
    findings = []
    n = df[count].cast(pl.Float64, strict=False)
    for m in magnitudes:
        if "mean" not in statistics:
            continue
        total, mean = df[m].cast(pl.Float64, strict=False), df[f"{m}_mean"]
        expect = (total / n.replace(0.0, None)).round(2)
        shown = mean.cast(pl.Float64, strict=False)
        bad = (expect.is_not_null() & (shown.is_null() | ((shown - expect).abs() > 0.005 + 1e-9))) \
            | (expect.is_null() & ~mean.is_in(["", REDACTED]))
        if bad.any():
            row = int(bad.arg_true()[0])
            findings.append(f"{name}: row {row + 2}: '{m}_mean' is not the published '{m}' over the published "
                            f"'{count}' ({int(bad.sum())} such cells): a mean must tell nothing they do not")
    return findings


def _extremes(name: str, df: pl.DataFrame, exact: pl.DataFrame, magnitudes: list[str], statistics: list[str],
              hidden: np.ndarray, r: Disclosure) -> list[str]:
    """min/max: withheld by the policy, or the mean of the k extreme units where the cell has enough units."""
    findings = []
    k = r.extreme_units
    for m in magnitudes:
        for side in set(statistics) & {"min", "max"}:
            col = f"{m}_{side}"
            shown = (df[col] != REDACTED).to_numpy()
            if r.extremes == "withheld":
                if shown.any():
                    findings.append(f"{name}: column '{col}' publishes extremes the policy withholds")
                continue
            lists = exact[f"_top_{m}" if side == "max" else f"_bottom_{m}"].to_list()
            expect = np.array([np.mean([v for v in (x or []) if v == v][:k]) if x else np.nan for x in lists])
            enough = exact["_units"].to_numpy() >= 2 * k + r.threshold + 1
            value = df[col].cast(pl.Float64, strict=False).to_numpy()
            if (shown & ~enough).any():
                findings.append(f"{name}: column '{col}' shows an extreme in a cell with fewer than "
                                f"{2 * k + r.threshold + 1} units")
            elif (shown & ~(np.abs(value - expect) <= 0.005 + 1e-9)).any():
                findings.append(f"{name}: column '{col}' is not the mean of the {k} extreme unit values")
    return findings


def _published_cells(name: str, df: pl.DataFrame, exact: pl.DataFrame, counts: list[str], values: list[str],
                     hidden: np.ndarray, primary: np.ndarray, rules: Disclosure) -> list[str]:
    """Hidden exactly where suppressed (extremes may be hidden more), no primary cell shown, every shown
    count (and count of events) the policy's rounding."""
    findings = []
    shown = df.select((pl.col(c) == REDACTED).alias(c) for c in values)
    for c in values:
        redacted = shown[c].to_numpy()
        extreme = c.endswith(("_min", "_max"))
        if not (np.array_equal(redacted, hidden) or (extreme and not (hidden & ~redacted).any())):
            findings.append(f"{name}: column '{c}' is not hidden exactly where the cell is suppressed")
    exposed = primary & ~hidden
    if exposed.any():
        row = int(np.flatnonzero(exposed)[0])
        findings.append(f"{name}: row {row + 2} is disclosive by the primary rules but published "
                        f"({int(exposed.sum())} such cells)")
    for count in counts:
        true = np.rint(exact[count].to_numpy()).astype(np.int64)
        expect = expected_counts(true, rules.threshold, rules.rounding_base, rules.rounding)
        if rules.rounding == "controlled":  # either multiple next to the true value, above the threshold
            got = df[count].cast(pl.Float64, strict=False).to_numpy()
            base = rules.rounding_base
            ok = np.where(true == 0, got == 0,
                          (got % base == 0) & (np.abs(got - true) < base) & (got > rules.threshold))
            wrong = (~hidden) & ~ok
        else:
            wrong = (~hidden) & (expect != df[count].to_numpy().astype(object))
        if wrong.any():
            row = int(np.flatnonzero(wrong)[0])
            findings.append(f"{name}: row {row + 2}: published '{count}' {df[count][row]!r} is not the policy's "
                            f"rounding of the true value ({int(wrong.sum())} such cells)")
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
    lp_claims = _claimed_lp_cells(exact, targets)
    failed = narrow_cells(A, vals, hidden, need, targets, sides, claimed, hops=len(groups), lp_claims=lp_claims)
    if not failed:
        return []
    cell, col, width, needed = failed[0]
    return [f"{name}: the LP audit pins a hidden cell ({', '.join(str(v) for v in labels.row(cell))}) "
            f"to an interval of width {width:g} in '{col}', less than the required {needed:g} "
            f"({len(failed)} such cells)"]


def _claimed_lp_cells(exact: pl.DataFrame, targets: np.ndarray) -> list[np.ndarray | None]:
    """The hidden cells (rows of the exact file) the run says an LP proved each target over."""
    if "_lp_cells" not in exact.columns:
        return [None] * targets.size
    claims = exact["_lp_cells"].to_list()
    out: list[np.ndarray | None] = []
    for t in targets.tolist():
        rows = claims[t]
        ok = bool(rows) and min(rows) >= 0 and max(rows) < exact.height
        out.append(np.array(rows, dtype=np.int64) if ok else None)
    return out


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
