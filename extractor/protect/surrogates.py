"""Per-run surrogate keys in the sandbox, and the project's HMAC pseudonyms computed on the way out.

A key in the sandbox is a random 60-bit number drawn for this run (DuckDB's random(), seeded from the
system's entropy), plus its domain's tag in the top bits. The query can join tables and count persons with
it; it cannot link it to another run (new numbers each time), there is nothing in it to invert (it is not
computed from the key, so no known (key, surrogate) pair tells anything about another), and it cannot be
guessed (sparse). The map from key to surrogate lives only in the controller's connection, and once the
sandbox is written only the keys whose rows reached it can be turned into pseudonyms (release_only). It
costs a draw per distinct key and a join, where an HMAC per distinct key cost the extract most of its time.

The HMAC pseudonyms a project keeps stable are computed only where a value leaves or must stay the same
across runs: the declared pseudonym columns of a pseudonymised-records output and the unit of a cell-key
table, on the output's rows (pseudonymise_outputs), and the persons a note names (hmac_map). A value that
is no key's surrogate (the query computed it) is refused, never released.
"""

from __future__ import annotations

from typing import Any

import duckdb
import polars as pl

from extractor.config.request import Output
from extractor.errors import ExtractorError
from extractor.i18n import Message
from extractor.protect.pseudonym import ProjectKey, sql_pseudonym
from extractor.sql import quote_ident

DOMAINS = {"person_key": "person", "document_key": "document", "document_version": "document-version"}
_TAG = {"person_key": 1, "document_key": 2, "document_version": 3}  # top bits: a value names its domain
_BITS = 60
_ATTEMPTS = 4
_HUGE = 1 << 59  # below every surrogate (≥ 2⁶⁰), far above any count or measure a file may release


