"""The shape of a table with margins: which cells exist and which cells add up to which.

A table has dimension groups; a group is one column or several nested columns (outermost first, e.g.
service task → social service). Each group's positions form a tree: leaves are the observed category
tuples, every prefix padded with TOTAL is a subtotal, all-TOTAL is the group's total. The table's
cells are every combination of positions, so margins and subtotals are cells too, and each tree node
gives one additivity line per combination of the other groups' positions: parent = Σ children.
That matrix is what an attacker knows, and what secondary suppression and the LP audit work on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from scipy import sparse

TOTAL = "Total"


@dataclass(frozen=True)
class GroupTree:
    columns: tuple[str, ...]
    labels: pl.DataFrame  # one row per position: the group's columns as strings, TOTAL-padded
    parent: np.ndarray  # parent position, -1 for the group total
    depth: np.ndarray  # 0 for the total, len(columns) for leaves

    @property
    def size(self) -> int:
        return self.labels.height

    def relations(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(relation id, member position, coefficient) for every parent = Σ children relation."""
        kids = np.flatnonzero(self.parent >= 0)
        parents, rel = np.unique(self.parent[kids], return_inverse=True)
        rel_ids = np.concatenate([np.arange(parents.size), rel])
        members = np.concatenate([parents, kids])
        coefs = np.concatenate([-np.ones(parents.size), np.ones(kids.size)])
        return rel_ids, members, coefs


def group_tree(columns: tuple[str, ...], leaves: pl.DataFrame) -> GroupTree:
    """The tree of a group from its distinct leaf tuples (strings, no nulls, none equal to TOTAL)."""
    leaves = leaves.select(columns).unique().sort(columns)
    levels = []
    for depth in range(len(columns) + 1):
        level = leaves.select(
            *[pl.col(c) if i < depth else pl.lit(TOTAL).alias(c) for i, c in enumerate(columns)]).unique()
        levels.append(level.with_columns(pl.lit(depth).alias("_depth")))
    nodes = pl.concat(levels)
    # Order for reading: within each parent, categories sorted, the subtotal after its children.
    order = [pl.when(pl.col(c) == TOTAL).then(1).otherwise(0) for c in columns]
    keys = [x for pair in zip(order, [pl.col(c) for c in columns], strict=True) for x in pair]
    nodes = nodes.sort(keys).with_row_index("_pos")
    key_of = {tuple(r[:-2]): r[-1] for r in nodes.select(*columns, "_depth", "_pos").iter_rows()}
    parent = np.full(nodes.height, -1, dtype=np.int64)
    for row in nodes.select(*columns, "_depth", "_pos").iter_rows():
        *labels, depth, pos = row
        if depth > 0:
            up = tuple(labels[: depth - 1]) + (TOTAL,) * (len(columns) - depth + 1)
            parent[pos] = key_of[up]
    return GroupTree(columns, nodes.select(columns), parent, nodes["_depth"].to_numpy())


@dataclass(frozen=True)
class Structure:
    groups: tuple[GroupTree, ...]

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(g.size for g in self.groups)

    @property
    def cells(self) -> int:
        return int(np.prod(self.shape))

    def positions(self) -> np.ndarray:
        """(groups × cells) position of each flat cell in each group (C order)."""
        return np.indices(self.shape).reshape(len(self.groups), -1)

    def is_margin(self) -> np.ndarray:
        """Cells that are a total or subtotal in at least one group."""
        pos = self.positions()
        margin = np.zeros(self.cells, dtype=bool)
        for g, tree in enumerate(self.groups):
            margin |= tree.depth[pos[g]] < len(tree.columns)
        return margin

    def labels(self) -> pl.DataFrame:
        pos = self.positions()
        return pl.concat([g.labels[pos[i]] for i, g in enumerate(self.groups)], how="horizontal")

    def parent_cells(self, g: int) -> np.ndarray:
        """For each cell, the cell one level up in group g (-1 where it is that group's total)."""
        pos = self.positions()
        up = self.groups[g].parent[pos[g]]
        moved = pos.copy()
        moved[g] = np.where(up >= 0, up, 0)
        flat = np.ravel_multi_index(tuple(moved), self.shape)
        return np.where(up >= 0, flat, -1)

    def line_groups(self) -> np.ndarray:
        """For each row of lines(), the group whose parent = Σ children relation it is."""
        out = []
        for g, tree in enumerate(self.groups):
            rel = tree.relations()[0]
            if rel.size:
                n_other = int(np.prod([s for i, s in enumerate(self.shape) if i != g])) if len(self.shape) > 1 else 1
                out.append(np.full((int(rel.max()) + 1) * n_other, g))
        return np.concatenate(out) if out else np.zeros(0, dtype=np.int64)

    def lines(self) -> sparse.csr_matrix:
        """Additivity constraints, lines × cells: +1 for children, -1 for the parent; each row sums to 0."""
        shape = self.shape
        strides = np.array([int(np.prod(shape[i + 1:])) for i in range(len(shape))], dtype=np.int64)
        rows, cols, vals = [], [], []
        offset = 0
        for g, tree in enumerate(self.groups):
            rel, member, coef = tree.relations()
            if rel.size == 0:
                continue
            others = [i for i in range(len(shape)) if i != g]
            other_shape = tuple(shape[i] for i in others)
            n_other = int(np.prod(other_shape)) if others else 1
            if others:
                grid = np.indices(other_shape).reshape(len(others), -1)
                base = (grid * strides[others][:, None]).sum(axis=0)
            else:
                base = np.zeros(1, dtype=np.int64)
            flat = member[:, None] * strides[g] + base[None, :]
            row = offset + rel[:, None] * n_other + np.arange(n_other)[None, :]
            rows.append(row.ravel())
            cols.append(flat.ravel())
            vals.append(np.broadcast_to(coef[:, None], flat.shape).ravel())
            offset += (int(rel.max()) + 1) * n_other
        if not rows:
            return sparse.csr_matrix((0, self.cells))
        return sparse.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                                 shape=(offset, self.cells))
