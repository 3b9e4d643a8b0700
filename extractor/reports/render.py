"""Render the DPO review report, the airlock's pages and the patient notices from the Jinja2 templates in
reports/, in the reader's language: `{% trans %}` blocks and `_()` read the gettext catalogs (i18n.py), and
numbers and dates go through CLDR (`num`, `pct`, `date`).

One environment for every language, so each template is compiled once per process (a run writes its report
and codebook in three languages; a web page in any): the language of the render in progress is a context
variable that the gettext callables and the filters read, so concurrent renders in worker threads do not
see each other's.
"""

from __future__ import annotations

from contextvars import ContextVar
from functools import cache
from typing import Any

import jinja2

from extractor import i18n
from extractor.reports import labels
from extractor.shipped import shipped

TEMPLATES = shipped("reports")
_LANG: ContextVar[str] = ContextVar("render_lang", default=i18n.DEFAULT)


def _lang() -> str:
    return _LANG.get()


def _bytecode_cache() -> jinja2.BytecodeCache | None:
    """Compiled templates kept between processes: compiling them costs a short run most of a second. Jinja's
    own cache (a folder of this user's, mode 700, checked; entries keyed by the template's path and checked
    against its source, written atomically). None where no such folder can be made: compiled every time."""
    try:
        return jinja2.FileSystemBytecodeCache()
    except (OSError, RuntimeError):
        return None


@cache
def _env() -> jinja2.Environment:
    if not TEMPLATES.is_dir():
        raise FileNotFoundError(f"report templates not found in {TEMPLATES}")
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                             extensions=["jinja2.ext.i18n"], bytecode_cache=_bytecode_cache())
    env.policies["ext.i18n.trimmed"] = True  # a paragraph's line breaks are not part of its message
    env.install_gettext_callables(  # type: ignore[attr-defined]
        lambda message: i18n.gettext_for(_lang())(message),
        lambda singular, plural, n: i18n.ngettext_for(_lang())(singular, plural, n), newstyle=True)
    env.filters["num"] = lambda n, digits=None: "—" if n is None else i18n.number(n, _lang(), digits)
    env.filters["thousands"] = env.filters["num"]
    env.filters["pct"] = lambda share, digits=1: i18n.percent(share, _lang(), digits)
    env.filters["date"] = lambda value: i18n.date(value, _lang())
    env.filters["said"] = lambda text: i18n.said(text, _lang()) if isinstance(text, i18n.Message) else \
        labels.reason(str(text), _lang())
    env.filters["flow_step"] = lambda text: labels.flow_step(str(text), _lang())
    env.filters["primary_rule"] = lambda key: labels.primary_rule(str(key), _lang())
    return env


def render(template: str, context: dict[str, Any], lang: str = i18n.DEFAULT) -> str:
    chosen = i18n.choose(lang)
    token = _LANG.set(chosen)
    try:
        return _env().get_template(template).render(**{"lang": chosen, **context})
    finally:
        _LANG.reset(token)


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
