"""Statistical disclosure control of aggregate tables: small counts suppressed, the rest rounded.

Defaults follow OpenSAFELY's output rules: counts of 1..threshold (7) are redacted and the rest are
rounded to the nearest multiple of 5; zero stays zero. `midpoint6` rounds x > 0 to 6*ceil(x/6) - 3.
A rounded count never lands in 1..threshold: it is raised to the smallest permitted value above it.
The table must really be an aggregate: exactly the declared columns, one row per combination of
dimensions, integer counts, and no more rows than the policy's cap. Person-level rows dressed as an
aggregate are refused: a dimension with more than MIN_ROWS distinct values and more than
persons / (threshold + 1) cannot be a category of groups of more than `threshold` people (an
identifier, a birth date, a note's text), and a table where most rows (of at least MIN_ROWS) have
every count suppressed describes single people (their labels still tell who exists). A smaller one whose
every count above zero is hidden is flagged (`only_small`): a hidden count beside a zero says "yes" and "no"
of one person where the query picks one out, and the review report asks the DPO to return it; so is a count
column whose every figure is 0 or hidden beside columns that are shown (`small_columns`: "the one person
with these details, and a diagnosis"), and a tiny group's listed rows (`tiny_groups`).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from extractor.config.policy import Disclosure
from extractor.config.request import Output
from extractor.disclosure.columns import require_columns
from extractor.errors import ExtractorError, TooFine
from extractor.i18n import Message

REDACTED = "[REDACTED]"
MIN_ROWS = 20  # below this, a table (or a dimension's list of values) is merely small
MAX_SUPPRESSED_ROWS = 0.5


@dataclass(frozen=True)
class Controlled:
    output: str
    rows: int
    cells: int
    suppressed: int
    rounded: int  # cells whose value changed by rounding
    zeros: int
    only_small: bool = False  # every count above zero hidden: the file tells only which groups are small
    tiny_groups: tuple[str, ...] = ()  # "dimension=value" of groups of at most `threshold` whose every row is hidden
    small_columns: tuple[str, ...] = ()  # count columns whose every figure is 0 or hidden (some hidden)


def floor_figure(rules: Disclosure) -> int:
    """The smallest figure a rounded count may show: the first the rule allows above the threshold."""
    base, t = rules.rounding_base, rules.threshold
    if rules.rounding == "midpoint6":
        floor = ((t + base) // base) * base - base // 2
        return floor if floor > t else floor + base
    if rules.rounding in ("nearest", "controlled"):
        return (t // base + 1) * base
    return t + 1


def rounded_expr(col: pl.Expr, rules: Disclosure) -> pl.Expr:
    """The rule as a Polars expression: null marks a suppressed cell."""
    base = rules.rounding_base
    if rules.rounding == "midpoint6":
        rounded = pl.when(col == 0).then(0).otherwise(((col + base - 1) // base) * base - base // 2)
    elif rules.rounding in ("nearest", "controlled"):  # a figure on its own: controlled rounding is nearest
        rounded = ((col + base // 2) // base) * base
    else:
        rounded = col
    # Rounding must never bring a released count down into the suppressed range 1..threshold.
    safe = pl.when(col == 0).then(0).otherwise(pl.max_horizontal(rounded, pl.lit(floor_figure(rules))))
    return pl.when((col >= 1) & (col <= rules.threshold)).then(None).otherwise(safe)


def _validate(df: pl.DataFrame, out: Output, rules: Disclosure) -> None:
    where = f"{out.query}"
    require_columns(out, df.columns, {"dimensions": list(out.dimensions), "counts": list(out.counts)})
    for c in out.counts:
        dtype = df.schema[c]
        if not dtype.is_integer():
            raise ExtractorError(f"{where}: count column '{c}' must be an integer, it is {dtype}")
        if df[c].null_count():
            raise ExtractorError(f"{where}: count column '{c}' has missing values (use coalesce(x, 0))")
        if (df[c] < 0).any():
            raise ExtractorError(f"{where}: count column '{c}' has negative values")
    if df.height > rules.max_rows:
        raise TooFine(Message("%(where)s: %(rows)s rows is more than the aggregate cap of %(cap)s (policy "
                              "disclosure.max_rows): group more coarsely: fewer dimensions, or broader categories (a "
                              "region instead of a municipality, age bands instead of ages, years instead of months)",
                              where=where, rows=df.height, cap=rules.max_rows))
    if out.dimensions and df.select(out.dimensions).is_duplicated().any():
        raise ExtractorError(f"{where}: not an aggregate: several rows share the same dimension values "
                             f"({', '.join(out.dimensions)})")


def _refuse_person_level(df: pl.DataFrame, safe: pl.DataFrame, out: Output, rules: Disclosure,
                         persons: int | None) -> None:
    where = f"{out.query}"
    if persons:
        for d in out.dimensions:
            distinct = df[d].n_unique()
            if distinct > max(rules.threshold + 1, MIN_ROWS) and distinct * (rules.threshold + 1) > persons:
                raise ExtractorError(Message(
                    "%(where)s: dimension '%(dimension)s' has %(distinct)s distinct values for %(persons)s persons: on "
                    "average fewer than %(n)s people each, so it is an identifier or a person-level attribute, not a "
                    "category; group it (e.g. year of birth, region) or ask for pseudonymised records", where=where,
                    dimension=d, distinct=distinct, persons=persons, n=rules.threshold + 1))
    if out.counts and safe.height >= MIN_ROWS:
        hidden = safe.select(pl.all_horizontal(pl.col(c).is_null() for c in out.counts)).to_series().mean()
        if hidden > MAX_SUPPRESSED_ROWS:
            raise ExtractorError(Message("%(where)s: %(share)s of the %(rows)s rows have every count suppressed: "
                                         "person-level rows, not an aggregate; use broader categories", where=where,
                                         share=f"{hidden:.0%}", rows=safe.height))


def whole_counts(df: pl.DataFrame, counts: tuple[str, ...]) -> pl.DataFrame:
    """Count columns DuckDB computes as HUGEINT (a sum of 0/1 indicators, count_if), which Polars reads as
    Decimal(38, 0), as the whole numbers they are."""
    wide = [c for c in counts if isinstance(df.schema.get(c), pl.Decimal) and df.schema[c].scale == 0]
    return df.with_columns(pl.col(c).cast(pl.Int64) for c in wide) if wide else df


def ordered(df: pl.DataFrame, out: Output) -> pl.DataFrame:
    """The output's columns in the order the file is written: by its dimensions (ties as the query gave them)."""
    df = df.select(*out.dimensions, *out.counts)
    return df.sort(out.dimensions, nulls_last=True, maintain_order=True) if out.dimensions else df


