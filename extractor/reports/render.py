"""Render the DPO review report, the airlock's pages and the patient notices from the Jinja2 templates in
reports/, in the reader's language: `{% trans %}` blocks and `_()` read the gettext catalogs (i18n.py), and
numbers and dates go through CLDR (`num`, `pct`, `date`)."""

from __future__ import annotations

from functools import cache
from typing import Any

import jinja2

from extractor import i18n
from extractor.reports import labels
from extractor.shipped import shipped

TEMPLATES = shipped("reports")


@cache
def _env(lang: str) -> jinja2.Environment:
    if not TEMPLATES.is_dir():
        raise FileNotFoundError(f"report templates not found in {TEMPLATES}")
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                             extensions=["jinja2.ext.i18n"])
    env.policies["ext.i18n.trimmed"] = True  # a paragraph's line breaks are not part of its message
    env.install_gettext_translations(i18n.translations(lang), newstyle=True)  # type: ignore[attr-defined]
    env.filters["num"] = lambda n, digits=None: "—" if n is None else i18n.number(n, lang, digits)
    env.filters["thousands"] = env.filters["num"]
    env.filters["pct"] = lambda share, digits=1: i18n.percent(share, lang, digits)
    env.filters["date"] = lambda value: i18n.date(value, lang)
    env.filters["said"] = lambda text: i18n.said(text, lang) if isinstance(text, i18n.Message) else \
        labels.reason(str(text), lang)
    env.filters["flow_step"] = lambda text: labels.flow_step(str(text), lang)
    env.globals["lang"] = lang
    return env


def render(template: str, context: dict[str, Any], lang: str = i18n.DEFAULT) -> str:
    return _env(i18n.choose(lang)).get_template(template).render(**context)


def flow_bars(rows_in: int, steps: list[tuple[str, int]], width: int = 360) -> list[dict[str, Any]]:
    """Geometry of the exclusion-flow chart: one bar per step, remaining rows after each exclusion."""
    bars, remaining = [], rows_in
    scale = width / rows_in if rows_in else 0
    bars.append({"label": "", "value": rows_in, "removed": 0, "w": round(rows_in * scale, 1), "rw": 0})
    for label, removed in steps:
        remaining -= removed
        bars.append({"label": label, "value": remaining, "removed": removed, "w": round(remaining * scale, 1),
                     "rw": round(removed * scale, 1)})
    return bars
