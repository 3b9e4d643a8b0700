"""Build a table with margins from unit records, in DuckDB: counts, sums and each cell's top contributors.

The researcher's query returns records (one row per unit of counting, with the dimension columns, the
contributing unit and magnitude values); those never leave the sandbox. The extractor aggregates
them itself, so it knows every cell's contributions: each unit's total within a cell is what the
dominance and p% rules weigh (a unit's rows in two leaf cells are one contribution to their subtotal).
Each record carries its ancestor in every group at every depth (integer columns); per combination of
levels (leaf, subtotal, total in each group) one GROUP BY (cell, unit) gives units and top contributors and
one GROUP BY cell the rest, so no query ever holds more (cell, unit) pairs than there are records: memory
stays near the size of the records, not a multiple of it.
A group in which every unit has one leaf (a person's region or sex) needs no pass over the records for its
margins: they are added up from its leaves' cells (units, sums, top contributions), in Polars. The pass that
finds such groups (one row per unit) is itself one level's (cell, unit) rows, and the all-leaves level's are
the aggregated records as they are: only the levels in between group the records again. The groups' leaves
are read from the records' distinct dimension values, not from the records.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import duckdb
import numpy as np
import polars as pl

from extractor.disclosure.tables.structure import TOTAL, GroupTree, Structure, group_tree
from extractor.errors import ExtractorError
from extractor.sql import quote_ident

MISSING = "(missing)"


@dataclass
class Cells:
    structure: Structure
    rows: np.ndarray  # records per cell (the additive count)
    units: np.ndarray  # distinct contributing units per cell
    sums: dict[str, np.ndarray]
    top: dict[str, np.ndarray]  # magnitude -> (cells × n) largest unit contributions, descending, 0-padded
    bottom: dict[str, np.ndarray]  # magnitude -> (cells × n) smallest unit contributions, ascending, NaN-padded
    minimum: dict[str, np.ndarray]
    maximum: dict[str, np.ndarray]


def _leaves(tree: GroupTree) -> pl.DataFrame:
    """A group's leaf labels → the leaf's ancestor at every depth (`_a0` the total … the leaf itself): records
    are numbered once, then every level's GROUP BY reads its cell positions from these integer columns."""
    leaves = np.flatnonzero(tree.depth == len(tree.columns))
    ancestors = np.empty((len(tree.columns) + 1, len(leaves)), dtype=np.int64)
    node = leaves.astype(np.int64)
    for depth in range(len(tree.columns), -1, -1):
        ancestors[depth] = node
        node = tree.parent[node]
    return tree.labels[leaves].with_columns(pl.Series(f"_a{k}", ancestors[k], dtype=pl.Int64)
                                            for k in range(len(tree.columns) + 1))


