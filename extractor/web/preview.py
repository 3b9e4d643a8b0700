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
