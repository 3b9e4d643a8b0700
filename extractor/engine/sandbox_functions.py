"""The helper functions a researcher's query may call (as_of_date, age_at, age_band), written once.

DuckDB receives them as macros in the sandbox database; on Spark each call is replaced by the body with
its arguments in place before the query is transpiled. The bodies use only functions both engines
have (age_at avoids DuckDB's age(), which Spark lacks: whole years, a birthday counted on its day, a
29 February birthday on 1 March in other years, as DuckDB's age() does).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from extractor.errors import ExtractorError
from extractor.i18n import N_

if TYPE_CHECKING:  # sqlglot is loaded by expand() only: Spark's path, not every DuckDB run
    from sqlglot import exp

_YEARS = ("(year(CAST({to} AS DATE)) - year(CAST({frm} AS DATE)) - CASE WHEN "
          "month(CAST({to} AS DATE)) * 100 + day(CAST({to} AS DATE)) < "
          "month(CAST({frm} AS DATE)) * 100 + day(CAST({frm} AS DATE)) THEN 1 ELSE 0 END)")
# Whole years from birth to on_day; a day before the birth counts back (negative), as DuckDB's age() does.
_AGE_AT = (f"CASE WHEN CAST(on_day AS DATE) >= CAST(birth AS DATE) THEN {_YEARS.format(frm='birth', to='on_day')} "
           f"ELSE -{_YEARS.format(frm='on_day', to='birth')} END")
_AGE_BAND = ("CASE WHEN age IS NULL THEN NULL WHEN age >= top THEN CAST(top AS VARCHAR) || '+' "
             "ELSE CAST(age // width * width AS VARCHAR) || '-' "
             "|| CAST(age // width * width + width - 1 AS VARCHAR) END")


def functions(as_of: dt.date) -> dict[str, tuple[tuple[str, ...], dict[str, str], str]]:
    """name -> (parameters, defaults, body in DuckDB SQL)."""
    return {
        "as_of_date": ((), {}, f"DATE '{as_of.isoformat()}'"),
        "age_at": (("birth", "on_day"), {}, f"CAST({_AGE_AT} AS INTEGER)"),
        "age_band": (("age", "width", "top"), {"width": "10", "top": "90"}, _AGE_BAND),
    }


def duckdb_macros(as_of: dt.date) -> list[str]:
    out = []
    for name, (params, defaults, body) in functions(as_of).items():
        args = ", ".join(f"{p} := {defaults[p]}" if p in defaults else p for p in params)
        out.append(f"CREATE MACRO {name}({args}) AS {body}")
    return out


def expand(tree: exp.Expression, as_of: dt.date) -> exp.Expression:
    """Every call of a helper replaced by its body, its arguments expanded first (calls may nest)."""
    import sqlglot
    from sqlglot import exp
    table = functions(as_of)

    def one(node: exp.Expression) -> exp.Expression:
        if not isinstance(node, exp.Anonymous) or node.name.lower() not in table:
            return node
        params, defaults, body = table[node.name.lower()]
        given: dict[str, exp.Expression] = {}
        for i, arg in enumerate(node.expressions):
            named = isinstance(arg, exp.PropertyEQ | exp.Kwarg)
            if named and isinstance(arg.this, exp.Column | exp.Var | exp.Identifier):
                given[arg.this.name.lower()] = arg.expression
            elif i < len(params):
                given[params[i]] = arg
            else:
                raise ExtractorError(f"{node.name}() takes {len(params)} argument(s)")
        for p in params:
            if p not in given:
                if p not in defaults:
                    raise ExtractorError(f"{node.name}() needs the argument {p}")
                given[p] = sqlglot.parse_one(defaults[p], read="duckdb")
        given = {p: expand(arg.copy(), as_of) for p, arg in given.items()}  # a call inside a call
        parsed = sqlglot.parse_one(body, read="duckdb")
        return parsed.transform(lambda n: exp.Paren(this=given[n.name].copy())
                                if isinstance(n, exp.Column) and not n.table and n.name in given else n)

    return tree.transform(one)


# For the codebook: each helper's signature and what it gives (the bodies above are what runs).
SIGNATURES = {
    "as_of_date": ("as_of_date() -> DATE", N_("The request's as_of date: the day the data are taken as of.")),
    "age_at": ("age_at(birth DATE, on_day DATE) -> INTEGER",
               N_("Whole years from birth to on_day; a birthday counts on its day, 29 February on 1 March.")),
    "age_band": ("age_band(age INTEGER, width INTEGER := 10, top INTEGER := 90) -> VARCHAR",
                 N_("The band of width years holding age, as '20-29'; top and above as '90+'; NULL stays NULL.")),
}