class Surrogates:
    """The run's maps from key to surrogate (temp tables of the controller's connection)."""

    def __init__(self) -> None:
        self.maps: dict[str, str] = {}  # role -> temp table (v, p[, shift])

    def make_map(self, con: duckdb.DuckDBPyConnection, name: str, role: str, sources_sql: str, extra: str,
                 params: dict[str, Any]) -> None:
        """Temp table `name`(v, p[, extra]): each distinct key of `sources_sql` and a random 60-bit number,
        distinct within the run (drawn again on a collision: about n²/2⁶¹, 4·10⁻⁵ at 10M keys). Sparse, so a
        query cannot reach another key's surrogate by counting up from its own."""
        draw = f"{_TAG[role] << _BITS} + CAST(floor(random() * {1 << 30}) AS BIGINT) * {1 << 30} + " \
               f"CAST(floor(random() * {1 << 30}) AS BIGINT)"
        for _ in range(_ATTEMPTS):
            con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT v, {draw} AS p{extra} FROM (SELECT DISTINCT "
                        f"v FROM ({sources_sql})) WHERE v IS NOT NULL", params)
            distinct, total = con.execute(f"SELECT count(DISTINCT p), count(*) FROM {name}").fetchall()[0]
            if distinct == total:
                self.maps[role] = name
                return
        raise ExtractorError(f"could not draw distinct surrogates for the {DOMAINS[role]} keys in {_ATTEMPTS} tries")

    def release_only(self, role: str, present: str) -> None:
        """From now on only `present`(v, p), the keys whose rows reached the sandbox, may leave as pseudonyms:
        a surrogate of a key that eligibility left out names nobody, whatever the query guesses."""
        self.maps[role] = present

    def hmac_map(self, con: duckdb.DuckDBPyConnection, person_map: str, key: ProjectKey, rows_sql: str,
                 person_col: str) -> str:
        """Temp table (v, p[, shift]) with the HMAC pseudonyms of the persons in `rows_sql` (a notes table):
        a note names its subject by the pseudonym the released file carries."""
        name = f"{person_map}_hmac"
        columns = {r[0] for r in con.execute(f"DESCRIBE {person_map}").fetchall()}
        shift = ", m.shift" if "shift" in columns else ""
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT m.v, {sql_pseudonym('m.v', 'person')} AS p"
                    f"{shift} FROM {person_map} m WHERE m.v IN (SELECT CAST({quote_ident(person_col)} AS VARCHAR) "
                    f"FROM {rows_sql})", key.sql_params())
        return name

    def pseudonymise_outputs(self, con: duckdb.DuckDBPyConnection, frames: dict[str, pl.DataFrame],
                             outputs: tuple[Output, ...] | list[Output], key: ProjectKey) -> None:
        """In place: each output's columns that must carry the project's pseudonyms get them; a key anywhere
        else that a file would release is refused (as the checker refuses a pseudonym-like string)."""
        for out in outputs:
            stable = _stable_columns(out)
            for col in frames[out.name].columns:
                if col not in stable and col != _hidden_unit(out):
                    self._refuse_keys(con, frames[out.name][col], col, out)
            for col in stable:
                if col in frames[out.name].columns:
                    frames[out.name] = self._pseudonymised(con, frames[out.name], col, key, out)

    def _refuse_keys(self, con: duckdb.DuckDBPyConnection, values: pl.Series, col: str, out: Output) -> None:
        """A surrogate, or a number of its size (≥ 2⁵⁹: no count or measure comes near; a shifted, negated or
        cast key does), in a column that no pseudonym is declared for, or such a number written in text."""
        if not self.maps:
            return
        if values.dtype.is_numeric():
            big = values.cast(pl.Float64, strict=False).abs() >= float(_HUGE)
        elif values.dtype == pl.String:  # a project pseudonym (32 hex characters, a note's subject) is not read
            # for digits: one in 300 holds a run of 18 decimal digits by chance (the demo's notes stopped on one).
            # Each distinct text once: a table's records repeat a few categories (1M clients: 0.43 s -> 0.05 s)
            runs = values.unique().str.replace_all(r"(?i)(?-u:\b)[0-9a-f]{32}(?-u:\b)", " ").str.extract_all(r"\d{18,}")
            big = runs.list.eval(pl.element().cast(pl.Float64, strict=False) >= float(_HUGE)).list.any()
        else:
            return
        if big.fill_null(False).any():
            raise ExtractorError(Message(
                "%(where)s: column '%(column)s' holds person or document keys as the sandbox gave them, or numbers "
                "as large (2^59 or more); only a pseudonymised_records output releases keys, in the columns it names "
                "under pseudonyms (to count people, count(DISTINCT %(column)s) in an aggregate)",
                where=out.where or out.name, column=col))

    def _pseudonymised(self, con: duckdb.DuckDBPyConnection, frame: pl.DataFrame, col: str, key: ProjectKey,
                       out: Output) -> pl.DataFrame:
        values = frame[col]
        if values.dtype != pl.Int64:
            values = values.cast(pl.Int64, strict=False)
        keys = pl.DataFrame({"s": values.drop_nulls().unique()})
        parts = [f"SELECT m.p AS s, {sql_pseudonym('m.v', domain)} AS pseudonym FROM _out_keys k "
                 f"JOIN {self.maps[role]} m ON m.p = k.s" for role, domain in DOMAINS.items() if role in self.maps]
        found = pl.DataFrame(schema={"s": pl.Int64, "pseudonym": pl.String})
        con.register("_out_keys", keys)
        try:
            if parts:
                found = con.sql(" UNION ALL ".join(parts), params=key.sql_params()).pl()
        finally:
            con.unregister("_out_keys")
        if found.height != keys.height or values.null_count() != frame[col].null_count():
            raise ExtractorError(f"{out.where or out.name}: column '{col}' holds values that are not keys as the "
                                 "sandbox gave them: a pseudonym column must pass a key column through unchanged")
        pseudonyms = pl.DataFrame({"s": values}).join(found, on="s", how="left", maintain_order="left")
        return frame.with_columns(pseudonyms["pseudonym"].alias(col))


def _hidden_unit(out: Output) -> str | None:
    """A table's unit: used to build and protect it, never a column of the released file."""
    return out.table.unit if out.kind == "table" and out.table is not None else None


def _stable_columns(out: Output) -> list[str]:
    """Columns whose values must be the project's pseudonyms: released ones, and a cell-key table's unit
    (its record keys must be the same in every run, or repeated releases average the noise away)."""
    if out.kind == "pseudonymised_records":
        return list(out.pseudonyms)
    spec = out.table
    if out.kind == "table" and spec is not None and spec.privacy == "cell_key" and spec.unit:
        return [spec.unit]
    return []
