"""Differencing: does a published count, set against another published count, isolate a small group?

Each released table leaves its exact values in the run's controller folder. A new output is compared cell by cell
with every earlier released table of the same project, and with every output of its own request made before it, a
cell meeting the cell with the same label values other than a margin's Total, whatever the output, label or count is
called now and however many labels it has (renaming them, or adding a dimension whose margins repeat the figures,
would otherwise dodge the check): where a count was published in both and the two differ by 1..threshold,
subtracting one from the other may reveal a group smaller than the threshold (one person left out of the second
request). Within one aggregate file, two count columns are compared row by row (a count of everyone born before a
day, and the same count with one person added when that person has a diagnosis). Two figures of one request are
flagged when they count nearly the same people: every cell published in both within the threshold, and some cell
1..threshold apart (clients and documents of the same rows differ by more somewhere, and are not flagged); or, where
a requester padded them apart in some cell with a group of their own making, a cell 1..threshold apart that is also
within 1 % of the larger count (1,845 and 1,846). Cell-key tables are compared too: the same records give the same
noise, so a one-person difference shows through one pair of tables. A differentially private table is not (its noise
is spent from the project's budget).
The findings go to the reviewers; whether two counts are nested is a judgement for them, so it does not fail the
run.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from extractor.release.layout import RunFolder

_HIDDEN, _PUBLISHED = "_hidden_", "_published_"
TOTAL = "Total"  # structure.TOTAL, a margin's label; not imported, since that module loads scipy (aggregates here)
SAME_GROUP = 100  # two counts within 1/100 of the larger count nearly the same people, wherever else they part


@dataclass(frozen=True)
class Difference:
    output: str
    earlier_run: str  # run id/output of the other figure (this run's own id for an output of the same request)
    column: str
    cells: int  # cells published in both whose difference is 1..threshold
    example: str  # labels of the first such cell
    other_column: str = ""  # set when the other figure is another count column of the same row of `output`
    magnitudes: bool = False  # two magnitude columns of one table, equal in most cells (magnitude_pairs)


@dataclass(frozen=True)
class Published:
    """One count of one output: its label columns, and per cell the exact count and whether it was hidden."""

    name: str  # run id/output
    column: str  # the count's column
    labels: list[str]
    frame: pl.DataFrame  # labels… (text), _key, _count (Int64), _hidden (Boolean)


def published(name: str, column: str, labels: list[str], frame: pl.DataFrame) -> Published:
    """`frame` (labels…, _count, _hidden) with its labels as text and each cell's key: its labels other than a
    margin's Total, sorted. A table by region and one by region and sex then meet in the second's region margins
    (the same people), whatever the columns are called or in what order they come."""
    text = frame.with_columns(pl.col(c).cast(pl.String).fill_null("") for c in labels)
    if not labels:
        return Published(name, column, labels, text.with_columns(pl.lit("").alias("_key")))
    values = pl.concat_list([pl.col(c) for c in labels]).list.eval(pl.element().filter(pl.element() != TOTAL))
    return Published(name, column, labels, text.with_columns(values.list.sort().list.join("\x1f").alias("_key")))


def hidden_column(col: str) -> str:
    return f"{_HIDDEN}{col}"


def published_table(name: str, frame: pl.DataFrame) -> Published | None:
    """An exact table frame's published count: an SDC table's (flagged hidden where suppressed) or a cell-key
    table's (nothing hidden); None for a table whose count is not compared (differential privacy)."""
    labels = [c for c, t in frame.schema.items() if t == pl.String and not c.startswith("_")]
    flagged = [c[len(_HIDDEN):] for c in frame.columns if c.startswith(_HIDDEN) and c[len(_HIDDEN):] in frame.columns]
    keyed = [c[len(_PUBLISHED):] for c in frame.columns
             if c.startswith(_PUBLISHED) and c[len(_PUBLISHED):] in frame.columns]
    if "_reasons" in frame.columns and flagged:
        count, hidden = flagged[0], pl.col(hidden_column(flagged[0]))
    elif "_cell_key" in frame.columns and keyed:
        count, hidden = keyed[0], pl.lit(False)
    else:
        return None
    return published(name, count, labels, frame.select(*labels, pl.col(count).cast(pl.Int64).alias("_count"),
                                                       hidden.alias("_hidden")))


def published_counts(name: str, dimensions: list[str], counts: list[str], exact: pl.DataFrame,
                     hidden: pl.DataFrame) -> list[Published]:
    """An aggregate file's counts, one Published per count column; `hidden` holds a Boolean per cell and column,
    in the rows of `exact`."""
    return [published(name, c, list(dimensions), exact.select(*dimensions, pl.col(c).cast(pl.Int64).alias("_count"))
                      .with_columns(hidden[c].alias("_hidden"))) for c in counts]


