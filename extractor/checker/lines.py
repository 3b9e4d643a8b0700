"""The additivity equations of a published table, derived from its labels alone (the checker's own derivation).

A table's rows are its cells; in every dimension group a label tuple is a node: its depth is the number of
leading labels before the first "Total". A node of depth j ≥ 1 has as parent the same tuple with its j-th
label replaced by "Total". For every cell that is some cell's parent in a group, one equation holds:
the parent equals the sum of its children there, all other groups' labels being equal.
"""

from __future__ import annotations

import numpy as np
import polars as pl
from scipy import sparse

TOTAL = "Total"  # how a released table labels its margins


def _depth(cols: tuple[str, ...]) -> pl.Expr:
    """Leading labels before the first Total."""
    expr = pl.lit(len(cols))
    for j in reversed(range(len(cols))):
        expr = pl.when(pl.col(cols[j]) == TOTAL).then(pl.lit(j)).otherwise(expr)
    return expr


def additivity(labels: pl.DataFrame, groups: tuple[tuple[str, ...], ...]) -> sparse.csr_matrix:
    """Equations × rows: +1 for the parent cell, -1 for each child; every line sums to 0 on additive values."""
    frame = labels.with_row_index("_row").with_columns(pl.col("_row").cast(pl.Int64))
    everything = [c for g in groups for c in g]
    line_rows, line_cols, coefs, n_lines = [], [], [], 0
    for cols in groups:
        others = [c for c in everything if c not in cols]
        depth = _depth(cols)
        parent_labels = [pl.when(depth == j + 1).then(pl.lit(TOTAL)).otherwise(pl.col(c)).alias(f"_parent_{c}")
                         for j, c in enumerate(cols)]
        children = frame.filter(depth >= 1).select("_row", *others, *parent_labels)
        parents = frame.select(pl.col("_row").alias("_parent_row"), *others,
                               *[pl.col(c).alias(f"_parent_{c}") for c in cols])
        pairs = children.join(parents, on=[*others, *[f"_parent_{c}" for c in cols]], how="inner")
        if pairs.is_empty():
            continue
        line_of = pairs.select(pl.col("_parent_row").rank("dense").cast(pl.Int64) - 1)["_parent_row"].to_numpy()
        parent_rows = pairs["_parent_row"].to_numpy()
        first = np.unique(line_of, return_index=True)[1]
        line_rows += [line_of + n_lines, line_of[first] + n_lines]
        line_cols += [pairs["_row"].to_numpy(), parent_rows[first]]
        coefs += [np.full(len(pairs), -1.0), np.ones(first.size)]
        n_lines += int(line_of.max()) + 1
    if not line_rows:
        return sparse.csr_matrix((0, labels.height))
    return sparse.csr_matrix((np.concatenate(coefs), (np.concatenate(line_rows), np.concatenate(line_cols))),
                             shape=(n_lines, labels.height))
