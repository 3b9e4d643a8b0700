"""Render the DPO review report and the patient notices from the Jinja2 templates in reports/."""

from __future__ import annotations

from typing import Any

import jinja2

from extractor.shipped import shipped

TEMPLATES = shipped("reports")


def _env() -> jinja2.Environment:
    if not TEMPLATES.is_dir():
        raise FileNotFoundError(f"report templates not found in {TEMPLATES}")
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["thousands"] = lambda n: f"{n:,}".replace(",", "\u202f")
    return env


def render(template: str, context: dict[str, Any]) -> str:
    return _env().get_template(template).render(**context)


def flow_bars(rows_in: int, steps: list[tuple[str, int]], width: int = 360) -> list[dict[str, Any]]:
    """Geometry of the exclusion-flow chart: one bar per step, remaining rows after each exclusion."""
    bars, remaining = [], rows_in
    scale = width / rows_in if rows_in else 0
    bars.append({"label": "in source", "value": rows_in, "removed": 0, "w": round(rows_in * scale, 1), "rw": 0})
    for label, removed in steps:
        remaining -= removed
        bars.append({"label": label, "value": remaining, "removed": removed, "w": round(remaining * scale, 1),
                     "rw": round(removed * scale, 1)})
    return bars
