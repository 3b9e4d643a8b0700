"""Generalisation hierarchies: one row per raw value, one column per level, the last level '*'.

The CSV format is ARX's (`raw;level1;...;*`, no header). Built-ins cover ages, dates, Finnish postal
codes (→ municipality → sub-region → region → major region) and codes generalised by prefix.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from extractor import reference_data
from extractor.errors import ExtractorError


@dataclass(frozen=True)
class Hierarchy:
    name: str
    levels: pl.DataFrame  # columns "0".."h-1", strings; row = raw value

    @property
    def height(self) -> int:
        return self.levels.width

    @property
    def size(self) -> int:
        """|D|: the number of hierarchy rows, the denominator of ARX's Loss shares."""
        return self.levels.height

    @classmethod
    def from_rows(cls, name: str, rows: list[list[str]]) -> Hierarchy:
        width = len(rows[0]) if rows else 0
        if not rows or any(len(r) != width for r in rows) or width < 2:
            raise ExtractorError(f"hierarchy {name}: every row needs the raw value and at least one level")
        frame = pl.DataFrame(rows, schema=[str(i) for i in range(width)], orient="row")
        if frame["0"].is_duplicated().any():
            raise ExtractorError(f"hierarchy {name}: raw value {frame.filter(frame['0'].is_duplicated())['0'][0]!r} "
                                 "appears twice")
        return cls(name, frame)

    @classmethod
    def from_csv(cls, path: Path, name: str | None = None, delimiter: str = ";") -> Hierarchy:
        if not path.is_file():
            raise ExtractorError(f"{path}: hierarchy file not found")
        lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]
        return cls.from_rows(name or path.stem, [ln.split(delimiter) for ln in lines])

    def check_covers(self, values: pl.Series) -> None:
        distinct = values.drop_nulls().unique().sort()
        missing = distinct.filter(~distinct.is_in(self.levels["0"].implode()))
        if missing.len():
            raise ExtractorError(f"hierarchy {self.name}: no row for value {missing[0]!r} "
                                 f"({missing.len()} value(s) missing)")


def age_bands(name: str = "age", top: int = 120) -> Hierarchy:
    """Age → 5-year → 10-year → 20-year band → '*', as in ARX's Adult hierarchy."""
    def band(a: int, w: int) -> str:
        lo = a // w * w
        return f"{lo}-{lo + w - 1}"
    return Hierarchy.from_rows(name, [[str(a), band(a, 5), band(a, 10), band(a, 20), "*"] for a in range(top + 1)])


def dates(values: pl.Series, name: str = "date") -> Hierarchy:
    """Day → month → year → decade → '*', for the dates present."""
    days = values.drop_nulls().unique().sort().cast(pl.Date)
    frame = pl.DataFrame({"d": days}).select(
        pl.col("d").cast(pl.String).alias("0"), pl.col("d").dt.strftime("%Y-%m").alias("1"),
        pl.col("d").dt.year().cast(pl.String).alias("2"),
        ((pl.col("d").dt.year() // 10 * 10).cast(pl.String) + "s").alias("3"), pl.lit("*").alias("4"))
    return Hierarchy(name, frame)


def postal_codes_fi(name: str = "postal_code") -> Hierarchy:
    """Postal code → municipality → sub-region → region → major region → '*' (Statistics Finland 2020)."""
    key = reference_data.postal_codes()
    frame = key.select(pl.col("postal_code").alias("0"), pl.col("municipality").alias("1"),
                       pl.col("subregion").alias("2"), pl.col("region").alias("3"),
                       pl.col("major_region").alias("4"), pl.lit("*").alias("5"))
    return Hierarchy(name, frame.unique("0", keep="first", maintain_order=True))


def code_prefixes(values: pl.Series, name: str = "code", lengths: tuple[int, ...] = (3, 2, 1)) -> Hierarchy:
    """Codes generalised to their parents by prefix (F32.1 → F32 → F3 → F → '*')."""
    raw = values.drop_nulls().cast(pl.String).unique().sort()
    cols = [raw.alias("0")] + [raw.str.slice(0, n).alias(str(i)) for i, n in enumerate(lengths, start=1)]
    return Hierarchy(name, pl.DataFrame(cols).with_columns(pl.lit("*").alias(str(len(lengths) + 1))))


def suppress_only(values: pl.Series, name: str) -> Hierarchy:
    """Two levels: the value itself, or '*'."""
    raw = values.drop_nulls().cast(pl.String).unique().sort()
    return Hierarchy(name, pl.DataFrame({"0": raw, "1": ["*"] * raw.len()}))
