"""Dummy data for any catalog: its tables, columns, declared types and code lists, no real record.

Keys agree across tables (a person key, a registrar, a service task or any column name two tables share
draws from one pool), so joins find partners; the values the request's own queries compare against
(query_literals.py) are drawn often, so filters keep rows; registers of choices hold some of each kind.
One table per catalog table, written where the catalog looks for it (its own path, format, delimiter,
encoding, date format and decimal mark) under the output folder, so `--data-root DIR` runs on it.
Deterministic by seed; vectorised (numpy), no loop per row.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import numpy as np
import polars as pl

from extractor.config.catalog import NOT_FILES, Catalog, Column, Source, Table
from extractor.errors import ExtractorError
from extractor.researcher.dummy_registers import keys, register, series
from extractor.researcher.dummy_sources import dummy_file, dummy_register
from extractor.researcher.query_literals import Wanted, implied_type, is_number

ROWS_PER_PERSON = 3  # rows of an event table (documents, conditions) per person
LOOKUP_ROWS = 12  # values of a shared key that no code list gives (registrars, structures)
TEXT_VALUES = 6  # distinct values of a text column with no code list
SHARED_ROLES = ("person_key", "registrar", "service_task", "social_service", "structure")
DATE_TYPES = ("DATE", "TIMESTAMP")
NUMBER_TYPES = ("BIGINT", "INTEGER", "DOUBLE")
OMOP_CONCEPT = re.compile(r"(\w+_)?concept_id(_\d)?")


class Dummy:
    """One generator: the catalog, what the queries want, the random source, the pools drawn so far."""

    def __init__(self, catalog: Catalog, wanted: dict[str, Wanted], as_of: dt.date, persons: int, seed: int,
                 study: str | None, nested: tuple[tuple[str, str], ...] = ()) -> None:
        self.catalog, self.wanted, self.as_of, self.persons, self.study = catalog, wanted, as_of, persons, study
        self.nested = nested
        self.rng = np.random.default_rng(seed)
        self.pools: dict[str, np.ndarray] = {}
        self.death = catalog.retention.death_date if catalog.retention else None

    # --- pools shared across tables -------------------------------------------------------------
    def _pool_key(self, column: Column) -> str:
        if column.role in SHARED_ROLES:
            return f"role:{column.role}"
        return "omop:concept" if self._concept(column) else f"name:{column.name.lower()}"

    def _concept(self, column: Column) -> bool:
        """An OMOP concept key (condition_concept_id, ancestor_concept_id, concept_id_1) in a catalog with a
        concept table: they all join concept.concept_id, so they draw from one pool (unless coded)."""
        names = {c.name.lower() for t in self.catalog.tables.values() for c in t.columns}
        return "concept_id" in names and not column.codes and bool(OMOP_CONCEPT.fullmatch(column.name.lower()))

    def _shared(self, column: Column) -> bool:
        names = [c.name.lower() for t in self.catalog.tables.values() for c in t.columns]
        return column.role in SHARED_ROLES or names.count(column.name.lower()) > 1 or self._concept(column)

    def pool(self, column: Column) -> np.ndarray:
        key = self._pool_key(column)
        if key not in self.pools:
            if column.role == "person_key":
                numeric = column.type in NUMBER_TYPES
                self.pools[key] = (np.arange(1, self.persons + 1) if numeric else
                                   keys("P", np.arange(1, self.persons + 1), 7))
            else:
                self.pools[key] = self._values(column, LOOKUP_ROWS, unique=True)
            if key == "omop:concept":  # the concepts every concept column's filters ask for are in the pool too
                asked = {v for t in self.catalog.tables.values() for c in t.columns if self._concept(c)
                         for v in self.wanted.get(c.name.lower(), Wanted()).values if isinstance(v, int)}
                self.pools[key] = np.union1d(self.pools[key], np.array(sorted(asked), dtype=self.pools[key].dtype))
        return self.pools[key]

    # --- one column ------------------------------------------------------------------------------
    def _values(self, column: Column, n: int, unique: bool = False) -> np.ndarray:
        """n values of the column's kind: its code list, what the query asks of it, or its type's range."""
        want = self.wanted.get(column.name.lower(), Wanted())
        typ = column.type or implied_type(want)
        if typ in DATE_TYPES:
            return self._dates(column, want, n)
        if typ in NUMBER_TYPES and column.codes and all(is_number(v) for v in column.codes.values):
            coded = np.array([float(v) if typ == "DOUBLE" else int(v) for v in column.codes.values])
            return coded[self.rng.integers(0, coded.size, n)]  # coded numbers (OMOP's 8507/8532 for gender)
        if typ in NUMBER_TYPES:
            return self._numbers(typ, want, n)
        if typ == "BOOLEAN":
            return self.rng.random(n) < 0.5
        if column.codes:
            base = np.array(column.codes.values, dtype=object)
        else:
            base = np.array([f"{column.name}_{i}" for i in range(1, (n if unique else TEXT_VALUES) + 1)], dtype=object)
        asked = np.array(sorted(str(v) for v in want.values if isinstance(v, str | int)), dtype=object)
        if unique:
            return np.concatenate([asked, base[~np.isin(base, asked)]])[: max(n, asked.size)] if asked.size else base
        out = base[self.rng.integers(0, base.size, n)]
        if asked.size:
            pick = self.rng.random(n) < 0.5
            out[pick] = asked[self.rng.integers(0, asked.size, int(pick.sum()))]
        return out

    def _numbers(self, typ: str, want: Wanted, n: int) -> np.ndarray:
        low = want.low if isinstance(want.low, int | float) else 0
        high = want.high if isinstance(want.high, int | float) else max(low + 100, 100)
        if typ == "DOUBLE":
            out = self.rng.uniform(float(low), float(high), n).round(2)
        elif int(high) - int(low) >= 2:  # strictly inside: right for < and > as for <= and >=
            out = self.rng.integers(int(low) + 1, int(high), n)
        else:
            out = self.rng.integers(int(low), int(high) + 1, n)
        asked = np.array([v for v in want.values if isinstance(v, int | float)])
        if asked.size:
            pick = self.rng.random(n) < 0.5
            out[pick] = asked[self.rng.integers(0, asked.size, int(pick.sum()))]
        return out

    def _dates(self, column: Column, want: Wanted, n: int) -> np.ndarray:
        years = 95 if column.role == "quasi_identifier" else 10  # a birth date, or an event's date
        start = self.as_of - dt.timedelta(days=int(365.25 * years))
        low = want.low if isinstance(want.low, dt.date) else start
        high = want.high if isinstance(want.high, dt.date) else self.as_of
        if high < low:
            low, high = high, low
        span = (high - low).days
        days = self.rng.integers(1, span, n) if span >= 2 else self.rng.integers(0, span + 1, n)  # inside, as above
        out = np.datetime64(low, "D") + days.astype("timedelta64[D]")
        asked = np.array([np.datetime64(v, "D") for v in want.values if isinstance(v, dt.date)])
        if asked.size:
            pick = self.rng.random(n) < 0.3
            out[pick] = asked[self.rng.integers(0, asked.size, int(pick.sum()))]
        return out

    def column(self, table: Table, column: Column, n: int, person_table: bool, row: np.ndarray) -> pl.Series:
        if column.role == "person_key":
            pool = self.pool(column)
            values = pool if person_table else pool[self.rng.integers(0, pool.size, n)]
        elif column.role == "document_version":
            values = keys("DV", row, 8)
        elif column.role == "document_key":
            values = keys("DK", row // 2, 8)  # two versions of most documents
        elif column.role == "direct_identifier":
            values = np.full(n, "DUMMY", dtype=object)
        elif column.role == "free_text":
            values = keys("Dummy note ", row, 1)
        elif self._shared(column):
            pool = self.pool(column)
            values = pool[self.rng.integers(0, pool.size, n)]
            asked = [v for v in self.wanted.get(column.name.lower(), Wanted()).values if v in set(pool.tolist())]
            if asked:  # the values the query filters on, half the time (the pool lists them first)
                pick = self.rng.random(n) < 0.5
                values[pick] = np.array(sorted(asked, key=str), dtype=pool.dtype)[
                    self.rng.integers(0, len(asked), int(pick.sum()))]
        else:
            values = self._values(column, n)
        out = series(column.name, values)
        null_share = self._null_share(table, column)
        if null_share:
            out = pl.select(pl.when(pl.Series(self.rng.random(n) < null_share)).then(None)
                            .otherwise(pl.lit(out))).to_series().alias(column.name)
        return out

    def _null_share(self, table: Table, column: Column) -> float:
        if column.role in ("person_key", "document_key", "document_version", "direct_identifier"):
            return 0.0
        if self.death == (table.name, column.name):
            return 0.9  # most people are alive
        return 0.5 if self.wanted.get(column.name.lower(), Wanted()).nulls else 0.0

    # --- tables ----------------------------------------------------------------------------------
    def person_table(self) -> str | None:
        """The table with one row per person: a person key and the most quasi-identifiers."""
        keyed = [t for t in self.catalog.tables.values() if t.one_with_role("person_key")]
        keyed.sort(key=lambda t: -len(t.with_role("quasi_identifier")))
        return keyed[0].name if keyed else None

    def table(self, table: Table, person_table: str | None) -> pl.DataFrame:
        if table.name == person_table:
            n = self.persons
        elif table.one_with_role("person_key"):
            n = self.persons * ROWS_PER_PERSON
        else:  # a lookup table: one row per value of its first shared key
            key = next((c for c in table.columns if self._shared(c)), None)
            n = self.pool(key).size if key is not None else LOOKUP_ROWS
        first = None
        if table.name != person_table and not table.one_with_role("person_key"):
            first = next((c for c in table.columns if self._shared(c)), None)
        row = np.arange(n)
        cols = []
        for c in table.columns:
            if c is first:
                cols.append(series(c.name, self.pool(c)))
            else:
                cols.append(self.column(table, c, n, table.name == person_table, row))
        df = self._nest(pl.DataFrame(cols))
        states = self.catalog.structure_states
        if states and states.table == table.name:
            choices = np.array(["valmis"] * 8 + ["vanhentunut", states.removed], dtype=object)
            df = df.with_columns(pl.Series(states.state, choices[self.rng.integers(0, choices.size, n)]))
        return df

    def _nest(self, df: pl.DataFrame) -> pl.DataFrame:
        """A child column of a nested dimension (service task → social service) takes only its parent's
        children: the child values are dealt out among the parent values, as a code hierarchy does."""
        for parent, child in self.nested:
            if parent not in df.columns or child not in df.columns or df[parent].dtype != pl.String \
                    or df[child].dtype != pl.String:
                continue
            parents = df[parent].drop_nulls().unique().sort().to_list()
            children = df[child].drop_nulls().unique().sort().to_list()
            if len(parents) < 2 or len(children) < len(parents):
                continue
            slot = {p: i for i, p in enumerate(parents)}
            owner = df[parent].replace_strict(slot, default=-1, return_dtype=pl.Int64).to_numpy()
            pick = self.rng.integers(0, len(children), df.height)
            pick = pick - pick % len(parents) + np.maximum(owner, 0)  # a child dealt to the row's parent
            pick = np.where(pick >= len(children), pick - len(parents), pick)
            values = np.array(children, dtype=object)[pick]
            df = df.with_columns(pl.when(pl.col(parent).is_null() | pl.col(child).is_null()).then(pl.col(child))
                                 .otherwise(series(child, values)).alias(child))
        return df


def generate(catalog: Catalog, wanted: dict[str, Wanted], as_of: dt.date, out: Path, persons: int = 20_000,
             seed: int = 1, study: str | None = None, nested: tuple[tuple[str, str], ...] = ()) -> dict[str, int]:
    """Write dummy sources for every table and register of `catalog` under `out`; rows per file."""
    for name, source in [(t.name, t.source) for t in catalog.tables.values()] + [
            (f"registers.{r.kind}", r.source) for r in catalog.registers.values()]:
        if source.format not in ("parquet", "csv", "duckdb", "ndjson", *NOT_FILES):
            raise ExtractorError(f"{catalog.path}: {name}: dummy data are written as Parquet, CSV, NDJSON or DuckDB, "
                                 f"not {source.format}; point a copy of the catalog at Parquet files")
    dummy = Dummy(catalog, wanted, as_of, persons, seed, study, nested)
    person_table = dummy.person_table()
    order = sorted(catalog.tables.values(), key=lambda t: (t.name != person_table, not t.one_with_role("person_key")))
    frames = {t.name: dummy.table(t, person_table) for t in order}
    rows = {}
    for t in catalog.tables.values():
        _write(frames[t.name], t.source, t.columns, out)
        rows[t.name] = frames[t.name].height
    for reg in catalog.registers.values():
        df = register(dummy, reg)
        _write(df, dummy_register(reg.source, reg.kind), tuple(reg.types.values()), out)
        if reg.source.format == "ndjson":  # the Consents' file, empty: the catalog finds it, try reads the Parquet
            _target(reg.source, out).touch()
        rows[f"registers.{reg.kind}"] = df.height
    return rows


def _target(source: Source, out: Path) -> Path:
    relative = re.sub(r"[*?\[\]]+", "dummy", dummy_file(source))
    path = (out / relative).resolve()
    if not path.is_relative_to(out.resolve()):
        raise ExtractorError(f"{source.relative}: dummy data are written under {out}, and this path leaves it")
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def _write(df: pl.DataFrame, source: Source, columns: tuple[Column, ...], out: Path) -> None:
    path = _target(source, out)
    if source.format in ("parquet", *NOT_FILES):
        df.write_parquet(path)
    elif source.format == "ndjson":  # FHIR resources: each column back at its path (fhir_source.dummy_sql)
        import duckdb

        from extractor.fhir_source import dummy_sql

        with duckdb.connect() as con:
            con.register("frame", df.to_arrow())
            con.execute(f"COPY ({dummy_sql(columns, source.resource or '', 'frame')}) TO '{path}' (FORMAT json)")
    elif source.format == "duckdb":
        import duckdb

        with duckdb.connect(str(path)) as con:
            con.register("frame", df.to_arrow())
            con.execute(f'CREATE OR REPLACE TABLE "{source.table}" AS SELECT * FROM frame')
    else:
        formats = {c.name: c.format for c in columns if c.format}
        text = df.with_columns(
            *(pl.col(name).dt.strftime(fmt) for name, fmt in formats.items() if name in df.columns),
            *(pl.col(c).cast(pl.String).str.replace(".", ",", literal=True)
              for c, t in df.schema.items() if source.decimal == "," and t == pl.Float64))
        body = text.write_csv(separator=source.delimiter or ",")
        path.write_bytes(body.encode(source.encoding))

