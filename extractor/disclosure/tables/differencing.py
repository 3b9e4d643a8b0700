"""Differencing across releases: does a new table, set against an earlier one, isolate a small group?

Each released table leaves its exact values in the run's controller folder. A new table is compared
cell by cell with every earlier released table of the same project that has as many label columns,
whatever the output, label or count is called now (renaming them would otherwise dodge the check):
where a count was published in both and the two differ by 1..threshold, subtracting one from the
other reveals a group smaller than the threshold (e.g. one person left out of the second request).
The finding goes to the reviewers; it is a judgement for them, so it does not fail the run.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from extractor.release.layout import RunFolder


@dataclass(frozen=True)
class Difference:
    output: str
    earlier_run: str
    column: str
    cells: int  # cells published in both whose difference is 1..threshold
    example: str  # labels of the first such cell


def hidden_column(col: str) -> str:
    return f"_hidden_{col}"


def _labels_and_count(frame: pl.DataFrame) -> tuple[list[str], str | None]:
    """An exact frame's label columns (text, not internal) and its count (the one with a hidden flag)."""
    labels = [c for c, t in frame.schema.items() if t == pl.String and not c.startswith("_")]
    flags = [c[len(hidden_column("")):] for c in frame.columns if c.startswith(hidden_column(""))]
    return labels, (flags[0] if flags and flags[0] in frame.columns else None)


def compare(output: str, labels: list[str], counts: list[str], current: pl.DataFrame,
            earlier: list[tuple[str, pl.DataFrame]], threshold: int) -> list[Difference]:
    found = []
    col = counts[0]
    for run_id, old in earlier:
        old_labels, old_count = _labels_and_count(old)
        if old_count is None or "_reasons" not in old.columns or len(old_labels) != len(labels):  # SDC tables only
            continue
        renamed = old.select(*[pl.col(a).alias(b) for a, b in zip(old_labels, labels, strict=True)],
                             pl.col(old_count).alias("_old"), pl.col(hidden_column(old_count)).alias("_old_hidden"))
        joined = current.join(renamed, on=labels, how="inner", nulls_equal=True)
        diff = (joined[col] - joined["_old"]).abs()
        hit = joined.filter(~joined[hidden_column(col)] & ~joined["_old_hidden"] & (diff >= 1) & (diff <= threshold))
        if hit.height:
            first = ", ".join(f"{c}={hit[c][0]}" for c in labels)
            found.append(Difference(output, run_id, col, hit.height, first))
    return found


def earlier_releases(released: list[tuple[str, Path]]) -> list[tuple[str, pl.DataFrame]]:
    """Exact frames of every table the project's released runs (run id, run folder) produced."""
    out = []
    for run_id, run_dir in released:
        folder = RunFolder(run_dir).exact_tables
        for path in sorted(folder.glob("*.parquet")) if folder.is_dir() else []:
            out.append((f"{run_id}/{path.stem}", pl.read_parquet(path)))
    return out
