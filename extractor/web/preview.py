"""A released file shown as a table, with each suppressed or rounded cell marked and its reason on hover."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

MAX_ROWS = 500
SUPPRESSED = ("[REDACTED]", "")


def preview(path: Path, entry: dict[str, Any] | None) -> dict[str, Any]:
    """{"header", "rows": [[{"text", "mark", "why"}]], "truncated"} for a CSV; other files: their size only."""
    if path.suffix.lower() != ".csv":
        return {"header": [], "rows": [], "truncated": False, "size": path.stat().st_size}
    text = path.read_text(encoding="utf-8")
    reader = csv.reader(io.StringIO(text))
    header = next(reader, [])
    counts = set((entry or {}).get("counts", []) or []) | set((entry or {}).get("event_counts", []) or [])
    rows, truncated = [], False
    for i, row in enumerate(reader):
        if i >= MAX_ROWS:
            truncated = True
            break
        rows.append([_cell(value, name in counts) for name, value in zip(header, row, strict=False)])
    return {"header": header, "rows": rows, "truncated": truncated, "size": path.stat().st_size}


def _cell(value: str, is_count: bool) -> dict[str, str]:
    if is_count and value in SUPPRESSED:
        return {"text": value or "—", "mark": "suppressed",
                "why": "Suppressed: fewer than the threshold, or hidden so that another cell cannot be worked out"}
    if is_count:
        return {"text": value, "mark": "rounded", "why": "Rounded to the policy's base (total and parts alike)"}
    return {"text": value, "mark": "", "why": ""}


def compare(current: Path, earlier: Path, entry: dict[str, Any] | None, limit: int = 200) -> dict[str, Any]:
    """The cells of a released table that differ from the same table in an earlier release of the project:
    rows matched on the dimension columns, each count shown then and now (a reviewer's differencing view)."""
    import polars as pl

    now, then = pl.read_csv(current, infer_schema=False), pl.read_csv(earlier, infer_schema=False)
    counts = [c for c in now.columns if c in set((entry or {}).get("counts", []) or [])]
    keys = [c for c in now.columns if c not in counts and c in then.columns]
    counts = [c for c in counts if c in then.columns]
    if not keys or not counts:
        return {"keys": keys, "counts": counts, "rows": [], "changed": 0, "comparable": False}
    joined = now.join(then, on=keys, how="full", suffix="_earlier", coalesce=True, nulls_equal=True)
    differs = pl.any_horizontal([pl.col(c).fill_null("∅") != pl.col(f"{c}_earlier").fill_null("∅") for c in counts])
    changed = joined.filter(differs)
    rows = [[str(v) if v is not None else "—" for v in row]
            for row in changed.select(*keys, *[x for c in counts for x in (f"{c}_earlier", c)]).head(limit).rows()]
    return {"keys": keys, "counts": counts, "rows": rows, "changed": changed.height, "comparable": True}
