"""Is an "aggregate" really person-level rows? The checker's own test, from the file and the run's person list.

Two signs, each enough: a dimension of more than 20 distinct values, so many that, spread over the
persons the run included, fewer than threshold + 1 people stand behind each (an identifier, a birth date, a note); or a
table of 20 rows or more in which most rows have every count redacted.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from extractor.checker.count_rule import REDACTED


def person_level_rows(name: str, df: pl.DataFrame, spec: dict, threshold: int, persons_file: Path) -> list[str]:
    """persons_file: the run's persons.json, {"included": persons whose rows reached the query}."""
    findings = []
    dims = [d for d in spec.get("dimensions", []) if d in df.columns]
    counts = [c for c in spec.get("counts", []) if c in df.columns]
    if persons_file.is_file():
        persons = int(json.loads(persons_file.read_text())["included"])
        for d in dims:
            distinct = df.get_column(d).n_unique()
            if persons and distinct > max(threshold + 1, 20) and distinct > persons / (threshold + 1):
                findings.append(f"{name}: dimension '{d}' has {distinct} values for {persons} persons: rows of "
                                f"fewer than {threshold + 1} people, not categories")
    if counts and df.height >= 20:
        all_hidden = df.select(pl.all_horizontal(pl.col(c) == REDACTED for c in counts).mean()).item()
        if all_hidden > 0.5:
            findings.append(f"{name}: {all_hidden:.0%} of rows have every count redacted: person-level rows")
    return findings