def compare(output: str, current: Published, earlier: list[Published], threshold: int, nearly_all: bool = False
            ) -> list[Difference]:
    """The cells of `current` whose count differs by 1..threshold from the same cell (the same labels other than
    Total, _keyed) of an earlier output, both published; `nearly_all`: see _hits."""
    found = []
    for old in earlier:
        renamed = old.frame.select("_key", pl.col("_count").alias("_old"), pl.col("_hidden").alias("_old_hidden"))
        joined = current.frame.join(renamed, on="_key", how="inner")
        found += _hits(joined, output, old.name, current.column, current.labels, threshold, nearly_all)
    return found


def within_rows(output: str, counts: list[Published], threshold: int) -> list[Difference]:
    """Pairs of count columns of one aggregate file whose counts in one row differ by 1..threshold."""
    found = []
    for a, b in itertools.combinations(counts, 2):
        joined = a.frame.with_columns(b.frame["_count"].alias("_old"), b.frame["_hidden"].alias("_old_hidden"))
        found += [Difference(d.output, "", d.column, d.cells, d.example, b.column)
                  for d in _hits(joined, output, "", a.column, a.labels, threshold, nearly_all=True)]
    return found


def magnitude_pairs(output: str, exact: pl.DataFrame, magnitudes: list[str]) -> list[Difference]:
    """Two magnitudes of one table that are equal in most of the cells where either is not 0, and differ in the
    rest: one of them with a few records' values changed (a person's set to 0) gives those values by subtraction.
    Every shown cell, as magnitude sums are published exact."""
    labels = [c for c, t in exact.schema.items() if t == pl.String and not c.startswith("_")]
    shown = exact.filter(~pl.col("_suppressed")) if "_suppressed" in exact.columns else exact
    found = []
    for a, b in itertools.combinations(magnitudes, 2):
        cells = shown.filter((pl.col(a) != 0) | (pl.col(b) != 0))
        apart = cells.filter((pl.col(a) - pl.col(b)).abs() > 1e-9)
        if apart.height and 2 * apart.height <= cells.height:
            example = ", ".join(f"{c}={apart[c][0]}" for c in labels)
            found.append(Difference(output, "", a, apart.height, example, b, magnitudes=True))
    return found


def _hits(joined: pl.DataFrame, output: str, other: str, column: str, labels: list[str], threshold: int,
          nearly_all: bool) -> list[Difference]:
    both = joined.filter(~joined["_hidden"] & ~joined["_old_hidden"])
    diff = (both["_count"] - both["_old"]).abs()
    near = (diff >= 1) & (diff <= threshold)
    if nearly_all and (diff > threshold).any():  # padded apart somewhere: still the cells a hair apart
        near = near & (diff * SAME_GROUP <= pl.max_horizontal(both["_count"], both["_old"]))
    hit = both.filter(near)
    if not hit.height:
        return []
    return [Difference(output, other, column, hit.height, ", ".join(f"{c}={hit[c][0]}" for c in labels))]


def aggregate_frame(dimensions: list[str], counts: list[str], exact: pl.DataFrame, hidden: pl.DataFrame
                    ) -> pl.DataFrame:
    """What an aggregate leaves for later differencing: its labels, exact counts and a hidden flag per count."""
    return exact.select(*dimensions, *counts).with_columns(hidden[c].alias(hidden_column(c)) for c in counts)


def earlier_releases(released: list[tuple[str, Path]]) -> list[Published]:
    """The published counts of every table and aggregate the project's released runs (run id, run folder)
    produced."""
    out = []
    for run_id, run_dir in released:
        folder = RunFolder(run_dir)
        for path in _parquets(folder.exact_tables):
            table = published_table(f"{run_id}/{path.stem}", pl.read_parquet(path))
            if table is not None:
                out.append(table)
        for path in _parquets(folder.exact_aggregates):
            frame = pl.read_parquet(path)
            counts = [c[len(_HIDDEN):] for c in frame.columns if c.startswith(_HIDDEN)]
            labels = [c for c in frame.columns if c not in counts and not c.startswith(_HIDDEN)]
            out += published_counts(f"{run_id}/{path.stem}", labels, counts, frame,
                                    frame.select(pl.col(hidden_column(c)).alias(c) for c in counts))
    return out


def _parquets(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.parquet")) if folder.is_dir() else []
