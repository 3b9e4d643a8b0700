"""Differencing across releases: does a new table, set against an earlier one, isolate a small group?

Each released table leaves its exact values in the run's controller folder. A new table of the same
project and output name is compared cell by cell (same labels) with every earlier release: where a
count was published in both and the two differ by 1..threshold, subtracting one from the other
reveals a group smaller than the threshold (e.g. the people added between two extraction dates).
The finding goes to the reviewers; it is a judgement for them, so it does not fail the run.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from extractor.release import store
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


def compare(output: str, labels: list[str], counts: list[str], current: pl.DataFrame,
            earlier: list[tuple[str, pl.DataFrame]], threshold: int) -> list[Difference]:
    found = []
    for run_id, old in earlier:
        if not set(labels + counts) <= set(old.columns):
            continue
        joined = current.join(old.select(*labels, *counts, *[hidden_column(c) for c in counts]),
                              on=labels, how="inner", suffix="_old", nulls_equal=True)
        for col in counts:
            diff = (joined[col] - joined[f"{col}_old"]).abs()
            hit = joined.filter(~joined[hidden_column(col)] & ~joined[f"{hidden_column(col)}_old"]
                                & (diff >= 1) & (diff <= threshold))
            if hit.height:
                first = ", ".join(f"{c}={hit[c][0]}" for c in labels)
                found.append(Difference(output, run_id, col, hit.height, first))
    return found


def earlier_releases(state_con, project: str, output: str) -> list[tuple[str, pl.DataFrame]]:
    """Exact frames of the project's released runs that produced `output`."""
    out = []
    for run_id, run_dir in store.released_runs_of(state_con, project):
        path = RunFolder(Path(run_dir)).exact_tables / f"{output}.parquet"
        if path.is_file():
            out.append((run_id, pl.read_parquet(path)))
    return out
