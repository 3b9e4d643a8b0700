"""A released file shown as a table, a page at a time, with each suppressed or rounded cell marked and its
reason on hover; and the cells that changed since the project's previous release. Files are read only
when they are regular files (files.read_regular: a symbolic link planted in a run folder is refused).

The hover says why in general words for everyone; for a reviewer (whoever may read the review report) it
gives the cell's own reason from the controller's exact file (threshold, dominance with the units' share,
secondary protecting which cell, rounded from what): never for a requester, since "threshold" says that a
cell is small."""

from __future__ import annotations

import csv
import hashlib
import io
from pathlib import Path
from typing import Any

from extractor.files import read_regular
from extractor.i18n import Message

PAGE_ROWS = 100
SUPPRESSED = ("[REDACTED]", "")


def preview(path: Path, entry: dict[str, Any] | None, page: int = 1, data: bytes | None = None,
            exact: tuple[Path, str] | None = None, wanted: str = "") -> dict[str, Any]:
    """{"header", "rows": [[{"text", "mark", "why"}]], "page", "pages", "total", "summary"} for a CSV; other
    files: size. `exact`: the table's exact values (controller/tables/<name>.parquet) and the sha256 the run
    recorded for them, for a reviewer's per-cell reasons. `wanted`: show only rows with a cell containing it."""
    data = read_regular(path) if data is None else data
    if path.suffix.lower() != ".csv":
        return {"header": [], "rows": [], "page": 1, "pages": 1, "total": 0, "size": len(data)}
    reader = csv.reader(io.StringIO(data.decode("utf-8", errors="replace")))
    header = next(reader, [])
    counts = set((entry or {}).get("counts", []) or []) | set((entry or {}).get("event_counts", []) or [])
    every = list(reader)
    summary = summarise(header, every, counts, (entry or {}).get("rounding_base"),
                        set((entry or {}).get("dimensions", []) or []))
    if wanted:
        needle = wanted.casefold()
        every = [row for row in every if any(needle in cell.casefold() for cell in row)]
    pages = max(1, -(-len(every) // PAGE_ROWS))
    page = min(max(1, page), pages)
    shown = every[(page - 1) * PAGE_ROWS:page * PAGE_ROWS]
    labels = [header.index(c) for c in (entry or {}).get("dimensions", []) if c in header]
    reasons = cell_reasons(*exact, [header[i] for i in labels]) if exact is not None and labels else {}
    perturbed = (entry or {}).get("privacy") in ("cell_key", "dp")
    rows = [[_noisy(value) if perturbed and name in counts else
             _cell(value, name in counts, reasons.get(tuple(row[i] for i in labels)))
             for name, value in zip(header, row, strict=False)] for row in shown]
    if reasons:
        summary["rounded"] = sum(1 for why in reasons.values() if "rounded" in why)
    return {"header": header, "rows": rows, "page": page, "pages": pages, "total": len(every), "size": len(data),
            "summary": summary}


def summarise(header: list[str], rows: list[list[str]], counts: set[str], base: int | None,
              labels: set[str] = frozenset()) -> dict[str, Any]:
    """What an output checker asks of a table first (as OpenSAFELY's Airlock summarises a CSV): its size,
    hidden cells, the smallest count shown, whether every count is a multiple of the base, each numeric
    column's smallest and largest value (not the label columns: a code is not a figure)."""
    import polars as pl

    frame = pl.DataFrame(rows, schema=header, orient="row") if rows else pl.DataFrame(schema=header)
    count_cols = [c for c in header if c in counts]
    numbers = {c: frame[c].cast(pl.Float64, strict=False) for c in header}
    shown = [v for c in count_cols for v in numbers[c].drop_nulls().to_list() if v > 0]
    hidden = sum(int(frame[c].is_in(list(SUPPRESSED)).sum()) for c in count_cols)
    ranges = [{"name": c, "min": _figure(n.min()), "max": _figure(n.max()), "empty": int(n.is_null().sum())}
              for c, n in numbers.items()
              if c not in labels and n.drop_nulls().len() and n.drop_nulls().len() * 2 >= len(rows)]
    return {"rows": len(rows), "columns": len(header), "counts": bool(count_cols), "hidden": hidden,
            "rounded": None, "smallest": _figure(min(shown)) if shown else None, "base": base,
            "all_multiples": bool(base) and all(v % base == 0 for v in shown), "ranges": ranges}


def _figure(value: object) -> object:
    return int(value) if isinstance(value, float) and value.is_integer() else value


def cell_reasons(exact: Path, sha256: str, labels: list[str]) -> dict[tuple[str, ...], str]:
    """Each cell's reason (the exact file's `_why`), keyed by its labels as the CSV writes them; {} when the
    file is missing, is not the bytes the run recorded, or has no reasons (a differentially private table)."""
    import polars as pl

    try:
        data = read_regular(exact)
        if hashlib.sha256(data).hexdigest() != sha256:
            return {}
        frame = pl.read_parquet(io.BytesIO(data), columns=[*labels, "_why"])
    except (OSError, pl.exceptions.PolarsError):
        return {}
    keys = frame.select(pl.col(c).cast(pl.String).fill_null("") for c in labels).rows()
    return {k: why for k, why in zip(keys, frame["_why"].to_list(), strict=True) if why}


def _noisy(value: str) -> dict[str, str]:
    return {"text": value, "mark": "rounded",
            "why": Message("Noise added (cell-key or differential privacy): near the true value, not equal to it; "
                           "the review report gives the size")}


def _cell(value: str, is_count: bool, reason: str | None = None) -> dict[str, str]:
    if is_count and reason:
        return {"text": value or "—", "mark": "suppressed" if value in SUPPRESSED else "rounded", "why": reason}
    if is_count and value in SUPPRESSED:
        return {"text": value or "—", "mark": "suppressed",
                "why": Message("Hidden: a count below the threshold, a dominant contributor, or a cell hidden so "
                               "that such a cell cannot be worked out (the review report gives each cell's reason)")}
    if is_count:
        return {"text": value, "mark": "rounded",
                "why": Message("Rounded to a multiple of the policy's base (under controlled rounding one of the two "
                               "next to the true value, chosen so that totals still add up)")}
    return {"text": value, "mark": "", "why": ""}


def compare(current: Path, earlier: Path, entry: dict[str, Any] | None, limit: int = 200) -> dict[str, Any]:
    """The cells of a released table that differ from the same table in an earlier release of the project:
    rows matched on the dimension columns, each count shown then and now (a reviewer's differencing view)."""
    import polars as pl

    now, then = (pl.read_csv(io.BytesIO(read_regular(p)), infer_schema=False) for p in (current, earlier))
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