def control(df: pl.DataFrame, out: Output, rules: Disclosure, persons: int | None = None
            ) -> tuple[pl.DataFrame, Controlled]:
    """Apply the rules; the returned frame has count columns as text with REDACTED for suppressed cells."""
    df = whole_counts(df, out.counts)
    _validate(df, out, rules)
    df = ordered(df, out)
    safe = df.with_columns(rounded_expr(pl.col(c), rules).alias(c) for c in out.counts)
    _refuse_person_level(df, safe, out, rules, persons)
    cells = df.height * len(out.counts)
    suppressed = sum(safe[c].null_count() for c in out.counts)
    changed = sum(int(((safe[c] != df[c]) & safe[c].is_not_null()).sum()) for c in out.counts)
    zeros = sum(int((df[c] == 0).sum()) for c in out.counts)
    text = safe.with_columns(pl.col(c).cast(pl.String).fill_null(REDACTED) for c in out.counts)
    shown = sum(int((safe[c] > 0).sum()) for c in out.counts)
    small = tuple(c for c in out.counts if safe[c].null_count() and not (safe[c] > 0).any())  # yes or no, each
    return text, Controlled(out.name, df.height, cells, suppressed, changed, zeros, bool(suppressed) and not shown,
                            tiny_groups(df, safe, out, rules.threshold), small)


def tiny_groups(df: pl.DataFrame, safe: pl.DataFrame, out: Output, threshold: int) -> tuple[str, ...]:
    """Values of a dimension whose every row has every count hidden and whose rows add up to at most `threshold`
    (the largest count of each row), in a file of two or more dimensions: the rows listed for such a value say
    which values of the other dimensions its few people have (a group made of one person by the query, by
    service task), however large the file's other groups are."""
    if len(out.dimensions) < 2 or not out.counts:
        return ()
    rows = df.select(*out.dimensions).with_columns(
        pl.Series("_hidden", safe.select(pl.all_horizontal(pl.col(c).is_null() for c in out.counts)).to_series()),
        pl.Series("_size", df.select(pl.max_horizontal(out.counts)).to_series()))
    found = []
    for d in out.dimensions:
        small = rows.group_by(d).agg(pl.col("_hidden").all(), pl.col("_size").sum()) \
            .filter(pl.col("_hidden") & (pl.col("_size") <= threshold)).sort(d, nulls_last=True)
        found += [f"{d}={v}" for v in small[d].to_list()]
    return tuple(found)