def prepare(df: pl.DataFrame, groups: tuple[tuple[str, ...], ...], where: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Dimension columns as text, nulls labelled, TOTAL refused as a category; and the distinct combinations
    of their values (a few thousand at most, where the records may be millions): every group's leaves and
    the check read those, so the records are read once for them."""
    dims = [c for g in groups for c in g]
    out = df.with_columns(pl.col(c).cast(pl.String).fill_null(MISSING) for c in dims)
    combos = out.select(dims).unique()
    for c in dims:
        if (combos[c] == TOTAL).any():
            raise ExtractorError(f"{where}: column '{c}' has the category '{TOTAL}', reserved for margins")
    return out, combos


def build_cells(con: duckdb.DuckDBPyConnection, df: pl.DataFrame, groups: tuple[tuple[str, ...], ...],
                unit: str | None, magnitudes: tuple[str, ...], top_n: int, where: str,
                domains: dict[str, tuple[str, ...]] | None = None) -> Cells:
    df, combos = prepare(df, groups, where)
    trees = [_tree(combos, cols, where, domains) for cols in groups]
    structure = Structure(tuple(trees))
    n = structure.cells
    cells = Cells(structure, np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64),
                  {m: np.zeros(n) for m in magnitudes}, {m: np.zeros((n, top_n)) for m in magnitudes},
                  {m: np.full((n, top_n), np.nan) for m in magnitudes},
                  {m: np.full(n, np.nan) for m in magnitudes}, {m: np.full(n, np.nan) for m in magnitudes})
    if not df.height:
        return cells
    con.register("_records", df)
    for i, tree in enumerate(trees):
        con.register(f"_leaves{i}", _leaves(tree))
    try:
        integer = unit is not None and df.schema[unit].is_integer()
        con.execute(f"CREATE OR REPLACE TEMP TABLE _u AS {_leaf_sql(trees, unit, magnitudes, top_n, integer)}")
        agg = _level_frames(con, trees, unit, magnitudes, top_n)
    finally:
        con.execute("DROP TABLE IF EXISTS _u")
        con.execute("DROP TABLE IF EXISTS _pu")
        con.unregister("_records")
        for i in range(len(trees)):
            con.unregister(f"_leaves{i}")
    flat = np.ravel_multi_index(tuple(agg[f"p{i}"].to_numpy() for i in range(len(trees))), structure.shape)
    cells.rows[flat] = agg["_rows"].to_numpy()
    cells.units[flat] = agg["_units"].to_numpy()
    for m in magnitudes:
        cells.sums[m][flat] = agg[f"s_{m}"].to_numpy()
        cells.minimum[m][flat] = agg[f"lo_{m}"].to_numpy()
        cells.maximum[m][flat] = agg[f"hi_{m}"].to_numpy()
        tops = agg[f"t_{m}"].list.concat(pl.lit([0.0] * top_n, dtype=pl.List(pl.Float64))).list.head(top_n)
        cells.top[m][flat] = tops.list.to_array(top_n).to_numpy()
        nan = pl.lit([float("nan")] * top_n, dtype=pl.List(pl.Float64))
        cells.bottom[m][flat] = agg[f"b_{m}"].list.concat(nan).list.head(top_n).list.to_array(top_n).to_numpy()
    return cells


def _per_unit(con: duckdb.DuckDBPyConnection, trees: list[GroupTree], magnitudes: tuple[str, ...]) -> set[int]:
    """Temp table _pu: one row per unit, its lowest and highest leaf in every group and its totals; returns
    the groups in which every unit has one leaf only (a person's region, sex or age band), where adding
    up never adds two contributions of one unit together. The same rows are the units' contributions at
    the level with those groups at their leaves and every other group at its total (_per_unit_cells)."""
    leaf = [f"_a{i}_{len(t.columns)}" for i, t in enumerate(trees)]
    spans = "".join(f", min({c}) AS lo{i}, max({c}) AS hi{i}, any_value(_a{i}_0) AS top{i}" for i, c in enumerate(leaf))
    sums = "".join(f", sum({quote_ident('s_' + m)}) AS {quote_ident('s_' + m)}" for m in magnitudes)
    con.execute(f"CREATE OR REPLACE TEMP TABLE _pu AS SELECT _unit{spans}{sums} FROM _u GROUP BY _unit")
    bound = con.execute(f"SELECT {', '.join(f'bool_and(lo{i} = hi{i})' for i in range(len(trees)))} "
                        "FROM _pu").fetchall()[0]
    return {i for i, b in enumerate(bound) if b}


def _leaf_cells(trees: list[GroupTree], magnitudes: tuple[str, ...]) -> str:
    """The (cell, unit) rows of the level with every group at its leaves: _u's rows as they are."""
    pos = ", ".join(f"_a{i}_{len(t.columns)} AS p{i}" for i, t in enumerate(trees))
    return f"SELECT {pos}, _unit{''.join(', ' + quote_ident('s_' + m) for m in magnitudes)} FROM _u"


def _per_unit_cells(trees: list[GroupTree], bound: set[int], magnitudes: tuple[str, ...]) -> str:
    """The (cell, unit) rows of the level whose groups are at their leaves where unit-bound, else at their
    total, read from _pu (no pass over the records)."""
    pos = ", ".join(f"lo{i} AS p{i}" if i in bound else f"top{i} AS p{i}" for i in range(len(trees)))
    return f"SELECT {pos}, _unit{''.join(', ' + quote_ident('s_' + m) for m in magnitudes)} FROM _pu"


def _level_frames(con: duckdb.DuckDBPyConnection, trees: list[GroupTree], unit: str | None,
                  magnitudes: tuple[str, ...], top_n: int) -> pl.DataFrame:
    """Every level's cells. A level that totals a unit-bound group is made from the level with that
    group's leaves instead of from the records: each unit sits in one leaf, so a margin's units are its
    leaves' units added up and its top (bottom) contributions are among its leaves' top (bottom) ones."""
    full = tuple(len(t.columns) for t in trees)
    bound = _per_unit(con, trees, magnitudes) if unit else set()
    levels = list(itertools.product(*[range(f + 1) for f in full]))
    base = {depths: tuple(full[i] if i in bound else d for i, d in enumerate(depths)) for depths in levels}
    unit_level = tuple(full[i] if i in bound else 0 for i in range(len(trees)))  # the rows of _pu
    frames = {}
    for depths in (d for d in levels if base[d] == d):
        given = None  # the level's (cell, unit) rows, where they need no grouping of the records
        if unit and depths == full:
            given = _leaf_cells(trees, magnitudes)
        elif unit and depths == unit_level:
            given = _per_unit_cells(trees, bound, magnitudes)
        frames[depths] = con.sql(_cells_sql(len(trees), unit, magnitudes, top_n, depths, given)).pl()
    for depths in levels:
        if depths not in frames:
            frames[depths] = _merged(frames[base[depths]], trees, depths, base[depths], magnitudes, top_n)
    return pl.concat(list(frames.values()), how="vertical_relaxed")


def _merged(frame: pl.DataFrame, trees: list[GroupTree], depths: tuple[int, ...], base: tuple[int, ...],
            magnitudes: tuple[str, ...], top_n: int) -> pl.DataFrame:
    """The cells of `depths` from those of the finer level `base` (unit-bound groups only differ)."""
    for i, (d, b) in enumerate(zip(depths, base, strict=True)):
        if d != b:
            up = _leaves(trees[i]).select(pl.col(f"_a{b}").alias(f"p{i}"), pl.col(f"_a{d}").alias("_up"))
            frame = frame.join(up, on=f"p{i}").drop(f"p{i}").rename({"_up": f"p{i}"})
    aggregate = [pl.col("_rows").sum(), pl.col("_units").sum()]
    for m in magnitudes:
        top, bottom = (pl.col(f"{k}_{m}").list.explode(keep_nulls=False, empty_as_null=False) for k in "tb")
        aggregate += [pl.col(f"s_{m}").sum(), pl.col(f"lo_{m}").min(), pl.col(f"hi_{m}").max(),
                      top.sort(descending=True).head(top_n), bottom.sort().head(top_n)]
    positions = [f"p{i}" for i in range(len(trees))]
    columns = [c for c in frame.columns if c not in positions]
    return frame.group_by(positions).agg(aggregate).select(*positions, *columns)


def _tree(df: pl.DataFrame, cols: tuple[str, ...], where: str, domains: dict[str, tuple[str, ...]] | None
          ) -> GroupTree:
    """A group's tree of leaves and subtotals (`df`: the records or their distinct dimension values); a
    declared domain (DP tables) replaces the values seen."""
    leaves = df.select(cols).unique()
    if domains and len(cols) == 1 and cols[0] in domains:
        declared = pl.DataFrame({cols[0]: list(domains[cols[0]])}, schema={cols[0]: pl.String})
        unknown = leaves.join(declared, on=cols[0], how="anti")
        if unknown.height:
            raise ExtractorError(f"{where}: column '{cols[0]}' has the value {unknown.item(0, 0)!r}, "
                                 "not in its declared categories")
        leaves = declared
    return group_tree(cols, leaves)


def _leaf_sql(trees: list[GroupTree], unit: str | None, magnitudes: tuple[str, ...], top_n: int,
              integer_unit: bool = False) -> str:
    """Records per leaf (and unit), each group's leaf and the unit as integers: aggregated once, then read
    by every level's GROUP BY (which then hashes integers, not labels or pseudonyms). A unit that is an
    integer already (a surrogate key) is used as it is; any other is numbered first."""
    q = quote_ident
    joins = " ".join(f"JOIN _leaves{i} l{i} ON " + " AND ".join(f"l{i}.{q(c)} = r.{q(c)}" for c in tree.columns)
                     for i, tree in enumerate(trees))
    leaf_ids = ", ".join(f"l{i}._a{k} AS _a{i}_{k}" for i, tree in enumerate(trees)
                         for k in range(len(tree.columns) + 1))
    s, t, b, lo, hi = ({m: q(f"{p}_{m}") for m in magnitudes} for p in ("s", "t", "b", "lo", "hi"))
    if unit:
        per_unit = "".join(f", sum(r.{q(m)})::DOUBLE AS {s[m]}, min(r.{q(m)})::DOUBLE AS {lo[m]}, "
                           f"max(r.{q(m)})::DOUBLE AS {hi[m]}" for m in magnitudes)
        units = f"(SELECT v, row_number() OVER () AS _uid FROM (SELECT DISTINCT {q(unit)} AS v FROM _records))"
        unit_id, unit_join = (f"r.{q(unit)}", "") if integer_unit else \
            ("ui._uid", f" JOIN {units} ui ON ui.v = r.{q(unit)}")
        return (f"SELECT {leaf_ids}, {unit_id} AS _unit, count(*) AS _n{per_unit} FROM _records r {joins}"
                f"{unit_join} GROUP BY ALL")
    leaf = "".join(f", sum(r.{q(m)})::DOUBLE AS {s[m]}, max(r.{q(m)}::DOUBLE, {top_n}) AS {t[m]}, "
                   f"min(r.{q(m)}::DOUBLE, {top_n}) AS {b[m]}, "
                   f"min(r.{q(m)})::DOUBLE AS {lo[m]}, max(r.{q(m)})::DOUBLE AS {hi[m]}" for m in magnitudes)
    return f"SELECT {leaf_ids}, count(*) AS _n{leaf} FROM _records r {joins} GROUP BY ALL"


def _cells_sql(n_groups: int, unit: str | None, magnitudes: tuple[str, ...], top_n: int,
               depths: tuple[int, ...], cell_unit: str | None = None) -> str:
    """One GROUP BY over records by their ancestor cell at the given level of each group: counts, units,
    sums, extremes, top contributors. Every name is quoted by quote_ident (a researcher chooses them).
    `cell_unit`: a query of the level's (cell, unit) rows (p0…, _unit, sums) where they are at hand without
    grouping the records (_leaf_cells, _per_unit_cells)."""
    q = quote_ident
    pos = ", ".join(f"_a{i}_{int(depths[i])} AS p{i}" for i in range(n_groups))
    pos_cols = ", ".join(f"p{i}" for i in range(n_groups))
    s, t, b, lo, hi = ({m: q(f"{p}_{m}") for m in magnitudes} for p in ("s", "t", "b", "lo", "hi"))
    if unit:  # a unit's rows in one cell are one contribution: its total per cell is what units and top weigh
        unit_sums = "".join(f", sum({s[m]}) AS {s[m]}" for m in magnitudes)
        ranked = "".join(f", max({s[m]}, {top_n}) AS {t[m]}, min({s[m]}, {top_n}) AS {b[m]}" for m in magnitudes)
        totals = "".join(f", sum({s[m]}) AS {s[m]}, min({lo[m]}) AS {lo[m]}, max({hi[m]}) AS {hi[m]}"
                         for m in magnitudes)
        # the (cell, unit) grouping carries only what needs it; rows, sums and extremes group by cell alone
        # (few groups: cheap), a third less time than carrying them through both groupings
        return f"""
            WITH cu AS ({cell_unit or f"SELECT {pos}, _unit{unit_sums} FROM _u GROUP BY ALL"}),
            by_unit AS (SELECT {pos_cols}, count(*)::BIGINT AS _units{ranked} FROM cu GROUP BY ALL),
            by_cell AS (SELECT {pos}, sum(_n)::BIGINT AS _rows{totals} FROM _u GROUP BY ALL)
            SELECT * FROM by_cell JOIN by_unit USING ({pos_cols})"""
    # every record is its own unit: a leaf's top records are the candidates for its ancestors
    up = "".join(f", sum({s[m]}) AS {s[m]}, list_slice(list_sort(flatten(list({t[m]})), 'DESC'), 1, {top_n}) "
                 f"AS {t[m]}, list_slice(list_sort(flatten(list({b[m]})), 'ASC'), 1, {top_n}) AS {b[m]}, "
                 f"min({lo[m]}) AS {lo[m]}, max({hi[m]}) AS {hi[m]}" for m in magnitudes)
    return f"""
        SELECT {pos}, sum(_n)::BIGINT AS _rows, sum(_n)::BIGINT AS _units{up}
        FROM _u GROUP BY ALL"""
